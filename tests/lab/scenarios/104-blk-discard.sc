# discard and write-zeroes punch holes in the host file; zeroed ranges read back as zeros
#! guest-modules: virtio_pci virtio_blk
#! needs: scratch
#! expect-exit: 0
#! expect: LAB-PASS discard
#! expect: LAB-PASS zeroout
#! expect: LAB-PASS holes
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
dd if=/dev/urandom of=/dev/vda bs=1M count=16 oflag=direct 2>/dev/null
sync
echo "LAB-STAGE written"
sleep 2
blkdiscard -o 0 -l 8388608 /dev/vda && pass discard || fail discard "blkdiscard failed"
kbench zeroout /dev/vda 8388608 4194304 || fail zeroout "BLKZEROOUT failed"
z=$(dd if=/dev/vda bs=1M skip=8 count=4 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)
[ "$z" = 0 ] && pass zeroout || fail zeroout "$z non-zero bytes in the zeroed range"
sync
echo "LAB-STAGE punched"
sleep 2
--- l1 ---
img=$SCRATCH/d.img
dd if=/dev/zero of="$img" bs=1M count=32 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--disk "path=$img,discard=on,cache=none" </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
i=0
while ! grep -q "LAB-STAGE written" "$TMPDIR/out" && kill -0 $pid 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
full=$(stat -c %b "$img")
while ! grep -q "LAB-STAGE punched" "$TMPDIR/out" && kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 1; i=$((i + 1)); done
after=$(stat -c %b "$img")
wait $pid
rc=$?
cat "$TMPDIR/out"
# 12 MiB of the 16 written were discarded or zeroed with unmap: allocation must drop by >= 10 MiB
echo "blocks (512 B): after writing $full, after discard/zeroout $after"
[ $((full - after)) -ge 20480 ] && pass holes || fail holes "allocated blocks went from $full to $after"
exit $rc
