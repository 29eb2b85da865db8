// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV virtual functions of a host PCI function (see hostpci.h). The
 * kernel's rules: sriov_numvfs goes from 0 to N and back, never from N to
 * M; the PF must be bound to a driver that can configure SR-IOV (ENOENT
 * otherwise); sriov_drivers_autoprobe, read when the VFs are created,
 * decides whether drivers may claim them (off leaves them free for vfio-pci).
 */
#include "host/hostpci.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, HOSTPCI_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int read_int(const struct hostpci *hp, const char *addr, const char *attr, int *v)
{
	char buf[32], *end;
	long n;
	int rc = hostpci_read_attr(hp, addr, attr, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	errno = 0;
	n = strtol(buf, &end, 10);
	if (errno || end == buf || *end || n < 0 || n > 65535)
		return -EINVAL;
	*v = (int)n;
	return 0;
}

int hostpci_sriov_info(const struct hostpci *hp, const char *addr, struct hostpci_sriov *info,
		       char *err)
{
	int rc;

	rc = hostpci_check_exists(hp, addr, err);
	if (rc)
		return rc;
	rc = read_int(hp, addr, "sriov_totalvfs", &info->total);
	if (rc == -ENOENT)
		return fail(err, -ENOTSUP,
			    "%s has no SR-IOV (no sriov_totalvfs: the device or its firmware "
			    "does not offer virtual functions)",
			    addr);
	if (rc)
		return fail(err, rc, "%s: cannot read sriov_totalvfs: %s", addr, strerror(-rc));
	rc = read_int(hp, addr, "sriov_numvfs", &info->num);
	if (rc)
		return fail(err, rc, "%s: cannot read sriov_numvfs: %s", addr, strerror(-rc));
	if (read_int(hp, addr, "sriov_drivers_autoprobe", &info->autoprobe))
		info->autoprobe = -1;
	return 0;
}

/* A failed write of sriov_numvfs, in the kernel's terms. */
static int numvfs_fail(const struct hostpci *hp, const char *addr, int num, int rc, char *err)
{
	char drv[HOSTPCI_NAME_LEN] = "";

	hostpci_driver(hp, addr, drv);
	if (rc == -ENOENT && !drv[0])
		return fail(err, rc,
			    "%s: cannot set sriov_numvfs to %d: no driver is bound to the "
			    "device (bind its own driver first; it creates the VFs)",
			    addr, num);
	if (rc == -ENOENT)
		return fail(err, rc,
			    "%s: cannot set sriov_numvfs to %d: its driver %s cannot configure "
			    "SR-IOV",
			    addr, num, drv);
	if (rc == -EBUSY)
		return fail(err, rc, "%s: cannot set sriov_numvfs to %d: VFs exist already", addr,
			    num);
	return fail(err, rc, "%s: cannot set sriov_numvfs to %d: %s%s", addr, num, strerror(-rc),
		    rc == -EACCES || rc == -EPERM ? " (run as root)" : " (the kernel log says why)");
}

static int put_numvfs(const struct hostpci *hp, const char *addr, int num, char *err)
{
	char text[16];
	int rc;

	snprintf(text, sizeof(text), "%d", num);
	rc = hostpci_put_dev(hp, addr, "sriov_numvfs", text, NULL);
	return rc ? numvfs_fail(hp, addr, num, rc, err) : 0;
}

int hostpci_sriov_set(const struct hostpci *hp, const char *addr, int num, int autoprobe,
		      char *err)
{
	struct hostpci_sriov info;
	int rc;

	rc = hostpci_sriov_info(hp, addr, &info, err);
	if (rc)
		return rc;
	if (num < 0 || num > info.total)
		return fail(err, -ERANGE, "%s supports at most %d VFs (sriov_totalvfs), not %d", addr,
			    info.total, num);
	if (num == info.num)
		return 0;
	if (info.num) {
		rc = put_numvfs(hp, addr, 0, err);
		if (rc)
			return rc;
	}
	if (!num)
		return 0;
	if (autoprobe >= 0 && autoprobe != info.autoprobe) {
		rc = hostpci_put_dev(hp, addr, "sriov_drivers_autoprobe", autoprobe ? "1" : "0",
				     err);
		if (rc)
			return rc;
	}
	return put_numvfs(hp, addr, num, err);
}

static int cmp_vf(const void *a, const void *b)
{
	const struct hostpci_vf *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

int hostpci_sriov_vfs(const struct hostpci *hp, const char *addr, struct hostpci_vf **vfs)
{
	struct hostpci_vf *v = NULL, *nv;
	char dir[PATH_MAX], link[PATH_MAX + 300], target[PATH_MAX];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*vfs = NULL;
	if (hostpci_dev_path(hp, addr, NULL, dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct hostpci_vf vf = { .group = -1 };
		char *end;
		const char *base;
		ssize_t len;
		long idx;

		if (strncmp(de->d_name, "virtfn", 6))
			continue;
		errno = 0;
		idx = strtol(de->d_name + 6, &end, 10);
		if (errno || end == de->d_name + 6 || *end || idx < 0 || idx > 65535)
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		if (hostpci_parse_addr(base, vf.addr, NULL))
			continue;
		vf.index = (int)idx;
		hostpci_ids(hp, vf.addr, vf.ids);
		if (hostpci_driver(hp, vf.addr, vf.driver))
			snprintf(vf.driver, sizeof(vf.driver), "?");
		vf.group = hostpci_group(hp, vf.addr);
		if (vf.group < 0)
			vf.group = -1;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = vf;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_vf);
	*vfs = v;
	return (int)n;
}
