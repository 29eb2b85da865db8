# SPDX-License-Identifier: GPL-2.0-only
# Sourced at the top of every scenario's L1 script (inside L1, or on a native host).
# Variables: KERNEL (L2 bzImage), VMLINUX (ELF vmlinux, with "#! needs: vmlinux"),
# INITRD (base + guest modules + this scenario's /test.sh), KASOU_LINE (the "#! kasou:"
# line), KASOU (the real binary; `kasou` on PATH is it under a timeout), TIMEOUT,
# SCENARIO, SCDIR, L2_BASE, GUEST_MODULES, LAB, LAB_MODE (nested|native), TMPDIR (scratch).
# loopback: L1 scripts talk to local servers (httpd, hostfwd)
[ "$LAB_MODE" = nested ] && ip link set lo up 2>/dev/null
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
# tap_up IF ADDR/PREFIX [SECONDS]: wait for kasou to create tap IF, then address it and bring it up
tap_up() {
	_i=0
	while [ ! -e "/sys/class/net/$1" ] && [ $_i -lt "${3:-60}" ]; do sleep 0.5; _i=$((_i + 1)); done
	[ -e "/sys/class/net/$1" ] || { echo "tap_up: no interface $1"; return 1; }
	ip addr add "$2" dev "$1" && ip link set "$1" up
}
# wait_for PATTERN FILE [SECONDS] [PID]: wait until FILE has a line matching PATTERN (grep -E);
# gives up early when PID (kasou) is gone
wait_for() {
	_i=0
	while ! grep -aqE "$1" "$2" 2>/dev/null; do
		[ $_i -ge $((${3:-60} * 2)) ] && return 1
		[ -n "$4" ] && ! kill -0 "$4" 2>/dev/null && { grep -aqE "$1" "$2" 2>/dev/null; return; }
		sleep 0.5
		_i=$((_i + 1))
	done
}
