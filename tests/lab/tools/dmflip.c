// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmflip: a device-mapper disk that can be made unreadable and readable again
 * under a running VM (L1 has no dmsetup). Talks to /dev/mapper/control.
 *
 *   dmflip create NAME MAJ:MIN SECTORS   a linear map over MAJ:MIN; prints /dev/dm-N
 *   dmflip error NAME SECTORS            swap in the "error" target: every I/O fails (EIO)
 *   dmflip linear NAME MAJ:MIN SECTORS   swap the linear map back
 *   dmflip remove NAME
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int ctl = -1;

struct dm_req {
	struct dm_ioctl io;
	struct dm_target_spec spec;
	char params[256];
};

static void init(struct dm_req *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->io.version[0] = DM_VERSION_MAJOR;
	r->io.data_size = sizeof(*r);
	r->io.data_start = sizeof(r->io);
	snprintf(r->io.name, sizeof(r->io.name), "%s", name);
}

static int dm(unsigned long cmd, struct dm_req *r, const char *what)
{
	if (ioctl(ctl, cmd, r) < 0) {
		fprintf(stderr, "dmflip: %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

/* Load a one-target table and make it live (suspend, resume). */
static int swap(const char *name, const char *type, unsigned long long sectors, const char *params)
{
	struct dm_req r;

	init(&r, name);
	r.io.target_count = 1;
	r.spec.sector_start = 0;
	r.spec.length = sectors;
	r.spec.next = 0;
	snprintf(r.spec.target_type, sizeof(r.spec.target_type), "%s", type);
	snprintf(r.params, sizeof(r.params), "%s", params);
	if (dm(DM_TABLE_LOAD, &r, "table load"))
		return -1;
	init(&r, name);
	r.io.flags = DM_SUSPEND_FLAG;
	if (dm(DM_DEV_SUSPEND, &r, "suspend"))
		return -1;
	init(&r, name);
	return dm(DM_DEV_SUSPEND, &r, "resume");
}

int main(int argc, char **argv)
{
	struct dm_req r;
	char params[64];

	if (argc < 3) {
		fprintf(stderr, "usage: dmflip create|error|linear|remove NAME [MAJ:MIN] [SECTORS]\n");
		return 2;
	}
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		mkdir("/dev/mapper", 0755);
		mknod("/dev/mapper/control", S_IFCHR | 0600, makedev(10, 236));
		ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	}
	if (ctl < 0) {
		perror("dmflip: /dev/mapper/control");
		return 1;
	}
	if (!strcmp(argv[1], "create") && argc == 5) {
		char path[64];

		init(&r, argv[2]);
		if (dm(DM_DEV_CREATE, &r, "create"))
			return 1;
		snprintf(path, sizeof(path), "/dev/dm-%u", minor(r.io.dev));
		if (access(path, F_OK))
			mknod(path, S_IFBLK | 0600, r.io.dev);
		snprintf(params, sizeof(params), "%s 0", argv[3]);
		if (swap(argv[2], "linear", strtoull(argv[4], NULL, 0), params))
			return 1;
		printf("%s\n", path);
		return 0;
	}
	if (!strcmp(argv[1], "error") && argc == 4)
		return swap(argv[2], "error", strtoull(argv[3], NULL, 0), "") ? 1 : 0;
	if (!strcmp(argv[1], "linear") && argc == 5) {
		snprintf(params, sizeof(params), "%s 0", argv[3]);
		return swap(argv[2], "linear", strtoull(argv[4], NULL, 0), params) ? 1 : 0;
	}
	if (!strcmp(argv[1], "remove") && argc == 3) {
		init(&r, argv[2]);
		return dm(DM_DEV_REMOVE, &r, "remove") ? 1 : 0;
	}
	fprintf(stderr, "dmflip: bad arguments\n");
	return 2;
}
