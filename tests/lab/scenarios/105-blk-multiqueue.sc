# queues=4: the guest sees 4 hardware queues, a 4-thread write/verify run passes, and more than one queue carries I/O
#! guest-modules: virtio_pci virtio_blk
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 4 --memory 256M --disk path=$TMPDIR/mq.img,queues=4,aio=io_uring
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
mount -t debugfs none /sys/kernel/debug
busy=0
for h in /sys/kernel/debug/block/vda/hctx*; do
	d=$(awk '{ s += $2 } END { print s + 0 }' $h/dispatched 2>/dev/null)
	echo "$(basename $h) dispatched $d"
	[ "${d:-0}" -gt 0 ] && busy=$((busy + 1))
done
[ $busy -ge 2 ] && pass spread || fail spread "only $busy queue(s) carried I/O"
--- l1 ---
dd if=/dev/zero of="$TMPDIR/mq.img" bs=1M count=16 2>/dev/null
eval "kasou $KASOU_LINE"
