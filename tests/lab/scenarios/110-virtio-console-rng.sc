# --console virtio: the guest talks through hvc0 (output and input); --rng: the guest reads virtio-rng
#! guest-modules: virtio_pci virtio_console virtio_rng
#! expect-exit: 0
#! expect: LAB-PASS hvc-input
#! expect: LAB-PASS rng
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
exec >/dev/hvc0 2>&1 </dev/hvc0
echo LAB-READY
read -t 20 line && [ "$line" = hello-from-host ] && pass hvc-input || fail hvc-input "read '$line'"
cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
n=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)
case $cur in virtio_rng*) [ "$n" = 64 ] && pass rng || fail rng "read $n bytes" ;; *) fail rng "rng_current '$cur'" ;; esac
--- l1 ---
# type the line once the guest has hvc0 open, as a person at the console would
mkfifo "$TMPDIR/in"
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--console virtio --rng --verbose <"$TMPDIR/in" >"$TMPDIR/out" 2>&1 &
pid=$!
exec 3>"$TMPDIR/in"
i=0
while ! grep -q LAB-READY "$TMPDIR/out" && kill -0 $pid 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
echo hello-from-host >&3
wait $pid
rc=$?
exec 3>&-
cat "$TMPDIR/out"
exit $rc
