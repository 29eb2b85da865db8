# --cpus boot=4,max=6,topology=1:1:3:2: 2 threads per core, 6 possible CPUs of which 4 online (so 2 cores online)
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus boot=4,max=6,topology=1:1:3:2 --memory 256M
#! expect-exit: 0
#! expect: LAB-PASS online
#! expect: LAB-PASS possible
#! expect: LAB-PASS threads
#! expect: LAB-PASS cores
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible
[ "$(cat /sys/devices/system/cpu/online)" = 0-3 ] && pass online || fail online "online $(cat /sys/devices/system/cpu/online)"
[ "$(cat /sys/devices/system/cpu/possible)" = 0-5 ] && pass possible || fail possible "possible $(cat /sys/devices/system/cpu/possible)"
for c in 0 1 2 3; do echo "cpu$c: core $(cat /sys/devices/system/cpu/cpu$c/topology/core_id) siblings $(cat /sys/devices/system/cpu/cpu$c/topology/thread_siblings_list)"; done
# 2 threads per core: cpu0 and cpu1 share a core, cpu2 and cpu3 the next one
s0=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)
s2=$(cat /sys/devices/system/cpu/cpu2/topology/thread_siblings_list)
case "$s0/$s2" in 0-1/2-3|0,1/2,3) pass threads ;; *) fail threads "siblings of cpu0 '$s0', cpu2 '$s2'" ;; esac
grep -m1 "^siblings" /proc/cpuinfo; grep -m1 "^cpu cores" /proc/cpuinfo
for l in 0x80000000 0x80000001 0x8000001e 0xb 0x1 0x80000008; do kbench cpuid $l 0; done
kbench cpuid 0xb 1
grep -m1 '^flags' /proc/cpuinfo
[ "$(grep -m1 '^cpu cores' /proc/cpuinfo | awk -F': ' '{ print $2 }')" = 2 ] && pass cores || fail cores "$(grep -m1 '^cpu cores' /proc/cpuinfo)"
