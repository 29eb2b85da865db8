# virtio-blk: the guest finds a sane PCI device using MSI-X, reads the disk's exact content and writes data the host then sees
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS pci-device
#! expect: LAB-PASS msix
#! expect: LAB-PASS size
#! expect: LAB-PASS serial
#! expect: LAB-PASS read-content
#! expect: LAB-PASS write-back
#! expect: LAB-PASS host-sees-write
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
set -- $(cat /proc/cmdline)
for a; do case $a in lab.sha=*) want=${a#lab.sha=} ;; esac; done
dev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1042 ] && dev=$d
done
if [ -n "$dev" ] && [ "$(cat $dev/class)" = 0x018000 ] && [ "$(cat $dev/revision)" = 0x01 ]; then
	pass pci-device
else
	fail pci-device "no virtio-blk (1af4:1042, class 018000, rev 1) in /sys/bus/pci/devices"
	ls -l /sys/bus/pci/devices/; for d in /sys/bus/pci/devices/*; do echo "$d $(cat $d/vendor) $(cat $d/device) $(cat $d/class)"; done
fi
n=$(ls $dev/msi_irqs 2>/dev/null | wc -l)
[ "$n" -ge 2 ] && pass msix || fail msix "$n MSI(-X) vectors in use"
s=$(cat /sys/block/vda/size)
[ "$s" = 65536 ] && pass size || fail size "vda has $s sectors, expected 65536"
[ "$(cat /sys/block/vda/serial)" = lab-disk-7 ] && pass serial || fail serial "serial '$(cat /sys/block/vda/serial)'"
got=$(sha256sum /dev/vda | cut -d' ' -f1)
[ "$got" = "$want" ] && pass read-content || fail read-content "sha256 $got, host has $want"
# 1 MiB of a known pattern at 4 MiB, through the page cache, then flushed
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/vda bs=1M seek=4 conv=fsync 2>/dev/null && pass write-back || fail write-back "dd failed"
sha256sum /tmp/pat | cut -d' ' -f1 >/dev/console
echo "LAB-PAT $(sha256sum /tmp/pat | cut -d' ' -f1)"
--- l1 ---
dd if=/dev/urandom of="$TMPDIR/disk.img" bs=1M count=32 2>/dev/null
sha=$(sha256sum "$TMPDIR/disk.img" | cut -d' ' -f1)
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1 lab.sha=$sha" \
	--disk "path=$TMPDIR/disk.img,id=d0,serial=lab-disk-7" </dev/null >"$TMPDIR/out" 2>&1
rc=$?
cat "$TMPDIR/out"
pat=$(grep -a '^LAB-PAT ' "$TMPDIR/out" | tr -d '\r' | cut -d' ' -f2)
got=$(dd if="$TMPDIR/disk.img" bs=1M skip=4 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$pat" ] && [ "$got" = "$pat" ] && pass host-sees-write || fail host-sees-write "image has $got at 4 MiB, guest wrote '$pat'"
exit $rc
