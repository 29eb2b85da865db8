# kasou host: vfio-bind/vfio-unbind of L1's e1000e and SR-IOV VFs of its NVMe behind QEMU's
# vIOMMU (own IOMMU groups, /dev/vfio/N, the original driver back), the error lines; an L2
# still boots in this L1 (nested SVM with the vIOMMU and split irqchip)
#! l1-qemu: -M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -netdev user,id=vn0 -device e1000e,netdev=vn0
#! l1-cmdline: intel_iommu=on
#! needs: nvme
#! l1-modules: vfio_pci vfio_iommu_type1 e1000e nvme i2c_i801
#! expect-exit: 0
#! expect: LAB-PASS l1-iommu
#! expect: LAB-PASS l2-boot
#! expect: LAB-PASS l2-exit
#! expect: LAB-PASS bind
#! expect: LAB-PASS bind-record
#! expect: LAB-PASS bind-again
#! expect: LAB-PASS unbind
#! expect: LAB-PASS group-warn
#! expect: LAB-PASS sriov-list
#! expect: LAB-PASS sriov-create
#! expect: LAB-PASS sriov-groups
#! expect: LAB-PASS vf-bind
#! expect: LAB-PASS vf-unbind
#! expect: LAB-PASS sriov-remove
#! expect: LAB-PASS err-nodev
#! expect: LAB-PASS err-badaddr
#! expect: LAB-PASS err-nosriov
#! expect: LAB-PASS err-toomany
#! expect: LAB-PASS err-novfio
#! expect: LAB-PASS err-viable
#! expect: LAB-PASS err-memlock
#! expect-not: LAB-FAIL
#! timeout: 240
--- guest ---
[ "$(nproc)" = 2 ] && pass l2-boot || fail l2-boot "nproc $(nproc)"
--- l1 ---
dev_of() { # VENDOR DEVICE [ATTR]: the first function with these IDs (and ATTR, if given)
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] &&
			{ [ -z "$3" ] || [ -e "$d/$3" ]; } && { echo "${d##*/}"; return 0; }
	done
	return 1
}
drv() { l=$(readlink "/sys/bus/pci/devices/$1/driver") && echo "${l##*/}"; }
grp() { l=$(readlink "/sys/bus/pci/devices/$1/iommu_group") && echo "${l##*/}"; }
# run ARGS...: kasou host ARGS, its output in $out (shown) and its status in $rc
run() {
	out=$(kasou host "$@" 2>&1)
	rc=$?
	echo "\$ kasou host $* -> $rc"
	echo "$out" | sed 's/^/  /'
}
has() { echo "$out" | grep -qF -- "$1"; }

# ---- L1 itself: the vIOMMU is on and nested SVM still works
dmesg | grep -E 'DMAR: IOMMU enabled|DMAR-IR: Enabled IRQ remapping|Nested' | head -5
if [ -c /dev/kvm ] && [ -d /sys/kernel/iommu_groups/0 ]; then
	pass l1-iommu
else
	fail l1-iommu "kvm $(ls /dev/kvm 2>&1), iommu groups: $(ls /sys/kernel/iommu_groups | wc -l)"
fi
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 2 --memory 256M >l2.log 2>&1
r=$?
grep -E 'LAB-|^kasou: ' l2.log
[ $r = 0 ] && pass l2-exit || fail l2-exit "kasou run exit $r: $(tail -3 l2.log)"

kasou host list-pci
nic=$(dev_of 8086 10d3) || { fail setup "no e1000e (8086:10d3) in L1"; exit 1; }
nvme=$(dev_of 1b36 0010 sriov_totalvfs) || { fail setup "no SR-IOV NVMe (1b36:0010) in L1"; exit 1; }
echo "e1000e $nic ($(drv "$nic"), group $(grp "$nic")); nvme $nvme ($(drv "$nvme"), group $(grp "$nvme"))"
[ "$(drv "$nic")" = e1000e ] || { fail setup "e1000e $nic has driver '$(drv "$nic")'"; exit 1; }

# ---- vfio-bind / vfio-unbind of the e1000e
g=$(grp "$nic")
run vfio-bind "$nic"
if [ $rc = 0 ] && [ "$(drv "$nic")" = vfio-pci ] && has "$nic: bound to vfio-pci (was e1000e)" &&
	has "IOMMU group $g: /dev/vfio/$g" && [ -c "/dev/vfio/$g" ]; then
	pass bind
else
	fail bind "rc=$rc driver=$(drv "$nic") /dev/vfio: $(ls /dev/vfio 2>&1 | tr '\n' ' ')"
fi
rec=/run/kasou/vfio/$nic.driver
[ "$(cat "$rec" 2>&1)" = e1000e ] && pass bind-record || fail bind-record "$rec: $(cat "$rec" 2>&1)"
run vfio-bind "/sys/bus/pci/devices/$nic"
[ $rc = 0 ] && has "$nic: already bound to vfio-pci" && [ "$(cat "$rec" 2>&1)" = e1000e ] &&
	pass bind-again || fail bind-again "rc=$rc"
run vfio-unbind "$nic"
if [ $rc = 0 ] && [ "$(drv "$nic")" = e1000e ] && has "driver now e1000e" && [ ! -e "$rec" ] &&
	[ "$(cat "/sys/bus/pci/devices/$nic/driver_override")" = "(null)" ]; then
	pass unbind
else
	fail unbind "rc=$rc driver=$(drv "$nic") override=$(cat "/sys/bus/pci/devices/$nic/driver_override")"
fi

# ---- a group shared with a function another driver holds (q35's ICH9: SATA 1f.2 and SMBus
# 1f.3, i2c_i801): bound all the same, with one warning naming that function and its driver
sata=$(dev_of 8086 2922)
smb=$(dev_of 8086 2930)
sg=$(grp "$sata")
echo "SATA $sata ($(drv "$sata"), group $sg), SMBus $smb ($(drv "$smb"), group $(grp "$smb"))"
if [ -n "$sata" ] && [ -z "$(drv "$sata")" ] && [ "$(grp "$smb")" = "$sg" ] && [ -n "$(drv "$smb")" ]; then
	run vfio-bind "$sata"
	[ $rc = 0 ] && [ "$(drv "$sata")" = vfio-pci ] &&
		has "kasou: warning: IOMMU group $sg is not usable yet: also bind $smb ($(drv "$smb")) to vfio-pci" &&
		[ "$(echo "$out" | grep -c '^kasou: ')" = 1 ] && pass group-warn || fail group-warn "rc=$rc"
	# kasou run refuses the device while its group is not viable, naming the other function
	out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --memory 128M --api-socket none \
		--device vfio=$sata 2>&1)
	rc=$?
	echo "$out" | tail -2
	[ $rc = 1 ] && has "kasou: --device vfio=$sata: IOMMU group $sg is not viable: every device in it must be bound to vfio-pci; not bound: $smb ($(drv "$smb"))" &&
		pass err-viable || fail err-viable "rc=$rc"
	run vfio-unbind "$sata"
	[ -z "$(drv "$sata")" ] || fail group-warn "SATA left on $(drv "$sata")"
else
	fail group-warn "q35's SATA/SMBus not as expected"
fi

# ---- SR-IOV on the NVMe: list, create 2 VFs (own groups, no driver), pass one to vfio, remove
run sriov "$nvme"
[ $rc = 0 ] && has "$nvme: 0 of 2 VFs" && pass sriov-list || fail sriov-list "rc=$rc"
run sriov "$nvme" --vfs 2
echo "$out" | awk '$1 ~ /^[0-9]+$/ && $2 ~ /:/ { print $2, $5 }' >vfs.txt # ADDRESS GROUP
vfs=$(cut -d' ' -f1 vfs.txt)
groups=$(cut -d' ' -f2 vfs.txt)
n=$(echo "$vfs" | grep -c :)
if [ $rc = 0 ] && has "$nvme: 2 of 2 VFs, drivers_autoprobe off" && [ "$n" = 2 ] &&
	[ "$(cat "/sys/bus/pci/devices/$nvme/sriov_numvfs")" = 2 ] &&
	[ "$(echo "$out" | awk '$1 ~ /^[0-9]+$/ { print $4 }' | sort -u)" = - ]; then
	pass sriov-create
else
	fail sriov-create "rc=$rc, $n VFs listed, numvfs $(cat "/sys/bus/pci/devices/$nvme/sriov_numvfs")"
fi
ok=1
while read -r a g; do [ "$(grp "$a")" = "$g" ] || ok=0; done <vfs.txt
if [ $ok = 1 ] && [ "$(echo "$groups" | grep -c '^[0-9][0-9]*$')" = 2 ] &&
	[ "$(echo "$groups" | sort -u | wc -l)" = 2 ] && ! echo "$groups" | grep -qx "$(grp "$nvme")"; then
	pass sriov-groups
else
	fail sriov-groups "VF groups '$(echo $groups)', PF group $(grp "$nvme")"
fi
vf=$(echo "$vfs" | head -1)
if [ -n "$vf" ]; then
	run vfio-bind "$vf"
	vg=$(grp "$vf")
	[ $rc = 0 ] && [ "$(drv "$vf")" = vfio-pci ] && has "(was no driver)" && [ -c "/dev/vfio/$vg" ] &&
		pass vf-bind || fail vf-bind "rc=$rc driver=$(drv "$vf")"
	run vfio-unbind "$vf"
	[ $rc = 0 ] && [ -z "$(drv "$vf")" ] && has "driver now none" &&
		pass vf-unbind || fail vf-unbind "rc=$rc driver=$(drv "$vf")"
fi
run sriov "$nvme" --vfs 0
[ $rc = 0 ] && has "$nvme: 0 of 2 VFs" && [ ! -e "/sys/bus/pci/devices/$nvme/virtfn0" ] &&
	[ -z "$vf" -o ! -e "/sys/bus/pci/devices/$vf" ] && pass sriov-remove || fail sriov-remove "rc=$rc"

# ---- errors: one line each, exit 1 (host) or 2 (usage)
missing=
for a in 0000:00:1e.7 0000:00:1e.6 0000:7f:1f.7; do
	[ -e "/sys/bus/pci/devices/$a" ] || { missing=$a; break; }
done
run vfio-bind "$missing"
[ $rc = 1 ] && [ "$out" = "kasou: $missing: no such PCI device (no /sys/bus/pci/devices/$missing)" ] &&
	pass err-nodev || fail err-nodev "rc=$rc"
run vfio-bind 0000:00:99.0
[ $rc = 2 ] && has "kasou: bad PCI address '0000:00:99.0'" && [ "$(echo "$out" | wc -l)" = 1 ] &&
	pass err-badaddr || fail err-badaddr "rc=$rc"
run sriov "$nic" --vfs 1
[ $rc = 1 ] && has "kasou: $nic has no SR-IOV" && [ "$(echo "$out" | wc -l)" = 1 ] &&
	pass err-nosriov || fail err-nosriov "rc=$rc"
run sriov "$nvme" --vfs 3
[ $rc = 1 ] && [ "$out" = "kasou: $nvme supports at most 2 VFs (sriov_totalvfs), not 3" ] &&
	pass err-toomany || fail err-toomany "rc=$rc"
# kasou run as an unprivileged user whose locked-memory limit cannot hold guest RAM for DMA
kasou host vfio-bind "$nic" >/dev/null 2>&1
g=$(grp "$nic")
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
chmod 666 /dev/kvm "/dev/vfio/$g"
out=$(ulimit -l 64; su -s /bin/sh nobody -c "$KASOU run --kernel $KERNEL --initrd $INITRD --memory 128M --api-socket none --device vfio=$nic" 2>&1)
rc=$?
echo "$out" | tail -2
[ $rc = 1 ] && has "kasou: --device vfio=$nic: guest RAM (128 MiB) is pinned for DMA, but RLIMIT_MEMLOCK is 64 KiB: raise it (ulimit -l" &&
	pass err-memlock || fail err-memlock "rc=$rc"
chmod 600 /dev/kvm "/dev/vfio/$g"
kasou host vfio-unbind "$nic" >/dev/null 2>&1
# vfio-pci not loaded: said before anything changes; then loaded again for later scenarios
if rmmod vfio_pci 2>&1; then
	run vfio-bind "$nic"
	[ $rc = 1 ] && has "modprobe vfio-pci" && [ "$(echo "$out" | wc -l)" = 1 ] &&
		[ "$(drv "$nic")" = e1000e ] && pass err-novfio || fail err-novfio "rc=$rc driver $(drv "$nic")"
	insmod "$(grep '/vfio-pci.ko$' "$SCDIR/l1-modules.list")" || echo "cannot load vfio-pci again"
else
	fail err-novfio "cannot rmmod vfio_pci"
fi
exit 0
