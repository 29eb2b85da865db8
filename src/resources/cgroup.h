/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM's cgroup v2 group: CPU, memory and block I/O limits on the whole
 * kasou process, set at start and changed live (cgroup v2 only).
 *
 * cgroup_setup() creates <cgroup2 mount>/kasou/NAME (or path=), creating
 * missing parents and adding to every ancestor's cgroup.subtree_control the
 * controllers the limits need (cpuset, cpu, io, memory; only those), writes
 * the limits, then moves the whole process in (cgroup.procs). With
 * threads=on the group gets two threaded sub-groups, vcpus/ and emulator/
 * (cgroup.type "threaded"); every thread of the process is put in emulator/
 * and the VM moves each vCPU thread to vcpus/ with cgroup_place_thread().
 * Threads created later start where their creator is. cgroup_teardown()
 * moves the process back where it came from and removes the group (never
 * the shared parents: another VM may be using kasou/).
 *
 * Threads: setup and teardown on the main thread, before the vCPUs run and
 * after they are joined. cgroup_set() (the API thread) is serialised by a
 * mutex; cgroup_read() and cgroup_place_thread() only touch cgroupfs and
 * may run on any thread. Everything blocks only on cgroupfs writes
 * (teardown: up to 2 s of rmdir retries while exiting threads are reaped).
 *
 * Errors: -errno and one line in `why` (CONFIG_ERR_LEN bytes), e.g.
 *   cgroup v2 is not mounted at /sys/fs/cgroup
 *   cannot create /sys/fs/cgroup/kasou/vm1: Permission denied: run as root or delegate
 *     the subtree to this user
 *   controller io is not enabled in /sys/fs/cgroup (cgroup.controllers lists cpu memory pids)
 *
 * The cgroupfs root is /sys/fs/cgroup, or $KASOU_CGROUP_ROOT (a hybrid host
 * mounts cgroup2 at /sys/fs/cgroup/unified, with few controllers).
 *
 * libvirt names -> kasou keys (what libvirt's cgroup v2 backend writes):
 *
 *   memtune hard_limit          memory.max
 *   memtune soft_limit          memory.high (throttle and reclaim above it; no OOM kill)
 *   memtune swap_hard_limit     memory.swap.max. libvirt's limit is memory+swap (v1
 *                               memsw); cgroup v2's is swap alone: use
 *                               swap_hard_limit - hard_limit. (libvirt's v2 backend
 *                               writes its number unchanged, so it allows more.)
 *   memtune min_guarantee       memory.min (libvirt's QEMU driver does not apply
 *                               min_guarantee; memory.min is the v2 knob that means it)
 *   schedinfo cpu_shares        cpu.weight. libvirt on v2 writes the number as is
 *                               (1-10000, default 100); a value tuned for v1's
 *                               cpu.shares (default 1024) converts with the OCI formula
 *                               config_cgroup_weight_from_shares(): 1024 -> 39.
 *   schedinfo global_period/_quota   cpu.max (the whole VM)
 *   schedinfo vcpu_period/_quota     vcpus.cpu.max (threads=on). libvirt's quota is per
 *                               vCPU (a vcpuN group each); vcpus/ holds all vCPUs, so
 *                               N vCPUs at quota Q is vcpus.cpu.max=N*Q/PERIOD.
 *   schedinfo emulator_period/_quota emulator.cpu.max (threads=on)
 *   blkiotune weight (100-1000) io.weight, same number (v2 range 1-10000, default 100;
 *                               written as "default N", as libvirt does)
 *   blkiotune device_read_bytes_sec   io.max=MAJ:MIN:rbps=N
 *   blkiotune device_write_bytes_sec  io.max=MAJ:MIN:wbps=N
 *   blkiotune device_read_iops_sec    io.max=MAJ:MIN:riops=N
 *   blkiotune device_write_iops_sec   io.max=MAJ:MIN:wiops=N  (libvirt's 0 = max)
 *   numatune / cpuset (emulatorpin) cpuset.cpus, cpuset.mems
 */
#ifndef KASOU_RESOURCES_CGROUP_H
#define KASOU_RESOURCES_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

struct vm_cgroup;

/*
 * Create and fill the VM's group and move this process in. cfg->enabled
 * false: nothing to do, *out = NULL, 0. On failure nothing is left behind
 * (the process stays where it was, groups created are removed).
 */
int cgroup_setup(struct vm_cgroup **out, const struct cgroup_config *cfg, const char *vm_name,
		 char *why);

/* threads=on: move thread `tid` into vcpus/ (vcpu) or emulator/ (cgroup.threads).
 * threads=off or cg NULL: 0, nothing to do. -errno otherwise. */
int cgroup_place_thread(struct vm_cgroup *cg, int tid, bool vcpu);

/* Live change, the option's keys and validation ("cpu.max", "20%"); path and
 * threads are fixed. Enables a controller the group lacks on the way. */
int cgroup_set(struct vm_cgroup *cg, const char *key, const char *value, char *why);

/* Read a file of the group ("cpu.stat", "memory.current", "memory.stat",
 * "io.stat", or "vcpus/cpu.stat" with threads=on) into buf, NUL-terminated.
 * Returns its length, -EOVERFLOW when it does not fit, -errno. */
int cgroup_read(struct vm_cgroup *cg, const char *file, char *buf, size_t len);

/* The configuration in force: setup's, plus every cgroup_set(). */
void cgroup_get_config(struct vm_cgroup *cg, struct cgroup_config *out);

/* Move the process back, remove the sub-groups and the group, free. NULL: no-op. */
void cgroup_teardown(struct vm_cgroup *cg);

/* The group's directory ("/sys/fs/cgroup/kasou/vm1"); NULL for a NULL cg. */
const char *cgroup_path(const struct vm_cgroup *cg);

/*
 * Tests: use `root` as the cgroupfs root (NULL: back to the default). With
 * `fake`, root is a plain directory tree that mimics cgroupfs: the mount
 * check is skipped, each write is appended as a line to its file (created
 * if missing), so a file reads as the commands written to it, in order, and
 * removing a group unlinks its files first.
 */
void cgroup_set_root_for_tests(const char *root, bool fake);
/* Tests, fake tree only: writes to files named `file` fail with errno `err` (NULL: none). */
void cgroup_fail_writes_for_tests(const char *file, int err);

#endif
