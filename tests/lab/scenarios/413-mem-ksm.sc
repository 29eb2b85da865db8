# merge=on: two identical guests share pages through KSM (pages_sharing rises)
#! expect-exit: 0
#! expect: LAB-PASS ksm-sharing
#! expect-not: LAB-FAIL
#! timeout: 180
--- guest ---
echo LAB-READY
sleep 60
--- l1 ---
echo 5000 >/sys/kernel/mm/ksm/pages_to_scan
echo 20 >/sys/kernel/mm/ksm/sleep_millisecs
echo 1 >/sys/kernel/mm/ksm/run
before=$(cat /sys/kernel/mm/ksm/pages_sharing)
for i in 1 2; do
	kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
		--memory size=128M,merge=on --name ksm$i --api-socket none </dev/null >"$TMPDIR/out$i" 2>&1 &
done
wait_for LAB-READY "$TMPDIR/out1" 90
wait_for LAB-READY "$TMPDIR/out2" 90
i=0
while [ $i -lt 40 ]; do
	after=$(cat /sys/kernel/mm/ksm/pages_sharing)
	[ "$after" -gt $((before + 1000)) ] && break
	sleep 1
	i=$((i + 1))
done
echo "pages_sharing $before -> $after"
[ "$after" -gt $((before + 1000)) ] && pass ksm-sharing || fail ksm-sharing "pages_sharing $before -> $after"
kill -INT $(pidof kasou)
wait
true
