#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/lab/mkimage.sh — build the lab's images under $LAB_BUILD/img (default build/lab/img).
# Every image is cached with a hash of its inputs next to it (NAME.hash) and rebuilt only
# when an input changed. Subcommands:
#   base              kernel (kernel.sh), l2-base.cpio (L2 busybox + /init) and
#                     l1-base.cpio (busybox, kvm modules, L2 kernel + base initramfs, runner)
#   kasou BIN         l1-kasou.cpio: BIN as /lab/kasou-bin/kasou + every library ldd lists
#   vmlinux           vmlinux (ELF, from the bzImage payload) and l1-vmlinux.cpio
#   modules OUT.cpio LIST-PATH-IN-CPIO MODULE...
#                     the modules and their dependencies (modprobe order), decompressed,
#                     under /lib/modules/$K/..., and LIST (their paths in insmod order)
#   guest OUT.cpio TEST.SH   a cpio holding TEST.SH as /test.sh
#   scratch-modules   l1-scratch.cpio: what L1 needs to mount its ext4 scratch disk
#   stage-native DIR  lay out the same /lab tree in DIR for a native (non-nested) run
# cpio archives are uncompressed newc owned by root; Linux accepts them concatenated.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
export LAB_BUILD=${LAB_BUILD:-$BUILD_DIR/lab}
IMG=$LAB_BUILD/img
KDIR=$LAB_BUILD/kernel
say() { echo "mkimage.sh: $*" >&2; }
die() { say "$*"; exit 1; }
mkdir -p "$IMG"

# hash_of ARGS...: sha256 over the named files' contents and the literal strings "=..."
hash_of() {
	local a
	for a in "$@"; do
		case $a in
		=*) echo "$a" ;;
		*) sha256sum <"$a" ;;
		esac
	done | sha256sum | cut -d' ' -f1
}
# fresh OUT HASH: true when OUT exists and was built from inputs with this hash
fresh() { [ -e "$1" ] && [ -f "$1.hash" ] && [ "$(cat "$1.hash")" = "$2" ]; }
stamp() { echo "$2" >"$1.hash"; }

# pack DIR OUT: newc cpio of DIR's contents, owned by root, deterministic order
pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$2.tmp"
	mv "$2.tmp" "$2"
}

busybox_bin() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then echo "$b"; return; fi
	done
	die "no static busybox (apt-get install busybox-static)"
}

# busybox_tree DIR: /bin/busybox + a link for each applet, and the usual directories
busybox_tree() {
	local bb app
	bb=$(busybox_bin)
	mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,root}
	cp "$bb" "$1/bin/busybox"
	for app in $("$bb" --list-full); do
		[ -e "$1/$app" ] || ln -s /bin/busybox "$1/$app"
	done
}

kernel() {
	# run.sh checks the kernel once per run and then sets LAB_KERNEL_READY=1
	[ "${LAB_KERNEL_READY:-}" = 1 ] || "$HERE/kernel.sh"
	K=$(cat "$KDIR/K")
	KTREE=$KDIR/tree
	MODDIR=$KTREE/lib/modules/$K
}

# resolve MODULE...: absolute .ko paths in insmod order, deduplicated
resolve() {
	local m
	for m in "$@"; do
		modprobe -d "$KTREE" -S "$K" --show-depends "$m" 2>&1 ||
			die "module $m: not found in kernel $K"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 } $1 != "insmod" && $1 != "builtin" { print "?" $0 }' |
		while read -r l; do
			case $l in "?"*) die "modprobe: ${l#?}" ;; *) echo "$l" ;; esac
		done
}

# add_modules DIR LIST MODULE...: decompress into DIR/lib/modules/$K/..., write DIR/LIST
add_modules() {
	local dir=$1 list=$2 ko rel dst
	shift 2
	mkdir -p "$(dirname "$dir/$list")"
	: >"$dir/$list"
	for ko in $(resolve "$@"); do
		rel=${ko#"$MODDIR"/}
		dst=lib/modules/$K/${rel%.*}
		case $ko in
		*.ko) dst=lib/modules/$K/$rel ;;
		esac
		mkdir -p "$(dirname "$dir/$dst")"
		case $ko in
		*.ko) cp "$ko" "$dir/$dst" ;;
		*.ko.xz) xz -dc "$ko" >"$dir/$dst" ;;
		*.ko.zst) zstd -qdc "$ko" >"$dir/$dst" ;;
		*.ko.gz) gzip -dc "$ko" >"$dir/$dst" ;;
		*) die "unknown module format: $ko" ;;
		esac
		echo "/$dst" >>"$dir/$list"
	done
}

L1_MODULES="kvm-amd"

build_l2_base() {
	local out=$IMG/l2-base.cpio h tmp t
	h=$(hash_of "$0" "$HERE/guest-init.sh" "$(busybox_bin)" "$HERE"/tools/*.c)
	fresh "$out" "$h" && return 0
	say "building L2 base initramfs"
	tmp=$(mktemp -d "$IMG/l2.XXXXXX")
	busybox_tree "$tmp"
	install -m 755 "$HERE/guest-init.sh" "$tmp/init"
	# the lab tools (tests/lab/tools/*.c), static so they need no libraries; L1 gets them too
	mkdir -p "$IMG/tools"
	for t in "$HERE"/tools/*.c; do
		gcc -O2 -static -pthread -Wall -Wextra -Werror -o "$IMG/tools/$(basename "$t" .c)" "$t" ||
			die "cannot build lab tool $t"
		cp "$IMG/tools/$(basename "$t" .c)" "$tmp/bin/"
	done
	pack "$tmp" "$out"
	rm -rf "$tmp"
	stamp "$out" "$h"
}

build_l1_base() {
	local out=$IMG/l1-base.cpio h tmp
	h=$(hash_of "$0" "$HERE/l1-init.sh" "$HERE/runner.sh" "$HERE/l1-lib.sh" \
		"$HERE/kasou-wrapper.sh" "$(busybox_bin)" "$KDIR/STAMP" "$IMG/l2-base.cpio" "=$L1_MODULES")
	fresh "$out" "$h" && return 0
	say "building L1 base initramfs"
	tmp=$(mktemp -d "$IMG/l1.XXXXXX")
	busybox_tree "$tmp"
	install -m 755 "$HERE/l1-init.sh" "$tmp/init"
	mkdir -p "$tmp/lab/bin"
	add_modules "$tmp" lab/l1-modules.list $L1_MODULES
	cp "$KDIR/vmlinuz" "$tmp/lab/bzImage"
	cp "$IMG/l2-base.cpio" "$tmp/lab/l2-base.cpio"
	install -m 755 "$HERE/runner.sh" "$tmp/lab/runner.sh"
	install -m 644 "$HERE/l1-lib.sh" "$tmp/lab/l1-lib.sh"
	install -m 755 "$HERE/kasou-wrapper.sh" "$tmp/lab/bin/kasou"
	cp "$IMG"/tools/* "$tmp/lab/bin/"
	pack "$tmp" "$out"
	rm -rf "$tmp"
	stamp "$out" "$h"
}

# libs_of BIN: the dynamic loader and every library ldd resolves
libs_of() {
	ldd "$1" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' | sort -u
}

build_kasou() {
	local bin=$1 out=$IMG/l1-kasou.cpio h tmp lib
	[ -x "$bin" ] || die "kasou binary $bin missing"
	# shellcheck disable=SC2046 # library paths have no spaces
	h=$(hash_of "$0" "$bin" $(libs_of "$bin"))
	fresh "$out" "$h" && return 0
	tmp=$(mktemp -d "$IMG/kasou.XXXXXX")
	mkdir -p "$tmp/lab/kasou-bin"
	cp "$bin" "$tmp/lab/kasou-bin/kasou"
	for lib in $(libs_of "$bin"); do
		mkdir -p "$tmp$(dirname "$lib")"
		cp -L "$lib" "$tmp$lib"
	done
	pack "$tmp" "$out"
	rm -rf "$tmp"
	stamp "$out" "$h"
}

# The bzImage's compressed payload: setup_sects at 0x1f1 (0 means 4), payload_offset
# (u32 at 0x248) counts from the protected-mode code at (setup_sects + 1) * 512.
build_vmlinux() {
	local out=$IMG/vmlinux bz=$KDIR/vmlinuz h sects off len magic tmp dec
	h=$(hash_of "$0" "$KDIR/STAMP")
	if ! fresh "$out" "$h"; then
		say "extracting vmlinux from the bzImage payload"
		sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
		[ "$sects" -eq 0 ] && sects=4
		off=$(od -An -tu4 -j $((0x248)) -N4 "$bz" | tr -d ' ')
		len=$(od -An -tu4 -j $((0x24c)) -N4 "$bz" | tr -d ' ')
		off=$(((sects + 1) * 512 + off))
		magic=$(od -An -tx1 -j "$off" -N6 "$bz" | tr -d ' ')
		tmp=$out.tmp
		# xz, zstd, lz4 and lzma payloads end with the 4-byte uncompressed size
		# (size_append), which is not part of the stream; gzip carries its own.
		case $magic in
		1f8b*) dec="gzip -dc" ;;
		fd377a585a00) dec="xz -dc" len=$((len - 4)) ;;
		28b52ffd*) dec="zstd -qdc" len=$((len - 4)) ;;
		02214c18*) dec="lz4 -dc" len=$((len - 4)) ;;
		5d00*) dec="xz -dc --format=lzma" len=$((len - 4)) ;;
		*) die "unknown bzImage payload compression (magic $magic)" ;;
		esac
		dd if="$bz" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none |
			$dec >"$tmp" || die "cannot decompress the payload of $bz ($dec)"
		[ "$(od -An -tx1 -N4 "$tmp" | tr -d ' ')" = 7f454c46 ] || die "payload of $bz is not an ELF file"
		mv "$tmp" "$out"
		stamp "$out" "$h"
	fi
	h=$(hash_of "$0" "$out.hash")
	if ! fresh "$IMG/l1-vmlinux.cpio" "$h"; then
		tmp=$(mktemp -d "$IMG/vml.XXXXXX")
		mkdir -p "$tmp/lab"
		ln "$out" "$tmp/lab/vmlinux" 2>/dev/null || cp "$out" "$tmp/lab/vmlinux"
		pack "$tmp" "$IMG/l1-vmlinux.cpio"
		rm -rf "$tmp"
		stamp "$IMG/l1-vmlinux.cpio" "$h"
	fi
}

build_modules() {
	local out=$1 list=$2 tmp
	shift 2
	tmp=$(mktemp -d "$IMG/mod.XXXXXX")
	if [ $# -gt 0 ]; then add_modules "$tmp" "$list" "$@"; fi
	pack "$tmp" "$out"
	rm -rf "$tmp"
}

# L1's scratch disk (virtio-blk, ext4): the modules to mount it, loaded by L1's /init
SCRATCH_MODULES="virtio_pci virtio_blk ext4"
build_scratch_modules() {
	local out=$IMG/l1-scratch.cpio h
	h=$(hash_of "$0" "$KDIR/STAMP" "=$SCRATCH_MODULES")
	fresh "$out" "$h" && return 0
	# shellcheck disable=SC2086
	build_modules "$out" lab/batch-modules.list $SCRATCH_MODULES
	stamp "$out" "$h"
}

build_guest() {
	local out=$1 test=$2 tmp
	tmp=$(mktemp -d "$IMG/guest.XXXXXX")
	install -m 755 "$test" "$tmp/test.sh"
	pack "$tmp" "$out"
	rm -rf "$tmp"
}

# stage_native DIR: the /lab tree of L1, as links into the build, for a native run
stage_native() {
	local d=$1
	mkdir -p "$d/bin" "$d/kasou-bin"
	ln -sf "$KDIR/vmlinuz" "$d/bzImage"
	ln -sf "$IMG/l2-base.cpio" "$d/l2-base.cpio"
	ln -sf "$IMG/vmlinux" "$d/vmlinux"
	install -m 755 "$HERE/runner.sh" "$d/runner.sh"
	install -m 644 "$HERE/l1-lib.sh" "$d/l1-lib.sh"
	install -m 755 "$HERE/kasou-wrapper.sh" "$d/bin/kasou"
}

cmd=${1:-}
shift || true
case $cmd in
base) kernel; build_l2_base; build_l1_base ;;
kasou) [ $# -eq 1 ] || die "usage: kasou BIN"; build_kasou "$1" ;;
vmlinux) kernel; build_vmlinux ;;
modules) [ $# -ge 2 ] || die "usage: modules OUT LIST MODULE..."; kernel; build_modules "$@" ;;
guest) [ $# -eq 2 ] || die "usage: guest OUT TEST.SH"; build_guest "$@" ;;
scratch-modules) kernel; build_scratch_modules ;;
stage-native) [ $# -eq 1 ] || die "usage: stage-native DIR"; kernel; stage_native "$1" ;;
*) die "usage: $0 base|kasou BIN|vmlinux|modules OUT LIST MOD...|guest OUT TEST|stage-native DIR" ;;
esac
