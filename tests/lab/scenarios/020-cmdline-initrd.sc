# the guest sees exactly the command line and the initrd content it was given
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1 kasou.lab=cmdline-7f3a9 x=\"y z\""
#! expect-exit: 0
#! expect: LAB-PASS cmdline
#! expect: LAB-PASS initrd
#! expect: LAB-GUEST-END rc=0
#! expect-not: LAB-FAIL
#! timeout: 60
--- guest ---
c=$(cat /proc/cmdline)
[ "$c" = 'console=ttyS0 quiet panic=-1 kasou.lab=cmdline-7f3a9 x="y z"' ] && pass cmdline || fail cmdline "got '$c'"
# this marker lives only in the initrd kasou was given (this very script): initrd-marker-51c2e
grep -q "initrd-marker-51c2e" /test.sh && [ -x /bin/busybox ] && pass initrd || fail initrd "initrd content missing"
