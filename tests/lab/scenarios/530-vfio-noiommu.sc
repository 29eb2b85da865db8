# VFIO without an IOMMU (the plain lab L1 plus an e1000e): kasou refuses the device with one
# line naming the missing IOMMU. kasou also refuses no-IOMMU groups (/dev/vfio/noiommu-N, vfio's
# enable_unsafe_noiommu_mode): Debian's kernel is built without CONFIG_VFIO_NOIOMMU, so such a
# group cannot exist here; the scenario says so instead of checking it
#! l1-qemu: -netdev user,id=vn0 -device e1000e,netdev=vn0
#! l1-modules: vfio_pci vfio_iommu_type1
#! expect-exit: 0
#! expect: LAB-PASS err-noiommu
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
true
--- l1 ---
addr=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && addr=${d##*/}
done
[ -n "$addr" ] || { fail find "no e1000e in L1"; exit 1; }
out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --memory 128M --api-socket none --device vfio=$addr 2>&1)
rc=$?
echo "$out" | tail -2
[ $rc = 1 ] && echo "$out" | grep -qF "kasou: --device vfio=$addr: no IOMMU group: the host has no IOMMU enabled (boot with intel_iommu=on or amd_iommu=on)" &&
	pass err-noiommu || fail err-noiommu "rc=$rc"
p=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
if [ -w $p ]; then
	echo Y >$p
	echo vfio-pci >/sys/bus/pci/devices/$addr/driver_override
	echo $addr >/sys/bus/pci/drivers_probe
	ls /dev/vfio
	out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --memory 128M --api-socket none --device vfio=$addr 2>&1)
	rc=$?
	echo "$out" | tail -2
	[ $rc = 1 ] && echo "$out" | grep -q "kasou: --device vfio=$addr: group [0-9]* is a no-IOMMU group (unsafe DMA): kasou refuses it" &&
		pass err-unsafe || fail err-unsafe "rc=$rc"
else
	echo "LAB-NOTE no $p: this kernel has no CONFIG_VFIO_NOIOMMU, so no no-IOMMU group to refuse"
fi
exit 0
