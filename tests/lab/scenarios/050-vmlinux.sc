# the ELF vmlinux (uncompressed kernel) boots through its 64-bit entry
#! needs: vmlinux
#! kasou: run --kernel $VMLINUX --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --cpus 2
#! expect-exit: 0
#! expect: LAB-PASS vmlinux-boot
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 90
--- guest ---
[ "$(nproc)" = 2 ] && pass vmlinux-boot || fail vmlinux-boot "nproc $(nproc)"
