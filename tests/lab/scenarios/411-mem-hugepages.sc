# hugepages=2M: guest RAM comes from the host's huge page pool (HugePages_Free drops by the guest size); too few pages is a clear error
#! expect-exit: 0
#! expect: LAB-PASS hugepages-used
#! expect: LAB-PASS not-enough
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
echo LAB-READY
sleep 30
--- l1 ---
echo 80 >/proc/sys/vm/nr_hugepages
free0=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --memory size=256M,hugepages=2M 2>&1)
echo "$out" | grep -q "not enough 2M huge pages: the guest needs 128, $free0 are free" && pass not-enough || fail not-enough "$out"
echo 160 >/proc/sys/vm/nr_hugepages
free1=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--memory size=256M,hugepages=2M,prefault=on --api-socket none </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
free2=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
echo "HugePages_Free: $free1 before, $free2 with the guest running"
[ $((free1 - free2)) -eq 128 ] && pass hugepages-used || fail hugepages-used "free went from $free1 to $free2, expected 128 fewer"
kill -INT $pid
wait $pid
true
