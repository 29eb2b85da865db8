// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI functions in sysfs (see hostpci.h): addresses, attributes, the driver
 * and iommu_group links, the one-write commands. What the links look like:
 * bus/pci/devices/ADDR -> ../../../devices/pci0000:00/ADDR, and in there
 * driver -> ../../../bus/pci/drivers/NAME, iommu_group ->
 * ../../../kernel/iommu_groups/N, virtfnN -> ../ADDR: only the last component
 * of a link matters, so a fake tree may use flat directories.
 */
#include "host/hostpci.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static hostpci_write_fn *test_write;
static void *test_opaque;

void hostpci_set_write_for_tests(hostpci_write_fn *fn, void *opaque)
{
	test_write = fn;
	test_opaque = opaque;
}

void hostpci_init(struct hostpci *hp)
{
	const char *root = getenv("KASOU_SYSFS");
	size_t n;

	if (!root || !*root)
		root = "/sys";
	snprintf(hp->root, sizeof(hp->root), "%s", root);
	n = strlen(hp->root);
	while (n > 1 && hp->root[n - 1] == '/')
		hp->root[--n] = 0;
	hp->write = test_write ? test_write : hostpci_sysfs_write;
	hp->opaque = test_write ? test_opaque : NULL;
}

int hostpci_sysfs_write(const struct hostpci *hp, const char *path, const char *text)
{
	size_t n = strlen(text);
	ssize_t w;
	int fd, rc = 0;

	/* sysfs takes one command per write(); O_TRUNC is ignored there */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, text, n);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != n)
		rc = -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

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

/* n hex digits exactly (at least min_n, at most max_n), then the end of s or `stop` */
static const char *hex_field(const char *s, int min_n, int max_n, char stop, unsigned long *v)
{
	int n = 0;

	*v = 0;
	while (isxdigit((unsigned char)s[n]) && n <= max_n) {
		*v = *v * 16 + (unsigned long)(isdigit((unsigned char)s[n]) ? s[n] - '0'
									   : (tolower(s[n]) - 'a' + 10));
		n++;
	}
	if (n < min_n || n > max_n || s[n] != stop)
		return NULL;
	return s + n + (stop ? 1 : 0);
}

int hostpci_parse_addr(const char *s, char out[HOSTPCI_ADDR_LEN], char *err)
{
	unsigned long dom = 0, bus, dev, fn;
	char buf[PATH_MAX];
	const char *p, *name;
	size_t n;
	int colons = 0;

	if (!s || !*s)
		return fail(err, -EINVAL, "missing PCI address (DDDD:BB:DD.F)");
	/* a sysfs path: its last component (trailing slashes allowed) */
	snprintf(buf, sizeof(buf), "%s", s);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	name = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	for (p = name; *p; p++)
		colons += *p == ':';
	p = name;
	if (colons == 2)
		p = hex_field(p, 4, 8, ':', &dom);
	if (p && colons >= 1 && colons <= 2)
		p = hex_field(p, 2, 2, ':', &bus);
	else
		p = NULL;
	if (p)
		p = hex_field(p, 2, 2, '.', &dev);
	if (p)
		p = hex_field(p, 1, 1, 0, &fn);
	if (!p || dev > 0x1f || fn > 7)
		return fail(err, -EINVAL,
			    "bad PCI address '%s' (expected DDDD:BB:DD.F or BB:DD.F, e.g. "
			    "0000:01:00.0; device 00-1f, function 0-7)",
			    s);
	snprintf(out, HOSTPCI_ADDR_LEN, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	return 0;
}

int hostpci_path(const struct hostpci *hp, const char *rel, char *out)
{
	return (size_t)snprintf(out, PATH_MAX, "%s/%s", hp->root, rel) >= PATH_MAX ? -ENAMETOOLONG
										  : 0;
}

int hostpci_dev_path(const struct hostpci *hp, const char *addr, const char *attr, char *out)
{
	int n = attr ? snprintf(out, PATH_MAX, "%s/bus/pci/devices/%s/%s", hp->root, addr, attr)
		     : snprintf(out, PATH_MAX, "%s/bus/pci/devices/%s", hp->root, addr);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

bool hostpci_exists(const struct hostpci *hp, const char *addr)
{
	char p[PATH_MAX];
	struct stat st;

	return !hostpci_dev_path(hp, addr, NULL, p) && !stat(p, &st) && S_ISDIR(st.st_mode);
}

int hostpci_check_exists(const struct hostpci *hp, const char *addr, char *err)
{
	char p[PATH_MAX];

	if (hostpci_exists(hp, addr))
		return 0;
	if (hostpci_dev_path(hp, addr, NULL, p))
		return fail(err, -ENAMETOOLONG, "%s: sysfs path too long", addr);
	return fail(err, -ENODEV, "%s: no such PCI device (no %s)", addr, p);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	if (!len)
		return -EINVAL;
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		r = read(fd, buf, len - 1);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		close(fd);
		return (int)r;
	}
	close(fd);
	buf[r] = 0;
	chomp(buf);
	return (int)strlen(buf);
}

int hostpci_read_attr(const struct hostpci *hp, const char *addr, const char *attr, char *buf,
		      size_t len)
{
	char p[PATH_MAX];

	if (hostpci_dev_path(hp, addr, attr, p))
		return -ENAMETOOLONG;
	return read_small(p, buf, len);
}

/* "0x1b36" -> "1b36" */
static const char *strip_0x(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
}

void hostpci_ids(const struct hostpci *hp, const char *addr, char out[16])
{
	char v[16], d[16];

	if (hostpci_read_attr(hp, addr, "vendor", v, sizeof(v)) <= 0 ||
	    hostpci_read_attr(hp, addr, "device", d, sizeof(d)) <= 0) {
		snprintf(out, 16, "?");
		return;
	}
	snprintf(out, 16, "%.6s:%.6s", strip_0x(v), strip_0x(d));
}

/* The last component of the link at `path` into out; -errno (-ENOENT: no link). */
static int link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *slash;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	while (n > 1 && target[n - 1] == '/')
		target[--n] = 0;
	slash = strrchr(target, '/');
	if ((size_t)snprintf(out, len, "%s", slash ? slash + 1 : target) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int driver_at(const char *dev_dir, char out[HOSTPCI_NAME_LEN])
{
	char p[PATH_MAX];
	int rc;

	out[0] = 0;
	if ((size_t)snprintf(p, sizeof(p), "%s/driver", dev_dir) >= sizeof(p))
		return -ENAMETOOLONG;
	rc = link_name(p, out, HOSTPCI_NAME_LEN);
	if (rc == -ENOENT) {
		out[0] = 0;
		return 0;
	}
	return rc;
}

int hostpci_driver(const struct hostpci *hp, const char *addr, char out[HOSTPCI_NAME_LEN])
{
	char p[PATH_MAX];

	out[0] = 0;
	if (hostpci_dev_path(hp, addr, NULL, p))
		return -ENAMETOOLONG;
	return driver_at(p, out);
}

int hostpci_group(const struct hostpci *hp, const char *addr)
{
	char p[PATH_MAX], name[32], *end;
	long g;
	int rc;

	if (hostpci_dev_path(hp, addr, "iommu_group", p))
		return -ENAMETOOLONG;
	rc = link_name(p, name, sizeof(name));
	if (rc)
		return rc == -EINVAL ? -ENOENT : rc; /* not a link: no group either */
	errno = 0;
	g = strtol(name, &end, 10);
	if (errno || end == name || *end || g < 0 || g > INT_MAX)
		return -EINVAL;
	return (int)g;
}

bool hostpci_driver_loaded(const struct hostpci *hp, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	return (size_t)snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s", hp->root, name) <
		       sizeof(p) &&
	       !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* What to do about an errno from a sysfs write, appended to the message. */
static const char *hint(int rc)
{
	switch (rc) {
	case -EACCES:
	case -EPERM:
	case -EROFS:
		return " (run as root)";
	default:
		return "";
	}
}

static int put_path(const struct hostpci *hp, const char *p, const char *text, char *err)
{
	int rc = hp->write(hp, p, text);
	const char *shown = strcmp(text, "\n") ? text : "\\n";

	if (rc)
		return fail(err, rc, "cannot write '%s' to %s: %s%s", shown, p, strerror(-rc),
			    hint(rc));
	return 0;
}

int hostpci_put_dev(const struct hostpci *hp, const char *addr, const char *attr, const char *text,
		    char *err)
{
	char p[PATH_MAX];

	if (hostpci_dev_path(hp, addr, attr, p))
		return fail(err, -ENAMETOOLONG, "%s: sysfs path too long", addr);
	return put_path(hp, p, text, err);
}

int hostpci_put(const struct hostpci *hp, const char *rel, const char *text, char *err)
{
	char p[PATH_MAX];

	if (hostpci_path(hp, rel, p))
		return fail(err, -ENAMETOOLONG, "%s: sysfs path too long", rel);
	return put_path(hp, p, text, err);
}

static int cmp_addr(const void *a, const void *b)
{
	return strcmp(a, b);
}

int hostpci_list(const struct hostpci *hp, const char *rel, char (**addrs)[HOSTPCI_ADDR_LEN])
{
	char p[PATH_MAX], (*v)[HOSTPCI_ADDR_LEN] = NULL, (*nv)[HOSTPCI_ADDR_LEN];
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;

	*addrs = NULL;
	if (hostpci_path(hp, rel, p))
		return -ENAMETOOLONG;
	d = opendir(p);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char a[HOSTPCI_ADDR_LEN];

		/* only canonical names: sysfs never writes another form */
		if (de->d_name[0] == '.' || hostpci_parse_addr(de->d_name, a, NULL) ||
		    strcmp(a, de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		memcpy(v[n++], a, sizeof(a));
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_addr);
	*addrs = v;
	return (int)n;
}

int hostpci_group_blockers(const struct hostpci *hp, int group, const char *self, char *out,
			   size_t len)
{
	static const char *const ok[] = { HOSTPCI_VFIO_DRIVER, "pci-stub", "pcieport" };
	char rel[64], dir[PATH_MAX], drv[HOSTPCI_NAME_LEN], (*members)[HOSTPCI_ADDR_LEN];
	size_t used = 0;
	int n, count = 0;

	if (len)
		out[0] = 0;
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
	n = hostpci_list(hp, rel, &members);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		bool allowed = false;

		if (!strcmp(members[i], self))
			continue;
		/* through the group's own link: a member need not be on the PCI bus */
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s/%s", hp->root, rel, members[i]) >=
			    sizeof(dir) ||
		    driver_at(dir, drv))
			snprintf(drv, sizeof(drv), "?");
		if (!drv[0]) /* no driver: nothing can use it behind VFIO's back */
			continue;
		for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
			allowed |= !strcmp(drv, ok[k]);
		if (allowed)
			continue;
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s (%s)", count ? ", " : "",
						 members[i], drv);
		count++;
	}
	free(members);
	return count;
}
