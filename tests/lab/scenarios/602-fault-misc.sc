# misc faults under a running guest: API clients that disconnect mid-request (no read, half a header, short body, RST, garbage) and one that holds a half request open; kasou keeps running, its API still answers, and the guest's disk keeps acknowledging intact records
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS api-pokes-survived
#! expect: LAB-PASS api-answers-while-held
#! expect: LAB-PASS api-answers-after
#! expect: LAB-PASS disk-records-intact
#! expect: LAB-PASS kasou-clean-exit
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
i=1
while [ $i -le 50 ]; do
	crashrec write /dev/vda $i 1 || fail disk-write "record $i"
	sleep 0.4
	i=$((i + 1))
done
echo 3 >/proc/sys/vm/drop_caches
crashrec check /dev/vda 1 50 && pass disk-records-intact || fail disk-records-intact "records damaged"
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
img=$TMPDIR/d.img
dd if=/dev/zero of="$img" bs=1M count=16 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name pokevm --disk "path=$img,cache=writeback" </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for "LAB-ACK 3" "$TMPDIR/out" 90 $pid
sock=$KASOU_API_DIR/pokevm.sock
ls -l "$KASOU_API_DIR"
apipoke "$sock"
kill -0 $pid 2>/dev/null && pass api-pokes-survived || fail api-pokes-survived "kasou gone after the pokes"
apipoke "$sock" hold 8 &
hpid=$!
sleep 1
busybox timeout 5 $KASOU list >"$TMPDIR/list" 2>&1
cat "$TMPDIR/list"
grep -q "pokevm *Running" "$TMPDIR/list" && pass api-answers-while-held || fail api-answers-while-held "list with a held connection: $(cat "$TMPDIR/list")"
wait $hpid
$KASOU list | grep -q "pokevm *Running" && pass api-answers-after || fail api-answers-after "not listed"
wait $pid; rc=$?
cat "$TMPDIR/out"
acks=$(grep -ac '^LAB-ACK' "$TMPDIR/out")
echo "LAB-RESULT fault-misc acked=$acks kasou-rc=$rc"
[ $rc = 0 ] && pass kasou-clean-exit || fail kasou-clean-exit "rc=$rc"
crashrec check "$img" 1 50 || fail disk-records-intact "image check"
