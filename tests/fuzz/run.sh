#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz/run.sh SECONDS: run every built libFuzzer target (build/fuzz/fuzz_*) for SECONDS
# from its committed seed corpus (tests/fuzz/corpus/NAME, read-only) plus a working corpus
# under build/fuzz/corpus-NAME. Prints "PASS fuzz/NAME: N runs in S s" or "FAIL fuzz/NAME: ..."
# with the crash report's tail; the crashing input is kept in build/fuzz/.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
cd "$ROOT" || exit 1
secs=${1:-60}
rc=0
shopt -s nullglob
bins=("$BUILD"/fuzz/fuzz_*)
[ ${#bins[@]} -gt 0 ] || { echo "SKIP fuzz/all: no fuzz targets built (make fuzz-build needs clang)"; exit 0; }
for bin in "${bins[@]}"; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	work=$BUILD/fuzz/corpus-$name
	mkdir -p "$work"
	dict=() # tests/fuzz/NAME.dict, NAME without its fuzz_ prefix (options.dict, config_json.dict)
	[ -f "tests/fuzz/${name#fuzz_}.dict" ] && dict=(-dict="tests/fuzz/${name#fuzz_}.dict")
	log=$BUILD/fuzz/$name.log
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz/$name-" "${dict[@]}" "$work" "tests/fuzz/corpus/$name" \
		>"$log" 2>&1
	status=$?
	runs=$(grep -a -m1 'stat::number_of_executed_units' "$log" | awk '{ print $2 }')
	if [ $status = 0 ]; then
		echo "PASS fuzz/$name: ${runs:-?} runs in ${secs}s, no crash"
	else
		echo "FAIL fuzz/$name: exit $status (see $log)"
		grep -a -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$log" | head -n 20 | sed 's/^/    | /'
		rc=1
	fi
done
exit $rc
