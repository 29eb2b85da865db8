# with --no-reboot a guest reboot ends kasou with exit 0 and no second boot
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1" --no-reboot
#! expect-exit: 0
#! expect: LAB-PASS rebooting
#! expect: kasou: guest reset; exiting (--no-reboot)
#! expect-not: LAB-FAIL
#! timeout: 60
--- guest ---
pass rebooting
reboot -f
sleep 30
fail rebooting "still running after reboot -f"
