# user networking (libslirp, no root setup): DHCP, the guest fetches a file from a server in L1, L1 reaches a guest server through hostfwd
#! guest-modules: virtio_pci virtio_net
#! expect-exit: 0
#! expect: LAB-PASS dhcp
#! expect: LAB-PASS fetch
#! expect: LAB-PASS hostfwd
#! expect-not: LAB-FAIL
#! timeout: 180
--- guest ---
cat >/tmp/dhcp.sh <<'S'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add $ip/${mask:-24} dev $interface
ip route add default via $router
S
chmod +x /tmp/dhcp.sh
ip link set eth0 up
udhcpc -i eth0 -s /tmp/dhcp.sh -q -n -t 5 >/dev/null 2>&1
ip -4 addr show eth0 | grep -q "inet 10.0.2.15/24" && pass dhcp || fail dhcp "no 10.0.2.15: $(ip -4 addr show eth0 | grep inet)"
got=$(wget -q -O - http://10.0.2.2:8080/hello.txt)
[ "$got" = "hello from L1 5c3e" ] && pass fetch || fail fetch "got '$got'"
mkdir -p /www
echo "hello from the guest 81f0" >/www/guest.txt
httpd -p 80 -h /www
echo LAB-READY
i=0
while [ ! -e /tmp/done ] && [ $i -lt 60 ]; do
	nc -l -p 7000 >/tmp/done && break
	i=$((i + 1))
done
--- l1 ---
mkdir -p "$TMPDIR/www"
echo "hello from L1 5c3e" >"$TMPDIR/www/hello.txt"
httpd -p 127.0.0.1:8080 -h "$TMPDIR/www"
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--net "user,hostfwd=tcp:8081-:80,hostfwd=tcp:127.0.0.1:7001-:7000" </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 120 $pid
got=$(wget -q -O - http://127.0.0.1:8081/guest.txt)
[ "$got" = "hello from the guest 81f0" ] && pass hostfwd || fail hostfwd "got '$got'"
echo done | nc 127.0.0.1 7001
wait $pid
rc=$?
cat "$TMPDIR/out"
exit $rc
