# VFIO: kasou passes L1's e1000e (behind QEMU's vIOMMU) to an L2 guest: the guest's e1000e
# driver binds, gets a link and a DHCP lease from L1's network (QEMU user net: 10.0.2.0/24),
# pings the gateway, with MSI-X, then MSI, then INTx (e1000e IntMode=2/1/0; QEMU's e1000e
# sends no MSI at all behind the vIOMMU — L1's own e1000e driver reports "MSI interrupt test
# failed" too — so the MSI step checks that kasou turned VFIO's MSI on when the guest asked,
# and that the guest's fallback to INTx works; 511 proves MSI delivery with AHCI); the guest
# reboots with the device passed and does it again; its I/O BAR works (forwarded by kasou);
# MSI-X interrupts show in kasou stats;
# SIGTERM stops kasou; the device is back on vfio-pci after kasou exits
#! l1-qemu: -M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -netdev user,id=vn0 -device e1000e,netdev=vn0
#! l1-cmdline: intel_iommu=on
#! needs: nvme
#! l1-modules: vfio_pci vfio_iommu_type1 e1000e nvme
#! guest-modules: e1000e
#! expect-exit: 0
#! expect: LAB-PASS not-bound
#! expect: LAB-PASS bound
#! expect: LAB-PASS boot1
#! expect: LAB-PASS iobar
#! expect: LAB-PASS msi
#! expect: LAB-PASS intx
#! expect: LAB-PASS boot2
#! expect: LAB-PASS irqs
#! expect: LAB-PASS released
#! expect: LAB-PASS exit
#! expect: LAB-PASS unbound
#! expect-not: LAB-FAIL
#! timeout: 420
--- guest ---
ko=$(find /lib/modules -name e1000e.ko | head -1)
cat >/tmp/dhcp.sh <<'EOS'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface" && echo "LAB-LEASE $ip"
exit 0
EOS
chmod +x /tmp/dhcp.sh
# net_check TAG: link, DHCP lease and 3 ping replies through eth0; prints its interrupt lines
net_check() {
	drv=$(basename "$(readlink /sys/class/net/eth0/device/driver 2>/dev/null)")
	[ "$drv" = e1000e ] || { echo "LAB-GUEST-BAD $1: eth0 driver '$drv'"; return 1; }
	ip link set eth0 up
	i=0
	until [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 10 -T 1 >/tmp/dhcp.log 2>&1 &&
		ping -c 3 -W 2 10.0.2.2 >/tmp/ping.log 2>&1; then
		echo "LAB-NET-OK $1 $(grep -c 'bytes from' /tmp/ping.log) replies"
		grep eth0 /proc/interrupts | tr -s ' ' | sed "s/^/LAB-IRQ $1 /"
	else
		echo "LAB-GUEST-BAD $1"; cat /tmp/dhcp.log /tmp/ping.log; dmesg | grep -i e1000e | tail -5
		return 1
	fi
}
# mode N: reload e1000e with IntMode=N (0 INTx, 1 MSI, 2 MSI-X)
mode() {
	ip addr flush dev eth0 2>/dev/null
	rmmod e1000e && insmod "$ko" IntMode=$1 || echo "LAB-GUEST-BAD insmod IntMode=$1"
	sleep 0.5
}
net_check msix
# the I/O BAR (BAR2, 32 ports, forwarded by kasou): IOADDR at +0 picks a register, IODATA at +4
# reads it; STATUS (0x8) through it shows the link up (FD, LU) as through BAR0 (devmem)
d=/sys/class/net/eth0/device
io=$(sed -n 3p $d/resource | cut -d' ' -f1) mem=$(sed -n 1p $d/resource | cut -d' ' -f1)
grep -i "$(printf '%04x' $((io)))-" /proc/ioports | head -2
printf '\010\000\000\000' | dd of=$d/resource2 bs=4 count=1 conv=notrunc 2>/dev/null
st=0x$(dd if=$d/resource2 bs=4 count=1 skip=1 2>/dev/null | od -An -tx4 | tr -d ' ')
stm=$(devmem $((mem + 8)) 32 2>/dev/null)
echo "I/O BAR at $io: STATUS 0x8 through it $st, through BAR0 ${stm:-(no devmem)}"
[ $((io)) -ge $((0xc000)) ] && [ $((io)) -le $((0xffe0)) ] && [ $((st & 3)) = 3 ] &&
	[ "$st" != 0xffffffff ] && { [ -z "$stm" ] || [ $((stm)) = $((st)) ]; } &&
	pass iobar || fail iobar "I/O BAR at $io, STATUS $st via ports, ${stm:-?} via memory"
echo "LAB-MSIX-DONE"
sleep 3
mode 1 && net_check msi
mode 0 && net_check intx
echo "LAB-GUEST-DONE"
sleep 1
reboot -f
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
addr=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && addr=${d##*/}
done
[ -n "$addr" ] || { fail find "no e1000e in L1"; exit 1; }
dev=/sys/bus/pci/devices/$addr
echo "e1000e at $addr, IOMMU group $(basename "$(readlink $dev/iommu_group)"), driver $(basename "$(readlink $dev/driver 2>/dev/null)")"
# not bound to vfio-pci yet: a clear error
out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --device vfio=$addr 2>&1)
rc=$?
echo "$out" | grep -q "bound to .*not vfio-pci: run 'kasou host vfio-bind $addr'" && [ $rc != 0 ] &&
	pass not-bound || fail not-bound "rc=$rc: $out"
kasou host vfio-bind $addr
[ "$(basename "$(readlink $dev/driver)")" = vfio-pci ] && pass bound || { fail bound "driver $(readlink $dev/driver)"; exit 1; }
"$KASOU" run --name vf --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 2 --memory 256M --device vfio=$addr,id=nic0 >out.log 2>&1 &
pid=$!
(while kill -0 $pid 2>/dev/null; do echo "$(date +%s) $(grep vfio /proc/interrupts | tr -s ' ' | tr '\n' '|')"; sleep 1; done) >irqlog.txt 2>&1 &
i=0
while [ $i -lt 150 ] && [ "$(grep -c LAB-MSIX-DONE out.log)" -lt 1 ]; do sleep 0.5; i=$((i + 1)); done
kasou stats vf --json >stats.json 2>&1
kasou stats vf --interval 1 --count 1 2>&1 | grep VFIO
while [ $i -lt 400 ] && [ "$(grep -c LAB-GUEST-DONE out.log)" -lt 2 ]; do sleep 0.5; i=$((i + 1)); done
tail -60 out.log
kill $pid 2>/dev/null
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 30 ]; do sleep 0.5; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
	for t in /proc/$pid/task/*; do echo "stuck: $(cat $t/comm) in $(cat $t/wchan)"; done
	fail exit "kasou did not exit on SIGTERM"
	kill -9 $pid
fi
wait $pid
rc=$?
uniq -f1 irqlog.txt | tail -30
tail -5 out.log
[ $rc = 143 ] && pass exit || fail exit "kasou exit status $rc after SIGTERM"

ok=$(grep -c 'LAB-NET-OK msix 3 replies' out.log)
[ "$ok" -ge 1 ] && pass boot1 || fail boot1 "no DHCP lease + 3 ping replies with MSI-X in the first boot"
[ "$ok" -ge 2 ] && pass boot2 || fail boot2 "not again after the guest rebooted ($ok)"
grep -q 'vfio-msi\[0\]' irqlog.txt && grep -q 'LAB-NET-OK msi 3 replies' out.log &&
	pass msi || fail msi "no vfio-msi in L1, or no traffic after the fallback: $(grep 'LAB-IRQ msi\|BAD' out.log)"
grep -q 'LAB-NET-OK intx 3 replies' out.log && grep 'LAB-IRQ intx ' out.log | grep -q 'IO-APIC.*eth0' &&
	pass intx || fail intx "$(grep 'LAB-IRQ intx\|BAD' out.log)"
echo "stats: $(cat stats.json | tr -d '\n' | sed 's/.*"vfio"/"vfio"/' | cut -c1-400)"
irqs=$(tr -d ' \n' <stats.json | sed -n 's/.*"irqs":\([0-9]*\).*/\1/p')
tr -d ' \n' <stats.json | grep -q '"irq_mode":"msix"'  && [ "${irqs:-0}" -gt 0 ] && pass irqs || fail irqs "irq_mode/irqs: $(grep -o '"irq[^,]*' stats.json | tr '\n' ' ')"
[ "$(basename "$(readlink $dev/driver)")" = vfio-pci ] && ! grep -q vfio-msix /proc/interrupts &&
	pass released || fail released "$(grep vfio /proc/interrupts)"
kasou host vfio-unbind $addr
[ "$(basename "$(readlink $dev/driver)")" = e1000e ] && pass unbound || fail unbound "driver $(readlink $dev/driver)"
exit 0
