# 3G of guest RAM: below and above the 3-4 GiB hole; MemTotal close to 3 GiB, RAM above 4 GiB in the e820 map
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --memory 3G
#! expect-exit: 0
#! expect: LAB-PASS memtotal
#! expect: LAB-PASS highmem
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
m=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "MemTotal: $m kB"
# 3 GiB = 3145728 kB; the kernel keeps up to 5% (memmap, code) for itself
[ "$m" -ge $((3145728 * 95 / 100)) ] && [ "$m" -le 3145728 ] && pass memtotal || fail memtotal "MemTotal $m kB not within 95-100% of 3145728 kB"


if grep -q "^c0000000-.*System RAM" /proc/iomem; then fail highmem "RAM mapped inside the MMIO hole"; else pass highmem; fi
grep "System RAM" /proc/iomem
