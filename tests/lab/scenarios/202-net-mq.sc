# queues=4: the guest gets 4 queue pairs (the control queue sets them), and 4 pinned senders use more than one queue
#! guest-modules: virtio_pci virtio_net
#! l1-modules: tun
#! expect-exit: 0
#! expect: LAB-PASS channels
#! expect: 4 queue pairs active
#! expect: LAB-PASS streams
#! expect: LAB-PASS spread
#! expect-not: LAB-FAIL
#! timeout: 240
--- guest ---
rx=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)
tx=$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l)
[ "$rx" = 4 ] && [ "$tx" = 4 ] && pass channels || fail channels "rx $rx, tx $tx queues"
ip link set eth0 up
ip addr add 192.168.102.2/24 dev eth0
ping -c 1 -W 5 192.168.102.1 >/dev/null
for i in 0 1 2 3; do
	taskset -c $i kbench send 192.168.102.1 $((5000 + i)) 20971520 $i >/tmp/s$i &
done
wait
cat /tmp/s*
--- l1 ---
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 4 --memory 256M --net "tap=ktap2,queues=4" --verbose </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
tap_up ktap2 192.168.102.1/24 || fail tap "ktap2 never appeared"
for i in 0 1 2 3; do kbench recv $((5000 + i)) >"$TMPDIR/r$i" & done
wait $pid
rc=$?
sleep 1
cat "$TMPDIR/out" "$TMPDIR"/r*
ok=0
for i in 0 1 2 3; do
	want=$(grep -a "kbench sent" "$TMPDIR/out" | tr -d '\r' | cut -d' ' -f3-4 | sort | tr '\n' ' ')
	grep -q "kbench received 20971520" "$TMPDIR/r$i" && ok=$((ok + 1))
done
[ $ok = 4 ] && pass streams || fail streams "$ok of 4 streams arrived whole"
# kasou's per-queue rx/tx counters: more than one queue must have sent frames
busy=0
for q in $(sed -n 's/.*per queue rx\/tx \[\(.*\)\].*/\1/p' "$TMPDIR/out" | tr ',' ' '); do
	[ "${q#*/}" -gt 100 ] && busy=$((busy + 1))
done
[ $busy -ge 2 ] && pass spread || fail spread "only $busy queue(s) carried tx traffic"
exit $rc
