/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a VM costs the host, gathered on demand for the API (GET /vm/stats,
 * GET /metrics): per-vCPU CPU time, run-queue delay and KVM exits by reason,
 * per-disk and per-NIC counters, memory, and every kasou thread's CPU time.
 * Reads counters lock-free; called on the API thread with the persist lock
 * held (the VM cannot go away meanwhile).
 */
#ifndef KASOU_STATS_VMSTATS_H
#define KASOU_STATS_VMSTATS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vm_persist;
struct vballoon;

/* The balloon's target/actual and the guest's memory statistics (Firecracker names). */
json_t *vmstats_balloon_json(struct vballoon *b);

/* The JSON object served at /vm/stats (vm may be NULL between boots). */
json_t *vmstats_json(struct vm_persist *p, struct vm *vm);
/* Prometheus text exposition format rendered from vmstats_json()'s object. */
char *vmstats_prometheus(json_t *stats, size_t *len);
/* CPU time of a thread of this process, and its run-queue wait (schedstat). 0 or -errno. */
int vmstats_thread_times(int tid, uint64_t *cpu_ns, uint64_t *wait_ns);

#endif
