# crash consistency: the guest writes numbered, checksummed 4 KiB records (O_DIRECT|O_DSYNC + fdatasync, crashrec) and prints LAB-ACK n after each flush returned; L1 SIGKILLs kasou mid-stream and checks that every acknowledged record is intact in the image (cache=none/writeback x aio=threads/io_uring)
#! guest-modules: virtio_pci virtio_blk
#! needs: scratch
#! expect-exit: 0
#! expect: LAB-PASS crash-none-threads
#! expect: LAB-PASS crash-none-io_uring
#! expect: LAB-PASS crash-writeback-threads
#! expect: LAB-PASS crash-writeback-io_uring
#! expect-not: LAB-FAIL
#! timeout: 280
--- guest ---
crashrec write /dev/vda 1 16000
--- l1 ---
img=$SCRATCH/crash.img
for m in none:threads none:io_uring writeback:threads writeback:io_uring; do
	cache=${m%%:*} aio=${m#*:} name=crash-$cache-$aio
	rm -f "$img"
	dd if=/dev/zero of="$img" bs=1M count=64 2>/dev/null
	out=$TMPDIR/$name.out
	$KASOU run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
		--disk "path=$img,cache=$cache,aio=$aio" </dev/null >"$out" 2>&1 &
	pid=$!
	# wait for 40 acknowledgements (or kasou's end), then SIGKILL it mid-stream
	i=0 acks=0
	while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
		acks=$(grep -ac '^LAB-ACK' "$out")
		[ "$acks" -ge 40 ] && break
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.$((i % 7 + 1))
	if kill -0 $pid 2>/dev/null; then kill -9 $pid; killed=yes; else killed=no; fi
	wait $pid; rc=$?
	last=$(grep -a '^LAB-ACK' "$out" | tr -d '\r' | tail -1 | cut -d' ' -f2)
	acks=$(grep -ac '^LAB-ACK' "$out")
	grep -a -v '^LAB-ACK' "$out" | tail -5
	echo "$name: killed=$killed rc=$rc acked=$acks last-ack=${last:-none}"
	if [ "$killed" != yes ] || [ "${last:-0}" -lt 40 ]; then
		fail $name "kasou not killed mid-stream (killed=$killed rc=$rc, $acks acks)"
		continue
	fi
	res=$(crashrec check "$img" 1 "$last"); crc=$?
	echo "$res" | sed "s/^/$name: /"
	found=$(echo "$res" | grep '^LAB-FOUND' | cut -d' ' -f2)
	echo "LAB-RESULT $name acked=$last found=$found"
	[ $crc = 0 ] && [ "$found" -ge "$last" ] && pass $name || fail $name "acked $last, intact run to $found"
done
