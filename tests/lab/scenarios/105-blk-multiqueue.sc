# queues=4: the guest sees 4 hardware queues, a 4-thread write/verify run passes, and more than one queue carries I/O
#! guest-modules: virtio_pci virtio_blk
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 4 --memory 256M --disk path=$TMPDIR/mq.img,queues=4,aio=io_uring --verbose
#! expect-exit: 0
#! expect: LAB-PASS hw-queues
#! expect: LAB-PASS verify
#! expect: LAB-PASS spread
#! expect-not: LAB-FAIL
#! timeout: 240
--- guest ---
n=$(ls -d /sys/block/vda/mq/* | wc -l)
[ "$n" = 4 ] && pass hw-queues || fail hw-queues "$n hardware queues"
kbench verify /dev/vda 4 2 && pass verify || fail verify "data mismatch"
--- l1 ---
dd if=/dev/zero of="$TMPDIR/mq.img" bs=1M count=16 2>/dev/null
eval "kasou $KASOU_LINE" >"$TMPDIR/out" 2>&1
rc=$?
cat "$TMPDIR/out"
# kasou's per-queue completion counters (printed at exit with --verbose)
q=$(sed -n 's/.*per queue \[\(.*\)\].*/\1/p' "$TMPDIR/out" | tr ',' ' ')
busy=0
for n in $q; do [ "$n" -gt 0 ] && busy=$((busy + 1)); done
[ $busy -ge 2 ] && pass spread || fail spread "queues completed [$q]: fewer than 2 carried I/O"
exit $rc
