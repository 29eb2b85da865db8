# 3584M: 3 GiB below the hole and 512 MiB above 4 GiB; the guest uses both
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --memory 3584M
#! expect-exit: 0
#! expect: LAB-PASS memtotal
#! expect: LAB-PASS highmem
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
m=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "MemTotal: $m kB"
[ "$m" -ge $((3670016 * 95 / 100)) ] && [ "$m" -le 3670016 ] && pass memtotal || fail memtotal "MemTotal $m kB not within 95-100% of 3670016 kB"
grep "System RAM" /proc/iomem
grep -q "^100000000-11fffffff : System RAM" /proc/iomem && pass highmem || fail highmem "no System RAM at 4 GiB-4.5 GiB"
