#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the lab's L1 (busybox, under QEMU TCG with nested SVM). Loads kvm, then runs the
# batch of scenarios in /lab/batch.list with results on the second serial port (ttyS1);
# the kernel console stays on ttyS0. Powers off at the end whatever happens.
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /proc /sys /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o size=75% tmpfs /tmp
mount -t tmpfs tmpfs /run
export PATH=/lab/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp

out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
nonce=$(cat /lab/nonce 2>/dev/null)
read -r up _ </proc/uptime
echo "@@LAB $nonce L1-INIT uptime=$up" >$out

# kvm (and any extra modules the batch wants), in the order modprobe resolved on the host
modlog=/tmp/insmod.log
for list in /lab/l1-modules.list /lab/batch-modules.list; do
	[ -f $list ] || continue
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "$m" >>$modlog 2>&1 || echo "insmod $m failed" >>$modlog
	done <$list
done
# the scratch disk (ext4 on virtio-blk, made on the host): a real file system for O_DIRECT
# found by its serial (lab-scratch): other disks may come first (l1-qemu)
if [ -f /lab/scratch ]; then
	sdev=
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		for b in /sys/block/vd*; do
			[ "$(cat "$b/serial" 2>/dev/null)" = lab-scratch ] && sdev=/dev/${b##*/}
		done
		[ -n "$sdev" ] && [ -b "$sdev" ] && break
		sleep 0.5
	done
	[ -z "$sdev" ] && [ -b /dev/vda ] && sdev=/dev/vda # a host run.sh without the serial
	mkdir -p /scratch
	if [ -z "$sdev" ]; then
		echo "no scratch disk (virtio-blk serial lab-scratch)" >>$modlog
	else
		mount -t ext4 "$sdev" /scratch >>$modlog 2>&1 || echo "cannot mount the scratch disk $sdev" >>$modlog
	fi
fi
if [ -c /dev/kvm ]; then kvm=ok; else kvm=missing; fi
read -r up _ </proc/uptime
echo "@@LAB $nonce L1-READY kvm=$kvm uptime=$up $(tr '\n' ';' <$modlog 2>/dev/null)" >$out

scratch=
grep -q ' /scratch ' /proc/mounts && scratch=/scratch
LAB=/lab LAB_MODE=nested LAB_OUT=$out LAB_NONCE=$nonce LAB_SCRATCH=$scratch sh /lab/runner.sh

read -r up _ </proc/uptime
echo "@@LAB $nonce L1-DONE uptime=$up" >$out
sync
poweroff -f
