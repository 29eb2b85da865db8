# 3G of guest RAM: below and above the 3-4 GiB hole; MemTotal close to 3 GiB, RAM above 4 GiB in the e820 map
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --memory 3G
#! expect-exit: 0
#! expect: LAB-PASS memtotal
#! expect: LAB-PASS highmem
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
# RAM seen within 1 MiB of 3 GiB; MemTotal at least 3 GiB - 64 MiB - 2% (kernel, memmap)
t=$(dmesg | sed -n 's/.*Memory: [0-9]*K\/\([0-9]*\)K available.*/\1/p')
m=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "RAM seen: $t kB, MemTotal: $m kB"
[ "$t" -ge $((3145728 - 1024)) ] && [ "$t" -le 3145728 ] && [ "$m" -ge $((3145728 - 65536 - 62914)) ] && [ "$m" -le 3145728 ] && pass memtotal || fail memtotal "RAM seen $t kB, MemTotal $m kB for 3145728 kB"


if grep -q "^c0000000-.*System RAM" /proc/iomem; then fail highmem "RAM mapped inside the MMIO hole"; else pass highmem; fi
grep "System RAM" /proc/iomem
