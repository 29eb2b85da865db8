# every cache mode: the guest sees the write cache the mode promises, and data round-trips with flushes
#! guest-modules: virtio_pci virtio_blk
#! needs: scratch
#! expect-exit: 0
#! expect: LAB-PASS mode-writeback
#! expect: LAB-PASS mode-none
#! expect: LAB-PASS mode-writethrough
#! expect: LAB-PASS mode-directsync
#! expect: LAB-PASS mode-unsafe
#! expect-not: LAB-FAIL
#! timeout: 300
--- guest ---
set -- $(cat /proc/cmdline)
for a; do case $a in lab.mode=*) mode=${a#lab.mode=} ;; lab.wc=*) wc=$(echo ${a#lab.wc=} | tr _ " ") ;; esac; done
got=$(cat /sys/block/vda/queue/write_cache)
[ "$got" = "$wc" ] || fail "cache-$mode" "write_cache '$got', expected '$wc'"
dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null
dd if=/tmp/p of=/dev/vda bs=64k oflag=direct conv=fsync 2>/dev/null || fail "write-$mode" "dd failed"
dd if=/dev/vda of=/tmp/q bs=64k count=16 iflag=direct 2>/dev/null
[ "$(sha256sum </tmp/p)" = "$(sha256sum </tmp/q)" ] && echo "LAB-ROUNDTRIP $mode" || fail "roundtrip-$mode" "read back differs"
echo "LAB-PAT $(sha256sum </tmp/p | cut -d' ' -f1)"
--- l1 ---
dir=${SCRATCH:-$TMPDIR}
for m in writeback:"write back" none:"write back" writethrough:"write through" directsync:"write through" unsafe:"write back"; do
	mode=${m%%:*} wc=${m#*:}
	dd if=/dev/zero of="$dir/c.img" bs=1M count=16 2>/dev/null
	out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1 lab.mode=$mode lab.wc=$(echo $wc | tr ' ' _)" \
		--disk "path=$dir/c.img,cache=$mode" </dev/null 2>&1)
	rc=$?
	echo "$out"
	pat=$(echo "$out" | grep -a '^LAB-PAT ' | tr -d '\r' | cut -d' ' -f2)
	img=$(dd if="$dir/c.img" bs=64k count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
	if [ $rc = 0 ] && echo "$out" | grep -q "LAB-ROUNDTRIP $mode" && [ "$img" = "$pat" ]; then
		pass mode-$mode
	else
		fail mode-$mode "rc=$rc image=$img guest=$pat"
	fi
done
