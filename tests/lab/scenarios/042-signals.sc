# SIGTERM and SIGINT stop a running VM cleanly: exit 143 and 130
#! expect-exit: 0
#! expect: LAB-PASS sigterm
#! expect: LAB-PASS sigint
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
echo LAB-READY
sleep 120
--- l1 ---
for s in TERM:143 INT:130; do
	sig=${s%:*} want=${s#*:}
	"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" >"$TMPDIR/out" 2>&1 </dev/null &
	pid=$!
	i=0
	while ! grep -q LAB-READY "$TMPDIR/out" && kill -0 $pid 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
	kill -$sig $pid
	wait $pid
	rc=$?
	cat "$TMPDIR/out"
	name=$(echo sig$sig | tr A-Z a-z)
	if [ $rc = $want ] && grep -q "kasou: got" "$TMPDIR/out"; then pass $name; else fail $name "exit $rc, expected $want"; fi
done
