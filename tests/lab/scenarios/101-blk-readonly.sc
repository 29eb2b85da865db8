# readonly=on: the guest sees a read-only disk, its writes fail, the image is untouched
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS ro-flag
#! expect: LAB-PASS write-refused
#! expect: LAB-PASS image-untouched
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
[ "$(cat /sys/block/vda/ro)" = 1 ] && pass ro-flag || fail ro-flag "ro=$(cat /sys/block/vda/ro)"
if echo hello | dd of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null; then fail write-refused "write succeeded"; else pass write-refused; fi
--- l1 ---
dd if=/dev/urandom of="$TMPDIR/ro.img" bs=1M count=8 2>/dev/null
before=$(sha256sum "$TMPDIR/ro.img" | cut -d' ' -f1)
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--disk "path=$TMPDIR/ro.img,readonly=on" </dev/null
rc=$?
[ "$(sha256sum "$TMPDIR/ro.img" | cut -d' ' -f1)" = "$before" ] && pass image-untouched || fail image-untouched "image changed"
exit $rc
