# two disks at once (one aio=threads, one aio=io_uring): each shows its own content and serial
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS vda
#! expect: LAB-PASS vdb
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
for d in vda vdb; do
	s=$(cat /sys/block/$d/serial)
	first=$(dd if=/dev/$d bs=16 count=1 2>/dev/null)
	[ "$first" = "content-of-$s" ] && pass $d || fail $d "serial $s starts with '$first'"
done
--- l1 ---
for n in one two; do
	dd if=/dev/zero of="$TMPDIR/$n.img" bs=1M count=8 2>/dev/null
	printf "content-of-%-4s" "$n" | tr ' ' x | dd of="$TMPDIR/$n.img" conv=notrunc 2>/dev/null
done
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--disk "path=$TMPDIR/one.img,serial=onex,aio=threads" --disk "path=$TMPDIR/two.img,serial=twox,aio=io_uring" </dev/null
