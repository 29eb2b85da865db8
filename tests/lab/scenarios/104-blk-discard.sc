# discard and write-zeroes-with-unmap punch holes in the host file; zeroed ranges read back as zeros
#! guest-modules: virtio_pci virtio_blk
#! needs: scratch
#! expect-exit: 0
#! expect: LAB-PASS discard
#! expect: LAB-PASS zeroout
#! expect: LAB-PASS punch
#! expect: write-zeroes 2,
#! expect: LAB-PASS holes
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
dd if=/dev/urandom of=/dev/vda bs=1M count=16 oflag=direct 2>/dev/null
echo "discard_max_bytes $(cat /sys/block/vda/queue/discard_max_bytes) write_zeroes_max_bytes $(cat /sys/block/vda/queue/write_zeroes_max_bytes)"
sync
echo "LAB-STAGE written"
sleep 2
blkdiscard -o 0 -l 8388608 /dev/vda && pass discard || fail discard "blkdiscard failed"
# 8-10 MiB: zeroed but kept allocated (BLKZEROOUT never unmaps); 10-12 MiB: may unmap
kbench zeroout /dev/vda 8388608 2097152 || fail zeroout "BLKZEROOUT failed"
kbench punch /dev/vda 10485760 2097152 || fail punch "fallocate(PUNCH_HOLE) failed"
z=$(dd if=/dev/vda bs=1M skip=8 count=2 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)
[ "$z" = 0 ] && pass zeroout || fail zeroout "$z non-zero bytes in the zeroed range"
z=$(dd if=/dev/vda bs=1M skip=10 count=2 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)
[ "$z" = 0 ] && pass punch || fail punch "$z non-zero bytes in the punched range"
sync
echo "LAB-STAGE punched"
sleep 2
--- l1 ---
img=$SCRATCH/d.img
dd if=/dev/zero of="$img" bs=1M count=32 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--disk "path=$img,discard=on,cache=none" --verbose </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
i=0
while ! grep -q "LAB-STAGE written" "$TMPDIR/out" && kill -0 $pid 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
full=$(stat -c %b "$img")
while ! grep -q "LAB-STAGE punched" "$TMPDIR/out" && kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 1; i=$((i + 1)); done
after=$(stat -c %b "$img")
wait $pid
rc=$?
cat "$TMPDIR/out"
# 8 MiB discarded + 2 MiB zeroed with unmap: allocation drops by 10 MiB (20480 blocks)
echo "blocks (512 B): after writing $full, after discard/zeroout $after"
[ $((full - after)) -ge 20480 ] && pass holes || fail holes "allocated blocks went from $full to $after"
exit $rc
