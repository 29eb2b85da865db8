# VFIO with plain MSI: kasou passes an extra ICH9 AHCI controller of L1 (QEMU's ich9-ahci:
# MSI, one vector, no MSI-X; a 64M null disk behind it) to an L2 guest; the guest's ahci
# driver binds with MSI, finds the disk and reads it with O_DIRECT; the interrupts arrive
# through kasou's MSI route (guest /proc/interrupts, L1's vfio-msi line)
#! l1-qemu: -M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -device ich9-ahci,id=ahci1 -blockdev null-co,node-name=nd0,size=67108864,read-zeroes=on -device ide-hd,drive=nd0,bus=ahci1.0
#! l1-cmdline: intel_iommu=on
#! l1-modules: vfio_pci vfio_iommu_type1
#! guest-modules: ahci sd_mod
#! expect-exit: 0
#! expect: LAB-PASS bound
#! expect: LAB-PASS guest-disk
#! expect: LAB-PASS guest-msi
#! expect: LAB-PASS guest-read
#! expect: LAB-PASS l1-msi
#! expect-not: LAB-FAIL
#! timeout: 240
--- guest ---
i=0
until [ -b /dev/sda ] || [ $i -ge 150 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/sda ] && pass guest-disk || { fail guest-disk "no /dev/sda"; dmesg | grep -i 'ahci\|ata' | tail; }
line=$(grep ahci /proc/interrupts | tr -s ' ')
echo "LAB-IRQ $line"
echo "$line" | grep -q 'PCI-MSI' && pass guest-msi || fail guest-msi "$line"
n=$(dd if=/dev/sda bs=1M count=8 iflag=direct 2>/dev/null | wc -c)
after=$(grep ahci /proc/interrupts | tr -s ' ' | cut -d' ' -f3)
[ "$n" = 8388608 ] && [ "${after:-0}" -gt 0 ] && pass guest-read || fail guest-read "read $n bytes, irqs $after"
sleep 3 # L1 samples its interrupt counts once a second
--- l1 ---
addr=
for d in /sys/bus/pci/devices/*; do
	# the extra AHCI (8086:2922) is not the q35 chipset's own at 00:1f.2
	[ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x2922 ] && [ "${d##*/}" != 0000:00:1f.2 ] && addr=${d##*/}
done
[ -n "$addr" ] || { fail find "no extra AHCI in L1"; exit 1; }
kasou host vfio-bind $addr
[ "$(basename "$(readlink /sys/bus/pci/devices/$addr/driver)")" = vfio-pci ] && pass bound || { fail bound "not on vfio-pci"; exit 1; }
(while :; do grep vfio /proc/interrupts | tr -s ' '; sleep 1; done) >irqlog.txt 2>&1 &
mon=$!
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" --memory 256M \
	--device vfio=$addr,id=ahci
rc=$?
kill $mon
sort -u irqlog.txt | tail -5
n=$(grep 'vfio-msi\[0\]' irqlog.txt | awk '{ s = $2 + $3; if (s > m) m = s } END { print m + 0 }')
[ "$((n + 0))" -gt 0 ] && pass l1-msi || fail l1-msi "no MSI counted for the device in L1: $(tail -2 irqlog.txt)"
exit $rc
