# thp=on / thp=off: with L1's THP in madvise mode, a guest that fills its RAM is backed by
# transparent huge pages only when kasou asked for them (AnonHugePages of the guest RAM mapping)
#! expect-exit: 0
#! expect: LAB-PASS thp-on
#! expect: LAB-PASS thp-off
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
dd if=/dev/zero of=/dev/shm/fill bs=1M count=96 2>/dev/null
echo LAB-READY
sleep 30
--- l1 ---
t=/sys/kernel/mm/transparent_hugepage/enabled
echo "THP: $(cat $t)"
echo madvise >$t
# huge_kb PID: AnonHugePages of the 256M anonymous mapping (the guest's RAM)
huge_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { sz = 0 }
	     /^Size:/ { sz = $2 } /^AnonHugePages:/ && sz == 262144 { print $2; exit }' /proc/$1/smaps
}
for mode in on off; do
	"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
		--memory size=256M,thp=$mode --api-socket none </dev/null >"$TMPDIR/out-$mode" 2>&1 &
	pid=$!
	wait_for LAB-READY "$TMPDIR/out-$mode" 90 $pid
	h=$(huge_kb $pid)
	echo "thp=$mode: AnonHugePages of guest RAM ${h:-?} kB"
	if [ $mode = on ]; then
		[ "${h:-0}" -ge 65536 ] && pass thp-on || fail thp-on "only ${h:-?} kB in huge pages"
	else
		[ "${h:--1}" = 0 ] && pass thp-off || fail thp-off "${h:-?} kB in huge pages"
	fi
	kill -INT $pid
	wait $pid
done
true
