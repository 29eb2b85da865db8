# a guest that executes from unbacked guest memory: KVM internal error -> exit 3 with a register dump
#! expect-exit: 0
#! expect: LAB-PASS internal-error
#! expect-not: LAB-FAIL
#! timeout: 60
--- l1 ---
# patch the bzImage's 64-bit entry (protected-mode start + 0x200) with
#   mov eax, 0xd0000000 ; jmp rax      -> instruction fetch from the MMIO hole
cp "$KERNEL" "$TMPDIR/bad"
ss=$(dd if="$KERNEL" bs=1 skip=497 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
[ "$ss" = 0 ] && ss=4
off=$(((ss + 1) * 512 + 512))
printf '\270\000\000\000\320\377\340' | dd of="$TMPDIR/bad" bs=1 seek=$off conv=notrunc 2>/dev/null
out=$(kasou run --kernel "$TMPDIR/bad" --cmdline "console=ttyS0" </dev/null 2>&1)
rc=$?
echo "$out"
if [ $rc = 3 ] && echo "$out" | grep -q "rip=" && echo "$out" | grep -qE "KVM internal error|entry failed|unexpected KVM exit"; then
	pass internal-error
else
	fail internal-error "exit $rc"
fi
