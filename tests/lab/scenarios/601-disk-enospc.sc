# ENOSPC: the sparse 64 MiB image lives on an 8 MiB tmpfs in L1 with a 2 MiB filler file; the guest writes acknowledged records until an I/O error, kasou logs why and stays up (the guest keeps running), L1 frees space, the failed record is rewritten, and every acknowledged record is intact in the guest and in the image
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS enospc-error-seen
#! expect: LAB-PASS enospc-recovered
#! expect: LAB-PASS enospc-guest-intact
#! expect: LAB-PASS enospc-image-intact
#! expect: LAB-PASS enospc-kasou-up
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
crashrec write /dev/vda 1 16000 >/tmp/o
rc=$?
tr -d '\r' </tmp/o | tail -2
acks=$(grep -c '^LAB-ACK' /tmp/o)
w=$(grep '^LAB-WERR' /tmp/o | cut -d' ' -f2)
echo "LAB-RESULT enospc guest: acked=$acks failed-record=${w:-none}"
[ $rc = 2 ] && [ -n "$w" ] && pass enospc-error-seen || { fail enospc-error-seen "crashrec rc=$rc"; exit 1; }
dmesg | grep -i 'error' | head -3
echo "LAB-FREE-SPACE-PLEASE"
# L1 frees space when it sees the line above; rewrite the failed record for up to 40 s
crashrec retry /dev/vda $w 40 && pass enospc-recovered || fail enospc-recovered "record $w never written"
crashrec write /dev/vda $((w + 1)) 16 >/dev/null && echo "LAB-ACK $((w + 16)) (after recovery)" || fail enospc-recovered "writes after recovery fail"
echo 3 >/proc/sys/vm/drop_caches
crashrec check /dev/vda 1 $((w + 16)) && pass enospc-guest-intact || fail enospc-guest-intact "acknowledged records damaged"
--- l1 ---
mkdir -p "$TMPDIR/fs"
mount -t tmpfs -o size=8m none "$TMPDIR/fs" || { fail enospc-setup "tmpfs"; exit 1; }
img=$TMPDIR/fs/d.img
dd if=/dev/zero of="$TMPDIR/fs/filler" bs=1M count=2 2>/dev/null
dd if=/dev/zero of="$img" bs=1M seek=64 count=0 2>/dev/null
df -k "$TMPDIR/fs" | tail -1
out=$TMPDIR/out
$KASOU run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--disk "path=$img,cache=writeback" </dev/null >"$out" 2>&1 &
pid=$!
i=0
while [ $i -lt 900 ] && kill -0 $pid 2>/dev/null && ! grep -q LAB-FREE-SPACE-PLEASE "$out"; do
	sleep 0.1; i=$((i + 1))
done
if grep -q LAB-FREE-SPACE-PLEASE "$out" && kill -0 $pid 2>/dev/null; then
	echo "kasou still running after the guest saw ENOSPC-caused I/O errors; freeing space"
	df -k "$TMPDIR/fs" | tail -1
	rm -f "$TMPDIR/fs/filler"
fi
wait $pid; rc=$?
cat "$out"
echo "kasou exit: $rc"
# kasou says why the guest got errors, and nothing else went wrong
other=$(grep -a '^kasou: ' "$out" | grep -v 'failed: No space left on device; the guest gets an I/O error' | head -1)
[ $rc = 0 ] && grep -aq "^kasou: warning: disk '$img': write of .* failed: No space left on device" "$out" &&
	[ -z "$other" ] && pass enospc-kasou-up || fail enospc-kasou-up "kasou rc=$rc, or no ENOSPC log line, or: $other"
last=$(grep -a 'after recovery' "$out" | tr -d '\r' | cut -d' ' -f2)
if [ -n "$last" ]; then
	res=$(crashrec check "$img" 1 "$last"); crc=$?
	echo "$res"
	echo "LAB-RESULT enospc image: acked=$last found=$(echo "$res" | grep '^LAB-FOUND' | cut -d' ' -f2)"
	[ $crc = 0 ] && pass enospc-image-intact || fail enospc-image-intact "image check failed"
else
	fail enospc-image-intact "no recovery"
fi
umount "$TMPDIR/fs"
