# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh disable=SC2086,SC2154,SC2046,SC2016 # $QCOMMON splits on purpose; eval sets _a/_b
# tests/lab/bench/lib.sh — sourced by the benchmark scenarios' L1 scripts (busybox sh, in
# L1; or on a native host). kasou and the peer (QEMU with -accel kvm) run in the same L1,
# alternating. Every measurement is one "@B KIND key=value..." line on stdout (the scenario
# log); tests/lab/bench/bench.sh collects them into build/bench/raw.txt and results.md.
#   @B boot  r= vmm= i= guest_up= wall_marker= wall_exit= rc= d_exits= ...
#   @B mem   r= vmm= vmrss_kb= guest_rss_kb= overhead_kb= ...
#   @B blk   r= vmm= aio= test= ios= secs= iops= mbps= d_exits= ...
#   @B net   r= vmm= vhost= test= streams= bytes= secs= mbps= mbps_sum= ok= d_exits= ...
#   @B err   r= what= vmm= ...   (+ "@B errcmd ..." and "@B errtail | ..." lines)
#   @B labfault r= what= vmm= try= ...   a lab fault signature in the guest console (the
#            VMM is killed at once) or a guest reset: the run is retried once; its results
#            are "blk-faulted" / "net-faulted"
#   @B info  ...
# The VMMs' own output (the L2 console, their messages) goes to the log prefixed with "| ".
# Needs: BENCH_ROUND (round number), KERNEL, INITRD, KASOU, TMPDIR (from the lab runner).

BENCH=${BENCH_DIR:-/bench}
R=${BENCH_ROUND:-0}
KVMD=/sys/kernel/debug/kvm
STATS="exits io_exits mmio_exits halt_exits irq_exits irq_window_exits nmi_window_exits signal_exits request_irq_exits insn_emulation irq_injections halt_wakeup hypercalls pf_taken pf_fixed pf_emulate pf_mmio_spte_created"
QEMU=qemu-system-x86_64
QCOMMON="-nodefaults -no-user-config -display none -serial stdio -no-reboot -L /usr/share/qemu -L /usr/share/seabios"
CR=$(printf '\r')
BENCH_NERR=0

rec() { echo "@B $*"; }
serr() { BENCH_NERR=$((BENCH_NERR + 1)); rec "err r=$R what=setup $*"; return 1; }
up() { read -r UP _ </proc/uptime; }

# snap PREFIX: the KVM stats into variables PREFIX_exits, PREFIX_io_exits, ... (no forks)
snap() {
	for _f in $STATS; do
		_v=NA
		[ -r "$KVMD/$_f" ] && read -r _v <"$KVMD/$_f"
		eval "$1_$_f=\$_v"
	done
}
# delta A B: "d_exits=N d_io_exits=N ..." (B - A)
delta() {
	_d=""
	for _f in $STATS; do
		eval "_a=\$$1_$_f _b=\$$2_$_f"
		if [ "$_a" = NA ] || [ "$_b" = NA ]; then
			_d="$_d d_$_f=NA"
		else
			_d="$_d d_$_f=$((_b - _a))"
		fi
	done
	echo "${_d# }"
}

# run_vmm OUT FIRST CMD...: run a VMM (stdin /dev/null), its output read line by line as it
# comes and written to OUT with these markers:
#   @T UPTIME DELTAS  the guest's BENCH-BOOTED line (uptime then, KVM exits since the start)
#   @B blk ...        a kbench result, with the KVM exits between BENCH-GO and BENCH-DONE
#   @B net ...        a network test (BENCH-GO net ... starts L1's senders for h2g;
#                     BENCH-NETRESULT gives the guest's side), exits from GO to DONE
#   @F LINE           a lab fault signature in the guest console (those of run.sh: rcu: INFO,
#                     self-detected stall, soft lockup, Kernel panic, stack guard page):
#                     the VMM is killed at once
#   @RC N             the VMM's exit status
# Deadlines (a watcher kills the VMM when one passes; why goes to $TMPDIR/vmm.hang, with
# KVM's exit counts over the 2 s before): FIRST s to the first marker, BENCH_GO_SECS
# (BENCH_SECS + 30) s for each test from its BENCH-GO, 40 s from the last one to the VMM's exit. Sets T0, T2 (uptimes at start
# and end), RC, FAULT, HANG.
run_vmm() {
	_out=$1 _first=$2
	shift 2
	_pidf=$TMPDIR/vmm.pid _dl=$TMPDIR/vmm.deadline _hang=$TMPDIR/vmm.hang
	rm -f "$_pidf" "$_hang"
	up
	echo $((${UP%.*} + _first)) >"$_dl"
	snap s0
	up
	T0=$UP
	_vmm_watcher &
	_wpid=$!
	# in its own process group (setsid), so that a kill reaches whatever it started
	{ busybox setsid busybox sh -c 'echo $$ >"$0"; exec "$@"' "$_pidf" "$@" </dev/null 2>&1; echo "@RC $?"; } |
		while IFS= read -r line; do
			line=${line%"$CR"}
			case $line in
			*BENCH-BOOTED*) up; snap s1; echo "@T $UP $(delta s0 s1)"; _setdl 40 ;;
			*BENCH-GO*)
				snap a
				_setdl "${BENCH_GO_SECS:-$((${BENCH_SECS:-0} + 30))}"
				case $line in *"BENCH-GO net "*) net_go ${line#*BENCH-GO net } ;; esac
				;;
			*BENCH-DONE*) snap b; _done=1; _setdl 40 ;;
			*BENCH-NETRESULT*) net_result ${line#*BENCH-NETRESULT } ;;
			*BENCH-RESULT*)
				set -- ${line#*BENCH-RESULT }
				t=$1
				shift
				[ "$1" = kbench ] && shift
				echo "@B blk r=$R vmm=$vmm aio=$aio test=$t $* $(delta a b)"
				;;
			*"rcu: INFO"* | *"self-detected stall"* | *"soft lockup"* | *"Kernel panic"* | *"stack guard page"*)
				if [ -z "${_faulted:-}" ]; then
					_faulted=1
					echo "@F $line"
					kill -TERM -"$(cat "$_pidf")" 2>/dev/null
				fi
				;;
			esac
			printf '%s\n' "$line"
		done >"$_out"
	up
	T2=$UP
	kill "$_wpid" 2>/dev/null
	wait "$_wpid" 2>/dev/null
	RC=$(sed -n 's/^@RC //p' "$_out")
	FAULT=$(sed -n 's/^@F //p' "$_out" | head -1)
	HANG=$(cat "$_hang" 2>/dev/null)
}
# reset_check LAST-WORD: after run_vmm, a guest that reset before LAST-WORD (QEMU with
# -no-reboot exits 0 silently; kasou with --no-reboot says "guest reset") counts as a lab
# fault like the console signatures (LAB.md: L2s reset silently under load, QEMU's too);
# the labfault record names the VMM, so a VMM that resets more than its peer stands out.
reset_check() {
	[ -z "$FAULT" ] || return 0
	grep -aq "$1" "$_out" && return 0
	if grep -aq 'guest reset' "$_out" || { [ "$RC" = 0 ] && [ "$vmm" != kasou ]; }; then
		FAULT="guest reset: $(grep -a -m1 -E 'triple fault|guest reset' "$_out" ||
			echo "$vmm exited with status 0 before the guest's $1")"
	fi
	return 0
}
_setdl() { read -r _u _ </proc/uptime; echo $((${_u%.*} + $1)) >"$_dl"; }
_vmm_watcher() {
	while sleep 1; do
		[ -s "$_pidf" ] || continue
		read -r _p <"$_pidf"
		kill -0 "$_p" 2>/dev/null || return 0
		read -r _d <"$_dl"
		read -r _u _ </proc/uptime
		[ "${_u%.*}" -gt "$_d" ] || continue
		snap w0
		sleep 2
		snap w1
		echo "killed: no progress by the deadline; KVM exits in the 2 s before: $(delta w0 w1)" >"$_hang"
		kill -TERM -"$_p" 2>/dev/null
		sleep 5
		kill -KILL -"$_p" 2>/dev/null
		return 0
	done
}
# show_out OUT: the VMM's output for the log, "| "-prefixed, markers left out (records
# kept); the fault signatures of a fault handled here are defused (run.sh would otherwise
# rerun the whole scenario in a fresh L1), faulted results renamed "blk-faulted"
show_out() {
	if [ -n "$FAULT" ]; then
		sed -e '/^@RC /d' -e '/^@[TF] /d' -e 's/^@B blk /@B blk-faulted /' -e 's/^@B net /@B net-faulted /' \
			-e '/^@B /!s/^/| /' \
			-e 's/rcu: INFO/rcu(handled): INFO/; s/self-detected stall/self-detected (handled) stall/' \
			-e 's/soft lockup/soft (handled) lockup/; s/Kernel panic/Kernel (handled) panic/' \
			-e 's/stack guard page/stack guard (handled) page/' "$1"
	else
		sed -e '/^@RC /d' -e '/^@[TF] /d' -e '/^@B /!s/^/| /' "$1"
	fi
}
# labfault WHAT VMM TRY DETAILS...: a lab fault handled here (the run is retried once)
labfault() {
	_what=$1 _vmm=$2 _try=$3
	shift 3
	rec "labfault r=$R what=$_what vmm=$_vmm try=$_try $* signature: $(echo "$FAULT" | tr -d '\r' | sed 's/rcu: INFO/rcu(handled): INFO/')"
	[ "$_try" -ge 2 ] && rec "labfault r=$R what=$_what vmm=$_vmm $* no more tries: no result from this run"
	return 0
}

# err WHAT VMM OUTFILE DETAILS... — record a failure with its command and output tail
err() {
	_what=$1 _vmm=$2 _out=$3
	shift 3
	BENCH_NERR=$((BENCH_NERR + 1))
	rec "err r=$R what=$_what vmm=$_vmm $*"
	rec "errcmd $CMDLINE"
	[ -n "${HANG:-}" ] && rec "errtail | (bench: $HANG)"
	# kasou's own failure: run.sh must not take it for a lab fault and rerun the scenario
	[ "$_vmm" = kasou ] && echo "LAB-FAIL bench-$_what kasou: $*"
	[ -f "$_out" ] && tail -n 15 "$_out" | tr -d '\r' | sed 's/^/@B errtail | /'
	return 0
}

# setup: the QEMU tools disk (ext4, read-only, serial kasou-tools) mounted on /tools with
# QEMU's files linked to their usual paths, debugfs, and both VMMs warmed up (page cache).
bench_setup() {
	if ! command -v $QEMU >/dev/null 2>&1; then
		dev=
		for _ in $(seq 100); do
			for b in /sys/block/vd*; do
				[ "$(cat "$b/serial" 2>/dev/null)" = kasou-tools ] && dev=/dev/${b##*/}
			done
			[ -n "$dev" ] && [ -b "$dev" ] && break
			sleep 0.1
		done
		[ -n "$dev" ] || { serr "vmm=qemu no tools disk (virtio-blk serial kasou-tools) in L1"; return 1; }
		mkdir -p /tools
		grep -q ' /tools ' /proc/mounts || mount -t ext4 -o ro "$dev" /tools ||
			{ serr "vmm=qemu cannot mount $dev on /tools"; return 1; }
		mkdir -p /usr/share /usr/bin
		for d in /usr/share/qemu /usr/share/seabios /usr/bin/$QEMU; do
			[ -e "$d" ] || ln -s "/tools$d" "$d"
		done
		# the libraries, at the paths ldd gave on the host (those kasou brought stay)
		for f in /tools/lib/*/* /tools/lib64/* /tools/usr/lib/*/*; do
			[ -f "$f" ] || continue
			d=${f#/tools}
			[ -e "$d" ] && continue
			mkdir -p "${d%/*}"
			ln -s "$f" "$d"
		done
	fi
	grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs none /sys/kernel/debug
	[ -r "$KVMD/exits" ] || rec "info r=$R no KVM stats in $KVMD"
	if v=$($QEMU --version 2>&1 | head -1); then rec "info r=$R qemu $v"; else
		serr "vmm=qemu '$QEMU --version' failed: $v"; return 1; fi
	# QEMU really on KVM in L1 (it would stop with an error otherwise, but say it)
	v=$(printf 'info kvm\nquit\n' | busybox timeout 30 $QEMU -M none -accel kvm -nodefaults -no-user-config \
		-display none -monitor stdio 2>&1 | tr -d '\r' | grep -a -m1 'kvm support')
	rec "info r=$R qemu -accel kvm in L1: ${v:-no answer}"
	[ "$v" = "kvm support: enabled" ] || { serr "vmm=qemu 'info kvm' in QEMU with -accel kvm: '$v'"; return 1; }
	v=$("$KASOU" --version 2>&1 | head -1)
	rec "info r=$R kasou $v"
	_t=/sys/kernel/mm/transparent_hugepage
	rec "info r=$R thp enabled: $(cat $_t/enabled 2>/dev/null); shmem_enabled: $(cat $_t/shmem_enabled 2>/dev/null)"
	return 0
}

# ------------------------------------------------------------------ boot time
# boot_one VMM I: boot the tiny initrd (/init prints /proc/uptime and BENCH-BOOTED, then
# powers off); wall time from starting the VMM to the marker line and to its exit; KVM
# exits from the start to the marker (KVM's debugfs sums cover live VMs only).
boot_one() {
	vmm=$1 i=$2 out=$TMPDIR/boot.out aio=
	case $vmm in
	kasou) set -- "$KASOU" run --kernel "$KERNEL" --initrd "$BENCH/boot.initrd" \
		--cmdline "console=ttyS0 quiet" --cpus 1 --memory 128M --no-reboot ;;
	qemu-microvm) set -- $QEMU -M microvm,rtc=on -accel kvm -cpu host -m 128M -smp 1 $QCOMMON \
		-kernel "$KERNEL" -initrd "$BENCH/boot.initrd" -append "console=ttyS0 quiet reboot=t" ;;
	qemu-q35) set -- $QEMU -M q35 -accel kvm -cpu host -m 128M -smp 1 $QCOMMON \
		-kernel "$KERNEL" -initrd "$BENCH/boot.initrd" -append "console=ttyS0 quiet" ;;
	esac
	CMDLINE="$*"
	for try in 1 2; do
		run_vmm "$out" 40 "$@"
		reset_check BENCH-BOOTED
		show_out "$out"
		[ -n "$FAULT" ] || break
		labfault boot "$vmm" $try "i=$i"
	done
	[ -n "$FAULT" ] && return
	set -- $(sed -n 's/^@T //p' "$out" | head -1)
	t1=${1:-}
	[ $# -gt 0 ] && shift
	d="$*"
	gu=$(sed -n 's/.*BENCH-UPTIME \([0-9.]*\).*/\1/p' "$out" | head -1)
	if [ -z "$t1" ] || [ -z "$gu" ]; then
		err boot "$vmm" "$out" "i=$i rc=$RC no BENCH-BOOTED marker"
		return
	fi
	[ "$RC" = 0 ] || err boot "$vmm" "$out" "i=$i rc=$RC (marker seen; exit status not 0)"
	rec "boot r=$R vmm=$vmm i=$i guest_up=$gu wall_marker=$(echo "$T0 $t1" | awk '{ printf "%.2f", $2 - $1 }')" \
		"wall_exit=$(echo "$T0 $T2" | awk '{ printf "%.2f", $2 - $1 }') rc=$RC $d"
}

# bench_boot N VMM...: N rounds over the VMMs, in the given order each time
bench_boot() {
	_n=$1
	shift
	_i=1
	while [ $_i -le "$_n" ]; do
		for _v in "$@"; do boot_one "$_v" "$_i"; done
		_i=$((_i + 1))
	done
}

# ------------------------------------------------------------------ memory
# mem_one VMM: a 1-vCPU 128M guest that boots and idles; VmRSS of the VMM process minus
# the resident part of its guest RAM mapping (kasou: anonymous memory named
# "kasou-guest-ram" where the kernel has CONFIG_ANON_VMA_NAME, else the unnamed anonymous
# mapping of exactly the guest's size; QEMU: a memory-backend-memfd, whose memfd is named
# after its type, so that the mapping can be told apart).
mem_one() {
	vmm=$1 out=$TMPDIR/mem.out HANG='' size_kb=''
	case $vmm in
	kasou) pat='[anon:kasou-guest-ram]' size_kb=131072
		set -- "$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet" \
			--cpus 1 --memory 128M --no-reboot ;;
	qemu-microvm) pat=/memfd:memory-backend-memfd
		set -- $QEMU -M microvm,rtc=on,memory-backend=ram -accel kvm -cpu host -m 128M -smp 1 \
			-object memory-backend-memfd,id=ram,size=128M $QCOMMON \
			-kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 quiet reboot=t" ;;
	qemu-q35) pat=/memfd:memory-backend-memfd
		set -- $QEMU -M q35,memory-backend=ram -accel kvm -cpu host -m 128M -smp 1 \
			-object memory-backend-memfd,id=ram,size=128M $QCOMMON \
			-kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 quiet" ;;
	esac
	CMDLINE="$*"
	"$@" </dev/null >"$out" 2>&1 &
	pid=$!
	ok=0
	for _ in $(seq 300); do
		grep -aq BENCH-IDLE "$out" && { ok=1; break; }
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	if [ $ok = 1 ]; then
		sleep 3 # let the guest settle into idle
		st=/proc/$pid/status
		vmrss=$(awk '/^VmRSS:/ { print $2 }' $st)
		extra=$(awk '/^(RssAnon|RssFile|RssShmem|VmHWM|Threads):/ { k = tolower($1); sub(":", "", k); printf "%s=%s ", k, $2 }' $st)
		# by name; or (size_kb) an unnamed anonymous mapping (5 fields) of the guest's size
		g=$(awk -v pat="$pat" -v want="$size_kb" '
			/^[0-9a-f]+-[0-9a-f]+ / { named = index($0, pat) > 0; anon = NF == 5; on = named; if (on) { n++; by = "name" } next }
			/^Size:/ && !named && want != "" && anon && $2 == want { on = 1; n++; by = "size" }
			on && /^Rss:/ { s += $2 }
			on && /^(AnonHugePages|ShmemPmdMapped):/ { h += $2 }
			END { printf "%d %d %s %d", s, n, by == "" ? "none" : by, h }' /proc/$pid/smaps)
		comm=$(cat /proc/$pid/comm)
		# the big mappings, for the record
		maps=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $6 == "" ? "[anon]" : $6 } /^Size:/ && $2 >= 16384 { printf "%s:%dk ", m, $2 }' /proc/$pid/smaps)
	fi
	kill $pid 2>/dev/null
	for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	tr -d '\r' <"$out" | sed 's/^/| /'
	if [ $ok != 1 ]; then
		err mem "$vmm" "$out" "rc=$rc the guest did not report BENCH-IDLE"
		return
	fi
	set -- $g
	if [ "${2:-0}" = 0 ]; then
		err mem "$vmm" "$out" "no '$pat' mapping${size_kb:+ nor an anonymous one of ${size_kb} kB} in /proc/$pid/smaps (process $comm; mappings >= 16M: $maps)"
		return
	fi
	rec "mem r=$R vmm=$vmm comm=$comm vmrss_kb=$vmrss guest_rss_kb=$1 guest_maps=$2 guest_by=$3 guest_thp_kb=$4" \
		"overhead_kb=$((vmrss - $1)) ${extra% }"
}

# ------------------------------------------------------------------ block I/O
# blk_image: a fully written 1 GiB raw image on the scratch ext4 (made once per L1)
blk_image() {
	IMG=${SCRATCH%/*}/bench-1g.img
	[ -n "$SCRATCH" ] || { serr "vmm=none no scratch file system for the image"; return 1; }
	if [ "$(stat -c %s "$IMG" 2>/dev/null)" != 1073741824 ]; then
		up
		_t0=$UP
		if ! dd if=/dev/zero of="$IMG.tmp" bs=4M count=256 oflag=direct 2>/dev/null || ! sync ||
			! mv "$IMG.tmp" "$IMG"; then
			serr "vmm=none cannot write $IMG"
			return 1
		fi
		up
		rec "info r=$R wrote $IMG (1 GiB) in $(echo "$_t0 $UP" | awk '{ printf "%.1f", $2 - $1 }') s"
	fi
	return 0
}

# blk_one VMM AIO: one L2 (256M, 2 vCPUs, one virtio-blk queue) runs the kbench tests in
# BENCH_TESTS (rw:bs,...) for BENCH_SECS each; KVM's exit counters are read when the guest
# says BENCH-GO (it then waits 0.5 s before starting) and BENCH-DONE.
blk_one() {
	vmm=$1 aio=$2 out=$TMPDIR/blk.out
	cl="console=ttyS0 quiet panic=-1 bench.tests=$BENCH_TESTS bench.secs=$BENCH_SECS"
	case $vmm in
	kasou) set -- "$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$cl" \
		--cpus 2 --memory 256M --no-reboot --disk "path=$IMG,cache=none,aio=$aio" ;;
	qemu) set -- $QEMU -M q35 -accel kvm -cpu host -m 256M -smp 2 $QCOMMON \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$cl" \
		-drive "file=$IMG,if=none,id=d,format=raw,cache=none,aio=$aio" \
		-device virtio-blk-pci,drive=d,num-queues=1 ;;
	esac
	CMDLINE="$*"
	ntests=$(echo "$BENCH_TESTS" | tr ',' '\n' | grep -c .)
	for try in 1 2; do
		run_vmm "$out" 60 "$@"
		reset_check LAB-GUEST-END
		show_out "$out"
		[ -n "$FAULT" ] || break
		labfault blk "$vmm" $try "aio=$aio results=$(grep -ac '^@B blk .* iops=' "$out")/$ntests"
	done
	[ -n "$FAULT" ] && return
	n=$(grep -ac '^@B blk .* iops=' "$out")
	boots=$(grep -ac 'LAB-INIT' "$out")
	if [ "$RC" != 0 ] || [ "$n" != "$ntests" ] || [ "$boots" != 1 ]; then
		err blk "$vmm" "$out" "aio=$aio rc=$RC results=$n/$ntests guest-boots=$boots"
	fi
}

# bench_blk PAIR...: PAIR is VMM:AIO
bench_blk() {
	blk_image || return 0
	for _p in "$@"; do blk_one "${_p%%:*}" "${_p#*:}"; done
}

# ------------------------------------------------------------------ network
# TCP over virtio-net on a tap in L1 (L1 192.168.200.1/24, the guest .2), with kbench
# (send/recv print the bytes and an FNV checksum, recv its first-byte and EOF times).
# BENCH_NET: the tests, DIR:STREAMS,... (g2h: the guest sends to L1; h2g: L1 sends to the
# guest), BENCH_NET_BYTES per test, split among its streams. Test K's stream J uses port
# 5000 + 10K + J. The guest's senders and receivers are pinned to vCPU J % 2 (taskset);
# L1's are not pinned. Throughput: all bytes of a test over the wall time from the first
# receiver's first byte to the last receiver's EOF (one clock: all receivers are on the
# same side); mbps_sum is the sum of the per-stream rates. KVM exits: from the guest's
# BENCH-GO (for g2h it then waits 0.5 s before sending) to its BENCH-DONE.
NET_L1=192.168.200.1
NET_G=192.168.200.2

# net_go K DIR N PER: (reader loop, at BENCH-GO) L1 starts the senders of an h2g test.
# Not as children of the reader: their SIGCHLD would interrupt its `read`, and busybox ash
# then drops the part of the line it had read (a lost "BE" of "BENCH-DONE" was seen).
net_go() {
	_done=
	[ "$2" = h2g ] || return 0
	_j=0
	while [ "$_j" -lt "$3" ]; do
		(kbench send $NET_G $((5000 + 10 * $1 + _j)) "$4" $((10 * $1 + _j + 1)) </dev/null >"$TMPDIR/ns$1.$_j" 2>&1 &
			echo $! >>"$TMPDIR/net.pids")
		_j=$((_j + 1))
	done
}
# net_result K DIR N TEXT...: (reader loop, at BENCH-NETRESULT; TEXT is what the guest's
# kbench processes printed) checks every stream's bytes and checksum against the other
# side's, prints the "@B net" record
net_result() {
	_k=$1 _dir=$2 _n=$3
	shift 3
	echo "$*" | awk '{ n = split($0, a, "kbench "); for (i = 2; i <= n; i++) print "kbench " a[i] }' >"$TMPDIR/nguest"
	if [ "$_dir" = g2h ]; then _side=nr; else _side=ns; fi
	# L1's side: wait (5 s at most) for every process to have printed its line
	_j=0 _w=0
	while [ "$_j" -lt "$_n" ]; do
		if grep -aqE '^kbench (sent|received) |kbench (send|recv):' "$TMPDIR/$_side$_k.$_j" 2>/dev/null || [ $_w -ge 50 ]; then
			_j=$((_j + 1))
		else
			sleep 0.1
			_w=$((_w + 1))
		fi
	done
	_j=0
	: >"$TMPDIR/nl1"
	while [ "$_j" -lt "$_n" ]; do cat "$TMPDIR/$_side$_k.$_j" >>"$TMPDIR/nl1" 2>/dev/null; _j=$((_j + 1)); done
	_e=$(awk -v n="$_n" '
		$1 != "kbench" { next }
		$2 == "sent" { s[$3 " " $4]++; ns++ }
		$2 == "received" {
			r[$3 " " $4]++; nr++; b += $3
			for (i = 5; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			if (nr == 1 || v["t0"] + 0 < t0) t0 = v["t0"] + 0
			if (nr == 1 || v["t1"] + 0 > t1) t1 = v["t1"] + 0
			sum += v["mbps"]
		}
		END {
			ok = ns == n && nr == n
			for (k in s) if (r[k] != s[k]) ok = 0
			for (k in r) if (r[k] != s[k]) ok = 0
			d = t1 - t0
			printf "streams=%d/%d bytes=%d secs=%.3f mbps=%.1f mbps_sum=%.1f ok=%d", nr, n, b, d,
				(d > 0 ? b * 8 / d / 1e6 : 0), sum, ok
		}' "$TMPDIR/nguest" "$TMPDIR/nl1")
	# no DONE line seen: no exit counts (b would be the previous test's)
	if [ -n "${_done:-}" ]; then _x=$(delta a b); else _x="d_exits=NA done_marker=missing"; fi
	echo "@B net r=$R vmm=$vmm vhost=$vh test=$_dir-$_n $_e $_x"
	case $_e in *ok=1) ;; *)
		# what each side printed, for the failure record
		sed 's/^/net: guest: /' "$TMPDIR/nguest"
		sed 's/^/net: L1: /' "$TMPDIR/nl1" ;;
	esac
}

# net_start VMM TAP: before the VMM starts: the tap (QEMU: made here; kasou makes its own,
# addressed in the background once it exists) and L1's receivers of the g2h tests
net_start() {
	: >"$TMPDIR/net.pids"
	rm -f "$TMPDIR"/nr* "$TMPDIR"/ns*
	if [ "$1" = kasou ]; then
		tap_up "$2" $NET_L1/24 90 >"$TMPDIR/tap_up" 2>&1 </dev/null &
		echo $! >>"$TMPDIR/net.pids"
	else
		if ! tunctl -t "$2" >/dev/null || ! ip addr add $NET_L1/24 dev "$2" || ! ip link set "$2" up; then
			serr "vmm=$1 cannot make tap $2 (tunctl -t, ip)"
			return 1
		fi
	fi
	_k=0
	for _t in $(echo "${BENCH_NET:?}" | tr , ' '); do
		_j=0
		while [ "${_t%%:*}" = g2h ] && [ "$_j" -lt "${_t#*:}" ]; do
			kbench recv $((5000 + 10 * _k + _j)) </dev/null >"$TMPDIR/nr$_k.$_j" 2>&1 &
			echo $! >>"$TMPDIR/net.pids"
			_j=$((_j + 1))
		done
		_k=$((_k + 1))
	done
	# listening before the guest can send (5 s at most)
	for _ in $(seq 50); do
		_n=0 _l=0
		for _f in "$TMPDIR"/nr*; do
			[ -e "$_f" ] || continue
			_n=$((_n + 1))
			grep -q listening "$_f" && _l=$((_l + 1))
		done
		[ $_l = $_n ] && break
		sleep 0.1
	done
	return 0
}
# net_stop VMM TAP: after the VMM: what is left of the kbench processes, QEMU's tap
net_stop() {
	while read -r _p; do kill "$_p" 2>/dev/null; done <"$TMPDIR/net.pids"
	while read -r _p; do wait "$_p" 2>/dev/null; done <"$TMPDIR/net.pids"
	[ "$1" = kasou ] || { ip link set "$2" down; tunctl -d "$2" >/dev/null; }
	# kasou's tap goes with its last file descriptor
	for _ in $(seq 20); do [ -e "/sys/class/net/$2" ] || break; sleep 0.1; done
	[ -e "/sys/class/net/$2" ] && rec "info r=$R tap $2 still there after $1 exited"
	return 0
}

# net_one VMM VHOST: one L2 (256M, 2 vCPUs, one virtio-net queue pair on a tap, vhost
# off|on) runs the BENCH_NET tests
net_one() {
	vmm=$1 vh=$2 out=$TMPDIR/net.out aio=
	cl="console=ttyS0 quiet panic=-1 bench.net=$BENCH_NET bench.bytes=$BENCH_NET_BYTES"
	case $vmm in
	kasou) tap=kbk0
		set -- "$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$cl" \
		--cpus 2 --memory 256M --no-reboot --net "tap=$tap,vhost=$vh" ;;
	qemu) tap=kbq0
		set -- $QEMU -M q35 -accel kvm -cpu host -m 256M -smp 2 $QCOMMON \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$cl" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=$vh" \
		-device virtio-net-pci,netdev=n0,romfile= ;;
	esac
	CMDLINE="$*"
	ntests=$(echo "$BENCH_NET" | tr ',' '\n' | grep -c .)
	for try in 1 2; do
		net_start "$vmm" "$tap" || return 0
		run_vmm "$out" 90 "$@"
		net_stop "$vmm" "$tap"
		reset_check LAB-GUEST-END
		show_out "$out"
		[ -n "$FAULT" ] || break
		labfault net "$vmm" $try "vhost=$vh results=$(grep -ac '^@B net .* ok=1 ' "$out")/$ntests"
	done
	[ -n "$FAULT" ] && return
	n=$(grep -ac '^@B net .* ok=1 ' "$out")
	boots=$(grep -ac 'LAB-INIT' "$out")
	fb=
	[ "$vmm" = kasou ] && [ "$vh" = on ] && grep -aq 'vhost=on unavailable' "$out" && fb=" (vhost=on unavailable: userspace data path)"
	if [ "$RC" != 0 ] || [ "$n" != "$ntests" ] || [ "$boots" != 1 ] || [ -n "$fb" ]; then
		err net "$vmm" "$out" "vhost=$vh rc=$RC results=$n/$ntests guest-boots=$boots$fb"
	fi
}

# bench_net PAIR...: PAIR is VMM:VHOST
bench_net() {
	for _p in "$@"; do net_one "${_p%%:*}" "${_p#*:}"; done
}

# the end of every bench scenario: exit status 0 unless something failed
bench_end() {
	rec "end r=$R errors=$BENCH_NERR"
	[ "$BENCH_NERR" = 0 ]
}
