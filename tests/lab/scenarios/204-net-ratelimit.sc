# a tx limit of 10 Mbit/s (tx_bps=1250000): the receiver in L1 measures 10 Mbit/s within 15%
#! guest-modules: virtio_pci virtio_net
#! l1-modules: tun
#! expect-exit: 0
#! expect: LAB-PASS rate
#! expect-not: LAB-FAIL
#! timeout: 180
--- guest ---
ip link set eth0 up
ip addr add 192.168.104.2/24 dev eth0
ping -c 1 -W 5 192.168.104.1 >/dev/null
kbench send 192.168.104.1 5000 12500000 3
--- l1 ---
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--net "tap=ktap4,tx_bps=1250000,tx_bps_max=125000" --verbose </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
tap_up ktap4 192.168.104.1/24 || fail tap "ktap4 never appeared"
kbench recv 5000 >"$TMPDIR/r"
wait $pid
rc=$?
cat "$TMPDIR/out" "$TMPDIR/r"
mbps=$(sed -n 's/.*mbps=\([0-9]*\)\..*/\1/p' "$TMPDIR/r")
# frames on the wire carry Ethernet/IP/TCP headers the payload rate does not: ~3% less payload
[ -n "$mbps" ] && [ "$mbps" -ge 8 ] && [ "$mbps" -le 11 ] && pass rate || fail rate "measured '$mbps' Mbit/s of payload for a 10 Mbit/s limit"
exit $rc
