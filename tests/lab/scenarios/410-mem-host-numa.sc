# host NUMA placement: --memory host-nodes=1,numa-policy=bind puts the guest's RAM on L1's node 1 (numa_maps)
#! l1-qemu: -object memory-backend-ram,id=m0,size=2048M -numa node,nodeid=0,cpus=0,memdev=m0 -object memory-backend-ram,id=m1,size=2048M -numa node,nodeid=1,cpus=1,memdev=m1
#! expect-exit: 0
#! expect: LAB-PASS two-nodes
#! expect: LAB-PASS on-node1
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
echo LAB-READY
sleep 30
--- l1 ---
[ -d /sys/devices/system/node/node1 ] && pass two-nodes || fail two-nodes "L1 has no node 1"
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--memory size=256M,host-nodes=1,numa-policy=bind,prefault=on --api-socket none </dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
# numa_maps does not name anonymous mappings: the guest RAM is the 256 MiB one in maps
start=
while read -r range _; do
	a=${range%-*} b=${range#*-}
	[ $((0x$b - 0x$a)) -eq 268435456 ] && start=$(echo $a | sed 's/^0*//')
done </proc/$pid/maps
line=$(grep "^0*$start " /proc/$pid/numa_maps)
echo "$line"
n0=$(echo "$line" | tr ' ' '\n' | sed -n 's/^N0=//p')
n1=$(echo "$line" | tr ' ' '\n' | sed -n 's/^N1=//p')
echo "$line" | grep -q "bind:1" && [ "${n1:-0}" -gt 0 ] && [ -z "$n0" ] && pass on-node1 || fail on-node1 "policy/pages: $line"
kill -INT $pid
wait $pid
true
