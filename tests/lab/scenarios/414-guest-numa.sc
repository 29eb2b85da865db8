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
# KASLR may put the kernel image (~45 MiB: code, data, bss) in node1 (256M-384M); those pages
# are reserved and not in the node's MemTotal, so count them back from /proc/iomem (the span
# includes the init sections freed after boot: up to 8 MiB more then)
m1=$(awk '/MemTotal/ { print $4 }' /sys/devices/system/node/node1/meminfo)
ks=$(awk '/Kernel code/ { split($1, a, "-"); print a[1]; exit }' /proc/iomem)
ke=$(awk '/Kernel bss/ { split($1, a, "-"); print a[2]; exit }' /proc/iomem)
kimg=0
[ -n "$ks" ] && [ $((0x$ks)) -ge $((0x10000000)) ] && [ $((0x$ks)) -lt $((0x18000000)) ] &&
	kimg=$(((0x$ke - 0x$ks + 1) / 1024))
echo "node1 MemTotal $m1 kB, kernel image 0x$ks-0x$ke ($kimg kB of it counted on node1)"
m=$((${m1:-0} + kimg)) max=131072
[ $kimg -gt 0 ] && max=$((131072 + 8192))
if [ $m -ge 126000 ] && [ $m -le $max ]; then
	pass memory
else
	fail memory "node1 has $m1 kB (+$kimg kB kernel image) of 131072"
	cat /sys/devices/system/node/node*/meminfo /proc/meminfo /proc/iomem
	grep -E "^Node|present|managed|spanned" /proc/zoneinfo
	dmesg | grep -iE "memory|freeing|initrd|reserve|node"
fi
d=$(cat /sys/devices/system/node/node1/distance)
[ "$d" = "21 10" ] && pass distance || fail distance "node1 distance '$d'"
