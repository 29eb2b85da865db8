# the tap goes away under a running guest: kasou logs it, the guest sees the link go down, kasou keeps running and exits cleanly
#! guest-modules: virtio_pci virtio_net
#! l1-modules: tun
#! expect-exit: 0
#! expect: LAB-PASS carrier-up
#! expect: LAB-PASS carrier-down
#! expect: link down
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
ip link set eth0 up
sleep 1
[ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && pass carrier-up || fail carrier-up "carrier $(cat /sys/class/net/eth0/carrier)"
echo LAB-READY
i=0
while [ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
[ "$(cat /sys/class/net/eth0/carrier)" = 0 ] && pass carrier-down || fail carrier-down "carrier still up"
--- l1 ---
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--net "tap=ktap5" </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
tap_up ktap5 192.168.105.1/24 || fail tap "ktap5 never appeared"
wait_for LAB-READY "$TMPDIR/out" 120 $pid
ip link del ktap5
wait $pid
rc=$?
cat "$TMPDIR/out"
exit $rc
