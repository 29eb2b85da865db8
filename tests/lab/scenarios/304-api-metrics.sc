# Prometheus: /metrics on --metrics-listen is well-formed text exposition with kasou_ names and vm/vcpu/device labels
#! guest-modules: virtio_pci virtio_blk
#! expect-exit: 0
#! expect: LAB-PASS format
#! expect: LAB-PASS families
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
dd if=/dev/vda of=/dev/null bs=1M count=2 2>/dev/null
echo LAB-READY
sleep 60
--- l1 ---
export KASOU_API_DIR=$TMPDIR/api
dd if=/dev/zero of="$TMPDIR/m.img" bs=1M count=4 2>/dev/null
kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--name metvm --disk "path=$TMPDIR/m.img,id=d0" --metrics-listen 127.0.0.1:9100 </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
wget -q -O "$TMPDIR/metrics" http://127.0.0.1:9100/metrics || fail fetch "wget failed"
head -30 "$TMPDIR/metrics"
# every line: a HELP/TYPE comment or `name{labels} value`; every sample's family declared first
bad=$(awk '
	/^# HELP [a-z_]+ / { help[$3] = 1; next }
	/^# TYPE [a-z_]+ (counter|gauge)$/ { type[$3] = 1; next }
	/^kasou_[a-z_]+\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\} -?[0-9.e+-]+$/ {
		split($1, a, "{"); if (!help[a[1]] || !type[a[1]]) { print "undeclared: " $0; n++ } next }
	{ print "bad line: " $0; n++ }
	END { exit n > 0 }' "$TMPDIR/metrics") && pass format || fail format "$bad"
for f in kasou_vcpu_cpu_seconds_total kasou_vcpu_exits_total kasou_disk_bytes_total kasou_memory_rss_bytes kasou_thread_cpu_seconds_total; do
	grep -q "^$f{vm=\"metvm\"" "$TMPDIR/metrics" || fail families "no $f{vm=\"metvm\",...}"
done
grep -q 'kasou_disk_bytes_total{vm="metvm",device="d0",op="read"} [1-9]' "$TMPDIR/metrics" && pass families || fail families "no disk read bytes for d0"
kasou ctl metvm halt
wait $pid
