# bad input gets one clear line and a non-zero exit, never a crash (exit codes and messages checked)
#! expect-exit: 0
#! expect: LAB-PASS all-bad-inputs
#! expect-not: LAB-FAIL
#! timeout: 120
--- l1 ---
bad=0
# expect_err NAME RC MESSAGE ARGS...: kasou exits RC, its first line is "kasou: ...MESSAGE..."
# and, for host errors (RC 1), that line is all it prints
expect_err() {
	name=$1 rc=$2 msg=$3
	shift 3
	out=$(kasou "$@" 2>&1 </dev/null)
	got=$?
	first=$(echo "$out" | head -n 1)
	lines=$(echo "$out" | wc -l)
	if [ "$got" != "$rc" ]; then
		fail "$name" "exit $got, expected $rc: $out"
	elif ! echo "$first" | grep -qF "kasou: " || ! echo "$first" | grep -qF -- "$msg"; then
		fail "$name" "first line '$first' lacks '$msg'"
	elif [ "$rc" = 1 ] && [ "$lines" != 1 ]; then
		fail "$name" "$lines lines of output, expected one: $out"
	else
		pass "$name"
		return 0
	fi
	bad=$((bad + 1))
}
I="--initrd $INITRD"
expect_err missing-kernel 1 "kernel '/nonexistent': No such file or directory" run --kernel /nonexistent
expect_err kernel-is-dir 1 "kernel '/tmp': Is a directory" run --kernel /tmp
expect_err kernel-not-regular 1 "kernel '/dev/null': not a regular file" run --kernel /dev/null
for i in $(seq 200); do echo "just some text, not a kernel"; done >"$TMPDIR/text"
expect_err not-a-kernel 1 "not a Linux kernel image" run --kernel "$TMPDIR/text"
: >"$TMPDIR/empty"
expect_err empty-file 1 "too short to be a Linux kernel" run --kernel "$TMPDIR/empty"
expect_err elf-not-kernel 1 "is not loadable" run --kernel "$KASOU"
# the real bzImage with its protocol version patched to 2.05
cp "$KERNEL" "$TMPDIR/old"
printf '\005\002' | dd of="$TMPDIR/old" bs=1 seek=518 conv=notrunc 2>/dev/null
expect_err old-protocol 1 "boot protocol 2.05 is too old" run --kernel "$TMPDIR/old"
head -c 100000 "$KERNEL" >"$TMPDIR/trunc"
expect_err truncated-kernel 1 "truncated kernel" run --kernel "$TMPDIR/trunc"
expect_err missing-initrd 1 "initrd '/nonexistent': No such file or directory" run --kernel "$KERNEL" --initrd /nonexistent
dd if=/dev/zero of="$TMPDIR/big" bs=1M count=100 2>/dev/null
expect_err initrd-too-big 1 "does not fit in guest memory" run --kernel "$KERNEL" --initrd "$TMPDIR/big" --memory 64M
# fits in 128M by size, but not above the kernel (which needs ~80M to boot)
expect_err initrd-no-room 1 "does not fit in guest memory" run --kernel "$KERNEL" --initrd "$TMPDIR/big" --memory 128M
long=$(head -c 3000 /dev/zero | tr '\0' a)
expect_err cmdline-too-long 1 "command line too long: 3000 bytes" run --kernel "$KERNEL" --cmdline "$long"
expect_err memory-too-small 2 "--memory 8M: too small" run --kernel "$KERNEL" --memory 8M
expect_err memory-for-kernel 1 "too small for this kernel" run --kernel "$KERNEL" $I --memory 24M
expect_err memory-malformed 2 "--memory '12Q': not a size" run --kernel "$KERNEL" --memory 12Q
expect_err memory-too-large 1 "is more than this host has" run --kernel "$KERNEL" --memory 1T
expect_err cpus-zero 2 "--cpus 0: must be between 1 and 255" run --kernel "$KERNEL" --cpus 0
expect_err cpus-too-many 2 "--cpus 300: must be between 1 and 255" run --kernel "$KERNEL" --cpus 300
expect_err unknown-option 2 "unknown option '--bogus'" run --kernel "$KERNEL" --bogus
kasou run --bogus 2>&1 | grep -q "usage: kasou run" && pass usage-shown || { fail usage-shown "no usage text"; bad=$((bad + 1)); }
expect_err unknown-command 2 "unknown command 'fly'" fly
# no /dev/kvm, then no permission on it
mv /dev/kvm /dev/kvm.away
expect_err no-dev-kvm 1 "/dev/kvm not available" run --kernel "$KERNEL" $I
mv /dev/kvm.away /dev/kvm
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>/etc/passwd
chmod 600 /dev/kvm
out=$(su -s /bin/sh nobody -c "$KASOU run --kernel $KERNEL 2>&1" </dev/null)
rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "no permission to open /dev/kvm: add your user to the 'kvm' group"; then
	pass kvm-permission
else
	fail kvm-permission "rc=$rc: $out"
	bad=$((bad + 1))
fi
chmod 666 /dev/kvm
[ $bad = 0 ] && pass all-bad-inputs
