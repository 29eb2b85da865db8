/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * seccomp filters (libseccomp), in layers:
 *  - the process filter, installed on every thread at once (TSYNC) before the
 *    first vCPU runs: the system calls kasou makes anywhere (the main loop
 *    keeps it alone: a guest reboot builds a new VM under it). No exec, no
 *    ptrace, no module/mount/namespace/keyring/bpf/reboot calls.
 *  - a filter per kind of thread, stacked by each thread on itself when it
 *    starts (sandbox_thread_enter): vCPU, I/O, user networking, API; each
 *    allows only what that thread does, and ioctl only with the _IOC type
 *    bytes it uses. A thread started by another inherits its filters too.
 * Threads started before the process filter (the API thread, a disk's worker
 * pool, user networking) wait in sandbox_thread_enter until the first boot is
 * built, jailed and filtered (sandbox_threads_release).
 * A denied call raises SIGSYS: kasou logs the thread and the call by name and
 * exits 1 (mode on), or the kernel logs it and lets it through (mode log).
 */
#ifndef KASOU_SANDBOX_SECCOMP_H
#define KASOU_SANDBOX_SECCOMP_H

#include <stddef.h>

enum seccomp_mode { SECCOMP_ON, SECCOMP_LOG, SECCOMP_OFF };

enum sandbox_thread { SANDBOX_VCPU, SANDBOX_IO, SANDBOX_NET, SANDBOX_API, SANDBOX_NR_THREADS };

/* The SIGSYS handler; call once before any filter (or thread). */
void sandbox_seccomp_init(void);
/* 0 or -errno after one log line. */
int sandbox_seccomp_process(enum seccomp_mode mode);
int sandbox_seccomp_thread(enum sandbox_thread kind, enum seccomp_mode mode);

/* Make sandbox_thread_enter wait (kasou run, before its first thread). */
void sandbox_threads_hold(void);
/* Let them go, with this mode (the first call after a hold decides). */
void sandbox_threads_release(enum seccomp_mode mode);
/* At the start of a kasou thread, before it reads any guest or client input:
 * wait for the release, then stack the kind's filter on this thread (exits
 * the process after a log line if that fails). No filter, no wait, without a hold. */
void sandbox_thread_enter(enum sandbox_thread kind);

/* Number of system calls a filter allows (kind -1: the process filter). */
unsigned int sandbox_seccomp_count(int kind);
/* 0, or -EINVAL and why if a thread list names a call the process filter lacks. */
int sandbox_seccomp_selfcheck(char *why, size_t len);

#endif
