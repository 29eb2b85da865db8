# kasou boots the Debian bzImage with 1 vCPU and 128M; the guest sees 1 CPU
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 1 --memory 128M
#! expect-exit: 0
#! expect: LAB-PASS nproc
#! expect-re: ^MemTotal: +[0-9]+ kB
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 60
--- guest ---
n=$(nproc)
[ "$n" = 1 ] && pass nproc || fail nproc "got $n CPUs, expected 1"
grep MemTotal /proc/meminfo
