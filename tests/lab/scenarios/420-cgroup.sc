# --cgroup: the VM gets its own cgroup v2 group with the limits written, vCPU threads in
# vcpus/ (threads=on), cpu.max=20% caps a guest spinning on its vCPU, a live change
# (kasou ctl set cgroup.cpu.max=60%) is written, memory.max holds, the group goes at exit
#! expect-exit: 0
#! expect: LAB-PASS files
#! expect: LAB-PASS vcpu-thread
#! expect: LAB-PASS capped
#! expect: LAB-PASS live
#! expect: LAB-PASS memory
#! expect: LAB-PASS stats
#! expect: LAB-PASS removed
#! expect-not: LAB-FAIL
#! timeout: 180
--- guest ---
while :; do :; done &
echo LAB-READY
sleep 120
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
cg=/sys/fs/cgroup/kasou/cgvm
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name cgvm --cpus 1 --memory size=128M \
	--cgroup cpu.max=20%,cpu.weight=50,memory.max=384M,memory.high=320M,io.weight=200,threads=on \
	</dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
grep -q "0::/kasou/cgvm" /proc/$pid/cgroup && echo "process in /kasou/cgvm (or below)"
cpumax=$(cat $cg/cpu.max)
weight=$(cat $cg/cpu.weight)
memmax=$(cat $cg/memory.max)
memhigh=$(cat $cg/memory.high)
ioweight=$(cat $cg/io.weight 2>/dev/null | head -1)
echo "cpu.max '$cpumax' cpu.weight $weight memory.max $memmax memory.high $memhigh io.weight '$ioweight'"
[ "$cpumax" = "20000 100000" ] && [ "$weight" = 50 ] && [ "$memmax" = 402653184 ] &&
	[ "$memhigh" = 335544320 ] && [ "$ioweight" = "default 200" ] &&
	pass files || fail files "limits not as asked"
# vcpu0's thread is in vcpus/, the main thread in emulator/
vtid=
for t in /proc/$pid/task/*; do
	[ "$(cat $t/comm)" = vcpu0 ] && vtid=${t##*/}
done
echo "vcpu0 tid $vtid; vcpus/ threads: $(tr '\n' ' ' <$cg/vcpus/cgroup.threads)"
grep -qx "$vtid" $cg/vcpus/cgroup.threads && grep -qx "$pid" $cg/emulator/cgroup.threads &&
	pass vcpu-thread || fail vcpu-thread "vcpu0 ($vtid) not in vcpus/ or main thread not in emulator/"
# CPU time of the whole process over 4 s, against the 20% cap (a spinning vCPU takes 100%)
usage() { awk '/^usage_usec/ { print $2 }' $cg/cpu.stat; }
u0=$(usage)
sleep 4
u1=$(usage)
pct=$(((u1 - u0) / 40000))
thr=$(awk '/^nr_throttled/ { print $2 }' $cg/cpu.stat)
echo "VM CPU use at cpu.max=20%: ${pct}% of one CPU; throttled $thr times"
[ "$pct" -ge 10 ] && [ "$pct" -le 30 ] && [ "${thr:-0}" -gt 0 ] &&
	pass capped || fail capped "${pct}% with cpu.max=20%"
kasou ctl cgvm set cgroup.cpu.max=60% || fail live "ctl set failed"
u0=$(usage)
sleep 4
u1=$(usage)
pct2=$(((u1 - u0) / 40000))
echo "after ctl set cgroup.cpu.max=60%: cpu.max '$(cat $cg/cpu.max)', ${pct2}% of one CPU"
[ "$(cat $cg/cpu.max)" = "60000 100000" ] && [ "$pct2" -ge 45 ] && [ "$pct2" -le 70 ] &&
	pass live || fail live "cpu.max $(cat $cg/cpu.max), ${pct2}%"
# a bad live value: a clear error, the old limit kept
kasou ctl cgvm set cgroup.cpu.max=fast 2>"$TMPDIR/err" && fail live "cpu.max=fast accepted"
echo "bad value: $(cat "$TMPDIR/err")"
cur=$(cat $cg/memory.current)
peak=$(cat $cg/memory.peak 2>/dev/null || echo "$cur")
echo "memory.current $cur, peak $peak, max $(cat $cg/memory.max)"
[ "$cur" -gt 0 ] && [ "$peak" -le 402653184 ] && pass memory || fail memory "current $cur peak $peak"
kasou stats cgvm --interval 1 --count 2 >"$TMPDIR/stats"
cat "$TMPDIR/stats"
grep -q "^CGROUP .*kasou/cgvm .* cpu [0-9]*%" "$TMPDIR/stats" && pass stats || fail stats "no CGROUP line"
kill -INT $pid
wait $pid
grep -a '^kasou: ' "$TMPDIR/out" | head -5 # (a kasou that stopped early says why here)
[ -d $cg ] && fail removed "$cg still there" || pass removed
[ -d /sys/fs/cgroup/kasou ] && echo "shared parent kasou/ kept"
true
