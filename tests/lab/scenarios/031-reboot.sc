# guest reboot restarts the VM: a second boot is observed (CMOS NVRAM survives the reset), then poweroff ends kasou with 0
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 quiet panic=-1"
#! expect-exit: 0
#! expect: LAB-PASS first-boot
#! expect: kasou: guest reset; rebooting
#! expect: LAB-PASS second-boot
#! expect-not: LAB-FAIL
#! boots: 2
#! timeout: 120
--- guest ---
# CMOS byte 0x40 (port 0x70 index, 0x71 data) marks the first boot
cmos_set() { printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=112 count=1 2>/dev/null; printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek=113 count=1 2>/dev/null; }
cmos_get() { printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=112 count=1 2>/dev/null; dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' '; }
if [ "$(cmos_get 64)" = 90 ]; then
	pass second-boot
	cmos_set 64 0
else
	cmos_set 64 90
	[ "$(cmos_get 64)" = 90 ] || fail cmos "NVRAM write did not stick"
	pass first-boot
	reboot -f
	sleep 30
	fail first-boot "still running after reboot -f"
fi
