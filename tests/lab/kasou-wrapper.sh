#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# `kasou` on the lab's PATH: the real binary ($KASOU) under busybox timeout
# ($KASOU_TIMEOUT s, then SIGTERM; SIGKILL 5 s later). Says so when it had to kill.
if [ ! -x "$KASOU" ]; then
	echo "LAB-FAIL kasou-missing: no kasou binary in this lab image (build/kasou not built?)"
	exit 127
fi
t=${KASOU_TIMEOUT:-60}
read -r t0 _ </proc/uptime
busybox timeout -k 5 "$t" "$KASOU" "$@"
rc=$?
read -r t1 _ </proc/uptime
case $rc in
143|137)
	if [ "$(echo "$t0 $t1 $t" | awk '{ print ($2 - $1 >= $3) }')" = 1 ]; then
		echo "LAB-TIMEOUT kasou killed after ${t}s"
	fi ;;
esac
exit $rc
