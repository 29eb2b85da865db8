#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the lab's L2 guest (busybox). Runs the scenario's /test.sh, then powers off.
# /test.sh comes in a second cpio concatenated after the base one; /modules.list (optional,
# from a third) names the modules to insmod first, in order. test.sh is sourced in a
# subshell and may use: pass NAME, fail NAME REASON..., and everything busybox offers.
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /proc /sys /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo "LAB-INIT"

pass() { echo "LAB-PASS $1"; }
fail() { echo "LAB-FAIL $*"; }

if [ -f /modules.list ]; then
	while read -r m; do
		[ -n "$m" ] && { insmod "$m" || fail modules "insmod $m"; }
	done </modules.list
fi
if [ -f /test.sh ]; then
	(. /test.sh)
	echo "LAB-GUEST-END rc=$?"
else
	fail init "no /test.sh in the initrd"
fi
sync
poweroff -f
