# VFIO: kasou passes L1's e1000e (behind QEMU's vIOMMU) to an L2 guest: the guest's e1000e
# driver binds, gets a link and a DHCP lease from L1's network (QEMU user net: 10.0.2.0/24),
# pings the gateway; the guest reboots with the device passed and does it again; MSI-X
# interrupts show in kasou stats; the device is back on vfio-pci, reset, after kasou exits
#! l1-qemu: -M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -netdev user,id=vn0 -device e1000e,netdev=vn0
#! l1-cmdline: intel_iommu=on
#! l1-modules: vfio_pci vfio_iommu_type1
#! guest-modules: e1000e
#! expect-exit: 0
#! expect: LAB-PASS not-bound
#! expect: LAB-PASS bound
#! expect: LAB-PASS boot1
#! expect: LAB-PASS boot2
#! expect: LAB-PASS irqs
#! expect: LAB-PASS released
#! expect: LAB-PASS exit
#! expect-not: LAB-FAIL
#! timeout: 300
--- guest ---
n=$(cat /proc/sys/kernel/random/boot_id)
drv=$(basename "$(readlink /sys/class/net/eth0/device/driver 2>/dev/null)")
[ "$drv" = e1000e ] || { fail guest-driver "eth0 driver '$drv'"; ls -l /sys/class/net; }
echo "LAB-STEP driver $drv"
ip link set eth0 up
i=0
until [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "LAB-STEP carrier $(cat /sys/class/net/eth0/carrier) after $i"
cat >/tmp/dhcp.sh <<'EOS'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface" && echo "LAB-LEASE $ip"
exit 0
EOS
chmod +x /tmp/dhcp.sh
if udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 10 -T 1 >/tmp/dhcp.log 2>&1 &&
	ping -c 3 -W 2 10.0.2.2 >/tmp/ping.log 2>&1; then
	echo "LAB-GUEST-OK $(grep -c 'bytes from' /tmp/ping.log) replies, $(grep -m1 eth0 /proc/interrupts | tr -s ' ')"
else
	echo "LAB-GUEST-BAD"; cat /tmp/dhcp.log /tmp/ping.log; dmesg | grep -i e1000e | tail -5
fi
# stay up a while for kasou stats, then reboot (the L1 script stops kasou after two boots)
sleep 3
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
# bind it (by hand: kasou host vfio-bind has its own test)
[ -e $dev/driver ] && echo "$addr" >$dev/driver/unbind
echo vfio-pci >$dev/driver_override
echo "$addr" >/sys/bus/pci/drivers_probe
[ "$(basename "$(readlink $dev/driver)")" = vfio-pci ] && pass bound || { fail bound "driver $(readlink $dev/driver)"; exit 1; }
"$KASOU" run --name vf --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 2 --memory 256M --device vfio=$addr,id=nic0 >out.log 2>&1 &
pid=$!
i=0
while [ $i -lt 150 ] && [ "$(grep -c LAB-GUEST- out.log)" -lt 1 ]; do sleep 0.5; i=$((i + 1)); done
kasou stats vf --json >stats.json 2>&1
kasou stats vf --interval 1 --count 1 2>&1 | grep VFIO
while [ $i -lt 250 ] && [ "$(grep -c LAB-GUEST- out.log)" -lt 2 ]; do sleep 0.5; i=$((i + 1)); done
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
tail -5 out.log
[ $rc = 143 ] && pass exit || fail exit "kasou exit status $rc after SIGTERM"

ok=$(grep -c 'LAB-GUEST-OK 3 replies' out.log)
[ "$ok" -ge 1 ] && pass boot1 || fail boot1 "no DHCP lease + 3 ping replies in the first boot"
[ "$ok" -ge 2 ] && pass boot2 || fail boot2 "not again after the guest rebooted ($ok)"
echo "stats: $(cat stats.json | tr -d '\n' | sed 's/.*"vfio"/"vfio"/' | cut -c1-400)"
irqs=$(tr -d ' \n' <stats.json | sed -n 's/.*"irqs":\([0-9]*\).*/\1/p')
tr -d ' \n' <stats.json | grep -q '"irq_mode":"msix"'  && [ "${irqs:-0}" -gt 0 ] && pass irqs || fail irqs "irq_mode/irqs: $(grep -o '"irq[^,]*' stats.json | tr '\n' ' ')"
[ "$(basename "$(readlink $dev/driver)")" = vfio-pci ] && ! grep -q vfio-msix /proc/interrupts &&
	pass released || fail released "$(grep vfio /proc/interrupts)"
exit 0
