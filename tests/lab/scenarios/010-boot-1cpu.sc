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
# the RAM the kernel found (dmesg "Memory: avail/totalK") is 128 MiB less the 384 KiB
# legacy hole, within 1 MiB; MemTotal is that less the kernel's own image and tables:
# at least 128 MiB - 64 MiB - 2%
t=$(dmesg | sed -n 's/.*Memory: [0-9]*K\/\([0-9]*\)K available.*/\1/p')
m=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "RAM seen: $t kB, MemTotal: $m kB"
[ "$t" -ge $((131072 - 1024)) ] && [ "$t" -le 131072 ] && [ "$m" -ge $((131072 - 65536 - 2621)) ] && [ "$m" -le 131072 ] && pass memtotal || fail memtotal "RAM seen $t kB, MemTotal $m kB for 131072 kB"
