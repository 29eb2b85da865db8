/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where kasou's threads may run. Three classes: vCPU threads (each its own
 * set, --cpus affinity=), I/O threads (device queue threads, named "io-*",
 * --iothreads affinity=) and the emulator (the main loop, the API and
 * everything else, --emulator affinity=). The process starts with the
 * emulator set, so every thread it creates inherits that; vCPU and I/O
 * threads then set their own (their class set, or the original set when
 * their class is not pinned). Live changes re-pin running threads by class.
 * Thread-safe.
 */
#ifndef KASOU_RESOURCES_AFFINITY_H
#define KASOU_RESOURCES_AFFINITY_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

/* Record the set kasou was started with; pin the calling (main) thread to the emulator set. */
int affinity_init(const cpu_set_t *emulator, const cpu_set_t *io);
/* Called by each I/O thread as it starts. */
void affinity_io_thread(void);
/* A vCPU thread: its own set, or the original one. 0 or -errno (e.g. EINVAL: no such CPU). */
int affinity_vcpu(pthread_t t, const cpu_set_t *set);
/* Live: re-pin every thread of a class. `set` NULL = back to the original set. */
int affinity_set_emulator(const cpu_set_t *set);
int affinity_set_io(const cpu_set_t *set);
/* "0-3,8" for a set (for stats). */
void affinity_format(const cpu_set_t *set, char *buf, size_t len);
/* The set a thread may run on now. 0 or -errno. */
int affinity_of_tid(int tid, cpu_set_t *set);

#endif
