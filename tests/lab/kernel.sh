#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/lab/kernel.sh — fetch the Debian kernel that serves as the lab's L1 and L2 kernel.
#
# The versioned package is discovered from linux-image-amd64 (never hard-coded), fetched with
# `apt-get download`, unpacked with `dpkg-deb -x` into $LAB_BUILD/kernel/tree and indexed
# with `depmod -b`. Cached: nothing is fetched while the discovered package and version are
# those of the cache; offline (or with no apt lists) a cached kernel is used as it is.
#
# Result:  $LAB_BUILD/kernel/K        the kernel release (uname -r), e.g. 6.1.0-56-amd64
#          $LAB_BUILD/kernel/vmlinuz  the bzImage (a symlink into tree/boot)
#          $LAB_BUILD/kernel/tree     the unpacked package (lib/modules/$K, boot/)
#          $LAB_BUILD/kernel/STAMP    "package version" of what is cached
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
LAB_BUILD=${LAB_BUILD:-$BUILD_DIR/lab}
KDIR=$LAB_BUILD/kernel
say() { echo "kernel.sh: $*" >&2; }

discover() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ]
}

cached() { [ -f "$KDIR/STAMP" ] && [ -f "$KDIR/K" ] && [ -e "$KDIR/vmlinuz" ]; }

use_cache() {
	cached || { say "no kernel cached in $KDIR and $1"; exit 1; }
	say "$1; using the cached $(cat "$KDIR/STAMP")"
	exit 0
}

if ! discover; then
	# No apt lists yet (fresh machine): fetch them once, as root only.
	if [ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null 2>&1 && discover; then
		:
	else
		use_cache "cannot discover the linux-image-amd64 version (apt lists missing or offline)"
	fi
fi

if cached && [ "$(cat "$KDIR/STAMP")" = "$pkg $ver" ]; then
	exit 0
fi

say "fetching $pkg $ver"
tmp=$(mktemp -d "$LAB_BUILD/kernel.tmp.XXXXXX" 2>/dev/null ||
	{ mkdir -p "$LAB_BUILD" && mktemp -d "$LAB_BUILD/kernel.tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's _apt sandbox user must be able to write here
if ! (cd "$tmp" && apt-get download -q "$pkg=$ver" >/dev/null 2>"$tmp/apt.err"); then
	sed 's/^/kernel.sh: /' "$tmp/apt.err" >&2
	cached && use_cache "download of $pkg $ver failed"
	say "download of $pkg $ver failed"; exit 1
fi
say "unpacking $(basename "$tmp"/*.deb)"
dpkg-deb -x "$tmp"/*.deb "$tmp/tree"
K=$(ls "$tmp/tree/lib/modules" | sort -V | tail -1)
[ -n "$K" ] && [ -f "$tmp/tree/boot/vmlinuz-$K" ] || { say "no kernel in $pkg"; exit 1; }
depmod -b "$tmp/tree" "$K"

rm -rf "$KDIR"
mkdir -p "$KDIR"
mv "$tmp/tree" "$KDIR/tree"
ln -s "tree/boot/vmlinuz-$K" "$KDIR/vmlinuz"
echo "$K" >"$KDIR/K"
echo "$pkg $ver" >"$KDIR/STAMP"
say "kernel $K ready in $KDIR"
