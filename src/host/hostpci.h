/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host's PCI functions as sysfs shows them, for `kasou host`: find a
 * function, its driver and IOMMU group; hand it to vfio-pci and back
 * (vfio_bind.c); create and list SR-IOV virtual functions (sriov.c).
 *
 * All access goes below a root (struct hostpci.root: "/sys", or
 * $KASOU_SYSFS), so unit tests run against a fake tree. The kernel acts on
 * writes (unbind, drivers_probe, sriov_numvfs...); every such write goes
 * through hostpci.write, which a test replaces with a fake kernel that
 * records the writes and changes the tree as the real one would.
 *
 * Errors: -errno; functions taking `err` put one line there
 * (HOSTPCI_ERR_LEN bytes) naming the device or file and what to do. Main
 * thread of the `kasou host` command; blocks only on sysfs (a probe runs the
 * driver's probe in the writing thread).
 */
#ifndef KASOU_HOST_HOSTPCI_H
#define KASOU_HOST_HOSTPCI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define HOSTPCI_ADDR_LEN 20 /* "dddd:bb:dd.f" (domains up to 8 digits) + NUL */
#define HOSTPCI_NAME_LEN 64 /* a driver's name */
#define HOSTPCI_ERR_LEN 1024
#define HOSTPCI_VFIO_DRIVER "vfio-pci"

struct hostpci;
/* One write() of `text` to the sysfs file `path` (absolute, below root); -errno. */
typedef int hostpci_write_fn(const struct hostpci *hp, const char *path, const char *text);

struct hostpci {
	char root[PATH_MAX]; /* the sysfs mount, no trailing '/' */
	hostpci_write_fn *write;
	void *opaque; /* for a test's write */
};

/* root from $KASOU_SYSFS (else "/sys"), real writes (or the test's, below). */
void hostpci_init(struct hostpci *hp);
/* Tests: make hostpci_init() install fn/opaque (NULL: the real write again). */
void hostpci_set_write_for_tests(hostpci_write_fn *fn, void *opaque);
/* The real write: open O_WRONLY|O_TRUNC (never creates), one write(). */
int hostpci_sysfs_write(const struct hostpci *hp, const char *path, const char *text);

/*
 * "DDDD:BB:DD.F", "BB:DD.F" (domain 0000), or a path whose last component is
 * one (/sys/bus/pci/devices/0000:00:02.0): the canonical lower-case
 * address into out; -EINVAL (err: what was expected).
 */
int hostpci_parse_addr(const char *s, char out[HOSTPCI_ADDR_LEN], char *err);

/* root/bus/pci/devices/ADDR[/attr] into out (PATH_MAX); -ENAMETOOLONG. */
int hostpci_dev_path(const struct hostpci *hp, const char *addr, const char *attr, char *out);
/* root/REL into out (PATH_MAX); -ENAMETOOLONG. */
int hostpci_path(const struct hostpci *hp, const char *rel, char *out);
bool hostpci_exists(const struct hostpci *hp, const char *addr);
/* -ENODEV with err "ADDR: no such PCI device (no PATH)" when missing. */
int hostpci_check_exists(const struct hostpci *hp, const char *addr, char *err);

/* A small attribute, trailing newline removed; its length or -errno. */
int hostpci_read_attr(const struct hostpci *hp, const char *addr, const char *attr, char *buf,
		      size_t len);
/* "vvvv:dddd" from the vendor and device files ("?" when unreadable). */
void hostpci_ids(const struct hostpci *hp, const char *addr, char out[16]);
/* The name of the driver bound to ADDR, "" when none; -errno only on bad paths. */
int hostpci_driver(const struct hostpci *hp, const char *addr, char out[HOSTPCI_NAME_LEN]);
/* The IOMMU group number; -ENOENT when the device has none (IOMMU off). */
int hostpci_group(const struct hostpci *hp, const char *addr);
/* Is root/bus/pci/drivers/NAME there (the driver registered)? */
bool hostpci_driver_loaded(const struct hostpci *hp, const char *name);
/* One write to root/bus/pci/devices/ADDR/attr or root/REL; err names file and text. */
int hostpci_put_dev(const struct hostpci *hp, const char *addr, const char *attr, const char *text,
		    char *err);
int hostpci_put(const struct hostpci *hp, const char *rel, const char *text, char *err);

/*
 * The PCI addresses named by the entries of root/REL (bus/pci/devices,
 * kernel/iommu_groups/N/devices), sorted, into a malloc'd array of
 * HOSTPCI_ADDR_LEN strings; the count or -errno. Free with free().
 */
int hostpci_list(const struct hostpci *hp, const char *rel, char (**addrs)[HOSTPCI_ADDR_LEN]);

/* ---- vfio_bind.c: vfio-pci bind/unbind ---- */

/*
 * Where vfio-bind records each device's original driver (ADDR.driver):
 * $KASOU_VFIO_STATE_DIR, else /run/kasou/vfio (system-wide, as the binding is).
 */
void hostpci_vfio_state_dir(char out[PATH_MAX]);

struct hostpci_bind {
	char was[HOSTPCI_NAME_LEN]; /* the driver before, "" when none */
	bool already; /* it was bound to vfio-pci already: nothing changed */
	int group;
	/* group members keeping the group from use: "ADDR (driver), ..."; "" when viable */
	char blockers[HOSTPCI_ERR_LEN];
};

/*
 * Check the device, its group and the vfio-pci driver; record the current
 * driver in state_dir; set driver_override to vfio-pci, unbind, probe; check
 * vfio-pci took it (else put the device back as it was and fail).
 */
int hostpci_vfio_bind(const struct hostpci *hp, const char *state_dir, const char *addr,
		      struct hostpci_bind *res, char *err);

struct hostpci_unbind {
	char recorded[HOSTPCI_NAME_LEN]; /* the driver vfio-bind recorded */
	bool had_record;
	char now[HOSTPCI_NAME_LEN]; /* the driver bound at the end, "" when none */
};

/*
 * Unbind from vfio-pci, clear driver_override, probe; when the probe does not
 * bring the recorded driver back, bind it by name. Removes the record.
 */
int hostpci_vfio_unbind(const struct hostpci *hp, const char *state_dir, const char *addr,
			struct hostpci_unbind *res, char *err);

/*
 * The members of `group` other than `self` bound to a driver VFIO does not
 * accept in a group it opens (anything but vfio-pci, pci-stub, pcieport):
 * "ADDR (driver), ..." into out; their count.
 */
int hostpci_group_blockers(const struct hostpci *hp, int group, const char *self, char *out,
			   size_t len);

/* ---- sriov.c: SR-IOV virtual functions ---- */

struct hostpci_vf {
	int index; /* N of virtfnN */
	char addr[HOSTPCI_ADDR_LEN];
	char ids[16];
	char driver[HOSTPCI_NAME_LEN];
	int group; /* -1 when none */
};

struct hostpci_sriov {
	int total, num; /* sriov_totalvfs, sriov_numvfs */
	int autoprobe; /* sriov_drivers_autoprobe, -1 when unreadable */
};

/* -ENOTSUP with err "ADDR has no SR-IOV ..." when the device lacks it. */
int hostpci_sriov_info(const struct hostpci *hp, const char *addr, struct hostpci_sriov *info,
		       char *err);
/*
 * Make `num` VFs: 0 removes them. autoprobe (0/1, -1 leave it) is written
 * before VFs are created; an existing different count is set to 0 first; the
 * same count is left alone. -ERANGE over sriov_totalvfs.
 */
int hostpci_sriov_set(const struct hostpci *hp, const char *addr, int num, int autoprobe,
		      char *err);
/* The VFs (virtfnN links) in index order, malloc'd; their count or -errno. */
int hostpci_sriov_vfs(const struct hostpci *hp, const char *addr, struct hostpci_vf **vfs);

#endif
