#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/lab/bench/bench.sh — kasou against a peer VMM (QEMU, -accel kvm) in the lab.
# `make bench` runs it; results in build/bench/results.md (printed at the end), every
# measurement in build/bench/raw.txt.
#
# Each round is one L1 boot (tests/lab/run.sh, nested KVM under QEMU TCG, or natively)
# running four scenarios, kasou and QEMU alternating (the order flips every round):
#   bench-rN-boot         boot time: the Debian bzImage + a tiny initrd (/init prints
#                         /proc/uptime and a marker, powers off); kasou, QEMU microvm, q35
#   bench-rN-mem          VMM overhead: VmRSS minus the guest RAM's resident part, idle guest
#   bench-rN-blk-io_uring block I/O with kbench (L2 256M, 2 vCPUs, 1 GiB raw image on ext4,
#   bench-rN-blk-threads  cache=none), KVM exit counts per I/O
# QEMU reaches L1 on an ext4 tools image (binary, libraries, firmware), built here with
# mke2fs -d and cached in build/bench/tools.img, attached read-only (serial kasou-tools).
#
# Environment: BENCH_ROUNDS (3), BENCH_BOOTS (boots of each VMM per round, 2),
# BENCH_SECS (seconds per kbench test, 10), BENCH_TESTS (rw:bs list,
# randread:4096,randwrite:4096,read:131072,write:131072), BENCH_ONLY (scenario kinds to run,
# "boot mem blk-io_uring blk-threads"), BENCH_PREPARE_ONLY=1 (images and scenarios, no lab
# run), BENCH_NOTE (a line for the results, e.g. which source the kasou binary came from),
# BENCH_COLLECT_ONLY=1 (only rebuild the results from the last run's logs), and those
# of tests/lab/run.sh (KASOU, BUILD, KASOU_LAB, LAB_L1_MEM, ...).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LABDIR=$(cd "$HERE/.." && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
LAB_BUILD=${LAB_BUILD:-$BUILD_DIR/lab}
OUT=$BUILD_DIR/bench
ROUNDS=${BENCH_ROUNDS:-3}
BOOTS=${BENCH_BOOTS:-2}
SECS=${BENCH_SECS:-10}
TESTS=${BENCH_TESTS:-randread:4096,randwrite:4096,read:131072,write:131072}
ONLY=${BENCH_ONLY:-boot mem blk-io_uring blk-threads}
QEMU_BIN=$(command -v qemu-system-x86_64 || true)

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }
mkdir -p "$OUT"

mode() {
	case ${KASOU_LAB:-} in native | nested) echo "$KASOU_LAB"; return ;; esac
	if grep -qwE 'svm|vmx' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo native; else echo nested; fi
}
MODE=$(mode)

# ---------------------------------------------------------------- the QEMU tools image
# QEMU, the libraries ldd lists (same paths), /usr/share/qemu and /usr/share/seabios.
libs_of() {
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u
}
build_tools() {
	local img=$OUT/tools.img h tmp f kb
	[ -n "$QEMU_BIN" ] || die "qemu-system-x86_64 not found (scripts/deps.sh bench)"
	# inputs: the files themselves (size, mtime), and this script
	# shellcheck disable=SC2046
	h=$( { sha256sum <"$0"; stat -L -c '%n %s %Y' "$QEMU_BIN" $(libs_of "$QEMU_BIN");
		find /usr/share/qemu /usr/share/seabios -printf '%p %s %T@ %l\n' | LC_ALL=C sort; } |
		sha256sum | cut -d' ' -f1)
	if [ -f "$img" ] && [ "$(cat "$img.hash" 2>/dev/null)" = "$h" ]; then return 0; fi
	say "building the QEMU tools image ($img)"
	tmp=$(mktemp -d "$OUT/tools.XXXXXX")
	mkdir -p "$tmp/usr/bin" "$tmp/usr/share"
	cp "$QEMU_BIN" "$tmp/usr/bin/qemu-system-x86_64"
	for f in $(libs_of "$QEMU_BIN"); do
		mkdir -p "$tmp$(dirname "$f")"
		cp -L "$f" "$tmp$f"
	done
	cp -a /usr/share/qemu /usr/share/seabios "$tmp/usr/share/"
	# firmware links that point outside the image (e.g. OVMF) would dangle in L1
	find "$tmp/usr/share" -xtype l -delete
	kb=$(du -sk "$tmp" | cut -f1)
	rm -f "$img.tmp"
	mke2fs -q -t ext4 -L kasou-tools -d "$tmp" -F "$img.tmp" "$((kb * 5 / 4 + 16384))k" >/dev/null ||
		{ rm -rf "$tmp"; die "mke2fs -d failed"; }
	rm -rf "$tmp"
	mv "$img.tmp" "$img"
	echo "$h" >"$img.hash"
}

# ---------------------------------------------------------------- L1 archive: lib + initrd
# /bench/lib.sh and /bench/boot.initrd (a cpio with the static bootinit as /init)
build_l1_archive() {
	local tmp
	tmp=$(mktemp -d "$OUT/l1.XXXXXX")
	mkdir -p "$tmp/bench" "$tmp/initrd"
	gcc -Os -static -s -Wall -Wextra -Werror -o "$tmp/initrd/init" "$HERE/bootinit.c" ||
		{ rm -rf "$tmp"; die "cannot build bootinit"; }
	(cd "$tmp/initrd" && echo init | cpio --quiet -o -H newc -R 0:0) >"$tmp/bench/boot.initrd"
	install -m 644 "$HERE/lib.sh" "$tmp/bench/lib.sh"
	rm -rf "$OUT/native"
	cp -r "$tmp/bench" "$OUT/native" # the same files for a native run
	(cd "$tmp" && find bench | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$OUT/l1-bench.cpio"
	rm -rf "$tmp"
}

# ---------------------------------------------------------------- scenarios
# shellcheck disable=SC2016 # expanded in L1
SOURCE_LIB='. "${BENCH_DIR:-/bench}/lib.sh"'
# gen_scenario KIND ROUND: writes build/bench/sc/bench-rROUND-KIND.sc
gen_scenario() {
	local kind=$1 r=$2 f=$OUT/sc/bench-r$2-$1.sc vmms pairs aio
	if [ $((r % 2)) = 1 ]; then vmms="kasou qemu-microvm qemu-q35"; else vmms="qemu-q35 qemu-microvm kasou"; fi
	{
		echo "# bench round $r: $kind (generated by tests/lab/bench/bench.sh)"
		[ "$MODE" = nested ] && echo "#! l1-qemu: -drive file=$OUT/tools.img,if=none,id=tools,format=raw,readonly=on -device virtio-blk-pci,drive=tools,serial=kasou-tools"
		echo "#! l1-modules: virtio_pci virtio_blk ext4"
		echo "#! expect-exit: 0"
		echo "#! expect: @B end r=$r errors=0"
		case $kind in
		boot)
			echo "#! timeout: $((30 + BOOTS * 3 * 15))"
			echo "--- l1 ---"
			echo "BENCH_ROUND=$r"
			echo "$SOURCE_LIB"
			echo "bench_setup && bench_boot $BOOTS $vmms"
			;;
		mem)
			echo "#! timeout: 120"
			echo "--- guest ---"
			echo "echo BENCH-IDLE"
			echo "exec sleep 100000"
			echo "--- l1 ---"
			echo "BENCH_ROUND=$r"
			echo "$SOURCE_LIB"
			echo "bench_setup && for v in $vmms; do mem_one \$v; done"
			;;
		blk-*)
			aio=${kind#blk-}
			if [ $((r % 2)) = 1 ]; then pairs="kasou:$aio qemu:$aio"; else pairs="qemu:$aio kasou:$aio"; fi
			local n
			n=$(echo "$TESTS" | tr ',' '\n' | grep -c .)
			echo "#! needs: scratch"
			echo "#! guest-modules: virtio_pci virtio_blk"
			echo "#! timeout: $((60 + 3 * (25 + n * (SECS + 3))))"
			echo "--- guest ---"
			cat <<'EOF'
for a in $(cat /proc/cmdline); do
	case $a in bench.tests=*) tests=${a#*=} ;; bench.secs=*) secs=${a#*=} ;; esac
done
# quiet between BENCH-GO and BENCH-DONE: the host counts KVM exits in that window
for t in $(echo "$tests" | tr , ' '); do
	rw=${t%%:*} bs=${t#*:}
	echo "BENCH-GO $rw-$bs"
	sleep 0.5
	kbench /dev/vda "$rw" "$bs" 32 "$secs" >/tmp/r 2>&1
	echo "BENCH-DONE $rw-$bs"
	sleep 0.3
	echo "BENCH-RESULT $rw-$bs $(tr '\n' ' ' </tmp/r)"
done
EOF
			echo "--- l1 ---"
			echo "BENCH_ROUND=$r BENCH_TESTS=$TESTS BENCH_SECS=$SECS"
			echo "$SOURCE_LIB"
			echo "bench_setup && bench_blk $pairs"
			;;
		esac
		echo "bench_end"
	} >"$f"
	echo "$f"
}

# ---------------------------------------------------------------- collect
# raw.txt: every @B line of the final attempt of each scenario; results.md from them
collect() {
	local f n
	: >"$OUT/raw.txt"
	for f in "$OUT"/sc/bench-r*.sc; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .sc)
		[ -f "$LAB_BUILD/$n.log" ] && cp "$LAB_BUILD/$n.log" "$OUT/logs/$n.log"
		for g in "$LAB_BUILD/$n".fault*.log; do [ -f "$g" ] && cp "$g" "$OUT/logs/"; done
		[ -f "$OUT/logs/$n.log" ] || continue
		tr -d '\r' <"$OUT/logs/$n.log" | grep -a '^@B ' | sed "s/^@B /$n /" >>"$OUT/raw.txt"
	done
	"$HERE/report.sh" "$OUT/raw.txt" "$OUT/verdicts.txt" "$OUT/meta.txt" >"$OUT/results.md"
}

if [ "${BENCH_COLLECT_ONLY:-}" != 1 ]; then
	t0=$SECONDS
	[ -x "$BUILD_DIR/kasou" ] || [ -n "${KASOU:-}" ] || die "build/kasou missing: run make first"
	[ "$MODE" = nested ] && build_tools
	build_l1_archive
	rm -rf "$OUT/sc"
	mkdir -p "$OUT/sc"
	files=()
	for ((r = 1; r <= ROUNDS; r++)); do
		for k in $ONLY; do files+=("$(gen_scenario "$k" "$r")"); done
	done
	[ "${BENCH_PREPARE_ONLY:-}" = 1 ] && { printf '%s\n' "${files[@]}"; exit 0; }
	kb=${KASOU:-$BUILD_DIR/kasou}
	{
		echo "mode: $MODE; rounds: $ROUNDS; boots per VMM per round: $BOOTS; kbench: ${SECS}s per test ($TESTS)"
		echo "kasou binary: $kb (sha256 $(sha256sum <"$kb" | cut -c1-16)); source tree $ROOT at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')${BENCH_NOTE:+; $BENCH_NOTE}"
		echo "host: $(nproc) CPUs, $(uname -r); QEMU $($QEMU_BIN --version | head -1 | sed 's/.*version //')"
	} >"$OUT/meta.txt"
	rm -rf "$OUT/logs"
	mkdir -p "$OUT/logs"
	say "$MODE mode: $ROUNDS round(s) of: $ONLY (kbench ${SECS}s per test: $TESTS)"
	# one round per L1 boot: a batch is as long as a round
	export BENCH_DIR=$OUT/native
	LAB_BATCH=$(echo "$ONLY" | wc -w) LAB_EXTRA_CPIO="${LAB_EXTRA_CPIO:-} $OUT/l1-bench.cpio" \
		"$LABDIR/run.sh" "${files[@]}" 2>&1 | tee "$OUT/verdicts.txt"
	say "lab run finished in $((SECONDS - t0)) s"
	echo "wall time of the lab run: $((SECONDS - t0)) s (started $(date -u -d "@$(($(date +%s) - SECONDS + t0))" '+%H:%M UTC'))" >>"$OUT/meta.txt"
fi
mkdir -p "$OUT/logs"
collect
cat "$OUT/results.md"
