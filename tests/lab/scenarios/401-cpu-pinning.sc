# pinning: each vCPU thread and the emulator run where asked (Cpus_allowed_list), and a live re-pin takes effect
#! expect-exit: 0
#! expect: LAB-PASS vcpu0
#! expect: LAB-PASS vcpu1
#! expect: LAB-PASS emulator
#! expect: LAB-PASS repin
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
echo LAB-READY
sleep 40
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name pinvm --cpus boot=2,affinity=[0@[1],1@[0]] --emulator affinity=0 </dev/null >"$TMPDIR/out" 2>&1 &
wait_for LAB-READY "$TMPDIR/out" 90
pid=$(pidof kasou | tr ' ' '\n' | head -1)
allowed() { # allowed THREAD-NAME: Cpus_allowed_list of kasou's thread of that name
	for t in /proc/$pid/task/*; do
		[ "$(cat $t/comm)" = "$1" ] && awk '/^Cpus_allowed_list/ { print $2 }' $t/status && return
	done
}
echo "vcpu0 $(allowed vcpu0) vcpu1 $(allowed vcpu1) main $(allowed kasou)"
[ "$(allowed vcpu0)" = 1 ] && pass vcpu0 || fail vcpu0 "vcpu0 allowed on $(allowed vcpu0)"
[ "$(allowed vcpu1)" = 0 ] && pass vcpu1 || fail vcpu1 "vcpu1 allowed on $(allowed vcpu1)"
[ "$(allowed kasou)" = 0 ] && pass emulator || fail emulator "main thread allowed on $(allowed kasou)"
kasou ctl pinvm set vcpu.0.affinity=0 || fail repin "ctl set failed"
[ "$(allowed vcpu0)" = 0 ] && pass repin || fail repin "vcpu0 allowed on $(allowed vcpu0) after the re-pin"
kasou stats pinvm --json | tr ',' '\n' | grep affinity
kasou ctl pinvm halt
wait
