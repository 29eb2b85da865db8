/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --user and --chroot: kasou opens what it needs as the user who started it
 * (/dev/kvm, images, taps, VFIO groups, the API socket, its cgroup), then,
 * before the first vCPU runs, chroots, drops every capability (bounding set
 * too), switches to the user and group, and sets no_new_privs. Paths opened
 * again later (a guest reboot reopens disk images, taps by name, VFIO groups)
 * resolve inside the chroot and with the user's rights, as with Firecracker's
 * jailer: put them there.
 */
#ifndef KASOU_SANDBOX_JAIL_H
#define KASOU_SANDBOX_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct jail {
	bool set_user;
	uid_t uid;
	gid_t gid;
	const char *dir; /* NULL: no chroot */
};

/* USER[:GROUP] (names or numbers) into j; group defaults to the user's. 0 or -EINVAL with why. */
int sandbox_jail_resolve(struct jail *j, const char *user, const char *dir, char *why, size_t len);
/* Enter it (after the devices are open, before vCPUs run). 0 or -errno after one log line. */
int sandbox_jail_enter(const struct jail *j);

#endif
