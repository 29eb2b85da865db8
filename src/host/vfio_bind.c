// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handing a PCI function to vfio-pci and back (see hostpci.h). The kernel's
 * rules that shape the order:
 *  - driver_override makes a device match only the driver it names (and
 *    keeps every other driver, the native one included, off it);
 *  - drivers_probe runs the match for one device, as a hotplug would;
 *  - a group is usable through VFIO only when every member is bound to
 *    vfio-pci, pci-stub, pcieport (bridges) or to nothing.
 * Everything that can fail without side effects is checked before the first
 * write, and a bind that vfio-pci refuses puts the device back.
 */
#include "host/hostpci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

void hostpci_vfio_state_dir(char out[PATH_MAX])
{
	const char *d = getenv("KASOU_VFIO_STATE_DIR");

	snprintf(out, PATH_MAX, "%s", d && *d ? d : "/run/kasou/vfio");
}

static int record_path(const char *state_dir, const char *addr, char *out)
{
	return (size_t)snprintf(out, PATH_MAX, "%s/%s.driver", state_dir, addr) >= PATH_MAX
		       ? -ENAMETOOLONG
		       : 0;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", dir) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *s = buf + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

/* The driver's name and a newline ("\n" alone: it had none), written whole or not at all. */
static int record_write(const char *state_dir, const char *addr, const char *driver, char *err)
{
	char p[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int rc;

	rc = make_dirs(state_dir);
	if (rc)
		return fail(err, rc, "cannot create %s: %s (set KASOU_VFIO_STATE_DIR?)", state_dir,
			    strerror(-rc));
	if (record_path(state_dir, addr, p))
		return fail(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	f = fopen(tmp, "we");
	if (!f)
		return fail(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
	fprintf(f, "%s\n", driver);
	if (fclose(f)) {
		rc = -errno;
		unlink(tmp);
		return fail(err, rc, "cannot write %s: %s", tmp, strerror(-rc));
	}
	if (rename(tmp, p)) {
		rc = -errno;
		unlink(tmp);
		return fail(err, rc, "cannot write %s: %s", p, strerror(-rc));
	}
	return 0;
}

/* 0 and the name ("" for none), -ENOENT when there is no record. */
static int record_read(const char *state_dir, const char *addr, char out[HOSTPCI_NAME_LEN])
{
	char p[PATH_MAX];
	FILE *f;

	out[0] = 0;
	if (record_path(state_dir, addr, p))
		return -ENAMETOOLONG;
	f = fopen(p, "re");
	if (!f)
		return -errno;
	if (!fgets(out, HOSTPCI_NAME_LEN, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	return 0;
}

static void record_remove(const char *state_dir, const char *addr)
{
	char p[PATH_MAX];

	if (!record_path(state_dir, addr, p))
		unlink(p);
}

static int driver_file(const char *driver, const char *file, char *out, size_t len)
{
	return (size_t)snprintf(out, len, "bus/pci/drivers/%s/%s", driver, file) >= len
		       ? -ENAMETOOLONG
		       : 0;
}

/* Unbind ADDR from `driver` (its unbind file). */
static int unbind_from(const struct hostpci *hp, const char *addr, const char *driver, char *err)
{
	char rel[256];

	if (driver_file(driver, "unbind", rel, sizeof(rel)))
		return fail(err, -ENAMETOOLONG, "driver name too long: %s", driver);
	return hostpci_put(hp, rel, addr, err);
}

static int bind_to(const struct hostpci *hp, const char *addr, const char *driver, char *err)
{
	char rel[256];

	if (driver_file(driver, "bind", rel, sizeof(rel)))
		return fail(err, -ENAMETOOLONG, "driver name too long: %s", driver);
	return hostpci_put(hp, rel, addr, err);
}

/* A failed bind: no override, unbound from whatever took it, the old driver back. */
static void bind_undo(const struct hostpci *hp, const char *addr, const char *was)
{
	char now[HOSTPCI_NAME_LEN];

	hostpci_put_dev(hp, addr, "driver_override", "\n", NULL);
	if (!hostpci_driver(hp, addr, now) && now[0] && strcmp(now, was))
		unbind_from(hp, addr, now, NULL);
	hostpci_put(hp, "bus/pci/drivers_probe", addr, NULL);
	if (was[0] && !hostpci_driver(hp, addr, now) && !now[0])
		bind_to(hp, addr, was, NULL);
}

int hostpci_vfio_bind(const struct hostpci *hp, const char *state_dir, const char *addr,
		      struct hostpci_bind *res, char *err)
{
	char now[HOSTPCI_NAME_LEN];
	int rc;

	memset(res, 0, sizeof(*res));
	rc = hostpci_check_exists(hp, addr, err);
	if (rc)
		return rc;
	res->group = hostpci_group(hp, addr);
	if (res->group == -ENOENT)
		return fail(err, -ENODEV,
			    "%s: no IOMMU group: the IOMMU is off (boot the host with "
			    "intel_iommu=on or amd_iommu=on, and enable VT-d/AMD-Vi in the firmware)",
			    addr);
	if (res->group < 0)
		return fail(err, res->group, "%s: cannot read its iommu_group link: %s", addr,
			    strerror(-res->group));
	rc = hostpci_driver(hp, addr, res->was);
	if (rc)
		return fail(err, rc, "%s: cannot read its driver link: %s", addr, strerror(-rc));
	if (!strcmp(res->was, HOSTPCI_VFIO_DRIVER)) {
		res->already = true;
		goto group;
	}
	if (!hostpci_driver_loaded(hp, HOSTPCI_VFIO_DRIVER))
		return fail(err, -ENOENT,
			    "the vfio-pci driver is not loaded (no %s/bus/pci/drivers/vfio-pci): "
			    "run `modprobe vfio-pci`",
			    hp->root);
	rc = record_write(state_dir, addr, res->was, err);
	if (rc)
		return rc;

	rc = hostpci_put_dev(hp, addr, "driver_override", HOSTPCI_VFIO_DRIVER, err);
	if (rc)
		goto undo;
	if (res->was[0]) {
		rc = unbind_from(hp, addr, res->was, err);
		if (rc)
			goto undo;
	}
	rc = hostpci_put(hp, "bus/pci/drivers_probe", addr, err);
	if (rc)
		goto undo;
	rc = hostpci_driver(hp, addr, now);
	if (rc || strcmp(now, HOSTPCI_VFIO_DRIVER)) {
		rc = fail(err, -EIO,
			  "%s: vfio-pci did not take the device (its driver is now %s; the kernel "
			  "log says why); put back to %s",
			  addr, rc ? "unknown" : now[0] ? now : "none",
			  res->was[0] ? res->was : "no driver");
		goto undo;
	}
group:
	rc = hostpci_group_blockers(hp, res->group, addr, res->blockers, sizeof(res->blockers));
	if (rc < 0)
		res->blockers[0] = 0; /* the bind stands; only the advice is missing */
	return 0;

undo:
	bind_undo(hp, addr, res->was);
	record_remove(state_dir, addr);
	return rc;
}

int hostpci_vfio_unbind(const struct hostpci *hp, const char *state_dir, const char *addr,
			struct hostpci_unbind *res, char *err)
{
	char cur[HOSTPCI_NAME_LEN];
	int rc;

	memset(res, 0, sizeof(*res));
	rc = hostpci_check_exists(hp, addr, err);
	if (rc)
		return rc;
	rc = hostpci_driver(hp, addr, cur);
	if (rc)
		return fail(err, rc, "%s: cannot read its driver link: %s", addr, strerror(-rc));
	if (cur[0] && strcmp(cur, HOSTPCI_VFIO_DRIVER))
		return fail(err, -EINVAL, "%s is not bound to vfio-pci (its driver is %s)", addr,
			    cur);
	res->had_record = !record_read(state_dir, addr, res->recorded);

	if (cur[0]) {
		rc = unbind_from(hp, addr, cur, err);
		if (rc)
			return rc;
	}
	rc = hostpci_put_dev(hp, addr, "driver_override", "\n", err);
	if (rc)
		return rc;
	rc = hostpci_put(hp, "bus/pci/drivers_probe", addr, err);
	if (rc)
		return rc;
	rc = hostpci_driver(hp, addr, res->now);
	if (rc)
		return fail(err, rc, "%s: cannot read its driver link: %s", addr, strerror(-rc));
	/* the probe found nothing (a driver bound by hand, or by new_id): bind it by name */
	if (res->had_record && res->recorded[0] && !res->now[0]) {
		if (!hostpci_driver_loaded(hp, res->recorded))
			return fail(err, -ENOENT,
				    "%s: unbound from vfio-pci, but its driver %s is not loaded "
				    "(modprobe %s?)",
				    addr, res->recorded, res->recorded);
		rc = bind_to(hp, addr, res->recorded, err);
		if (rc)
			return rc;
		rc = hostpci_driver(hp, addr, res->now);
		if (rc)
			return fail(err, rc, "%s: cannot read its driver link: %s", addr,
				    strerror(-rc));
	}
	if (res->had_record)
		record_remove(state_dir, addr);
	return 0;
}
