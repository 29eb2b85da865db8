# reboot=t makes the guest kernel reset by triple fault: kasou logs it and treats it as a reboot
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1 reboot=t" --no-reboot
#! expect-exit: 0
#! expect: LAB-PASS triple-fault
#! expect: guest triple fault
#! expect: kasou: guest reset; exiting (--no-reboot)
#! expect-not: LAB-FAIL
#! timeout: 60
--- guest ---
pass triple-fault
reboot -f
sleep 30
fail triple-fault "still running after reboot -f"
