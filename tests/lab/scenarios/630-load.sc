# load and leaks: one VM whose guest resets its virtio-blk and virtio-net devices 20 times
# (driver unbind/bind) while L1 makes 200 API calls: kasou's fd count does not grow and its
# RSS stays put; then 20 small VMs one after another and 8 at once, each with a disk, a tap,
# a cgroup and an API socket: afterwards no kasou process, cgroup, tap or socket is left
# and L1's free memory is back
#! guest-modules: virtio_pci virtio_blk virtio_net
#! l1-modules: tun
#! expect-exit: 0
#! expect: LAB-PASS resets
#! expect: LAB-PASS fds
#! expect: LAB-PASS rss
#! expect: LAB-PASS serial-20
#! expect: LAB-PASS parallel-8
#! expect: LAB-PASS nothing-left
#! expect: LAB-PASS memory-back
#! expect-not: LAB-FAIL
#! timeout: 600
--- guest ---
if grep -q loadvm.long /proc/cmdline; then
	echo LAB-READY
	sleep 2
	n=0
	for i in $(seq 1 20); do
		for d in /sys/bus/virtio/devices/*; do
			drv=$(basename "$(readlink $d/driver 2>/dev/null)")
			case $drv in virtio_blk | virtio_net)
				echo "${d##*/}" >/sys/bus/virtio/drivers/$drv/unbind
				echo "${d##*/}" >/sys/bus/virtio/drivers/$drv/bind
				n=$((n + 1)) ;;
			esac
		done
	done
	sleep 1
	dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null && [ -e /sys/class/net/eth0 ] &&
		echo "LAB-RESETS-DONE $n" || echo "LAB-RESETS-BAD $n"
	sleep 300 # L1 measures, then stops kasou
fi
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
truncate -s 16M "$TMPDIR/disk.img"
fds() { ls /proc/$1/fd | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
# ---- one VM, device resets and API calls
"$KASOU" run --name long --kernel "$KERNEL" --initrd "$INITRD" \
	--cmdline "console=ttyS0 quiet panic=-1 loadvm.long" --memory 128M \
	--disk path=$TMPDIR/disk.img --net tap=ltap0 </dev/null >"$TMPDIR/long.out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/long.out" 90 $pid
sleep 1
f0=$(fds $pid)
r0=$(rss $pid)
i=0
while [ $i -lt 200 ]; do kasou stats long --json >/dev/null 2>&1 || echo "stats call $i failed"; i=$((i + 1)); done
wait_for 'LAB-RESETS-' "$TMPDIR/long.out" 180 $pid
sleep 1
f1=$(fds $pid)
r1=$(rss $pid)
grep -a 'LAB-RESETS-' "$TMPDIR/long.out"
echo "fds $f0 -> $f1, VmRSS $r0 -> $r1 kB"
grep -aq 'LAB-RESETS-DONE 40' "$TMPDIR/long.out" && pass resets || fail resets "$(grep -a 'LAB-RESETS' "$TMPDIR/long.out")"
[ "${f0:-0}" -gt 0 ] && [ "$f1" = "$f0" ] && pass fds || { fail fds "$f0 -> $f1"; ls -l /proc/$pid/fd; }
[ -n "$r0" ] && [ -n "$r1" ] && [ $((r1 - r0)) -lt 8192 ] && pass rss || fail rss "$r0 -> $r1 kB"
kill -INT $pid
wait $pid
echo "long VM exit $? (130: stopped by SIGINT)"
# ---- 20 in a row, then 8 at once
free0=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
guest_initrd "$TMPDIR/quick.cpio" <<'EOG'
true
EOG
one() { # one NAME: a small VM that powers off at once (SIGTERM after 150 s: a hang is a failure
	# with its output shown, not the scenario's timeout)
	truncate -s 4M "$TMPDIR/$1.img"
	busybox timeout 150 "$KASOU" run --name "$1" --kernel "$KERNEL" --initrd "$TMPDIR/quick.cpio" \
		--cmdline "console=ttyS0 quiet panic=-1" --memory 96M --disk path=$TMPDIR/$1.img \
		--net tap=t$1 --cgroup memory.max=256M </dev/null >"$TMPDIR/$1.out" 2>&1
}
ok=0
i=0
while [ $i -lt 20 ]; do one s$i && ok=$((ok + 1)) || tail -3 "$TMPDIR/s$i.out"; i=$((i + 1)); done
[ $ok = 20 ] && pass serial-20 || fail serial-20 "$ok of 20 exited 0"
pids=
i=0
while [ $i -lt 8 ]; do one p$i & pids="$pids $!"; i=$((i + 1)); done
ok=0
for p in $pids; do wait $p && ok=$((ok + 1)); done
[ $ok = 8 ] && pass parallel-8 || {
	fail parallel-8 "$ok of 8 exited 0"
	for i in 0 1 2 3 4 5 6 7; do echo "p$i:"; tail -5 "$TMPDIR/p$i.out"; done
}
sleep 1
left_proc=0
for e in /proc/[0-9]*/exe; do [ "$(readlink "$e" 2>/dev/null)" = "$KASOU" ] && left_proc=$((left_proc + 1)); done
left_cg=$(ls /sys/fs/cgroup/kasou 2>/dev/null | grep -c '^[sp][0-9]')
left_tap=$(ls /sys/class/net | grep -c '^t[sp][0-9]')
left_sock=$(ls "$KASOU_API_DIR" 2>/dev/null | grep -c '^[sp][0-9]')
echo "left: $left_proc processes, $left_cg cgroups, $left_tap taps, $left_sock sockets"
[ "$left_proc$left_cg$left_tap$left_sock" = 0000 ] && pass nothing-left || fail nothing-left "see above"
sync
echo 3 >/proc/sys/vm/drop_caches
free1=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
echo "MemAvailable $free0 -> $free1 kB"
[ $((free0 - free1)) -lt 32768 ] && pass memory-back || fail memory-back "$free0 -> $free1 kB"
exit 0
