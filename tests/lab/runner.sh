#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The L1-side scenario runner: the same script runs inside L1 (nested lab) and on a host
# with usable KVM (native). For each scenario named in $LAB/batch.list it writes to $LAB_OUT
#   @@LAB <nonce> BEGIN <name>
#   ...everything the scenario's L1 script and kasou print (stdout and stderr)...
#   @@LAB <nonce> END <name> rc=<status> t=<seconds>
# The host (tests/lab/run.sh) checks the expectations. Needs: LAB LAB_MODE LAB_OUT LAB_NONCE;
# optional: LAB_TMP (scratch for the work directories), LAB_SCRATCH (a directory on a real
# file system; each scenario gets $SCRATCH below it).
# A scenario runs in its own session under a watchdog: after $TIMEOUT s its whole process
# group gets SIGTERM, 5 s later SIGKILL, and "LAB-TIMEOUT" is printed.

uptime_s() { read -r u _ </proc/uptime; echo "$u"; }
emit() { echo "@@LAB $LAB_NONCE $*" >>"$LAB_OUT"; }
kmsg() { [ "$LAB_MODE" = nested ] && echo "<2>kasou-lab: $*" >/dev/kmsg 2>/dev/null; :; }

scratch=${LAB_TMP:-/tmp/lab}
mkdir -p "$scratch"

while read -r name; do
	[ -n "$name" ] || continue
	sc=$LAB/sc/$name
	work=$scratch/$name
	rm -rf "$work"
	mkdir -p "$work"
	emit "BEGIN $name"
	kmsg "begin $name"
	t0=$(uptime_s)
	# per-scenario extra L1 modules (nested only; a native host loads its own)
	if [ "$LAB_MODE" = nested ] && [ -f "$sc/l1-modules.list" ]; then
		while read -r m; do
			[ -n "$m" ] || continue
			insmod "$m" 2>/dev/null || grep -q "^$(basename "${m%.ko}" | tr - _) " /proc/modules ||
				echo "LAB-FAIL l1-modules insmod $m failed"
		done <"$sc/l1-modules.list" >>"$LAB_OUT" 2>&1
	fi
	cat "$LAB/l2-base.cpio" "$sc/guest-modules.cpio" "$sc/test.cpio" >"$work/initrd" 2>/dev/null

	TIMEOUT=60 KASOU_TIMEOUT='' KASOU_LINE=''
	. "$sc/env"
	# each kasou run stops 5 s before the scenario's watchdog, so it can say so itself
	[ -n "$KASOU_TIMEOUT" ] || KASOU_TIMEOUT=$((TIMEOUT > 10 ? TIMEOUT - 5 : TIMEOUT))
	# a directory on a real file system (O_DIRECT works), when the lab has one
	SCRATCH=
	if [ -n "${LAB_SCRATCH:-}" ] && [ -d "$LAB_SCRATCH" ]; then
		SCRATCH=$LAB_SCRATCH/$name
		rm -rf "$SCRATCH"
		mkdir -p "$SCRATCH"
	fi
	rm -f "$work/.timeout"
	(
		export LAB LAB_MODE SCENARIO="$name" SCDIR="$sc" TIMEOUT KASOU_LINE
		export KERNEL="$LAB/bzImage" VMLINUX="$LAB/vmlinux" INITRD="$work/initrd"
		export L2_BASE="$LAB/l2-base.cpio" GUEST_MODULES="$sc/guest-modules.cpio"
		export KASOU="$LAB/kasou-bin/kasou" KASOU_TIMEOUT TMPDIR="$work" SCRATCH
		# each scenario's API sockets apart from the others' (a scenario may set its own)
		export KASOU_API_DIR="$work/api"
		export PATH="$LAB/bin:$PATH"
		cd "$work" && exec busybox setsid busybox sh "$sc/l1.sh"
	) </dev/null >>"$LAB_OUT" 2>&1 &
	pid=$!
	busybox setsid sh -c "sleep $TIMEOUT; touch '$work/.timeout'; kill -TERM -$pid; sleep 5; kill -KILL -$pid" \
		</dev/null >/dev/null 2>&1 &
	wd=$!
	wait $pid
	rc=$?
	kill -KILL -$wd 2>/dev/null
	wait $wd 2>/dev/null
	kill -KILL -$pid 2>/dev/null # leftovers of the scenario's process group
	# a kasou still exiting (a slow L1 tears a VM down slowly) must not meet the next
	# scenario's (its API socket, its disk): L1 is the lab's own, so wait for every one
	if [ "$LAB_MODE" = nested ]; then
		_n=0
		while [ $_n -lt 100 ]; do
			left=
			for p in /proc/[0-9]*; do
				[ "$(cat "$p/comm" 2>/dev/null)" = kasou ] && left="$left ${p#/proc/}"
			done
			[ -z "$left" ] && break
			[ $_n = 0 ] && echo "LAB-NOTE kasou still running after the scenario:$left" >>"$LAB_OUT"
			kill -KILL $left 2>/dev/null
			sleep 0.2
			_n=$((_n + 1))
		done
	fi
	[ -f "$work/.timeout" ] && echo "LAB-TIMEOUT scenario $name exceeded ${TIMEOUT}s" >>"$LAB_OUT"
	t1=$(uptime_s)
	kmsg "end $name rc=$rc"
	emit "END $name rc=$rc t=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')"
	rm -rf "$work"
	[ -n "$SCRATCH" ] && rm -rf "$SCRATCH"
done <"$LAB/batch.list"
