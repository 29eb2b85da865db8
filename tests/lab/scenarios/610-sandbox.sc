# sandbox: kasou started as root with --user nobody --chroot JAIL runs the guest as uid/gid
# 65534 inside JAIL with no capabilities (bounding set empty), no_new_privs, and seccomp filters
# on every thread: the process filter alone on the main thread, and each other thread's own
# stacked on it (vCPU, API, disk and net I/O, user networking); the API answers under its
# filter, the guest does disk and network I/O under theirs, boots and powers off (exit 0).
# An unprivileged user with access to /dev/kvm and the images only boots the basic VM.
#! guest-modules: virtio_pci virtio_blk virtio_net
#! expect-exit: 0
#! expect: LAB-PASS jail-ids
#! expect: LAB-PASS jail-caps
#! expect: LAB-PASS jail-root
#! expect: LAB-PASS jail-seccomp
#! expect: LAB-PASS jail-api
#! expect: LAB-PASS jail-exit
#! expect: LAB-PASS unprivileged
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
ip link set eth0 up
echo hello | dd of=/dev/vda bs=512 conv=fsync 2>/dev/null
dd if=/dev/vda of=/dev/null bs=4096 count=4 iflag=direct 2>/dev/null && echo LAB-DISK-OK
echo LAB-READY
sleep 8
--- l1 ---
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
export KASOU_API_DIR=$TMPDIR/api
mkdir -p "$TMPDIR/jail"
dd if=/dev/zero of="$TMPDIR/d.img" bs=1M count=8 2>/dev/null
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 2 --memory 128M --name jailvm --user nobody \
	--chroot "$TMPDIR/jail" --disk "path=$TMPDIR/d.img,aio=threads" --net user \
	</dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
wait_for LAB-READY "$TMPDIR/out" 90 $pid
st=/proc/$pid/status
grep -E '^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp|Seccomp_filters):' $st
grep -q '^Uid:.65534.65534.65534.65534' $st && grep -q '^Gid:.65534.65534.65534.65534' $st &&
	pass jail-ids || fail jail-ids "$(grep -E '^(Uid|Gid)' $st | tr '\n' ' ')"
grep -q '^CapEff:.0000000000000000' $st && grep -q '^CapPrm:.0000000000000000' $st &&
	grep -q '^CapBnd:.0000000000000000' $st && grep -q '^NoNewPrivs:.1' $st &&
	pass jail-caps || fail jail-caps "$(grep -E '^(Cap|NoNew)' $st | tr '\n' ' ')"
root=$(readlink /proc/$pid/root)
[ "$root" = "$(cd "$TMPDIR/jail" && pwd -P)" ] && pass jail-root || fail jail-root "root is $root"
# filters per thread: the process filter (1) everywhere, plus the thread's own; a thread
# started by another (I/O threads by a vCPU at DRIVER_OK, a disk's workers by its queue
# thread) inherits that one's filters too
bad=0 kinds=
for t in /proc/$pid/task/*; do
	n=$(cat $t/comm)
	m=$(awk '/^Seccomp:/ { print $2 }' $t/status)
	f=$(awk '/^Seccomp_filters:/ { print $2 }' $t/status)
	echo "thread $n: Seccomp $m, filters ${f:-?}"
	[ "$m" = 2 ] || bad=1
	case $n in
	vcpu*) want=2 k=vcpu ;;
	kasou-api) want=2 k=api ;;
	kasou-slirp) want=2 k=slirp ;;
	io-*) want=3 k=io ;;
	kasou-blk) want=2 k=io ;;
	*) want=1 k=main ;;
	esac
	kinds="$kinds $k"
	[ "${f:-0}" -ge $want ] || { echo "  $n: want at least $want filters"; bad=1; }
	[ $k = main ] && [ "${f:-0}" != 1 ] && bad=1
done
for k in main vcpu api slirp io; do
	case " $kinds " in *" $k "*) ;; *) echo "no $k thread"; bad=1 ;; esac
done
[ $bad = 0 ] && pass jail-seccomp || fail jail-seccomp "a thread without its filters"
# the API thread answers under its filter, reading /proc and KVM's stats
st=$("$KASOU" stats jailvm --json 2>&1)
echo "$st" | head -c 300; echo
echo "$st" | grep -q '"vcpus"' && kill -0 $pid && grep -q LAB-DISK-OK "$TMPDIR/out" &&
	pass jail-api || fail jail-api "kasou stats under the API filter, or the guest's disk I/O"
wait $pid
rc=$?
tail -3 "$TMPDIR/out"
[ $rc = 0 ] && pass jail-exit || fail jail-exit "exit $rc"
# no root at all: only /dev/kvm and the images are the user's
chmod 666 /dev/kvm
chmod a+r "$KERNEL" "$INITRD"
out=$(su -s /bin/sh nobody -c "$KASOU run --kernel $KERNEL --initrd $INITRD --cmdline 'console=ttyS0 quiet panic=-1' --memory 128M --api-socket none </dev/null" 2>&1)
rc=$?
chmod 600 /dev/kvm
echo "$out" | grep -v '^\[' | tail -3
[ $rc = 0 ] && echo "$out" | grep -q LAB-READY && pass unprivileged || fail unprivileged "exit $rc"
exit 0
