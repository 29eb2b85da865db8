# SPDX-License-Identifier: GPL-2.0-only
# Sourced at the top of every scenario's L1 script (inside L1, or on a native host).
# Variables: KERNEL (L2 bzImage), VMLINUX (ELF vmlinux, with "#! needs: vmlinux"),
# INITRD (base + guest modules + this scenario's /test.sh), KASOU_LINE (the "#! kasou:"
# line), KASOU (the real binary; `kasou` on PATH is it under a timeout), TIMEOUT,
# SCENARIO, SCDIR, L2_BASE, GUEST_MODULES, LAB, LAB_MODE (nested|native), TMPDIR (scratch).
pass() { echo "LAB-PASS $*"; }
fail() { echo "LAB-FAIL $*"; }
# guest_initrd OUT: make another L2 initrd whose /test.sh is read from stdin
guest_initrd() {
	_gd=$(mktemp -d) || return 1
	cat >"$_gd/test.sh"
	(cd "$_gd" && echo test.sh | busybox cpio -o -H newc 2>/dev/null) >"$_gd/t.cpio"
	cat "$L2_BASE" "$GUEST_MODULES" "$_gd/t.cpio" >"$1" 2>/dev/null
	rm -rf "$_gd"
}
