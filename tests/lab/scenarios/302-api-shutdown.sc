# kasou ctl shutdown presses the ACPI power button: the guest sees it and powers off gracefully (no hard stop)
#! guest-modules: button evdev
#! expect-exit: 0
#! expect: LAB-PASS power-button
#! expect-not: did not power off
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
ls /dev/input/
echo LAB-READY
# the power button is the only input device: wait for its first event
dd if=/dev/input/event0 of=/dev/null bs=24 count=1 2>/dev/null && pass power-button
poweroff -f
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name downvm --shutdown-timeout 30 </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
sleep 1
kasou ctl downvm shutdown || fail ctl "ctl shutdown failed"
wait $pid
rc=$?
cat "$TMPDIR/out"
exit $rc
