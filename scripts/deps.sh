#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# scripts/deps.sh MODE — install the Debian packages kasou needs for MODE, and only the
# ones that are missing. MODE: build | lab | check | demo | bench.
#   build: compiler, headers and the libraries the VMM links
#   lab:   the nested-KVM lab (QEMU, busybox, cpio, compressors, mke2fs, modprobe)
#   check, demo, bench: build + lab
# Quiet when nothing is missing. As root it runs apt-get itself; otherwise through sudo
# when sudo is there, else it prints the exact command to run and exits 1.
set -euo pipefail

BUILD_PKGS="gcc make pkg-config libc6-dev liburing-dev libslirp-dev libseccomp-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev"
LAB_PKGS="qemu-system-x86 busybox-static cpio zstd xz-utils e2fsprogs kmod"
# libFuzzer targets (make fuzz, and briefly in make check)
FUZZ_PKGS="clang libclang-rt-14-dev"

usage() { echo "usage: $0 build|lab|check|demo|bench|fuzz" >&2; exit 2; }
[ $# -eq 1 ] || usage
case "$1" in
	build) want="$BUILD_PKGS" ;;
	lab) want="$LAB_PKGS" ;;
	check) want="$BUILD_PKGS $LAB_PKGS $FUZZ_PKGS" ;;
	fuzz) want="$BUILD_PKGS $FUZZ_PKGS" ;;
	demo|bench) want="$BUILD_PKGS $LAB_PKGS" ;;
	*) usage ;;
esac

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in $want; do
	installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
	echo "deps.sh: run as root: apt-get install ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps.sh: installing ${missing[*]}"
echo "deps.sh: apt-get update"
"${SUDO[@]}" apt-get update -q >/dev/null
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1 |
	grep -E "^(Setting up|Unpacking|E:) " | sed 's/^/deps.sh: /' || true
for p in "${missing[@]}"; do
	installed "$p" || { echo "deps.sh: failed to install $p" >&2; exit 1; }
done
echo "deps.sh: done"
