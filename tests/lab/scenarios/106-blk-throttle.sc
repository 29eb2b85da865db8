# a disk throttled to iops=200: the guest measures 200 IOPS within 15% (after the first second's burst)
#! guest-modules: virtio_pci virtio_blk
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --disk path=$TMPDIR/t.img,iops=200
#! expect-exit: 0
#! expect: LAB-PASS iops
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
kbench /dev/vda randread 4096 8 1 >/dev/null  # spends the burst
out=$(kbench /dev/vda randread 4096 8 5)
echo "$out"
iops=$(echo "$out" | sed 's/.*iops=\([0-9]*\).*/\1/')
[ "$iops" -ge 170 ] && [ "$iops" -le 230 ] && pass iops || fail iops "measured $iops IOPS, limit 200"
--- l1 ---
dd if=/dev/zero of="$TMPDIR/t.img" bs=1M count=16 2>/dev/null
eval "kasou $KASOU_LINE"
