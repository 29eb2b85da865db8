# VFIO and SR-IOV: NVMe virtual functions of L1's SR-IOV controller are brought online with
# the NVMe Virtualization Management command (tools/nvme-virt.c: the primary's flexible
# queue/interrupt resources released, the PF reset, 2 VFs enabled, each secondary controller
# given 2 VQ + 1 VI and set online) and passed by kasou to L2 guests, one VF each, both at
# once: the guest's nvme driver binds the VF (1 MSI-X vector, 1 I/O queue), writes 4 MiB of
# random data at two offsets with O_DIRECT and reads them back with matching checksums; L1
# reads the guests' data through the PF (the namespace is shared); then no VFs, and the
# primary's flexible allocation as it was found
#! l1-qemu: -M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -netdev user,id=vn0 -device e1000e,netdev=vn0
#! l1-cmdline: intel_iommu=on
#! needs: nvme
#! l1-modules: vfio_pci vfio_iommu_type1 e1000e nvme
#! guest-modules: nvme
#! expect-exit: 0
#! expect: LAB-PASS pf-nvme
#! expect: LAB-PASS prim-release
#! expect: LAB-PASS pf-reset
#! expect: LAB-PASS vfs
#! expect: LAB-PASS vf-assign
#! expect: LAB-PASS vf-online
#! expect: LAB-PASS vf-bound
#! expect: LAB-PASS vf1-nvme
#! expect: LAB-PASS vf1-rw-0
#! expect: LAB-PASS vf1-rw-1
#! expect: LAB-PASS vf2-nvme
#! expect: LAB-PASS vf2-rw-0
#! expect: LAB-PASS vf2-rw-1
#! expect: LAB-PASS exit
#! expect: LAB-PASS irqs
#! expect: LAB-PASS l1-readback
#! expect: LAB-PASS vfs-removed
#! expect: LAB-PASS prim-restored
#! expect-not: LAB-FAIL
#! timeout: 300
--- guest ---
# the VF's controller ID (secondary controller 1 or 2) picks this guest's offsets: 8 and
# 16 MiB for the first, 24 and 32 MiB for the second (520 uses 1 and 40)
i=0
until [ -b /dev/nvme0n1 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
c=$(cat /sys/class/nvme/nvme0/cntlid 2>/dev/null)
if [ -b /dev/nvme0n1 ] && [ "$c" -ge 1 ] 2>/dev/null; then
	pass vf$c-nvme
	echo "LAB-NVME $(cat /sys/class/nvme/nvme0/model | tr -s ' ')cntlid $c, $(cat /sys/block/nvme0n1/size) sectors, $(ls /sys/class/nvme/nvme0/device/msi_irqs | wc -l) MSI vector(s), queue_count $(cat /sys/class/nvme/nvme0/queue_count 2>/dev/null)"
	echo "LAB-IRQS $(grep nvme /proc/interrupts | tr -s ' ' | tr '\n' '|')"
	dd if=/dev/urandom of=/tmp/data bs=1M count=4 2>/dev/null
	want=$(sha256sum </tmp/data | cut -d' ' -f1)
	up() { cut -d' ' -f1 /proc/uptime; }
	k=0
	for off in $((16 * c - 8)) $((16 * c)); do # MiB
		t0=$(up)
		dd if=/tmp/data of=/dev/nvme0n1 bs=1M seek=$off oflag=direct conv=fsync 2>/dev/null
		t1=$(up)
		got=$(dd if=/dev/nvme0n1 bs=1M skip=$off count=4 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
		t2=$(up)
		echo "LAB-DD vf$c 4 MiB at ${off}M: write $(echo "$t0 $t1" | awk '{ print $2 - $1 }') s, read $(echo "$t1 $t2" | awk '{ print $2 - $1 }') s"
		[ "$got" = "$want" ] && pass vf$c-rw-$k || fail vf$c-rw-$k "at ${off}M: $got != $want"
		k=$((k + 1))
	done
	echo "LAB-SUM $off $want"
else
	fail vf-nvme "no /dev/nvme0n1 (cntlid '$c')"
	ls /dev /sys/class/nvme 2>&1 | tr '\n' ' '
	dmesg | grep -i nvme | tail
fi
sleep 1
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
drv() { l=$(readlink "/sys/bus/pci/devices/$1/driver") && echo "${l##*/}"; }
# nv ARGS: nvme-virt on the PF's controller, shown; its output in $out, status in $rc
nv() {
	out=$(nvme-virt "$ctl" "$@" 2>&1)
	rc=$?
	echo "\$ nvme-virt $ctl $* -> $rc"
	echo "$out" | sed 's/^/  /'
	return $rc
}
# field SCID KEY: KEY=VALUE of secondary controller SCID in the last "nv list"
field() { echo "$out" | awk -v s="scid=$1" -v k="$2=" '$1 == "secondary" && $2 == s {
	for (i = 3; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }'; }
# ctl_of PF: the PF's NVMe character device, once the controller is live (10 s at most)
ctl_of() {
	_i=0
	while [ $_i -lt 100 ]; do
		for _c in "/sys/bus/pci/devices/$1"/nvme/nvme*; do
			[ "$(cat "$_c/state" 2>/dev/null)" = live ] && [ -c "/dev/${_c##*/}" ] &&
				{ echo "/dev/${_c##*/}"; return 0; }
		done
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

pf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] && [ -e "$d/sriov_totalvfs" ] && pf=${d##*/}
done
[ -n "$pf" ] || { fail find "no SR-IOV NVMe PF (1b36:0010) in L1"; exit 1; }
dev=/sys/bus/pci/devices/$pf
echo "PF $pf: driver '$(drv $pf)', $(cat $dev/sriov_numvfs) of $(cat $dev/sriov_totalvfs) VFs, reset_method '$(cat $dev/reset_method 2>&1)'"
# the PF on nvme (another scenario may have left it on vfio-pci), no VFs yet
[ "$(drv $pf)" = vfio-pci ] && kasou host vfio-unbind $pf
[ -z "$(drv $pf)" ] && echo $pf >/sys/bus/pci/drivers/nvme/bind
[ "$(cat $dev/sriov_numvfs)" = 0 ] || kasou host sriov $pf --vfs 0
ctl=$(ctl_of $pf) && [ "$(drv $pf)" = nvme ] && pass pf-nvme ||
	{ fail pf-nvme "driver '$(drv $pf)', controllers: $(ls $dev/nvme 2>&1)"; exit 1; }
echo "PF controller $ctl"

# 1. release the primary controller's flexible resources (VI, then VQ) and reset the PF: a
#    new primary allocation only takes effect at a controller-level reset (QEMU 7.2 starts
#    the primary with none; a run that restored them, or an interrupted one, leaves some)
nv list || { fail prim-release "identify failed"; exit 1; }
prim() { # vq|vi KEY: KEY of the primary's VQ or VI line in the last "nv list"
	echo "$out" | awk -v r="$1" -v k="$2=" '$1 == "primary" && $3 == r {
		for (i = 4; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }'
}
pc=$(echo "$out" | awk '$1 == "primary" { sub("cntlid=", "", $2); print $2; exit }')
vq0=$(prim vq prim-flex)
vi0=$(prim vi prim-flex)
echo "primary controller $pc: flexible VQ $(prim vq total), VI $(prim vi total); held by the primary: VQ $vq0, VI $vi0"
nv mgmt "$pc" 1 1 0 && nv mgmt "$pc" 0 1 0 && pass prim-release ||
	{ fail prim-release "virt-mgmt primary flexible allocation 0: $out"; exit 1; }
echo 1 >$dev/reset || echo "reset of $pf failed"
ctl=$(ctl_of $pf) || { fail pf-reset "no live controller after the reset"; exit 1; }
nv list
[ "$(prim vq prim-flex)" = 0 ] && [ "$(prim vi prim-flex)" = 0 ] &&
	pass pf-reset || fail pf-reset "the primary still holds flexible resources"

# 2. two VFs (no driver); each secondary controller gets 1 VI and 2 VQ (admin + 1 I/O), online
kasou host sriov $pf --vfs 2
vf1=$(basename "$(readlink $dev/virtfn0)")
vf2=$(basename "$(readlink $dev/virtfn1)")
[ -n "$vf1" ] && [ -n "$vf2" ] && [ -z "$(drv $vf1)" ] && [ -z "$(drv $vf2)" ] && pass vfs ||
	{ fail vfs "VFs '$vf1' '$vf2', drivers '$(drv $vf1)' '$(drv $vf2)'"; exit 1; }
nv list
scids=$(echo "$out" | awk '$1 == "secondary" && $2 ~ /^scid=/ { sub("scid=", "", $2); print $2 }')
ok=1
for s in $scids; do nv mgmt $s 1 8 1 && nv mgmt $s 0 8 2 || ok=0; done
nv list
for s in $scids; do [ "$(field $s nvq)" = 2 ] && [ "$(field $s nvi)" = 1 ] || ok=0; done
[ $ok = 1 ] && [ "$(echo $scids)" = "1 2" ] && pass vf-assign || fail vf-assign "secondaries '$(echo $scids)'"
ok=1
for s in $scids; do nv mgmt $s 0 9 0 || ok=0; done
nv list
for s in $scids; do [ "$(field $s state)" = online ] || ok=0; done
[ $ok = 1 ] && [ -n "$scids" ] && pass vf-online || fail vf-online "$(echo "$out" | grep scid= | tr '\n' ' ')"
for s in $scids; do echo "secondary controller $s is VF number $(field $s vfn)"; done

# 3. each VF to its own L2 guest, both at once
ok=1
for v in $vf1 $vf2; do
	kasou host vfio-bind $v
	[ "$(drv $v)" = vfio-pci ] || ok=0
done
[ $ok = 1 ] && pass vf-bound || { fail vf-bound "drivers '$(drv $vf1)' '$(drv $vf2)'"; kasou host sriov $pf --vfs 0; exit 1; }
for n in 1 2; do
	eval v=\$vf$n
	"$KASOU" run --name nvf$n --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
		--cpus 1 --memory 256M --device vfio=$v,id=nvf$n >out$n.log 2>&1 &
	eval pid$n=$!
done
# wait for both guests' checksums (taking each VM's stats while it runs), then for both to exit
i=0
while [ $i -lt 240 ]; do
	d=0
	for n in 1 2; do
		eval p=\$pid$n
		if [ ! -e stats$n.json ] && grep -q LAB-SUM out$n.log; then
			kasou stats nvf$n --json >stats$n.json 2>&1
		fi
		grep -q LAB-GUEST-END out$n.log || ! kill -0 $p 2>/dev/null && d=$((d + 1))
	done
	[ $d = 2 ] && break
	sleep 0.5
	i=$((i + 1))
done
ok=1
for n in 1 2; do
	eval p=\$pid$n
	i=0
	while [ $i -lt 40 ] && kill -0 $p 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
	if kill -0 $p 2>/dev/null; then
		echo "kasou nvf$n still running after 140 s:"
		for t in /proc/$p/task/*; do echo "  thread $(cat $t/comm) in $(cat $t/wchan): $(cut -d' ' -f3,14,15 $t/stat)"; done
		kasou stats nvf$n --interval 1 --count 1 2>&1 | sed 's/^/  /'
		kill $p
	fi
	wait $p
	r=$?
	echo "---- guest $n (VF $(eval echo \$vf$n)): kasou exit status $r"
	sed "s/^/vf$n| /" out$n.log | tail -40
	[ $r = 0 ] || ok=0
done
[ $ok = 1 ] || dmesg | tail -30 | sed 's/^/L1 dmesg| /'
[ $ok = 1 ] && pass exit || fail exit "a kasou run did not exit 0"
ok=1
for n in 1 2; do
	irqs=$(tr -d ' \n' <stats$n.json | sed -n 's/.*"irqs":\([0-9]*\).*/\1/p')
	echo "vfio stats $n: $(tr -d ' \n' <stats$n.json | grep -o '"vfio":\[[^]]*\][^]]*\]')"
	tr -d ' \n' <stats$n.json | grep -q '"irq_mode":"msix"' && [ "${irqs:-0}" -gt 0 ] || ok=0
done
[ $ok = 1 ] && pass irqs || fail irqs "no MSI-X interrupts counted for a VF"

# 4. L1 reads what each guest wrote through the PF (the namespace is shared)
# the namespace's block device (with native multipath, the head nvmeXn1: the namespace is shared)
ns=$(ls /sys/block | grep -E '^nvme[0-9]+n1$' | head -1)
ok=1
for n in 1 2; do
	set -- $(grep -a LAB-SUM out$n.log | tr -d '\r' | cut -d' ' -f2-)
	got=$(dd if=/dev/$ns bs=1M skip=${1:-0} count=4 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo "L1 /dev/$ns at ${1:-?}M: $got (guest $n wrote ${2:-?})"
	[ -n "$2" ] && [ "$got" = "$2" ] || ok=0
done
[ $ok = 1 ] && pass l1-readback || fail l1-readback "data written by the guests not read back through the PF"

# 5. as found: the VFs without a driver, no VFs (the secondaries go offline, their resources
#    back to the pool), the primary's flexible allocation as before (after a reset)
kasou host vfio-unbind $vf1
kasou host vfio-unbind $vf2
kasou host sriov $pf --vfs 0
nv list
[ "$(cat $dev/sriov_numvfs)" = 0 ] && ! echo "$out" | grep -q "state=online" && [ "$(prim vq sec)" = 0 ] &&
	[ "$(prim vi sec)" = 0 ] && pass vfs-removed ||
	fail vfs-removed "numvfs $(cat $dev/sriov_numvfs): $(echo "$out" | tr '\n' ' ')"
if [ "$vq0" != 0 ] || [ "$vi0" != 0 ]; then
	nv mgmt "$pc" 0 1 "$vq0" && nv mgmt "$pc" 1 1 "$vi0"
	echo 1 >$dev/reset || echo "reset of $pf failed"
	ctl=$(ctl_of $pf)
	nv list
fi
[ "$(prim vq prim-flex)" = "$vq0" ] && [ "$(prim vi prim-flex)" = "$vi0" ] && [ -n "$ctl" ] &&
	pass prim-restored || fail prim-restored "primary flexible VQ $(prim vq prim-flex) VI $(prim vi prim-flex), was $vq0 $vi0"
exit 0
