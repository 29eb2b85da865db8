# model=base hides newer CPU features (BMI1, leaf 7) that model=host passes through
#! expect-exit: 0
#! expect: LAB-PASS host-has-bmi1
#! expect: LAB-PASS base-hides-bmi1
#! expect-not: LAB-FAIL
#! timeout: 120
--- guest ---
set -- $(cat /proc/cmdline)
for a; do case $a in lab.model=*) model=${a#lab.model=} ;; esac; done
flags=$(grep -m1 '^flags' /proc/cpuinfo)
if echo "$flags" | grep -qw bmi1; then echo "LAB-BMI1 $model yes"; else echo "LAB-BMI1 $model no"; fi
echo "$flags" | grep -qw sse4_2 || fail sse42 "$model lacks sse4_2"
--- l1 ---
for m in host base; do
	kasou run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1 lab.model=$m" \
		--cpus boot=1,model=$m,pmu=off </dev/null >"$TMPDIR/$m" 2>&1
	cat "$TMPDIR/$m"
done
grep -q "LAB-BMI1 host yes" "$TMPDIR/host" && pass host-has-bmi1 || fail host-has-bmi1 "L1's CPU (EPYC) has BMI1; model=host should pass it through"
grep -q "LAB-BMI1 base no" "$TMPDIR/base" && pass base-hides-bmi1 || fail base-hides-bmi1 "model=base still shows BMI1"
