# hostile driver: vhostile (tests/lab/tools/vhostile.c) drives a second virtio-blk disk, the virtio-rng and virtio-net's tx queue from userspace with broken rings (descriptor loop, buffer outside RAM, 4 GiB length, looping and out-of-range indirect tables, avail idx far ahead, head index out of range, readable after writable, rings outside RAM, queue size 7, DRIVER_OK without FEATURES_OK, stray notifies and queue registers, a live queue reprogrammed, reset with requests in flight); each must end in NEEDS_RESET or a clean reset, then a well-formed request completes; the first disk, the console and kasou itself are unaffected
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS hostile-blk-desc-loop
#! expect: LAB-PASS hostile-blk-addr-outside-ram
#! expect: LAB-PASS hostile-blk-huge-len
#! expect: LAB-PASS hostile-blk-indirect-loop
#! expect: LAB-PASS hostile-blk-indirect-range
#! expect: LAB-PASS hostile-blk-avail-jump
#! expect: LAB-PASS hostile-blk-ring-outside-ram
#! expect: LAB-PASS hostile-blk-head-out-of-range
#! expect: LAB-PASS hostile-blk-read-after-write
#! expect: LAB-PASS hostile-blk-queue-size-7
#! expect: LAB-PASS hostile-blk-driver-ok-without-features-ok
#! expect: LAB-PASS hostile-blk-bad-notify
#! expect: LAB-PASS hostile-blk-reprogram-live-queue
#! expect: LAB-PASS hostile-blk-reset-inflight
#! expect: LAB-PASS hostile-blk-final
#! expect: LAB-PASS hostile-rng-desc-loop
#! expect: LAB-PASS hostile-rng-final
#! expect: LAB-PASS hostile-net-desc-loop
#! expect: LAB-PASS hostile-net-avail-jump
#! expect: LAB-PASS hostile-net-reset-inflight
#! expect: LAB-PASS hostile-net-final
#! expect: LAB-PASS vda-before
#! expect: LAB-PASS vda-during
#! expect: LAB-PASS vda-after
#! expect: LAB-PASS console
#! expect: LAB-PASS alive
#! expect: LAB-PASS stats
#! expect: LAB-PASS vda-image
#! expect-re: needs reset
#! expect-re: virtqueue .*(a loop|outside RAM|4 GiB|ahead)
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
vda= hdev=
for d in /sys/block/vd*; do
	case $(cat $d/serial 2>/dev/null) in
	normal) vda=${d##*/} ;;
	hostile) hdev=$(basename "$(dirname "$(readlink -f $d/device)")") ;;
	esac
done
rdev= ndev=
for p in /sys/bus/pci/devices/*; do
	[ "$(cat $p/vendor)" = 0x1af4 ] || continue
	case $(cat $p/device) in 0x1044) rdev=${p##*/} ;; 0x1041) ndev=${p##*/} ;; esac
done
echo "normal disk /dev/$vda, hostile blk at $hdev, rng at $rdev, net at $ndev"
[ -n "$vda" ] && [ -n "$hdev" ] && [ -n "$rdev" ] && [ -n "$ndev" ] || { fail setup "devices not found"; exit 1; }

# vda: write 1 MiB at offset 1 MiB, read it back (O_DIRECT), compare
vda_check() {
	dd if=/dev/urandom of=/tmp/w bs=64k count=16 2>/dev/null
	dd if=/tmp/w of=/dev/$vda bs=64k seek=16 oflag=direct conv=notrunc 2>/dev/null || return 1
	dd if=/dev/$vda of=/tmp/r bs=64k skip=16 count=16 iflag=direct 2>/dev/null || return 1
	a=$(md5sum </tmp/w) b=$(md5sum </tmp/r)
	echo "vda md5 ${a%% *}"
	[ "$a" = "$b" ]
}
vda_check && pass vda-before || fail vda-before "checksum mismatch"

for a in $hdev $rdev $ndev; do
	echo $a >/sys/bus/pci/drivers/virtio-pci/unbind || fail unbind "$a"
done

# the normal disk keeps working while the hostile driver runs
(
	n=0 bad=0
	while [ ! -f /tmp/stop ]; do
		vda_check >/tmp/bg.out 2>&1 || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >/tmp/bg.res
) &
vhostile blk $hdev
echo "vhostile blk rc=$?"
vhostile rng $rdev
echo "vhostile rng rc=$?"
vhostile net $ndev
echo "vhostile net rc=$?"
touch /tmp/stop
wait
read n bad </tmp/bg.res
echo "background vda checks: $n, failed: $bad"
[ "$n" -gt 0 ] && [ "$bad" = 0 ] && pass vda-during || fail vda-during "$bad of $n checks failed"

echo LAB-HOSTILE-STATS
sleep 4
vda_check && pass vda-after || fail vda-after "checksum mismatch"
echo "console-check-$((6 * 7))" >/dev/console
echo LAB-CONSOLE-DONE
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
dd if=/dev/zero of="$TMPDIR/normal.img" bs=1M count=8 2>/dev/null
dd if=/dev/zero of="$TMPDIR/hostile.img" bs=1M count=8 2>/dev/null
printf hostile-disk-ok | dd of="$TMPDIR/hostile.img" conv=notrunc 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name hostile --memory 256M --rng --net user,id=n0 \
	--disk "path=$TMPDIR/normal.img,serial=normal,id=d0" \
	--disk "path=$TMPDIR/hostile.img,serial=hostile,id=d1,iops=10" </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
# during: kasou alive while the hostile driver runs, and after it
i=0 dead=0
while ! grep -aq LAB-HOSTILE-STATS "$TMPDIR/out" && [ $i -lt 240 ]; do
	kill -0 $pid 2>/dev/null || { dead=1; break; }
	sleep 0.5
	i=$((i + 1))
done
if [ $dead = 0 ] && kill -0 $pid 2>/dev/null; then
	pass alive
	if kasou stats hostile --json >"$TMPDIR/s.json" 2>&1; then
		pass stats
	else
		fail stats "kasou stats failed: $(cat "$TMPDIR/s.json")"
	fi
	cat "$TMPDIR/s.json"; echo
else
	fail alive "kasou gone before the hostile driver finished"
fi
wait $pid
rc=$?
cat "$TMPDIR/out"
echo "kasou rc=$rc"
grep -aq console-check-42 "$TMPDIR/out" && grep -aq LAB-CONSOLE-DONE "$TMPDIR/out" && pass console || fail console "guest console lines missing"
want=$(grep -a "^vda md5 " "$TMPDIR/out" | tail -1 | cut -d' ' -f3 | tr -d '\r')
got=$(dd if="$TMPDIR/normal.img" bs=64k skip=16 count=16 2>/dev/null | md5sum | cut -d' ' -f1)
[ -n "$want" ] && [ "$want" = "$got" ] && pass vda-image || fail vda-image "image md5 $got, guest wrote '$want'"
exit $rc
