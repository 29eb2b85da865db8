# virtio-net with vhost=on (the host kernel moves the frames): ping L1 and back, then 200 MB over TCP each way with the checksums compared on both ends
#! guest-modules: virtio_pci virtio_net
#! l1-modules: tun vhost_net
#! expect-exit: 0
#! expect: LAB-PASS ping-l1
#! expect: LAB-PASS l1-pings-guest
#! expect: LAB-PASS guest-to-l1
#! expect: LAB-PASS l1-to-guest
#! expect-not: LAB-FAIL
#! expect-not: vhost=on unavailable
#! timeout: 300
--- guest ---
ip link set eth0 up
ip addr add 192.168.100.2/24 dev eth0
ping -c 3 -W 5 192.168.100.1 >/dev/null && pass ping-l1 || fail ping-l1 "no reply from 192.168.100.1"
kbench send 192.168.100.1 5000 209715200 7 || fail send "kbench send failed"
kbench recv 5001
echo LAB-DONE
--- l1 ---
for vh in on; do
	kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
		--memory 256M --net "tap=ktap1,vhost=$vh" --verbose </dev/null >"$TMPDIR/out" 2>&1 &
	pid=$!
	tap_up ktap1 192.168.100.1/24 || fail tap "ktap1 never appeared"
	kbench recv 5000 >"$TMPDIR/g2h" &
	rpid=$!
	wait_for "kbench sent" "$TMPDIR/out" 200 $pid
	wait $rpid
	ping -c 2 -W 5 192.168.100.2 >/dev/null && pass l1-pings-guest || fail l1-pings-guest "no reply from the guest"
	wait_for "kbench listening 5001" "$TMPDIR/out" 60 $pid
	kbench send 192.168.100.2 5001 209715200 11 >"$TMPDIR/h2g"
	wait $pid
	rc=$?
	cat "$TMPDIR/out" "$TMPDIR/g2h" "$TMPDIR/h2g"
	sent=$(grep -a "kbench sent" "$TMPDIR/out" | tr -d '\r' | cut -d' ' -f3-4)
	got=$(grep -a 'kbench received' "$TMPDIR/g2h" | cut -d' ' -f3-4)
	[ -n "$sent" ] && [ "$sent" = "$got" ] && pass guest-to-l1 || fail guest-to-l1 "guest sent '$sent', L1 got '$got'"
	sent=$(cut -d' ' -f3-4 "$TMPDIR/h2g")
	got=$(grep -a "kbench received" "$TMPDIR/out" | tr -d '\r' | cut -d' ' -f3-4)
	[ -n "$sent" ] && [ "$sent" = "$got" ] && pass l1-to-guest || fail l1-to-guest "L1 sent '$sent', guest got '$got'"
	[ $rc = 0 ] || fail exit "kasou exit $rc"
done
if grep -q "vhost=on unavailable" "$TMPDIR/out"; then fail vhost "kasou fell back to userspace"; fi
