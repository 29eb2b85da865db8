# 2 vCPUs: the guest brings up every one (nproc, /proc/cpuinfo, distinct APIC IDs, one package)
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 2 --memory 256M
#! expect-exit: 0
#! expect: LAB-PASS nproc
#! expect: LAB-PASS cpuinfo
#! expect: LAB-PASS apicids
#! expect: LAB-PASS topology
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
n=$(nproc)
[ "$n" = 2 ] && pass nproc || fail nproc "got $n CPUs, expected 2"
[ "$(cat /sys/devices/system/cpu/online)" = "0-1" ] || fail online "online: $(cat /sys/devices/system/cpu/online)"
c=$(grep -c ^processor /proc/cpuinfo)
[ "$c" = 2 ] && pass cpuinfo || fail cpuinfo "/proc/cpuinfo lists $c processors"
ids=$(awk -F': ' '/^apicid/ { print $2 }' /proc/cpuinfo | sort -n | tr '\n' ' ')
[ "$ids" = "$(seq -s ' ' 0 1) " ] && pass apicids || fail apicids "APIC IDs '$ids'"
pk=$(cat /sys/devices/system/cpu/cpu*/topology/physical_package_id | sort -u | wc -l)
cores=$(grep -m1 '^cpu cores' /proc/cpuinfo | awk -F': ' '{ print $2 }')
[ "$pk" = 1 ] && [ "$cores" = 2 ] && pass topology || fail topology "packages $pk, cpu cores '$cores'"
