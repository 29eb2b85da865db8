# guest poweroff ends kasou with exit 0, no reboot
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1"
#! expect-exit: 0
#! expect: LAB-PASS about-to-poweroff
#! expect: reboot: Power down
#! expect-not: rebooting
#! expect-not: LAB-FAIL
#! timeout: 60
--- guest ---
pass about-to-poweroff
poweroff -f
