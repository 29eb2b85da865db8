/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroupfs mechanics for resources/cgroup.c (internal to resources/): one
 * command per write, the controller walk down from the mount, creating and
 * removing groups, moving this process's threads, the error lines. Knows
 * the kernel's rules, nothing about VMs or limits.
 *
 * A struct cgroupfs is a cgroup2 mount, or a fake tree (tests): there a
 * write appends "TEXT\n" to its file (creating it), a directory the code
 * created has no interface files (its cgroup.controllers reads as "all",
 * its cgroup.subtree_control as "none"), and a removal unlinks files first.
 *
 * Errors: -errno; functions taking `why` put one line there (CONFIG_ERR_LEN
 * bytes) naming the file or directory and, for EACCES/EPERM/EROFS, what to
 * do. Any thread; blocks only on cgroupfs (cgfs_remove: up to 2 s of EBUSY
 * retries while exiting threads are reaped).
 */
#ifndef KASOU_RESOURCES_CGROUPFS_H
#define KASOU_RESOURCES_CGROUPFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Controllers, as a mask (written to subtree_control in this order). */
enum { CTL_CPUSET = 1 << 0, CTL_CPU = 1 << 1, CTL_IO = 1 << 2, CTL_MEMORY = 1 << 3 };

struct cgroupfs {
	char root[PATH_MAX]; /* the mount, no trailing '/' */
	bool fake;
};

/* Fill why (may be NULL) and return rc. */
int cgfs_fail(char *why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* dir/name into out (PATH_MAX bytes); -ENAMETOOLONG. */
int cgfs_join(char *out, const char *dir, const char *name);

/* One command to dir/file; -errno. cgfs_put: the same, with the line in why. */
int cgfs_write(const struct cgroupfs *fs, const char *dir, const char *file, const char *text);
int cgfs_put(const struct cgroupfs *fs, const char *dir, const char *file, const char *text,
	     char *why);
/* The whole file, NUL-terminated: its length, -EOVERFLOW if over len - 1, -errno. */
int cgfs_read(const char *path, char *buf, size_t len);

/* -ENODEV unless root is a cgroup2 mount (the line names another one if any). */
int cgfs_check_mount(const char *root, char *why);
/* Make the CTL_* mask available to dir's children: check cgroup.controllers,
 * add to cgroup.subtree_control only what it lacks. */
int cgfs_enable(const struct cgroupfs *fs, const char *dir, unsigned int mask, char *why);
/* From the root down to path's parent: mkdir what is missing, enable mask at each level. */
int cgfs_ensure_parents(const struct cgroupfs *fs, const char *path, unsigned int mask, char *why);
int cgfs_mkdir(const char *dir, char *why);
/* mkdir a group; one left by a run that died (no processes) is removed
 * first, one still populated is -EBUSY. */
int cgfs_create(const struct cgroupfs *fs, const char *path, char *why);
/* rmdir dir and every group below it; 0 when gone (or never there). */
int cgfs_remove(const struct cgroupfs *fs, const char *dir);
/* Every thread of this process into dir (cgroup.threads); ESRCH (exited) ignored. */
int cgfs_move_threads(const struct cgroupfs *fs, const char *dir, char *why);
/* The group this process is in ("0::/x" of /proc/self/cgroup) as a directory
 * under the root, into out (PATH_MAX); the root when unknown or inside `group`. */
void cgfs_origin(const struct cgroupfs *fs, const char *group, char *out);

#endif
