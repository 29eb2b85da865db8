# two VMs run one after the other from the same L1, each boots and powers off cleanly
#! expect-exit: 0
#! expect: LAB-PASS vm1
#! expect: LAB-PASS vm2
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
echo "guest $(cat /proc/cmdline | tr ' ' '\n' | grep ^lab.vm=)"
--- l1 ---
for i in 1 2; do
	out=$(kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1 lab.vm=$i" --name vm$i </dev/null 2>&1)
	rc=$?
	echo "$out"
	if [ $rc = 0 ] && echo "$out" | grep -q "guest lab.vm=$i" && echo "$out" | grep -q "LAB-GUEST-END rc=0"; then
		pass vm$i
	else
		fail vm$i "rc=$rc"
	fi
done
