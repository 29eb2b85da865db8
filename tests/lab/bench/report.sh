#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/lab/bench/report.sh RAW [VERDICTS [META]] — the markdown results (stdout) from the
# "@B" records that tests/lab/bench/bench.sh gathered in RAW (one per line, prefixed with
# the scenario name); VERDICTS: run.sh's output (PASS/FAIL/lab fault lines); META: lines
# describing the run (binary, settings). Both optional.
set -uo pipefail
RAW=$1
VERDICTS=${2:-}
META=${3:-}

echo "# kasou vs QEMU — lab benchmark"
echo
echo "Generated $(date -u '+%Y-%m-%d %H:%M UTC') by \`make bench\` (tests/lab/bench/bench.sh)."
k=$(grep -m1 ' info .*kasou ' "$RAW" | sed 's/.* kasou //')
q=$(grep -m1 ' info .*qemu QEMU' "$RAW" | sed 's/.* qemu //')
qk=$(grep -m1 ' info .*qemu -accel kvm in L1: ' "$RAW" | sed 's/.*in L1: //')
rounds=$(awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^r=/) r[$i] = 1 } END { print length(r) }' "$RAW")
echo "kasou: ${k:-?}; peer: ${q:-?} (-accel kvm -cpu host; QEMU's 'info kvm' in L1: ${qk:-not checked})."
echo "Rounds (L1 boots with results): $rounds."
[ -n "$META" ] && [ -s "$META" ] && sed 's/^/- /' "$META" && echo
echo "Medians over all runs; n = runs. Ratios are kasou / QEMU. Raw numbers: build/bench/raw.txt."
echo "Nested lab: L1 is QEMU TCG, so absolute times are not hardware times; compare ratios and"
echo "exit counts (one exit costs ~35-70 us here against ~1 us on hardware)."
echo

awk '
function med(key,   n, i, j, t, a) {
	n = cnt[key]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { if (v == "" || v == "NA") return; cnt[key]++; val[key, cnt[key]] = v + 0 }
function mib(v) { return v == "" ? "" : v / 1024 }
function f(v, d) { return v == "" ? "-" : sprintf("%." d "f", v) }
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
{
	delete kv
	for (i = 3; i <= NF; i++) if ((p = index($i, "=")) > 0) kv[substr($i, 1, p - 1)] = substr($i, p + 1)
	kind = $2
	if (kind == "boot") {
		v = kv["vmm"]; seen_boot[v] = 1
		add("boot" SUBSEP v SUBSEP "up", kv["guest_up"])
		add("boot" SUBSEP v SUBSEP "wm", kv["wall_marker"])
		add("boot" SUBSEP v SUBSEP "we", kv["wall_exit"])
		add("boot" SUBSEP v SUBSEP "ex", kv["d_exits"])
		if (kv["d_io_exits"] != "NA" && kv["d_mmio_exits"] != "NA")
			add("boot" SUBSEP v SUBSEP "ux", kv["d_io_exits"] + kv["d_mmio_exits"])
		add("boot" SUBSEP v SUBSEP "pf", kv["d_pf_taken"])
	} else if (kind == "mem") {
		v = kv["vmm"]; seen_mem[v] = 1
		add("mem" SUBSEP v SUBSEP "rss", kv["vmrss_kb"])
		add("mem" SUBSEP v SUBSEP "g", kv["guest_rss_kb"])
		add("mem" SUBSEP v SUBSEP "o", kv["overhead_kb"])
		add("mem" SUBSEP v SUBSEP "anon", kv["rssanon"])
		add("mem" SUBSEP v SUBSEP "file", kv["rssfile"])
		add("mem" SUBSEP v SUBSEP "thp", kv["guest_thp_kb"])
		if (kv["guest_by"] != "") mem_by[v] = kv["guest_by"]
	} else if (kind == "blk" && kv["iops"] != "") {
		t = kv["test"]; a = kv["aio"]; v = kv["vmm"]
		if (!((t, a) in seen_blk)) { seen_blk[t, a] = 1; order[++no] = t SUBSEP a }
		k = "blk" SUBSEP t SUBSEP a SUBSEP v
		add(k SUBSEP "iops", kv["iops"]); add(k SUBSEP "mbps", kv["mbps"])
		if (kv["ios"] > 0 && kv["d_exits"] != "NA") {
			add(k SUBSEP "x", kv["d_exits"] / kv["ios"])
			add(k SUBSEP "u", (kv["d_io_exits"] + kv["d_mmio_exits"]) / kv["ios"])
			add(k SUBSEP "h", kv["d_halt_exits"] / kv["ios"])
			add(k SUBSEP "i", kv["d_irq_exits"] / kv["ios"])
			add(k SUBSEP "w", kv["d_irq_window_exits"] / kv["ios"])
			add(k SUBSEP "e", kv["d_insn_emulation"] / kv["ios"])
			add(k SUBSEP "j", kv["d_irq_injections"] / kv["ios"])
		}
	} else if (kind == "net" && kv["ok"] == "1") {
		t = kv["test"]; h = kv["vhost"]; v = kv["vmm"]
		if (!((t, h) in seen_net)) { seen_net[t, h] = 1; norder[++nn] = t SUBSEP h }
		k = "net" SUBSEP t SUBSEP h SUBSEP v
		add(k SUBSEP "mbps", kv["mbps"]); add(k SUBSEP "sum", kv["mbps_sum"])
		mb = kv["bytes"] / 1e6
		if (mb > 0 && kv["d_exits"] != "NA") {
			add(k SUBSEP "x", kv["d_exits"] / mb)
			add(k SUBSEP "u", (kv["d_io_exits"] + kv["d_mmio_exits"]) / mb)
			add(k SUBSEP "h", kv["d_halt_exits"] / mb)
			add(k SUBSEP "i", kv["d_irq_exits"] / mb)
			add(k SUBSEP "w", kv["d_irq_window_exits"] / mb)
			add(k SUBSEP "e", kv["d_insn_emulation"] / mb)
			add(k SUBSEP "j", kv["d_irq_injections"] / mb)
		}
	} else if (kind == "err") {
		nerr++
	}
}
END {
	print "## Boot time (Debian bzImage, tiny initrd, 1 vCPU, 128M, \"console=ttyS0 quiet\")"
	print ""
	print "Guest uptime when /init runs; wall time in L1 from starting the VMM to the marker line"
	print "/init prints, and to the VMM'"'"'s exit after `poweroff -f`; KVM exits from the start to the marker."
	print ""
	print "| VMM | n | guest uptime at /init (s) | wall to marker (s) | wall to exit (s) | exits to marker | io+mmio exits | page faults (pf_taken) | ratio kasou/this: uptime | ratio: wall to marker |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	split("kasou qemu-microvm qemu-q35", vs, " ")
	ku = med("boot" SUBSEP "kasou" SUBSEP "up"); kw = med("boot" SUBSEP "kasou" SUBSEP "wm")
	for (j = 1; j <= 3; j++) {
		v = vs[j]; b = "boot" SUBSEP v SUBSEP
		u = med(b "up"); w = med(b "wm")
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", v, cnt[b "up"], f(u, 2), f(w, 2), f(med(b "we"), 2),
			f(med(b "ex"), 0), f(med(b "ux"), 0), f(med(b "pf"), 0), v == "kasou" ? "1" : ratio(ku, u), v == "kasou" ? "1" : ratio(kw, w)
	}
	print ""
	print "QEMU: `-M microvm,rtc=on` (cmdline + `reboot=t`) and `-M q35` (SeaBIOS), both `-nodefaults -no-reboot`."
	print ""
	print "## Memory: VMM overhead, idle 1-vCPU 128M guest"
	print ""
	print "VmRSS of the VMM process minus the resident part (smaps Rss) of its guest RAM mapping"
	print "(kasou: anonymous memory, THP asked for, named `kasou-guest-ram` where the kernel can name it,"
	print "else found as the anonymous mapping of the guest'"'"'s size (found by: " (mem_by["kasou"] == "" ? "-" : mem_by["kasou"]) ");"
	print "QEMU: `-object memory-backend-memfd,id=ram` so the mapping is identifiable), read 3 s after"
	print "the guest reported idle. Values in MiB; guest RAM in huge pages: AnonHugePages + ShmemPmdMapped."
	print ""
	print "| VMM | n | VmRSS | guest RAM Rss | guest RAM in huge pages | overhead (VmRSS - guest) | RssAnon | RssFile | overhead ratio kasou/this |"
	print "|---|---|---|---|---|---|---|---|---|"
	ko = med("mem" SUBSEP "kasou" SUBSEP "o")
	for (j = 1; j <= 3; j++) {
		v = vs[j]; b = "mem" SUBSEP v SUBSEP
		o = med(b "o")
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", v, cnt[b "o"], f(mib(med(b "rss")), 1), f(mib(med(b "g")), 1),
			f(mib(med(b "thp")), 1), f(mib(o), 1), f(mib(med(b "anon")), 1), f(mib(med(b "file")), 1), v == "kasou" ? "1" : ratio(ko, o)
	}
	print ""
	print "## Block I/O (kbench, O_DIRECT libaio in L2: 256M, 2 vCPUs, 1 GiB raw image on ext4 in L1, cache=none, 1 queue)"
	print ""
	print "QEMU: q35, `-drive ...,cache=none,aio=A -device virtio-blk-pci,num-queues=1`; kasou: `--disk path=...,cache=none,aio=A`."
	print "exits/IO: all KVM exits in the window (guest says GO, waits 0.5 s, runs kbench, says DONE) / I/Os completed."
	print ""
	print "| test | aio | kasou IOPS | QEMU IOPS | ratio | kasou MB/s | QEMU MB/s | kasou exits/IO | QEMU exits/IO | n (kasou/QEMU) |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (j = 1; j <= no; j++) {
		split(order[j], ta, SUBSEP)
		kk = "blk" SUBSEP ta[1] SUBSEP ta[2] SUBSEP "kasou" SUBSEP
		kq = "blk" SUBSEP ta[1] SUBSEP ta[2] SUBSEP "qemu" SUBSEP
		ki = med(kk "iops"); qi = med(kq "iops")
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", ta[1], ta[2], f(ki, 0), f(qi, 0), ratio(ki, qi),
			f(med(kk "mbps"), 1), f(med(kq "mbps"), 1), f(med(kk "x"), 2), f(med(kq "x"), 2), cnt[kk "iops"], cnt[kq "iops"]
	}
	print ""
	print "Exits per I/O by kind (medians of KVM'"'"'s debugfs counters): io_exits + mmio_exits, halt_exits,"
	print "irq_exits (external interrupts), irq_window_exits, insn_emulation; and irq_injections"
	print "(interrupts KVM injected into the guest) per I/O."
	print ""
	print "| test | aio | VMM | exits | io+mmio | halt | irq | irq window | insn emulation | irq injections |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (j = 1; j <= no; j++) {
		split(order[j], ta, SUBSEP)
		for (m = 1; m <= 2; m++) {
			v = m == 1 ? "kasou" : "qemu"
			kk = "blk" SUBSEP ta[1] SUBSEP ta[2] SUBSEP v SUBSEP
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ta[1], ta[2], v, f(med(kk "x"), 2), f(med(kk "u"), 2),
				f(med(kk "h"), 2), f(med(kk "i"), 2), f(med(kk "w"), 2), f(med(kk "e"), 2), f(med(kk "j"), 2)
		}
	}
	print ""
	print "## Network (TCP over virtio-net on a tap in L1; L2 256M, 2 vCPUs, 1 queue pair)"
	print ""
	print "kbench send/recv (iperf3 is not in the images): each test moves the same bytes (split among the"
	print "streams), checked with an FNV checksum on both ends. g2h: guest -> L1, h2g: L1 -> guest;"
	print "-N: N parallel streams (the guest'"'"'s ends pinned to vCPU i % 2 with taskset, L1'"'"'s unpinned)."
	print "Mbit/s: all bytes over the wall time from the first receiver'"'"'s first byte to the last"
	print "receiver'"'"'s EOF (medians; the sum of per-stream rates is in raw.txt as mbps_sum)."
	print "exits/MB: all KVM exits from the guest'"'"'s GO to its DONE / 10^6 bytes moved."
	print "QEMU: q35, `-netdev tap,...,vhost=V -device virtio-net-pci,romfile=`; kasou: `--net tap=NAME,vhost=V`."
	print ""
	print "| test | vhost | kasou Mbit/s | QEMU Mbit/s | ratio | kasou exits/MB | QEMU exits/MB | n (kasou/QEMU) |"
	print "|---|---|---|---|---|---|---|---|"
	for (j = 1; j <= nn; j++) {
		split(norder[j], ta, SUBSEP)
		kk = "net" SUBSEP ta[1] SUBSEP ta[2] SUBSEP "kasou" SUBSEP
		kq = "net" SUBSEP ta[1] SUBSEP ta[2] SUBSEP "qemu" SUBSEP
		km = med(kk "mbps"); qm = med(kq "mbps")
		printf "| %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", ta[1], ta[2], f(km, 0), f(qm, 0), ratio(km, qm),
			f(med(kk "x"), 1), f(med(kq "x"), 1), cnt[kk "mbps"], cnt[kq "mbps"]
	}
	print ""
	print "Exits per MB by kind (medians): exits, io_exits + mmio_exits, halt_exits, irq_exits,"
	print "irq_window_exits, insn_emulation; and irq_injections per MB."
	print ""
	print "| test | vhost | VMM | exits | io+mmio | halt | irq | irq window | insn emulation | irq injections |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (j = 1; j <= nn; j++) {
		split(norder[j], ta, SUBSEP)
		for (m = 1; m <= 2; m++) {
			v = m == 1 ? "kasou" : "qemu"
			kk = "net" SUBSEP ta[1] SUBSEP ta[2] SUBSEP v SUBSEP
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ta[1], ta[2], v, f(med(kk "x"), 1), f(med(kk "u"), 1),
				f(med(kk "h"), 1), f(med(kk "i"), 1), f(med(kk "w"), 1), f(med(kk "e"), 1), f(med(kk "j"), 1)
		}
	}
	print ""
	printf "%d failure record(s).\n", nerr
}' "$RAW"

echo
echo "## Failures"
echo
if grep -q ' err ' "$RAW"; then
	echo '```'
	grep -E ' (err|errcmd|errtail) ' "$RAW"
	echo '```'
else
	echo "None recorded."
fi
echo
echo "## Lab faults handled in L1"
echo
echo "A lab fault signature (rcu: INFO, soft lockup, ...) in an L2 console (the VMM was killed at"
echo "once) or an L2 that reset mid-run (LAB.md: L2s reset silently under load, QEMU's too): the"
echo "run was retried once in the same L1; results of a faulted run are not in the tables"
echo "(raw.txt keeps them as blk-faulted / net-faulted). Counts by VMM: $(awk '$2 == "labfault" && $0 ~ / try=/ {
	for (i = 3; i <= NF; i++) if ($i ~ /^vmm=/) c[substr($i, 5)]++ } END { for (v in c) printf "%s %d; ", v, c[v] }' "$RAW")"
echo
if grep -q ' labfault ' "$RAW"; then
	echo '```'
	grep ' labfault ' "$RAW"
	echo '```'
else
	echo "None."
fi
if [ -n "$VERDICTS" ] && [ -s "$VERDICTS" ]; then
	echo
	echo "## Lab run (tests/lab/run.sh)"
	echo
	echo '```'
	grep -E '^(PASS|FAIL|SKIP) |lab fault|^lab: batch|^lab: .*mode' "$VERDICTS" | grep -v '^    |'
	echo '```'
fi
