#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/run.sh [--unit-only] — the test runner behind `make check` and `make unit`.
#
# Runs every test binary in build/unit/ and build/unit-san/ (each prints "PASS name",
# "FAIL name: reason" or "SKIP name: reason" lines; shown here as unit/name and
# unit-san/name), then — unless --unit-only — the lab scenarios (tests/lab/run.sh).
# A binary that crashes, times out or exits non-zero without a FAIL line counts as one
# failure; so does one that prints no result at all. KASOU_TEST_KERNEL is set to the lab's
# Debian bzImage (build/lab/kernel/vmlinuz) for unit tests that want a real kernel. Ends with exactly one line
# "N passed, N failed, N skipped" and exits 1 when anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}

UNIT_ONLY=0
for a in "$@"; do
	case $a in
	--unit-only) UNIT_ONLY=1 ;;
	*) echo "usage: $0 [--unit-only]" >&2; exit 2 ;;
	esac
done

NPASS=0 NFAIL=0 NSKIP=0
SKIPS=()
# tally LINE: echo a result line and count it; returns 1 for anything else
tally() {
	case $1 in
	PASS\ *) NPASS=$((NPASS + 1)) ;;
	FAIL\ *) NFAIL=$((NFAIL + 1)) ;;
	SKIP\ *) NSKIP=$((NSKIP + 1)); SKIPS+=("$1") ;;
	*) return 1 ;;
	esac
	echo "$1"
}

run_unit() { # run_unit BIN PREFIX
	local bin=$1 prefix=$2 out rc line results=0 fails=0 name
	name=$prefix/$(basename "$bin")
	out=$(timeout -k 10 "$UNIT_TIMEOUT" "$bin" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		PASS\ * | FAIL\ * | SKIP\ *)
			results=$((results + 1))
			case $line in FAIL\ *) fails=$((fails + 1)) ;; esac
			tally "${line%% *} $prefix/${line#* }" ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ] && [ $fails -eq 0 ]; then
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			tally "FAIL $name: timed out after ${UNIT_TIMEOUT}s"
		elif [ $rc -gt 128 ]; then
			tally "FAIL $name: killed by signal $((rc - 128))"
		else
			tally "FAIL $name: exited with status $rc"
		fi
		tail -n 30 <<<"$out" | sed 's/^/    | /'
	elif [ $rc -eq 0 ] && [ $results -eq 0 ]; then
		tally "FAIL $name: printed no PASS/FAIL/SKIP line"
	elif [ $fails -gt 0 ]; then
		# the context of the failures (sanitizer reports, assertion messages)
		grep -v -E '^(PASS|SKIP) ' <<<"$out" | tail -n 30 | sed 's/^/    | /'
	fi
}

# Unit tests that want a real kernel image get the lab's (fetched here unless --unit-only)
case $BUILD in /*) LAB_KDIR=$BUILD/lab/kernel ;; *) LAB_KDIR=$ROOT/$BUILD/lab/kernel ;; esac
[ -n "${LAB_BUILD:-}" ] && LAB_KDIR=$LAB_BUILD/kernel
if [ -z "${KASOU_TEST_KERNEL:-}" ]; then
	if [ $UNIT_ONLY = 0 ] && command -v dpkg-deb >/dev/null && command -v depmod >/dev/null; then
		BUILD=$BUILD tests/lab/kernel.sh || true
	fi
	[ -r "$LAB_KDIR/vmlinuz" ] && export KASOU_TEST_KERNEL=$LAB_KDIR/vmlinuz
fi

for dir in unit unit-san; do
	[ -d "$BUILD/$dir" ] || continue
	for bin in "$BUILD/$dir"/*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		run_unit "$bin" "$dir"
	done
done

# the fuzz targets, briefly, from their committed corpora (make fuzz runs them longer)
if [ $UNIT_ONLY = 0 ]; then
	while IFS= read -r line; do
		tally "$line" || echo "$line"
	done < <(tests/fuzz/run.sh "${FUZZ_CHECK_SECONDS:-15}" 2>&1)
fi

if [ $UNIT_ONLY = 0 ]; then
	lab_rc=0 lab_fails=0
	while IFS= read -r line; do
		case $line in
		@@lab-rc=*) lab_rc=${line#@@lab-rc=} ;;
		FAIL\ *) lab_fails=$((lab_fails + 1)); tally "$line" ;;
		*) tally "$line" || echo "$line" ;;
		esac
	done < <(tests/lab/run.sh 2>&1; echo "@@lab-rc=$?")
	if [ "$lab_rc" -ne 0 ] && [ $lab_fails -eq 0 ]; then
		tally "FAIL lab: tests/lab/run.sh exited with status $lab_rc"
	fi
fi

if [ ${#SKIPS[@]} -gt 0 ]; then
	echo "skipped:"
	printf '  %s\n' "${SKIPS[@]}"
fi
echo "$NPASS passed, $NFAIL failed, $NSKIP skipped"
[ $NFAIL -eq 0 ]
