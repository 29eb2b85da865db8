# the disk image made unreadable under a running guest: the image is a device-mapper disk in L1 (linear over a loop device) whose table is swapped for the "error" target mid-run, so every read and write of it fails with EIO; the guest sees I/O errors, kasou logs them, counts them (kasou stats) and keeps running, a second disk keeps working; swapped back, the guest reads its acknowledged records intact and writes again
#! guest-modules: virtio_pci virtio_blk
#! l1-modules: loop dm_mod
#! expect-exit: 0
#! expect: LAB-PASS unreadable-read-error
#! expect: LAB-PASS unreadable-write-error
#! expect: LAB-PASS other-disk-works
#! expect: LAB-PASS readable-again
#! expect: LAB-PASS records-intact
#! expect: LAB-PASS writes-after
#! expect: LAB-PASS kasou-up-counted
#! expect: LAB-PASS kasou-clean-exit
#! expect-not: LAB-FAIL
#! timeout: 200
--- guest ---
# read one block of vda past the page cache: 0 if it reads
rd() { dd if=/dev/vda of=/dev/null bs=4096 count=1 skip=$1 iflag=direct 2>/dev/null; }
crashrec write /dev/vda 1 10 >/dev/null || fail setup "records 1-10 not acknowledged"
echo "LAB-BREAK-PLEASE"
i=0
while [ $i -lt 120 ] && rd 1; do sleep 0.5; i=$((i + 1)); done
[ $i -lt 120 ] && pass unreadable-read-error || fail unreadable-read-error "vda still readable after 60 s"
crashrec write /dev/vda 11 1 >/tmp/w 2>&1
rc=$?
tr -d '\r' </tmp/w | tail -1
[ $rc = 2 ] && pass unreadable-write-error || fail unreadable-write-error "crashrec rc=$rc"
dmesg | grep -iE 'error' | head -3
crashrec write /dev/vdb 1 5 >/dev/null && crashrec check /dev/vdb 1 5 >/dev/null &&
	pass other-disk-works || fail other-disk-works "vdb failed while vda was broken"
echo "LAB-MEND-PLEASE"
i=0
while [ $i -lt 120 ] && ! rd 1; do sleep 0.5; i=$((i + 1)); done
[ $i -lt 120 ] && pass readable-again || fail readable-again "vda unreadable 60 s after the mend"
echo 3 >/proc/sys/vm/drop_caches
crashrec check /dev/vda 1 10 && pass records-intact || fail records-intact "acknowledged records damaged"
crashrec write /dev/vda 11 5 >/dev/null && echo 3 >/proc/sys/vm/drop_caches &&
	crashrec check /dev/vda 1 15 >/dev/null && pass writes-after || fail writes-after "vda writes after the mend"
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
img=$TMPDIR/d.img
dd if=/dev/zero of="$img" bs=1M count=16 2>/dev/null
dd if=/dev/zero of="$TMPDIR/e.img" bs=1M count=8 2>/dev/null
loop=$(losetup -f) && losetup "$loop" "$img" || { fail setup "losetup"; exit 1; }
lmm=$(cat "/sys/block/${loop#/dev/}/dev")
dev=$(dmflip create kasoulab "$lmm" 32768) || { fail setup "dmflip create"; losetup -d "$loop"; exit 1; }
echo "disk: $dev = linear over $loop ($lmm) = $img"
out=$TMPDIR/out
$KASOU run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name unreadvm --disk "path=$dev,cache=none" --disk "path=$TMPDIR/e.img,cache=writeback" \
	</dev/null >"$out" 2>&1 &
pid=$!
wait_for "LAB-BREAK-PLEASE" "$out" 120 $pid && dmflip error kasoulab 32768 && echo "$dev: error target in"
wait_for "LAB-MEND-PLEASE" "$out" 120 $pid
if kill -0 $pid 2>/dev/null; then
	st=$($KASOU stats unreadvm --json 2>&1)
	echo "$st" | tr ',' '\n' | grep -E '"(id|errors)"'
	errs=$(echo "$st" | tr '{,' '\n\n' | grep '"errors"' | head -1 | tr -dc 0-9)
	grep -a '^kasou: ' "$out" | head -3
	[ "${errs:-0}" -gt 0 ] && grep -aq "$dev" "$out" && pass kasou-up-counted ||
		fail kasou-up-counted "errors '$errs' in kasou stats, or no log line naming $dev"
else
	fail kasou-up-counted "kasou exited while its disk was unreadable"
fi
dmflip linear kasoulab "$lmm" 32768 && echo "$dev: linear again"
wait $pid; rc=$?
tr -d '\r' <"$out" | grep -v '^LAB-ACK' | tail -40
[ $rc = 0 ] && pass kasou-clean-exit || fail kasou-clean-exit "kasou rc=$rc"
dmflip remove kasoulab
losetup -d "$loop"
