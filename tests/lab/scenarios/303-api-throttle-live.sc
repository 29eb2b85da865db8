# a disk limit changed live (kasou ctl set disk.d0.iops=100) changes the IOPS the guest measures
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS before
#! expect: LAB-PASS after
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
i=0
while [ $i -lt 12 ]; do
	echo "LAB-IOPS $i $(kbench /dev/vda randread 4096 8 3 | sed 's/.*iops=\([0-9]*\).*/\1/')"
	i=$((i + 1))
done
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
dd if=/dev/zero of="$TMPDIR/t.img" bs=1M count=16 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name iopsvm --disk "path=$TMPDIR/t.img,id=d0" </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for "LAB-IOPS 1 " "$TMPDIR/out" 120 $pid
kasou ctl iopsvm set disk.d0.iops=100 disk.d0.iops_max=10 || fail set "ctl set failed"
n=$(grep -ac "LAB-IOPS" "$TMPDIR/out")
wait $pid
rc=$?
cat "$TMPDIR/out"
first=$(grep -a "LAB-IOPS 0 " "$TMPDIR/out" | tr -d '\r' | cut -d' ' -f3)
# a window that started after the change: two after the one running at the time
late=$(grep -a "LAB-IOPS $((n + 2)) " "$TMPDIR/out" | tr -d '\r' | cut -d' ' -f3)
echo "unthrottled $first IOPS; after iops=100: $late IOPS"
[ "${first:-0}" -gt 150 ] && pass before || fail before "only $first IOPS before the limit"
[ -n "$late" ] && [ "$late" -ge 85 ] && [ "$late" -le 115 ] && pass after || fail after "$late IOPS with iops=100"
exit $rc
