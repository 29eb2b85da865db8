# --numa: the guest sees two NUMA nodes with their CPUs, memory and distances (SRAT/SLIT)
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 2 --memory 384M --numa node=0,cpus=0,memory=256M --numa node=1,cpus=1,memory=128M,distance=0@21
#! expect-exit: 0
#! expect: LAB-PASS nodes
#! expect: LAB-PASS cpus
#! expect: LAB-PASS memory
#! expect: LAB-PASS distance
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
ls -d /sys/devices/system/node/node*
[ -d /sys/devices/system/node/node1 ] && [ ! -d /sys/devices/system/node/node2 ] && pass nodes || fail nodes "$(ls -d /sys/devices/system/node/node*)"
c0=$(cat /sys/devices/system/node/node0/cpulist) c1=$(cat /sys/devices/system/node/node1/cpulist)
[ "$c0" = 0 ] && [ "$c1" = 1 ] && pass cpus || fail cpus "node0 cpus '$c0', node1 cpus '$c1'"
# the node's pages reach its MemTotal as the kernel's late memory init finishes (seen 83 MiB
# of 128 at a fast /init, 125.5 MiB a moment later): wait up to 10 s for it to settle
i=0
while :; do
	m1=$(awk '/MemTotal/ { print $4 }' /sys/devices/system/node/node1/meminfo)
	[ "${m1:-0}" -ge 100000 ] || [ $i -ge 100 ] && break
	sleep 0.1
	i=$((i + 1))
done
echo "node1 MemTotal $m1 kB (after $i x 0.1 s)"
[ "${m1:-0}" -ge 100000 ] && [ "${m1:-0}" -le 131072 ] && pass memory || fail memory "node1 has $m1 kB of 131072"
d=$(cat /sys/devices/system/node/node1/distance)
[ "$d" = "21 10" ] && pass distance || fail distance "node1 distance '$d'"
