# kasou boots the Debian bzImage with 1 vCPU and 128M; the guest sees 1 CPU and ~128M
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 1 --memory 128M
#! expect-exit: 0
#! expect: LAB-PASS nproc
#! expect: LAB-PASS cpuinfo
#! expect: LAB-PASS memtotal
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 60
--- guest ---
n=$(nproc)
[ "$n" = 1 ] && pass nproc || fail nproc "got $n CPUs, expected 1"
c=$(grep -c ^processor /proc/cpuinfo)
[ "$c" = 1 ] && pass cpuinfo || fail cpuinfo "/proc/cpuinfo lists $c processors"
# MemTotal excludes what the kernel reserves for itself: accept 85-100% of 128 MiB
m=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "MemTotal: $m kB"
[ "$m" -ge $((131072 * 85 / 100)) ] && [ "$m" -le 131072 ] && pass memtotal || fail memtotal "MemTotal $m kB not within 85-100% of 131072 kB"
