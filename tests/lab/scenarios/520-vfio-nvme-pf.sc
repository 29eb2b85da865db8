# VFIO: kasou passes L1's NVMe controller (the SR-IOV PF, behind the vIOMMU) to an L2 guest:
# the guest's nvme driver binds (MSI-X), writes 4 MiB of random data at two offsets with
# O_DIRECT and reads them back with matching checksums; data written by the guest is on the
# device after kasou exits (L1 reads it back through its own nvme driver)
#! l1-qemu: -M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -netdev user,id=vn0 -device e1000e,netdev=vn0
#! l1-cmdline: intel_iommu=on
#! needs: nvme
#! l1-modules: vfio_pci vfio_iommu_type1 e1000e nvme
#! guest-modules: nvme
#! expect-exit: 0
#! expect: LAB-PASS bound
#! expect: LAB-PASS guest-nvme
#! expect: LAB-PASS guest-rw-0
#! expect: LAB-PASS guest-rw-1
#! expect: LAB-PASS irqs
#! expect: LAB-PASS l1-readback
#! expect-not: LAB-FAIL
#! timeout: 300
--- guest ---
i=0
until [ -b /dev/nvme0n1 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/nvme0n1 ]; then
	pass guest-nvme
	echo "LAB-IRQS $(grep nvme /proc/interrupts | tr -s ' ' | head -3 | tr '\n' '|')"
	dd if=/dev/urandom of=/tmp/data bs=1M count=4 2>/dev/null
	want=$(sha256sum </tmp/data | cut -d' ' -f1)
	k=0
	for off in 1 40; do # MiB
		dd if=/tmp/data of=/dev/nvme0n1 bs=1M seek=$off oflag=direct conv=fsync 2>/dev/null
		got=$(dd if=/dev/nvme0n1 bs=1M skip=$off count=4 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
		[ "$got" = "$want" ] && pass guest-rw-$k || fail guest-rw-$k "at ${off}M: $got != $want"
		k=$((k + 1))
	done
	echo "LAB-SUM $want"
else
	fail guest-nvme "no /dev/nvme0n1"; ls /dev; dmesg | grep -i nvme | tail
fi
sleep 2
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
pf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] && [ -e "$d/sriov_totalvfs" ] && pf=${d##*/}
done
[ -n "$pf" ] || { fail find "no NVMe PF in L1"; exit 1; }
dev=/sys/bus/pci/devices/$pf
kasou host vfio-bind $pf
[ "$(basename "$(readlink $dev/driver)")" = vfio-pci ] && pass bound || { fail bound "driver $(readlink $dev/driver)"; exit 1; }
"$KASOU" run --name nv --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 2 --memory 256M --device vfio=$pf,id=nvme0 >out.log 2>&1 &
pid=$!
i=0
while [ $i -lt 200 ] && ! grep -q LAB-SUM out.log && ! grep -q LAB-GUEST-END out.log; do sleep 0.5; i=$((i + 1)); done
kasou stats nv --json >stats.json 2>&1
wait $pid
echo "kasou exit status $?"
grep -v '^\[' out.log | tail -20
irqs=$(tr -d ' \n' <stats.json | sed -n 's/.*"irqs":\([0-9]*\).*/\1/p')
echo "vfio stats: $(tr -d ' \n' <stats.json | grep -o '"vfio":\[[^]]*\][^]]*\]')"
tr -d ' \n' <stats.json | grep -q '"irq_mode":"msix"' && [ "${irqs:-0}" -gt 0 ] && pass irqs ||
	fail irqs "$(tr -d ' \n' <stats.json | grep -o '"vfio":.\{0,200\}')"
# the data is on the device: L1's own driver reads it back
want=$(grep -a LAB-SUM out.log | tr -d '\r' | cut -d' ' -f2)
kasou host vfio-unbind $pf
i=0
until [ -b /dev/nvme0n1 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
got=$(dd if=/dev/nvme0n1 bs=1M skip=40 count=4 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$want" ] && [ "$got" = "$want" ] && pass l1-readback || fail l1-readback "$got != '$want' (driver $(readlink $dev/driver))"
exit 0
