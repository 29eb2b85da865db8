# data survives: the guest writes random patterns at several offsets and sizes, flushes and powers off; the host verifies the image; a second boot reads them back
#! guest-modules: virtio_pci virtio_blk
#! needs: scratch
#! expect-exit: 0
#! expect: LAB-PASS host-verify
#! expect: LAB-PASS second-boot-reads
#! expect-not: LAB-FAIL
#! timeout: 200
--- guest ---
set -- $(cat /proc/cmdline)
for a; do case $a in lab.phase=*) phase=${a#lab.phase=} ;; esac; done
# offset(KiB):size(KiB) pairs: aligned, odd sizes, near the end of the 64 MiB disk
spots="0:4 4:60 1000:513 8192:1024 30001:7 65532:4"
if [ "$phase" = write ]; then
	for s in $spots; do
		o=${s%:*} n=${s#*:}
		dd if=/dev/urandom of=/tmp/p bs=1k count=$n 2>/dev/null
		dd if=/tmp/p of=/dev/vda bs=1k seek=$o conv=notrunc 2>/dev/null || fail write "at ${o}K"
		echo "LAB-SUM $o $n $(sha256sum </tmp/p | cut -d' ' -f1)"
	done
	sync
	echo 3 >/proc/sys/vm/drop_caches
else
	for s in $spots; do
		o=${s%:*} n=${s#*:}
		echo "LAB-READ $o $n $(dd if=/dev/vda bs=1k skip=$o count=$n 2>/dev/null | sha256sum | cut -d' ' -f1)"
	done
fi
--- l1 ---
img=$SCRATCH/p.img
dd if=/dev/zero of="$img" bs=1M count=64 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1 lab.phase=write" \
	--disk "path=$img,cache=none" </dev/null >"$TMPDIR/w" 2>&1 || fail write-boot "exit $?"
cat "$TMPDIR/w"
ok=1 n=0
grep -a '^LAB-SUM ' "$TMPDIR/w" | tr -d '\r' >"$TMPDIR/sums"
while read -r _ o len sum; do
	n=$((n + 1))
	got=$(dd if="$img" bs=1k skip=$o count=$len 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sum" ] || { ok=0; echo "mismatch at ${o}K: image $got guest $sum"; }
done <"$TMPDIR/sums"
[ $ok = 1 ] && [ $n = 6 ] && pass host-verify || fail host-verify "$n spots, ok=$ok"
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1 lab.phase=read" \
	--disk "path=$img,cache=none" </dev/null >"$TMPDIR/r" 2>&1 || fail read-boot "exit $?"
cat "$TMPDIR/r"
sed 's/LAB-SUM/LAB-READ/' "$TMPDIR/sums" >"$TMPDIR/want"
grep -a '^LAB-READ ' "$TMPDIR/r" | tr -d '\r' >"$TMPDIR/got"
cmp -s "$TMPDIR/want" "$TMPDIR/got" && pass second-boot-reads || fail second-boot-reads "read-back checksums differ"
