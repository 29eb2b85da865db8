# kasou ctl pause stops the guest (no output, its clock stops from the host's view); resume continues without a time jump
#! expect-exit: 0
#! expect: LAB-PASS silent-while-paused
#! expect: LAB-PASS clock-stopped
#! expect: LAB-PASS list
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
i=0
while [ $i -lt 40 ]; do
	echo "LAB-TICK $(cut -d' ' -f1 /proc/uptime)"
	sleep 0.5
	i=$((i + 1))
done
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name pausevm </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for "LAB-TICK" "$TMPDIR/out" 90 $pid
sleep 2
kasou list | tee "$TMPDIR/list"
grep -q "pausevm *Running" "$TMPDIR/list" && pass list || fail list "pausevm not listed as Running"
kasou ctl pausevm pause || fail pause "ctl pause failed"
before=$(grep -ac "LAB-TICK" "$TMPDIR/out")
last=$(grep -a "LAB-TICK" "$TMPDIR/out" | tail -1 | tr -d '\r' | cut -d' ' -f2)
kasou list | grep -q "pausevm *Paused" || fail list-paused "not listed as Paused"
sleep 5
after=$(grep -ac "LAB-TICK" "$TMPDIR/out")
[ "$before" = "$after" ] && pass silent-while-paused || fail silent-while-paused "$before ticks before, $after after 5 s paused"
kasou ctl pausevm resume || fail resume "ctl resume failed"
sleep 2
# the guest's own clock: from the last tick before the pause to the next one, well under the 5 s paused
next=$(grep -a "LAB-TICK" "$TMPDIR/out" | tr -d '\r' | awk -v l="$last" '$2 > l { print $2; exit }')
echo "last tick before pause $last, first after resume $next"
[ -n "$next" ] && awk -v a="$last" -v b="$next" 'BEGIN { exit !(b - a < 2.5) }' && pass clock-stopped || fail clock-stopped "guest uptime went from $last to $next across a 5 s pause"
wait $pid
