/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * seccomp filters (libseccomp), two layers:
 *  - the process filter, installed on every thread at once (TSYNC) before the
 *    first vCPU runs: the system calls kasou makes anywhere (main loop, API,
 *    device and I/O threads; a guest reboot builds a new VM under it). No exec,
 *    no ptrace, no module/mount/namespace/keyring/bpf/reboot calls.
 *  - the vCPU filter, stacked by each vCPU thread on itself: only what running
 *    a vCPU needs, and ioctl only on KVM (0xAE) and VFIO (';') numbers.
 * A denied call raises SIGSYS: kasou logs the thread and the call by name and
 * exits 1 (mode on), or the kernel logs it and lets it through (mode log).
 */
#ifndef KASOU_SANDBOX_SECCOMP_H
#define KASOU_SANDBOX_SECCOMP_H

enum seccomp_mode { SECCOMP_ON, SECCOMP_LOG, SECCOMP_OFF };

/* The SIGSYS handler; call once before any filter (or thread). */
void sandbox_seccomp_init(void);
/* 0 or -errno after one log line. */
int sandbox_seccomp_process(enum seccomp_mode mode);
int sandbox_seccomp_vcpu(enum seccomp_mode mode);
/* Number of system calls each filter allows (for the docs and tests). */
unsigned int sandbox_seccomp_count(int vcpu);

#endif
