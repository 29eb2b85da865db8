# kasou stats --json: disk and net counters grow by what the guest did, exits by reason are non-zero; list and stats agree
#! guest-modules: virtio_pci virtio_blk virtio_net
#! expect-exit: 0
#! expect: LAB-PASS disk-read
#! expect: LAB-PASS disk-write
#! expect: LAB-PASS net-rx
#! expect: LAB-PASS exits
#! expect: LAB-PASS human
#! expect-not: LAB-FAIL
#! timeout: 180
--- guest ---
dd if=/dev/vda of=/dev/null bs=1M count=8 iflag=direct 2>/dev/null
dd if=/dev/zero of=/dev/vda bs=1M count=4 oflag=direct 2>/dev/null
cat >/tmp/dhcp.sh <<'S'
#!/bin/sh
[ "$1" = bound ] && ip addr add $ip/${mask:-24} dev $interface && ip route add default via $router
exit 0
S
chmod +x /tmp/dhcp.sh
ip link set eth0 up
udhcpc -i eth0 -s /tmp/dhcp.sh -q -n -t 5 >/dev/null 2>&1
wget -q -O /dev/null http://10.0.2.2:8080/blob || echo "wget failed"
echo LAB-READY
sleep 60
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
mkdir -p "$TMPDIR/www"
dd if=/dev/urandom of="$TMPDIR/www/blob" bs=1M count=1 2>/dev/null
httpd -p 127.0.0.1:8080 -h "$TMPDIR/www"
dd if=/dev/zero of="$TMPDIR/d.img" bs=1M count=16 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name statvm --disk "path=$TMPDIR/d.img,id=d0" --net user,id=n0 </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 150 $pid
kasou stats statvm --json >"$TMPDIR/s.json" || fail stats "kasou stats failed"
j=$(cat "$TMPDIR/s.json")
num() { echo "$j" | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" | head -1; }
rd=$(num rd_bytes) wr=$(num wr_bytes) rx=$(num rx_bytes) ex=$(num io_exits)
echo "rd_bytes $rd wr_bytes $wr rx_bytes $rx io_exits $ex"
[ "${rd:-0}" -ge 8388608 ] && pass disk-read || fail disk-read "rd_bytes $rd < 8 MiB"
[ "${wr:-0}" -ge 4194304 ] && pass disk-write || fail disk-write "wr_bytes $wr < 4 MiB"
[ "${rx:-0}" -ge 1048576 ] && pass net-rx || fail net-rx "rx_bytes $rx < 1 MiB"
[ "${ex:-0}" -gt 0 ] && pass exits || fail exits "no io exits counted"
kasou stats statvm >"$TMPDIR/human" && grep -q d0 "$TMPDIR/human" && grep -q n0 "$TMPDIR/human" && pass human || fail human "$(cat "$TMPDIR/human")"
cat "$TMPDIR/human"
kasou ctl statvm halt
wait $pid
