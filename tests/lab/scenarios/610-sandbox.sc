# sandbox: kasou started as root with --user nobody --chroot JAIL runs the guest as uid/gid
# 65534 inside JAIL with no capabilities (bounding set empty), no_new_privs, and seccomp filters
# on every thread (two stacked on each vCPU thread); the guest boots and powers off (exit 0).
# An unprivileged user with access to /dev/kvm and the images only boots the basic VM.
#! expect-exit: 0
#! expect: LAB-PASS jail-ids
#! expect: LAB-PASS jail-caps
#! expect: LAB-PASS jail-root
#! expect: LAB-PASS jail-seccomp
#! expect: LAB-PASS jail-exit
#! expect: LAB-PASS unprivileged
#! expect-not: LAB-FAIL
#! timeout: 150
--- guest ---
echo LAB-READY
sleep 6
--- l1 ---
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
mkdir -p "$TMPDIR/jail"
"$KASOU" run --kernel "$KERNEL" --initrd "$INITRD" --cmdline "console=ttyS0 quiet panic=-1" \
	--cpus 2 --memory 128M --api-socket none --user nobody --chroot "$TMPDIR/jail" \
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
bad=0
for t in /proc/$pid/task/*; do
	n=$(cat $t/comm)
	m=$(awk '/^Seccomp:/ { print $2 }' $t/status)
	f=$(awk '/^Seccomp_filters:/ { print $2 }' $t/status)
	echo "thread $n: Seccomp $m, filters ${f:-?}"
	[ "$m" = 2 ] || bad=1
	case $n in vcpu*) [ "${f:-2}" = 2 ] || bad=1 ;; esac
done
[ $bad = 0 ] && pass jail-seccomp || fail jail-seccomp "a thread without its filters"
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
