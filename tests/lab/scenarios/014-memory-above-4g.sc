# 3584M: 3 GiB below the hole and 512 MiB above 4 GiB; the guest uses both
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --memory 3584M
#! expect-exit: 0
#! expect: LAB-PASS memtotal
#! expect: LAB-PASS highmem
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
# RAM seen within 1 MiB; MemTotal at least size - 64 MiB (kernel) - 64 MiB (swiotlb, as RAM crosses 4 GiB) - 2%
t=$(dmesg | sed -n 's/.*Memory: [0-9]*K\/\([0-9]*\)K available.*/\1/p')
m=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "RAM seen: $t kB, MemTotal: $m kB"
[ "$t" -ge $((3670016 - 1024)) ] && [ "$t" -le 3670016 ] && [ "$m" -ge $((3670016 - 131072 - 73400)) ] && [ "$m" -le 3670016 ] && pass memtotal || fail memtotal "RAM seen $t kB, MemTotal $m kB for 3670016 kB"
grep "System RAM" /proc/iomem
grep -q "^100000000-11fffffff : System RAM" /proc/iomem && pass highmem || fail highmem "no System RAM at 4 GiB-4.5 GiB"
