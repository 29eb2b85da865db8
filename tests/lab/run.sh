#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/lab/run.sh [--demo] [SCENARIO-GLOB | FILE.sc ...]
#
# Runs the lab scenarios (tests/lab/scenarios/*.sc; see tests/lab/README.md) and prints one
# line each: "PASS lab/NAME", "FAIL lab/NAME: reason" (+ the end of its log) or
# "SKIP lab/NAME: reason". Exit status 1 when anything failed.
#
# Nested (the default here): batches of up to $LAB_BATCH scenarios run in one L1 — a Debian
# kernel under QEMU TCG with nested SVM — and kasou runs inside L1. Results come back on L1's
# second serial port, apart from its kernel console. Native (when the host has svm/vmx and a
# read-write /dev/kvm, or KASOU_LAB=native): the same runner runs on the host, without QEMU.
# A lab fault (L1/L2 panic, RCU stall, soft lockup, L1 dying or hanging, an unexpected L2
# reset) reruns the affected scenario once in a fresh L1; kasou's own failures never rerun.
#
# --demo: boot the demo guest (tests/lab/demo.sc) and stream its console to the terminal.
#
# Environment: KASOU (binary, default $BUILD/kasou), BUILD (build), KASOU_LAB=native|nested, LAB_BATCH (6),
# LAB_BUILD (build/lab), LAB_L1_MEM (4096), LAB_L1_BOOT_TIMEOUT (s, 180), LAB_EXTRA_CPIO
# (cpio archives to add to L1's initramfs, e.g. tools for a peer comparison), LAB_LOCK
# (/tmp/kasou-lab.lock: lab runs on one machine take turns), LAB_SCRATCH_SIZE (4G),
# LAB_SCRATCH_DIR (native: where $SCRATCH directories go; build/lab/native-scratch).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
export LAB_BUILD=${LAB_BUILD:-$BUILD_DIR/lab}
IMG=$LAB_BUILD/img
KDIR=$LAB_BUILD/kernel
KASOU_BIN=${KASOU:-$BUILD_DIR/kasou}
BATCH_SIZE=${LAB_BATCH:-6}
L1_MEM=${LAB_L1_MEM:-4096}
L1_BOOT_TIMEOUT=${LAB_L1_BOOT_TIMEOUT:-180}
FAULT_RE='Kernel panic|stack guard page|self-detected stall|rcu: INFO|soft lockup'
CRASH_RC=" 132 133 134 135 136 139 "

DEMO=0
ARGS=()
for a in "$@"; do
	case $a in
	--demo) DEMO=1 ;;
	-h | --help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
	*) ARGS+=("$a") ;;
	esac
done

say() { echo "lab: $*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; } # shell single-quote

mode() {
	case ${KASOU_LAB:-} in
	native | nested) echo "$KASOU_LAB"; return ;;
	"") ;;
	*) echo "run.sh: KASOU_LAB must be native or nested" >&2; exit 2 ;;
	esac
	if grep -qwE 'svm|vmx' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		echo native
	else
		echo nested
	fi
}
MODE=$(mode)

# ---------------------------------------------------------------- scenario selection
SCEN_FILES=()
if [ $DEMO = 1 ]; then
	SCEN_FILES=("$HERE/demo.sc")
elif [ ${#ARGS[@]} -eq 0 ]; then
	SCEN_FILES=("$HERE"/scenarios/*.sc)
else
	for f in "$HERE"/scenarios/*.sc; do
		n=$(basename "$f" .sc)
		for g in "${ARGS[@]}"; do
			case $g in *.sc) continue ;; esac
			# shellcheck disable=SC2053
			if [[ $n == $g ]]; then SCEN_FILES+=("$f"); break; fi
		done
	done
	for g in "${ARGS[@]}"; do
		case $g in *.sc) [ -f "$g" ] && SCEN_FILES+=("$(cd "$(dirname "$g")" && pwd)/$(basename "$g")") ||
			{ echo "run.sh: no such scenario file: $g" >&2; exit 2; } ;;
		esac
	done
fi
if [ ${#SCEN_FILES[@]} -eq 0 ] || [ ! -f "${SCEN_FILES[0]}" ]; then
	echo "run.sh: no scenario matches ${ARGS[*]:-(none in $HERE/scenarios)}" >&2
	exit 2
fi

NFAIL=0
result() { # result KIND NAME [REASON]
	case $1 in
	PASS) echo "PASS lab/$2" ;;
	FAIL) echo "FAIL lab/$2: $3"; NFAIL=$((NFAIL + 1)) ;;
	SKIP) echo "SKIP lab/$2: $3" ;;
	esac
}
skip_all() {
	local f
	for f in "${SCEN_FILES[@]}"; do result SKIP "$(basename "$f" .sc)" "$1"; done
	exit 0
}

# ---------------------------------------------------------------- prerequisites
need=(cpio modprobe dpkg-deb apt-get)
[ "$MODE" = nested ] && need+=(qemu-system-x86_64)
missing=()
for t in "${need[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[ -x /bin/busybox ] || missing+=(busybox)
[ ${#missing[@]} -eq 0 ] || skip_all "lab tools missing: ${missing[*]} (run scripts/deps.sh lab)"

# One lab run at a time on this machine: one L1 QEMU fills its 2 cores, and runs sharing
# $LAB_BUILD would overwrite each other's files.
LOCK=${LAB_LOCK:-/tmp/kasou-lab.lock}
exec 9>>"$LOCK"
if ! flock -n 9; then
	say "waiting for another lab run to finish (lock $LOCK)..."
	flock 9
fi

[ $DEMO = 1 ] && say "building lab image..."
t_img0=$(now)
mkdir -p "$LAB_BUILD"
"$HERE/mkimage.sh" base || skip_all "cannot build the lab images (see above)"
export LAB_KERNEL_READY=1
K=$(cat "$KDIR/K")
if [ -x "$KASOU_BIN" ]; then
	# a snapshot, so that a rebuild during the run cannot change or remove it midway
	cp "$KASOU_BIN" "$LAB_BUILD/kasou.tmp" && mv "$LAB_BUILD/kasou.tmp" "$LAB_BUILD/kasou" || exit 1
	KASOU_BIN=$LAB_BUILD/kasou
	"$HERE/mkimage.sh" kasou "$KASOU_BIN" || exit 1
elif [ $DEMO = 1 ]; then
	say "$KASOU_BIN not found: build it first (make)"
	exit 1
else
	echo "lab: WARNING: $KASOU_BIN not found (run make); scenarios that run kasou will fail"
fi

# ---------------------------------------------------------------- scenario parsing
# Each scenario is staged in $LAB_BUILD/sc/NAME: env, l1.sh, test.cpio, guest-modules.cpio,
# l1-modules.cpio (+ l1-modules.names), expect (host-side checks: KIND<TAB>TEXT).
declare -A S_EXIT S_TIMEOUT S_BOOTS S_KEY S_VMLINUX S_SCRATCH S_NVME S_ERR S_SKIP S_TRIES
NAMES=()
NEED_VMLINUX=0
NEED_SCRATCH=0

parse() { # parse FILE NAME DIR
	local file=$1 name=$2 dir=$3 line section=header lineno=0 key val
	local kline="" exitc=0 timeout=60 ktimeout="" boots="" l1mods="" gmods="" l1qemu="" l1cmd=""
	local have_l1=0 err="" skip=""
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/expect"
	: >"$dir/test.sh"
	: >"$dir/l1.body"
	S_VMLINUX[$name]=0
	S_SCRATCH[$name]=0
	S_NVME[$name]=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case $section:$line in
		*:"--- guest ---") section=guest; continue ;;
		*:"--- l1 ---") section=l1; have_l1=1; continue ;;
		guest:*) printf '%s\n' "$line" >>"$dir/test.sh"; continue ;;
		l1:*) printf '%s\n' "$line" >>"$dir/l1.body"; continue ;;
		esac
		case $line in
		"#!"*)
			line=${line#\#!}
			[[ $line == *:* ]] || { err="line $lineno: '#!' needs KEY: VALUE"; break; }
			key=$(echo "${line%%:*}" | tr -d ' \t')
			val=${line#*:}
			val=${val#"${val%%[![:space:]]*}"}
			case $key in
			kasou) kline=$val ;;
			expect-exit) exitc=$val ;;
			expect) printf 'lit\t%s\n' "$val" >>"$dir/expect" ;;
			expect-re) printf 're\t%s\n' "$val" >>"$dir/expect" ;;
			expect-not) printf 'not\t%s\n' "$val" >>"$dir/expect" ;;
			expect-not-re) printf 'notre\t%s\n' "$val" >>"$dir/expect" ;;
			timeout) timeout=$val ;;
			kasou-timeout) ktimeout=$val ;;
			boots) boots=$val ;;
			needs)
				for w in $val; do
					case $w in
					vmlinux) S_VMLINUX[$name]=1 ;;
					scratch) S_SCRATCH[$name]=1 ;;
					nvme) S_NVME[$name]=1 ;;
					*) err="line $lineno: unknown need '$w'" ;;
					esac
				done ;;
			l1-modules) l1mods="$l1mods $val" ;;
			guest-modules) gmods="$gmods $val" ;;
			l1-qemu) l1qemu="$l1qemu $val" ;;
			l1-cmdline) l1cmd="$l1cmd $val" ;;
			skip) skip=${val:-skipped} ;;
			*) err="line $lineno: unknown directive '$key'" ;;
			esac ;;
		"#"* | "") ;;
		*) err="line $lineno: text outside a '--- guest ---' or '--- l1 ---' section" ;;
		esac
		[ -n "$err" ] && break
	done <"$file"
	[[ $exitc =~ ^[0-9]+$ ]] || err=${err:-"expect-exit must be a number"}
	[[ $timeout =~ ^[0-9]+$ ]] || err=${err:-"timeout must be a number of seconds"}
	[[ -z $ktimeout || $ktimeout =~ ^[0-9]+$ ]] || err=${err:-"kasou-timeout must be a number"}
	[[ -z $boots || $boots =~ ^[0-9]+$ ]] || err=${err:-"boots must be a number"}
	[ $have_l1 = 1 ] || [ -n "$kline" ] || err=${err:-"neither a '#! kasou:' line nor an '--- l1 ---' section"}
	S_ERR[$name]=$err
	S_SKIP[$name]=$skip
	[ -n "$err" ] || [ -n "$skip" ] && return 0

	S_EXIT[$name]=$exitc
	S_TIMEOUT[$name]=$timeout
	# without an l1 script there is one kasou run booting one guest: a second LAB-INIT is a reset
	S_BOOTS[$name]=${boots:-$([ $have_l1 = 1 ] || echo 1)}
	# L1's hardware and cmdline: scenarios run in one L1 only when these are the same
	S_KEY[$name]="$l1qemu|$l1cmd|${S_NVME[$name]}"
	{
		echo "TIMEOUT=$timeout"
		echo "KASOU_TIMEOUT=$ktimeout"
		echo "KASOU_LINE=$(sq "$kline")"
	} >"$dir/env"
	{
		echo '#!/bin/sh'
		echo '. "$LAB/l1-lib.sh"'
		if [ $have_l1 = 1 ]; then cat "$dir/l1.body"; else echo 'eval "kasou $KASOU_LINE"'; fi
	} >"$dir/l1.sh"
	# the archives are cached: rebuilt when the scenario, mkimage.sh or the kernel changes
	local h
	h=$(cat "$file" "$HERE/mkimage.sh" "$KDIR/STAMP" | sha256sum | cut -d' ' -f1)
	if [ -f "$dir/../$name.hash" ] && [ "$(cat "$dir/../$name.hash")" = "$h" ] &&
		[ -f "$dir/../$name.cache/test.cpio" ]; then
		cp "$dir/../$name.cache"/* "$dir/"
		return 0
	fi
	rm -f "$dir/../$name.hash"
	"$HERE/mkimage.sh" guest "$dir/test.cpio" "$dir/test.sh" || { S_ERR[$name]="cannot pack test.sh"; return 0; }
	# shellcheck disable=SC2086
	"$HERE/mkimage.sh" modules "$dir/guest-modules.cpio" modules.list $gmods ||
		{ S_ERR[$name]="guest-modules: cannot resolve$gmods"; return 0; }
	# shellcheck disable=SC2086
	"$HERE/mkimage.sh" modules "$dir/l1-modules.cpio" "lab/sc/$name/l1-modules.list" $l1mods ||
		{ S_ERR[$name]="l1-modules: cannot resolve$l1mods"; return 0; }
	echo $l1mods >"$dir/l1-modules.names"
	rm -rf "$dir/../$name.cache"
	mkdir -p "$dir/../$name.cache"
	cp "$dir"/{test.cpio,guest-modules.cpio,l1-modules.cpio,l1-modules.names} "$dir/../$name.cache/"
	echo "$h" >"$dir/../$name.hash"
}

for f in "${SCEN_FILES[@]}"; do
	n=$(basename "$f" .sc)
	parse "$f" "$n" "$LAB_BUILD/sc/$n"
	if [ -n "${S_ERR[$n]}" ]; then
		result FAIL "$n" "bad scenario: ${S_ERR[$n]}"
	elif [ -n "${S_SKIP[$n]}" ]; then
		result SKIP "$n" "${S_SKIP[$n]}"
	else
		NAMES+=("$n")
		S_TRIES[$n]=0
		[ "${S_VMLINUX[$n]}" = 1 ] && NEED_VMLINUX=1
		[ "${S_SCRATCH[$n]}" = 1 ] && NEED_SCRATCH=1
	fi
done
if [ $NEED_VMLINUX = 1 ]; then "$HERE/mkimage.sh" vmlinux || exit 1; fi
if [ $NEED_SCRATCH = 1 ] && [ "$MODE" = nested ]; then "$HERE/mkimage.sh" scratch-modules || exit 1; fi
T_IMAGES=$(elapsed "$t_img0" "$(now)")
[ ${#NAMES[@]} -eq 0 ] && exit $((NFAIL > 0))
# this run's batches are numbered from 1: drop the files of earlier runs
rm -f "$LAB_BUILD"/l1-*.console "$LAB_BUILD"/l1-*.results "$LAB_BUILD"/l1-*.qemu.log "$LAB_BUILD"/native-*.log
rm -f "$LAB_BUILD/times.txt"
for n in "${NAMES[@]}"; do rm -f "$LAB_BUILD/$n.log" "$LAB_BUILD/$n".fault*.log; done
say "$MODE mode, kernel $K, ${#NAMES[@]} scenario(s), images ready in ${T_IMAGES}s"

# ---------------------------------------------------------------- one batch
pack_dir() { # pack_dir DIR OUT
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$2"
}

BATCHNO=0
# run_batch NAME...: runs them in one L1 (or natively); sets B_OUT (results file) and
# B_CONSOLE (L1 console file, empty when native), B_READY (L1 came up: 1/0), B_NONCE.
run_batch() {
	local names=("$@") n stage initrd qemu_args key l1cmd vml=0 scr=0 t0 t_ready="" deadline
	local pid marks=() seen=0 m i
	BATCHNO=$((BATCHNO + 1))
	B_NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	B_OUT=$LAB_BUILD/l1-$BATCHNO.results
	B_CONSOLE=$LAB_BUILD/l1-$BATCHNO.console
	B_READY=0
	B_HUNG=0
	: >"$B_OUT"
	: >"$B_CONSOLE"
	stage=$LAB_BUILD/batch
	rm -rf "$stage"
	if [ "$MODE" = nested ]; then
		mkdir -p "$stage/lab/sc"
		for n in "${names[@]}"; do
			mkdir -p "$stage/lab/sc/$n"
			cp "$LAB_BUILD/sc/$n"/{env,l1.sh,test.cpio,guest-modules.cpio} "$stage/lab/sc/$n/"
			[ "${S_VMLINUX[$n]}" = 1 ] && vml=1
			[ "${S_SCRATCH[$n]}" = 1 ] && scr=1
		done
		printf '%s\n' "${names[@]}" >"$stage/lab/batch.list"
		[ $scr = 1 ] && : >"$stage/lab/scratch"
		echo "$B_NONCE" >"$stage/lab/nonce"
		pack_dir "$stage" "$LAB_BUILD/batch.cpio"
		initrd=$LAB_BUILD/l1.initrd
		{
			cat "$IMG/l1-base.cpio"
			[ -x "$KASOU_BIN" ] && cat "$IMG/l1-kasou.cpio"
			[ $vml = 1 ] && cat "$IMG/l1-vmlinux.cpio"
			[ $scr = 1 ] && cat "$IMG/l1-scratch.cpio"
			for n in "${names[@]}"; do cat "$LAB_BUILD/sc/$n/l1-modules.cpio"; done
			for n in ${LAB_EXTRA_CPIO:-}; do cat "$n"; done
			cat "$LAB_BUILD/batch.cpio"
		} >"$initrd"
		key=${S_KEY[${names[0]}]}
		l1cmd=${key#*|}
		l1cmd=${l1cmd%|*}
		# shellcheck disable=SC2206
		qemu_args=(${key%%|*})
		rm -f "$LAB_BUILD/scratch.img" "$LAB_BUILD/nvme.img"
		if [ "${key##*|}" = 1 ]; then
			# needs: nvme — an NVMe controller with SR-IOV (2 VFs) on a fresh sparse
			# image; QEMU 7.2 wants the subsystem and both *_flexible settings
			truncate -s 64M "$LAB_BUILD/nvme.img" || exit 1
			# shellcheck disable=SC2054
			qemu_args+=(-drive "file=$LAB_BUILD/nvme.img,if=none,id=labnvme,format=raw,cache=unsafe"
				-device nvme-subsys,id=labnvmes
				-device nvme,serial=lab-nvme,subsys=labnvmes,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
				-device nvme-ns,drive=labnvme)
		fi
		if [ $scr = 1 ]; then
			# a fresh sparse ext4 disk for each L1: scenarios that need a real file system
			truncate -s "${LAB_SCRATCH_SIZE:-4G}" "$LAB_BUILD/scratch.img"
			mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$LAB_BUILD/scratch.img" || exit 1
			# shellcheck disable=SC2054
			qemu_args+=(-drive "file=$LAB_BUILD/scratch.img,if=none,id=scratch,format=raw,cache=unsafe"
				-device virtio-blk-pci,drive=scratch,serial=lab-scratch)
		fi
		t0=$(now)
		qemu-system-x86_64 -M q35 -accel tcg -cpu EPYC,+svm,+npt -m "$L1_MEM" -smp 2 \
			-nodefaults -no-user-config -display none -vga none -no-reboot \
			-kernel "$KDIR/vmlinuz" -initrd "$initrd" \
			-append "console=ttyS0 quiet panic=-1 $l1cmd" \
			-serial "file:$B_CONSOLE" -serial "file:$B_OUT" "${qemu_args[@]}" \
			</dev/null >"$LAB_BUILD/l1-$BATCHNO.qemu.log" 2>&1 &
		pid=$!
		deadline=$((SECONDS + L1_BOOT_TIMEOUT))
	else
		mkdir -p "$stage/sc"
		"$HERE/mkimage.sh" stage-native "$stage" || exit 1
		ln -sf "$KASOU_BIN" "$stage/kasou-bin/kasou"
		for n in "${names[@]}"; do
			mkdir -p "$stage/sc/$n"
			cp "$LAB_BUILD/sc/$n"/{env,l1.sh,test.cpio,guest-modules.cpio,l1-modules.names} "$stage/sc/$n/"
			# shellcheck disable=SC2046
			grep -q '[^[:space:]]' "$stage/sc/$n/l1-modules.names" && modprobe -a $(cat "$stage/sc/$n/l1-modules.names")
		done
		printf '%s\n' "${names[@]}" >"$stage/batch.list"
		t0=$(now)
		B_READY=1
		t_ready=$t0
		mkdir -p "$LAB_BUILD/native-scratch"
		LAB=$stage LAB_MODE=native LAB_OUT=$B_OUT LAB_NONCE=$B_NONCE LAB_TMP=$LAB_BUILD/native-tmp \
			LAB_SCRATCH=${LAB_SCRATCH_DIR:-$LAB_BUILD/native-scratch} \
			busybox sh "$stage/runner.sh" </dev/null >"$LAB_BUILD/native-$BATCHNO.log" 2>&1 &
		pid=$!
		deadline=$((SECONDS + 30))
	fi

	# Watch the result channel: each phase has a deadline; a stuck L1 is killed.
	while kill -0 "$pid" 2>/dev/null; do
		mapfile -t marks < <(grep -a "^@@LAB $B_NONCE " "$B_OUT" | tr -d '\r')
		for ((i = seen; i < ${#marks[@]}; i++)); do
			m=${marks[$i]#@@LAB "$B_NONCE" }
			case $m in
			L1-READY*) B_READY=1; t_ready=$(now); deadline=$((SECONDS + 60)) ;;
			BEGIN\ *) n=${m#BEGIN }; deadline=$((SECONDS + ${S_TIMEOUT[$n]:-60} + 30)) ;;
			END\ * | L1-DONE*) deadline=$((SECONDS + 60)) ;;
			esac
		done
		seen=${#marks[@]}
		if [ $SECONDS -gt $deadline ]; then
			B_HUNG=1
			kill "$pid" 2>/dev/null
			sleep 1
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.3
	done
	wait "$pid" 2>/dev/null
	local t1 cnt=${#names[@]}
	t1=$(now)
	# L1 may have come and gone between two looks
	if [ "$MODE" = nested ] && [ -z "$t_ready" ] && grep -aq "^@@LAB $B_NONCE L1-READY" "$B_OUT"; then
		B_READY=1
	fi
	if [ $DEMO = 1 ]; then
		:
	elif [ "$MODE" = nested ]; then
		say "batch $BATCHNO: $cnt scenario(s), L1 up in $([ -n "$t_ready" ] && elapsed "$t0" "$t_ready" || echo '?')s, run $([ -n "$t_ready" ] && elapsed "$t_ready" "$t1" || echo '?')s, total $(elapsed "$t0" "$t1")s$([ $B_HUNG = 1 ] && echo ', L1 killed (no progress)')"
	else
		say "batch $BATCHNO: $cnt scenario(s) natively in $(elapsed "$t0" "$t1")s"
	fi
}

# ---------------------------------------------------------------- verdicts
# section NAME: the scenario's output (between its markers) on stdout
section() {
	tr -d '\r' <"$B_OUT" | awk -v b="@@LAB $B_NONCE BEGIN $1" -v e="@@LAB $B_NONCE END $1 " '
		$0 == b { on = 1; next }
		on && index($0, e) == 1 { exit }
		on { print }'
}
# console_seg NAME: L1 console lines from the scenario's begin mark to its end mark
console_seg() {
	[ -s "$B_CONSOLE" ] || return 0
	tr -d '\r' <"$B_CONSOLE" | awk -v b="kasou-lab: begin $1" -v e="kasou-lab: end $1 " '
		index($0, b) { on = 1 }
		on { print }
		on && index($0, e) { exit }'
}

# verdict NAME: sets V (pass|fail|fault|notrun) and R (reason); writes build/lab/NAME.log
verdict() {
	local n=$1 log=$LAB_BUILD/$1.log end rc sig own="" boots line kind text
	V=pass R=""
	end=$(tr -d '\r' <"$B_OUT" | grep -a "^@@LAB $B_NONCE END $n " | head -1)
	# (not "tr | grep -q": with pipefail, tr's SIGPIPE when grep stops early would count)
	if ! grep -aqxF "@@LAB $B_NONCE BEGIN $n" < <(tr -d '\r' <"$B_OUT"); then
		V=notrun
		return
	fi
	section "$n" >"$log"
	rc=$(echo "$end" | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
	[ -n "$end" ] && echo "$n batch=$BATCHNO ${end#*END "$n" }" >>"$LAB_BUILD/times.txt"
	sig=$( { cat "$log"; console_seg "$n"; } | grep -aoE "$FAULT_RE" | head -1)
	# kasou's own failure: a guest verdict, kasou dying of a signal, or kasou's error message
	# (unless the lab killed it for taking too long: a stalled guest says "kasou: got
	# Terminated" too, and the stall may well be the lab's)
	if grep -aq 'LAB-FAIL' "$log" || { [ -n "$rc" ] && [[ $CRASH_RC == *" $rc "* ]]; } ||
		{ grep -aq '^kasou: ' "$log" && ! grep -aq 'LAB-TIMEOUT' "$log"; }; then
		own=1
	fi
	if [ -z "$end" ]; then
		V=fault R="L1 died or hung during the scenario${sig:+ ($sig)}"
		return
	fi
	if [ -n "$sig" ] && [ -z "$own" ]; then
		V=fault R="'$sig' in the L1/L2 console"
		return
	fi
	boots=$(grep -ac '^LAB-INIT' "$log")
	if [ -n "${S_BOOTS[$n]}" ] && [ "$boots" -gt "${S_BOOTS[$n]}" ] && [ -z "$own" ]; then
		V=fault R="unexpected L2 reset ($boots boots, expected ${S_BOOTS[$n]})"
		return
	fi
	V=fail
	if line=$(grep -a -m1 'LAB-TIMEOUT' "$log"); then
		R="timed out: ${line#*LAB-TIMEOUT }"
		line=$(grep -a -m1 -E '^kasou: |LAB-FAIL' "$log") && R="$R; $line"
	elif [ "$rc" != "${S_EXIT[$n]}" ]; then
		R="exit status $rc, expected ${S_EXIT[$n]}"
		[[ $CRASH_RC == *" $rc "* ]] && R="$R (killed by signal $((rc - 128)))"
		line=$(grep -a -m1 -E '^kasou: |LAB-FAIL' "$log") && R="$R: $line"
	elif line=$(grep -a -m1 'LAB-FAIL' "$log"); then
		R=$line
	else
		while IFS=$'\t' read -r kind text; do
			case $kind in
			lit) grep -aqF -- "$text" "$log" || { R="missing expected output: $text"; break; } ;;
			re) grep -aqE -- "$text" "$log" || { R="missing expected output (re): $text"; break; } ;;
			not) line=$(grep -aF -m1 -- "$text" "$log") && { R="unexpected output: $line"; break; } ;;
			notre) line=$(grep -aE -m1 -- "$text" "$log") && { R="unexpected output: $line"; break; } ;;
			esac
		done <"$LAB_BUILD/sc/$n/expect"
	fi
	[ -n "$R" ] || V=pass
	[ -n "$sig" ] && [ "$V" = fail ] && R="$R (lab fault signature also seen: $sig)"
	[ -n "$sig" ] && [ "$V" = pass ] && V=fault R="'$sig' in the L1/L2 console"
	return 0
}

show_tail() { # the end of a failed scenario's log
	[ -s "$1" ] && tail -n 30 "$1" | sed 's/^/    | /'
}

# ---------------------------------------------------------------- demo
if [ $DEMO = 1 ]; then
	n=${NAMES[0]}
	if [ "$MODE" = native ]; then
		say "running kasou directly on this host (native KVM)..."
		cat "$IMG/l2-base.cpio" "$LAB_BUILD/sc/$n/guest-modules.cpio" "$LAB_BUILD/sc/$n/test.cpio" \
			>"$LAB_BUILD/demo.initrd"
		# shellcheck disable=SC2034 # used by the eval of the kasou line
		KERNEL=$KDIR/vmlinuz INITRD=$LAB_BUILD/demo.initrd VMLINUX=$IMG/vmlinux
		eval "set -- $(sed -n 's/^KASOU_LINE=//p' "$LAB_BUILD/sc/$n/env")"
		eval "exec \"\$KASOU_BIN\" $1"
	fi
	say "booting L1 (nested KVM under QEMU TCG; about 10 s before L1 is up)..."
	run_batch "$n" &
	bpid=$!
	# stream the scenario's part of the result channel as it comes
	out=$LAB_BUILD/l1-$((BATCHNO + 1)).results
	for _ in $(seq 50); do [ -e "$out" ] && break; sleep 0.1; done
	tail -s 0.2 -n +1 -F --pid=$bpid "$out" 2>/dev/null | tr -d '\r' | awk -v line="$(sed -n 's/^KASOU_LINE=//p' "$LAB_BUILD/sc/$n/env")" '
		/^@@LAB [0-9a-f]+ L1-READY/ {
			sub(/.*uptime=/, ""); sub(/ .*/, "")
			printf "lab: L1 up (uptime %ss); kasou %s\n", $0, line; fflush(); next }
		/^@@LAB [0-9a-f]+ BEGIN/ { on = 1; next }
		/^@@LAB [0-9a-f]+ END/ { on = 0; sub(/.* rc=/, ""); sub(/ .*/, ""); printf "lab: kasou exited with status %s\n", $0; fflush(); next }
		/^@@LAB / { next }
		on && /^(LAB-INIT|LAB-GUEST-END)/ { next }
		on { print; fflush() }'
	wait $bpid
	BATCHNO=$((BATCHNO + 1))
	B_OUT=$LAB_BUILD/l1-$BATCHNO.results B_CONSOLE=$LAB_BUILD/l1-$BATCHNO.console
	B_NONCE=$(grep -a -m1 -o '^@@LAB [0-9a-f]* ' "$B_OUT" | cut -d' ' -f2)
	verdict "$n"
	case $V in
	notrun) say "L1 did not come up (console: $B_CONSOLE)"; exit 1 ;;
	fault) say "lab fault: $R (console: $B_CONSOLE)"; exit 1 ;;
	esac
	rc=$(tr -d '\r' <"$B_OUT" | sed -n "s/^@@LAB $B_NONCE END $n rc=\([0-9]*\).*/\1/p")
	exit "${rc:-1}"
fi

# ---------------------------------------------------------------- the queue
QUEUE=("${NAMES[@]}")
while [ ${#QUEUE[@]} -gt 0 ]; do
	# the next batch: up to BATCH_SIZE queued scenarios sharing the first one's L1 setup
	batch=()
	rest=()
	key=${S_KEY[${QUEUE[0]}]}
	for n in "${QUEUE[@]}"; do
		if [ ${#batch[@]} -lt "$BATCH_SIZE" ] && [ "${S_KEY[$n]}" = "$key" ]; then
			batch+=("$n")
		else
			rest+=("$n")
		fi
	done
	[ "$MODE" = native ] && { batch=("${QUEUE[@]}"); rest=(); }
	run_batch "${batch[@]}"
	requeue=() # never started: go first, in a fresh L1
	rerun=()   # hit by a lab fault: once more, after the rest
	charged=0
	for n in "${batch[@]}"; do
		verdict "$n"
		if [ "$V" = notrun ]; then
			if [ $B_READY = 0 ]; then
				V=fault R="L1 did not come up$( [ $B_HUNG = 1 ] && echo ' (timed out)')$(grep -aoE -m1 "$FAULT_RE" "$B_CONSOLE" | sed 's/^/: /')"
			elif grep -aq "^@@LAB $B_NONCE L1-READY kvm=missing" "$B_OUT"; then
				V=fault R="no /dev/kvm in L1 ($(grep -a "L1-READY" "$B_OUT" | sed 's/.*uptime=[^ ]* *//' | tr -d '\r'))"
			else
				requeue+=("$n") # never started: L1 died during another scenario; no charge
				continue
			fi
		fi
		case $V in
		pass) result PASS "$n" ;;
		fail) result FAIL "$n" "$R"; show_tail "$LAB_BUILD/$n.log" ;;
		fault)
			charged=1
			S_TRIES[$n]=$((S_TRIES[$n] + 1))
			[ -f "$LAB_BUILD/$n.log" ] && mv "$LAB_BUILD/$n.log" "$LAB_BUILD/$n.fault${S_TRIES[$n]}.log"
			if [ "${S_TRIES[$n]}" -lt 2 ]; then
				echo "lab/$n: lab fault, rerun ($R; L1 console $B_CONSOLE)"
				rerun+=("$n")
			else
				result FAIL "$n" "lab fault twice: $R (L1 console: $B_CONSOLE)"
				show_tail "$LAB_BUILD/$n.fault${S_TRIES[$n]}.log"
			fi ;;
		esac
	done
	if [ $charged = 0 ] && [ ${#requeue[@]} -gt 0 ] && [ ${#requeue[@]} -eq ${#batch[@]} ]; then
		# nothing ran and nobody is to blame: do not loop forever
		for n in "${requeue[@]}"; do result FAIL "$n" "not run: L1 ended early (console: $B_CONSOLE)"; done
		requeue=()
	fi
	QUEUE=("${requeue[@]}" "${rest[@]}" "${rerun[@]}")
done
rm -f "$LAB_BUILD/l1.initrd" "$LAB_BUILD/batch.cpio" "$LAB_BUILD/scratch.img" "$LAB_BUILD/nvme.img"
exit $((NFAIL > 0))
