# locked=on: guest RAM is mlocked (VmLck = guest size)
#! expect-exit: 0
#! expect: LAB-PASS vmlck
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
echo LAB-READY
sleep 30
--- l1 ---
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--memory size=128M,locked=on --api-socket none </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
lck=$(awk '/^VmLck/ { print $2 }' /proc/$pid/status)
echo "VmLck: $lck kB"
[ "${lck:-0}" -ge 131072 ] && pass vmlck || fail vmlck "VmLck $lck kB"
kill -INT $pid
wait $pid
true
