# virtio-balloon: inflating (kasou ctl set balloon=160M) takes memory from the guest
# (MemTotal drops) and gives it back to the host (kasou's RSS drops); deflating returns it;
# the guest's statistics come through; free page reporting returns freed guest memory to
# the host with no balloon target at all
#! guest-modules: virtio_pci virtio_balloon
#! expect-exit: 0
#! expect: LAB-PASS filled
#! expect: LAB-PASS inflate-guest
#! expect: LAB-PASS inflate-host
#! expect: LAB-PASS guest-stats
#! expect: LAB-PASS deflate
#! expect: LAB-PASS reporting
#! expect-not: LAB-FAIL
#! timeout: 240
--- guest ---
# touch ~110 MiB of guest RAM, then free it: the host still holds those pages
dd if=/dev/zero of=/tmp/fill bs=1M count=110 2>/dev/null
rm /tmp/fill
echo 3 >/proc/sys/vm/drop_caches
echo LAB-FILLED
i=0
while [ $i -lt 90 ]; do
	echo "LAB-MEMTOTAL $i $(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
	i=$((i + 1))
	sleep 1
done
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
rss() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
memtotal() { grep -a "LAB-MEMTOTAL" "$1" | tail -1 | tr -d '\r' | cut -d' ' -f3; }
stat_num() { kasou stats "$1" --json | grep -o "\"$2\": *[0-9]*" | head -1 | grep -o '[0-9]*$'; }

"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name balvm --memory size=256M --balloon stats_period=1 \
	</dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for "LAB-MEMTOTAL 1 " "$TMPDIR/out" 90 $pid
r0=$(rss $pid)
m0=$(memtotal "$TMPDIR/out")
echo "before: RSS $r0 kB, guest MemTotal $m0 kB"
[ "$r0" -ge 120000 ] && pass filled || fail filled "RSS only $r0 kB after the guest touched 110 MiB"
kasou ctl balvm set balloon=160M || fail inflate-guest "ctl set failed"
n=0
while [ $n -lt 30 ] && [ "$(stat_num balvm actual_mib)" != 160 ]; do sleep 1; n=$((n + 1)); done
sleep 2
r1=$(rss $pid)
m1=$(memtotal "$TMPDIR/out")
echo "balloon 160M (actual $(stat_num balvm actual_mib) MiB after ${n}s): RSS $r1 kB, guest MemTotal $m1 kB"
[ $((m0 - m1)) -ge 150000 ] && pass inflate-guest || fail inflate-guest "MemTotal $m0 -> $m1 kB"
[ $((r0 - r1)) -ge 49152 ] && pass inflate-host || fail inflate-host "RSS $r0 -> $r1 kB"
free=$(stat_num balvm free_memory)
total=$(stat_num balvm total_memory)
echo "guest statistics: free $free total $total"
[ -n "$total" ] && [ "$total" -gt 0 ] && [ "$total" -le 268435456 ] && [ -n "$free" ] &&
	pass guest-stats || fail guest-stats "free '$free' total '$total'"
kasou stats balvm | grep "^BALLOON"
kasou ctl balvm set balloon=0 || fail deflate "ctl set failed"
n=0
while [ $n -lt 30 ] && [ "$(stat_num balvm actual_mib)" != 0 ]; do sleep 1; n=$((n + 1)); done
sleep 2
m2=$(memtotal "$TMPDIR/out")
echo "balloon 0: guest MemTotal $m2 kB"
[ "$m2" = "$m0" ] && pass deflate || fail deflate "MemTotal $m2, was $m0"
kasou ctl balvm set balloon=1G 2>"$TMPDIR/err" && fail inflate-guest "a balloon larger than RAM accepted"
echo "too big: $(cat "$TMPDIR/err")"
kill -INT $pid
wait $pid

# free page reporting: the guest's freed 110 MiB goes back to the host by itself
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name fprvm --memory size=256M --balloon free_page_reporting=on \
	</dev/null >"$TMPDIR/out2" 2>&1 &
pid=$!
wait_for "LAB-MEMTOTAL 1 " "$TMPDIR/out2" 90 $pid
# (reporting may have run already: compare with the first VM, same guest, same work)
base=$r0
n=0
while [ $n -lt 20 ]; do
	r1=$(rss $pid)
	[ $((base - r1)) -ge 49152 ] && break
	sleep 1
	n=$((n + 1))
done
rep=$(stat_num fprvm reported_bytes)
echo "free page reporting: RSS $r1 kB (without: $base kB) after ${n}s more, $rep bytes reported"
[ $((base - r1)) -ge 49152 ] && [ "${rep:-0}" -gt 0 ] && pass reporting || fail reporting "RSS $r1 kB vs $base, reported '$rep'"
kill -INT $pid
wait $pid
true
