#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/lab/bench/bench.sh — kasou against a peer VMM (QEMU, -accel kvm) in the lab.
# `make bench` runs it; results in build/bench/results.md (printed at the end), every
# measurement in build/bench/raw.txt.
#
# Each round is one L1 boot (tests/lab/run.sh, nested KVM under QEMU TCG, or natively; one
# run.sh per round, so that the lab lock is let go between rounds) running five scenarios,
# kasou and QEMU alternating (the order flips every round):
#   bench-rN-boot         boot time: the Debian bzImage + a tiny initrd (/init prints
#                         /proc/uptime and a marker, powers off); kasou, QEMU microvm, q35
#   bench-rN-mem          VMM overhead: VmRSS minus the guest RAM's resident part, idle guest
#   bench-rN-blk-io_uring block I/O with kbench (L2 256M, 2 vCPUs, 1 GiB raw image on ext4,
#   bench-rN-blk-threads  cache=none), KVM exit counts per I/O
#   bench-rN-net          TCP over virtio-net on a tap in L1 with kbench (no iperf3 in the
#                         images): guest->L1 and L1->guest, 1 and 4 streams, vhost off and
#                         on; L2 256M, 2 vCPUs; KVM exit counts per MB
# QEMU reaches L1 on an ext4 tools image (binary, libraries, firmware), built here with
# mke2fs -d and cached in build/bench/tools.img, attached read-only (serial kasou-tools).
#
# Environment: BENCH_ROUNDS (3), BENCH_BOOTS (boots of each VMM per round, 2),
# BENCH_SECS (seconds per kbench test, 10), BENCH_TESTS (rw:bs list,
# randread:4096,randwrite:4096,read:131072,write:131072), BENCH_NET (DIR:STREAMS list,
# g2h:1,g2h:4,h2g:1,h2g:4), BENCH_NET_MB (MB = 10^6 bytes moved per network test, 100),
# BENCH_ONLY (scenario kinds to run, "boot mem blk-io_uring blk-threads net"),
# BENCH_ROUND_GAP (seconds between rounds with the lab lock let go, 5),
# BENCH_PREPARE_ONLY=1 (images and scenarios, no lab run), BENCH_NOTE (a line for the results, e.g. which source the kasou binary came from),
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
NET=${BENCH_NET:-g2h:1,g2h:4,h2g:1,h2g:4}
NET_MB=${BENCH_NET_MB:-100}
ONLY=${BENCH_ONLY:-boot mem blk-io_uring blk-threads net}
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
		if [ "$kind" = net ]; then
			echo "#! l1-modules: virtio_pci virtio_blk ext4 tun vhost_net"
		else
			echo "#! l1-modules: virtio_pci virtio_blk ext4"
		fi
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
		net)
			if [ $((r % 2)) = 1 ]; then pairs="kasou:off qemu:off kasou:on qemu:on"; else pairs="qemu:off kasou:off qemu:on kasou:on"; fi
			local n
			n=$(echo "$NET" | tr ',' '\n' | grep -c .)
			echo "#! guest-modules: virtio_pci virtio_net"
			# 4 VMM runs and a retry: boot (~10 s) + n tests of a few seconds each
			echo "#! timeout: $((60 + 5 * (30 + n * 12)))"
			echo "--- guest ---"
			cat <<'EOF'
for a in $(cat /proc/cmdline); do
	case $a in bench.net=*) tests=${a#*=} ;; bench.bytes=*) bytes=${a#*=} ;; esac
done
ip link set eth0 up
ip addr add 192.168.200.2/24 dev eth0
i=0
until ping -c 1 -W 1 192.168.200.1 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -ge 60 ] && { fail net "no reply from 192.168.200.1"; exit 1; }
	sleep 0.5
done
# quiet between BENCH-GO and BENCH-DONE: the host counts KVM exits in that window
k=0
for t in $(echo "$tests" | tr , ' '); do
	dir=${t%%:*} n=${t#*:}
	per=$((bytes / n))
	rm -f /tmp/o*
	j=0
	if [ "$dir" = h2g ]; then
		while [ $j -lt $n ]; do
			taskset -c $((j % 2)) kbench recv $((5000 + 10 * k + j)) >/tmp/o$j 2>&1 &
			j=$((j + 1))
		done
		j=0
		while [ $j -lt $n ]; do
			c=0
			until grep -q listening /tmp/o$j 2>/dev/null || [ $c -ge 50 ]; do sleep 0.1; c=$((c + 1)); done
			j=$((j + 1))
		done
		echo "BENCH-GO net $k $dir $n $per"
	else
		echo "BENCH-GO net $k $dir $n $per"
		sleep 0.5
		while [ $j -lt $n ]; do
			taskset -c $((j % 2)) kbench send 192.168.200.1 $((5000 + 10 * k + j)) $per $((10 * k + j + 1)) >/tmp/o$j 2>&1 &
			j=$((j + 1))
		done
	fi
	wait
	echo "BENCH-DONE net $k"
	sleep 0.3
	echo "BENCH-NETRESULT $k $dir $n $(grep -hv '^kbench listening' /tmp/o* | tr '\n' ' ')"
	k=$((k + 1))
done
EOF
			echo "--- l1 ---"
			echo "BENCH_ROUND=$r BENCH_NET=$NET BENCH_NET_BYTES=$((NET_MB * 1000000)) BENCH_GO_SECS=60"
			echo "$SOURCE_LIB"
			echo "bench_setup && bench_net $pairs"
			;;
		esac
		echo "bench_end"
	} >"$f"
	echo "$f"
}

# ---------------------------------------------------------------- collect
# save_logs [ROUND]: the scenario logs (those of ROUND, or all) from $LAB_BUILD to
# build/bench/logs where newer, and after a round the L1 consoles of its batches
save_logs() {
	local f n g
	# shellcheck disable=SC2231 # the round, or * for all
	for f in "$OUT/sc/bench-r"${1:-*}-*.sc; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .sc)
		for g in "$LAB_BUILD/$n.log" "$LAB_BUILD/$n".fault*.log; do
			[ -f "$g" ] && [ "$g" -nt "$OUT/logs/${g##*/}" ] && cp "$g" "$OUT/logs/"
		done
	done
	[ -n "${1:-}" ] || return 0
	for g in "$LAB_BUILD"/l1-*.console "$LAB_BUILD"/l1-*.qemu.log; do
		[ -f "$g" ] && cp "$g" "$OUT/logs/r$1-${g##*/}"
	done
	return 0
}
# raw.txt: every @B line of the final attempt of each scenario; results.md from them
collect() {
	local f n
	: >"$OUT/raw.txt"
	save_logs
	for f in "$OUT"/sc/bench-r*.sc; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .sc)
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
		echo "mode: $MODE; rounds: $ROUNDS; boots per VMM per round: $BOOTS; kbench: ${SECS}s per test ($TESTS); net: ${NET_MB} MB per test ($NET); scenarios: $ONLY"
		echo "kasou binary: $kb (sha256 $(sha256sum <"$kb" | cut -c1-16)); source tree $ROOT at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')${BENCH_NOTE:+; $BENCH_NOTE}"
		echo "host: $(nproc) CPUs, $(uname -r); QEMU $($QEMU_BIN --version | head -1 | sed 's/.*version //')"
	} >"$OUT/meta.txt"
	rm -rf "$OUT/logs"
	mkdir -p "$OUT/logs"
	say "$MODE mode: $ROUNDS round(s) of: $ONLY (kbench ${SECS}s per test: $TESTS; net: ${NET_MB} MB per test: $NET)"
	# one round per L1 boot: a batch is as long as a round; one run.sh (one hold of the lab
	# lock) per round, with a gap for whoever waits for the lab
	export BENCH_DIR=$OUT/native
	: >"$OUT/verdicts.txt"
	for ((r = 1; r <= ROUNDS; r++)); do
		[ "$r" -gt 1 ] && sleep "${BENCH_ROUND_GAP:-5}"
		tr0=$SECONDS
		LAB_BATCH=$(echo "$ONLY" | wc -w) LAB_EXTRA_CPIO="${LAB_EXTRA_CPIO:-} $OUT/l1-bench.cpio" \
			"$LABDIR/run.sh" "$OUT"/sc/bench-r$r-*.sc 2>&1 | tee -a "$OUT/verdicts.txt"
		save_logs "$r"
		say "round $r finished in $((SECONDS - tr0)) s (lock waits included)"
		# other work on this machine slows L1 down (one L1 alone keeps the load near 2)
		echo "round $r: $((SECONDS - tr0)) s of wall time, ended $(date -u '+%H:%M UTC') (waits for the lab lock included); host load average then: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
	done
	say "lab run finished in $((SECONDS - t0)) s"
	echo "wall time of the lab run: $((SECONDS - t0)) s (started $(date -u -d "@$(($(date +%s) - SECONDS + t0))" '+%H:%M UTC'))" >>"$OUT/meta.txt"
fi
mkdir -p "$OUT/logs"
collect
cat "$OUT/results.md"
