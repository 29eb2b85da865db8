// SPDX-License-Identifier: GPL-2.0-only
/*
 * host/hostpci.h and `kasou host` against a fake sysfs tree: address
 * parsing, vfio-pci bind/unbind (the writes, their order, the record of the
 * original driver, the error lines), group viability, SR-IOV limits and
 * listing. A fake kernel stands in for the real one: every write goes through
 * fake_write(), which logs it and changes the tree as Linux would.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/host.h"
#include "host/hostpci.h"
#include "unit.h"

static char root[PATH_MAX]; /* the fake sysfs */
static char state[PATH_MAX + 16]; /* KASOU_VFIO_STATE_DIR */
static char wlog[8192]; /* "REL\tTEXT\n" per write, TEXT's newline shown as \n */
static char refuse[64]; /* the fake probe of this driver fails */
static char fail_rel[128]; /* writes to a path ending so fail with fail_err */
static int fail_err;

/* ---- the fake tree ---- */

static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...)
{
	static char bufs[4][PATH_MAX + 256];
	static int next;
	char *b = bufs[next++ % 4];
	int n = snprintf(b, PATH_MAX, "%s/", root);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static void mkdir_p(const char *p)
{
	char buf[PATH_MAX + 256];

	snprintf(buf, sizeof(buf), "%s", p);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		mkdir(buf, 0755);
		*s = '/';
	}
	mkdir(buf, 0755);
}

static void spit(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static char *slurp_file(const char *p, char *buf, size_t len)
{
	FILE *f = fopen(p, "r");
	size_t n = 0;

	buf[0] = 0;
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return f ? buf : NULL;
}

static void fake_driver(const char *name)
{
	mkdir_p(at("bus/pci/drivers/%s", name));
	spit(at("bus/pci/drivers/%s/bind", name), "");
	spit(at("bus/pci/drivers/%s/unbind", name), "");
}

static void link_driver(const char *addr, const char *drv)
{
	char target[256];

	unlink(at("bus/pci/devices/%s/driver", addr));
	if (!drv || !*drv)
		return;
	snprintf(target, sizeof(target), "../../drivers/%s", drv);
	if (symlink(target, at("bus/pci/devices/%s/driver", addr)))
		abort();
}

static void link_group(const char *addr, int group)
{
	char target[256];

	mkdir_p(at("kernel/iommu_groups/%d/devices", group));
	snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
	if (symlink(target, at("bus/pci/devices/%s/iommu_group", addr)))
		abort();
	snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", addr);
	if (symlink(target, at("kernel/iommu_groups/%d/devices/%s", group, addr)))
		abort();
}

/*
 * A PCI function: vendor:device, bound to drv ("" none), in IOMMU group
 * `group` (-1 none); `native` is the driver the fake probe picks without
 * an override (drivers_probe), "" for none.
 */
static void fake_dev(const char *addr, const char *ids, const char *drv, int group,
		     const char *native)
{
	char v[8], d[8];

	mkdir_p(at("bus/pci/devices/%s", addr));
	snprintf(v, sizeof(v), "0x%.4s\n", ids);
	snprintf(d, sizeof(d), "0x%.4s\n", ids + 5);
	spit(at("bus/pci/devices/%s/vendor", addr), v);
	spit(at("bus/pci/devices/%s/device", addr), d);
	spit(at("bus/pci/devices/%s/class", addr), "0x020000\n");
	spit(at("bus/pci/devices/%s/driver_override", addr), "(null)\n");
	spit(at("bus/pci/devices/%s/fake_native", addr), native);
	if (drv && *drv) {
		fake_driver(drv);
		link_driver(addr, drv);
	}
	if (group >= 0)
		link_group(addr, group);
}

static void rm_rf(const char *p)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", p);
}

/* ---- the fake kernel ---- */

static void cur_driver(const char *addr, char *out, size_t len)
{
	char p[PATH_MAX + 256], t[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "%s", at("bus/pci/devices/%s/driver", addr));
	n = readlink(p, t, sizeof(t) - 1);
	out[0] = 0;
	if (n > 0) {
		t[n] = 0;
		snprintf(out, len, "%s", strrchr(t, '/') + 1);
	}
}

static bool dir_exists(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int fake_probe(const char *addr)
{
	char drv[64], ov[64], native[64];

	cur_driver(addr, drv, sizeof(drv));
	if (drv[0])
		return 0;
	slurp_file(at("bus/pci/devices/%s/driver_override", addr), ov, sizeof(ov));
	ov[strcspn(ov, "\n")] = 0;
	slurp_file(at("bus/pci/devices/%s/fake_native", addr), native, sizeof(native));
	/* an override names the only driver that may bind */
	const char *want = ov[0] && strcmp(ov, "(null)") ? ov : native;

	if (want[0] && strcmp(want, refuse) && dir_exists(at("bus/pci/drivers/%s", want)))
		link_driver(addr, want);
	return 0;
}

/* VFs of PF ADDR: functions 1..n of the same bus and device, groups 100 + i */
static int fake_numvfs(const char *pf, const char *text)
{
	char drv[64], cur[16], auto_[8], vf[32], target[64];
	int n = atoi(text), have;

	cur_driver(pf, drv, sizeof(drv));
	if (!drv[0])
		return -ENOENT;
	slurp_file(at("bus/pci/devices/%s/sriov_numvfs", pf), cur, sizeof(cur));
	have = atoi(cur);
	if (n == have)
		return 0;
	if (have && n)
		return -EBUSY;
	for (int i = 0; i < (n ? n : have); i++) {
		snprintf(vf, sizeof(vf), "%.11s%d", pf, (i + 1) & 7);
		if (n) {
			slurp_file(at("bus/pci/devices/%s/sriov_drivers_autoprobe", pf), auto_,
				   sizeof(auto_));
			fake_dev(vf, "1b36:0010", "", 100 + i, "");
			if (atoi(auto_))
				link_driver(vf, drv);
			snprintf(target, sizeof(target), "../%s", vf);
			if (symlink(target, at("bus/pci/devices/%s/virtfn%d", pf, i)))
				abort();
		} else {
			unlink(at("bus/pci/devices/%s/virtfn%d", pf, i));
			rm_rf(at("kernel/iommu_groups/%d", 100 + i));
			rm_rf(at("bus/pci/devices/%s", vf));
		}
	}
	spit(at("bus/pci/devices/%s/sriov_numvfs", pf), n ? text : "0");
	return 0;
}

static int fake_write(const struct hostpci *hp, const char *path, const char *text)
{
	const char *rel = path + strlen(hp->root) + 1;
	char addr[HOSTPCI_ADDR_LEN], drv[64], buf[PATH_MAX];
	size_t used = strlen(wlog), rl = strlen(rel), fl = strlen(fail_rel);

	if (strncmp(path, hp->root, strlen(hp->root)) || path[strlen(hp->root)] != '/')
		return -EXDEV; /* outside the tree */
	snprintf(wlog + used, sizeof(wlog) - used, "%s\t%s\n", rel,
		 strcmp(text, "\n") ? text : "\\n");
	if (fl && rl >= fl && !strcmp(rel + rl - fl, fail_rel))
		return -fail_err;
	if (!strcmp(rel, "bus/pci/drivers_probe"))
		return fake_probe(text);
	if (sscanf(rel, "bus/pci/drivers/%63[^/]/%4095s", drv, buf) == 2) {
		char cur[64];

		if (!dir_exists(at("bus/pci/devices/%s", text)))
			return -ENODEV;
		cur_driver(text, cur, sizeof(cur));
		if (!strcmp(buf, "unbind")) {
			if (strcmp(cur, drv))
				return -ENODEV;
			link_driver(text, NULL);
			return 0;
		}
		if (!strcmp(buf, "bind")) {
			if (cur[0])
				return -EBUSY;
			if (!strcmp(drv, refuse))
				return -ENODEV;
			link_driver(text, drv);
			return 0;
		}
		return -EINVAL;
	}
	if (sscanf(rel, "bus/pci/devices/%19[^/]/%4095s", addr, buf) == 2) {
		if (!strcmp(buf, "sriov_numvfs"))
			return fake_numvfs(addr, text);
		if (!strcmp(buf, "driver_override")) {
			spit(path, strcmp(text, "\n") ? text : "(null)\n");
			return 0;
		}
		if (!strcmp(buf, "sriov_drivers_autoprobe")) {
			spit(path, text);
			return 0;
		}
	}
	return -EACCES;
}

static struct hostpci hp;

static void fake_root(void)
{
	if (root[0])
		rm_rf(root);
	snprintf(root, sizeof(root), "/tmp/kasou-hostpci-XXXXXX");
	if (!mkdtemp(root))
		abort();
	mkdir_p(at("bus/pci/devices"));
	mkdir_p(at("kernel/iommu_groups"));
	spit(at("bus/pci/drivers_probe"), "");
	snprintf(state, sizeof(state), "%s/state", root);
	setenv("KASOU_SYSFS", root, 1);
	setenv("KASOU_VFIO_STATE_DIR", state, 1);
	hostpci_set_write_for_tests(fake_write, NULL);
	hostpci_init(&hp);
	wlog[0] = refuse[0] = fail_rel[0] = 0;
}

static void fake_done(void)
{
	hostpci_set_write_for_tests(NULL, NULL);
	rm_rf(root);
	root[0] = 0;
}

/* ---- a command with its output captured ---- */

static char out[8192], err[8192];

static void slurp_tmp(FILE *tmp, char *buf, size_t len)
{
	size_t n;

	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
}

static int host(const char *a1, ...)
{
	char *argv[16];
	int argc = 0, rc, o = dup(1), e = dup(2);
	FILE *to = tmpfile(), *te = tmpfile();
	va_list ap;

	argv[argc++] = "host";
	argv[argc++] = (char *)a1;
	va_start(ap, a1);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(to), 1);
	dup2(fileno(te), 2);
	rc = cli_host(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(o);
	close(e);
	slurp_tmp(to, out, sizeof(out));
	slurp_tmp(te, err, sizeof(err));
	return rc;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define NIC "0000:00:02.0"

/* ---- addresses ---- */

TEST(parse_valid)
{
	static const char *const in[][2] = {
		{ "0000:01:00.0", "0000:01:00.0" },
		{ "01:00.0", "0000:01:00.0" },
		{ "0000:0A:1F.7", "0000:0a:1f.7" },
		{ "/sys/bus/pci/devices/0000:00:02.0", "0000:00:02.0" },
		{ "/sys/bus/pci/devices/0000:00:02.0/", "0000:00:02.0" },
		{ "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.1", "0000:02:00.1" },
		{ "10000:e1:00.0", "10000:e1:00.0" },
		{ "ffff:ff:1f.7", "ffff:ff:1f.7" },
	};
	char a[HOSTPCI_ADDR_LEN], e[HOSTPCI_ERR_LEN];

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		a[0] = 0;
		CHECK_EQ(hostpci_parse_addr(in[i][0], a, e), 0);
		CHECK_STR(a, in[i][1]);
	}
}

TEST(parse_invalid)
{
	static const char *const in[] = {
		"",	      "0000:01:00",   "0000:01:20.0", "0000:01:00.8",	"1:00.0",
		"001:00.0",   "0000:01:00.0x", "zz:00.0",     "0:01:00.0",	"0000:01:00.0:1",
		"0000:01:00.", "0000:1:00.0", "0000:01:0.0", "123456789:00:00.0", "/sys/bus/pci/",
		"0000:01:00.10", " 01:00.0",
	};
	char a[HOSTPCI_ADDR_LEN], e[HOSTPCI_ERR_LEN];

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		e[0] = 0;
		CHECK_EQ(hostpci_parse_addr(in[i], a, e), -EINVAL);
		CHECK(strstr(e, "PCI address") != NULL);
	}
	CHECK_EQ(hostpci_parse_addr(NULL, a, NULL), -EINVAL);
	/* the command says so in one line, exit 2, before touching sysfs */
	fake_root();
	CHECK_EQ(host("vfio-bind", "0000:01:20.0", NULL), 2);
	CHECK_EQ(lines(err), 1);
	CHECK(strstr(err, "bad PCI address '0000:01:20.0'") != NULL);
	CHECK_EQ(host("vfio-bind", NULL), 2);
	CHECK_EQ(host("vfio-bind", NIC, "extra", NULL), 2);
	CHECK_EQ(host("sriov", "x", NULL), 2);
	CHECK_EQ(host("frobnicate", NULL), 2);
	CHECK_EQ(lines(err), 1);
	CHECK_STR(wlog, "");
	fake_done();
}

/* ---- vfio-bind ---- */

TEST(bind_writes_in_order)
{
	struct hostpci_bind res;
	char e[HOSTPCI_ERR_LEN] = "", buf[256], drv[64];

	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), 0);
	CHECK_STR(e, "");
	CHECK_STR(wlog, "bus/pci/devices/" NIC "/driver_override\tvfio-pci\n"
			"bus/pci/drivers/e1000e/unbind\t" NIC "\n"
			"bus/pci/drivers_probe\t" NIC "\n");
	CHECK_STR(res.was, "e1000e");
	CHECK(!res.already);
	CHECK_EQ(res.group, 7);
	CHECK_STR(res.blockers, "");
	hostpci_driver(&hp, NIC, drv);
	CHECK_STR(drv, "vfio-pci");
	CHECK_STR(slurp_file(at("state/" NIC ".driver"), buf, sizeof(buf)), "e1000e\n");
	fake_done();
}

TEST(bind_cli_output)
{
	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	CHECK_EQ(host("vfio-bind", "00:02.0", NULL), 0);
	CHECK_STR(out, NIC ": bound to vfio-pci (was e1000e)\n"
		       "IOMMU group 7: /dev/vfio/7\n");
	CHECK_STR(err, "");
	/* again: nothing to do, nothing written, the record of e1000e kept */
	wlog[0] = 0;
	CHECK_EQ(host("vfio-bind", "/sys/bus/pci/devices/" NIC, NULL), 0);
	CHECK_STR(out, NIC ": already bound to vfio-pci\nIOMMU group 7: /dev/vfio/7\n");
	CHECK_STR(wlog, "");
	CHECK_STR(slurp_file(at("state/" NIC ".driver"), out, sizeof(out)), "e1000e\n");
	fake_done();
}

TEST(bind_unbound_device)
{
	struct hostpci_bind res;
	char e[HOSTPCI_ERR_LEN] = "", buf[64];

	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "", 7, "");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), 0);
	/* no driver to unbind from */
	CHECK_STR(wlog, "bus/pci/devices/" NIC "/driver_override\tvfio-pci\n"
			"bus/pci/drivers_probe\t" NIC "\n");
	CHECK_STR(res.was, "");
	CHECK_STR(slurp_file(at("state/" NIC ".driver"), buf, sizeof(buf)), "\n");
	fake_done();
}

TEST(bind_errors_touch_nothing)
{
	struct hostpci_bind res;
	char e[HOSTPCI_ERR_LEN];

	fake_root();
	/* no such device */
	CHECK_EQ(hostpci_vfio_bind(&hp, state, "0000:00:1e.7", &res, e), -ENODEV);
	CHECK(strstr(e, "0000:00:1e.7: no such PCI device") != NULL);
	CHECK_EQ(host("vfio-bind", "0000:00:1e.7", NULL), 1);
	CHECK_EQ(lines(err), 1);

	/* no IOMMU group */
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", -1, "e1000e");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), -ENODEV);
	CHECK(strstr(e, "no IOMMU group") != NULL);
	CHECK(strstr(e, "intel_iommu=on") != NULL);
	CHECK(strstr(e, "amd_iommu=on") != NULL);
	CHECK_EQ(host("vfio-bind", NIC, NULL), 1);
	CHECK_EQ(lines(err), 1);
	CHECK_STR(wlog, "");
	CHECK(access(at("state/" NIC ".driver"), F_OK) != 0);
	fake_done();

	/* vfio-pci not loaded */
	fake_root();
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), -ENOENT);
	CHECK(strstr(e, "modprobe vfio-pci") != NULL);
	CHECK_EQ(host("vfio-bind", NIC, NULL), 1);
	CHECK_EQ(lines(err), 1);
	CHECK(strstr(err, "kasou: the vfio-pci driver is not loaded") == err);
	CHECK_STR(wlog, "");
	CHECK(access(at("state/" NIC ".driver"), F_OK) != 0);
	fake_done();
}

TEST(bind_refused_puts_it_back)
{
	struct hostpci_bind res;
	char e[HOSTPCI_ERR_LEN], drv[64], ov[64];

	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	snprintf(refuse, sizeof(refuse), "vfio-pci");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), -EIO);
	CHECK(strstr(e, "vfio-pci did not take the device (its driver is now none") != NULL);
	hostpci_driver(&hp, NIC, drv);
	CHECK_STR(drv, "e1000e");
	slurp_file(at("bus/pci/devices/" NIC "/driver_override"), ov, sizeof(ov));
	CHECK_STR(ov, "(null)\n");
	CHECK(access(at("state/" NIC ".driver"), F_OK) != 0);
	fake_done();

	/* a failing write: the same */
	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	snprintf(fail_rel, sizeof(fail_rel), "e1000e/unbind");
	fail_err = EBUSY;
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), -EBUSY);
	CHECK(strstr(e, "cannot write '" NIC "' to ") != NULL);
	CHECK(strstr(e, "e1000e/unbind: Device or resource busy") != NULL);
	fail_rel[0] = 0;
	slurp_file(at("bus/pci/devices/" NIC "/driver_override"), ov, sizeof(ov));
	CHECK_STR(ov, "(null)\n");
	hostpci_driver(&hp, NIC, drv);
	CHECK_STR(drv, "e1000e");
	fake_done();

	/* not root */
	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	snprintf(fail_rel, sizeof(fail_rel), "driver_override");
	fail_err = EACCES;
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), -EACCES);
	CHECK(strstr(e, "Permission denied (run as root)") != NULL);
	fake_done();
}

TEST(group_not_viable)
{
	struct hostpci_bind res;
	char e[HOSTPCI_ERR_LEN], list[512];

	fake_root();
	fake_driver("vfio-pci");
	fake_driver("pcieport");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	fake_dev("0000:00:02.1", "8086:293e", "snd_hda_intel", 7, "snd_hda_intel");
	fake_dev("0000:00:02.2", "8086:2922", "ahci", 7, "ahci");
	fake_dev("0000:00:01.0", "8086:29c1", "pcieport", 7, "pcieport");
	fake_dev("0000:00:02.3", "8086:2930", "", 7, "");
	fake_dev("0000:00:02.4", "8086:2931", "vfio-pci", 7, "");
	fake_dev("0000:00:03.0", "8086:2932", "ahci", 8, "ahci"); /* another group */
	CHECK_EQ(hostpci_group_blockers(&hp, 7, "", list, sizeof(list)), 3);
	CHECK_STR(list, NIC " (e1000e), 0000:00:02.1 (snd_hda_intel), 0000:00:02.2 (ahci)");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &res, e), 0);
	CHECK_STR(res.blockers, "0000:00:02.1 (snd_hda_intel), 0000:00:02.2 (ahci)");

	/* a warning, not an error: bound, one line naming them and their drivers */
	CHECK_EQ(host("vfio-bind", "0000:00:02.1", NULL), 0);
	CHECK(strstr(out, "0000:00:02.1: bound to vfio-pci (was snd_hda_intel)") != NULL);
	CHECK_EQ(lines(err), 1);
	CHECK(strstr(err, "kasou: warning: IOMMU group 7 is not usable yet: also bind "
			  "0000:00:02.2 (ahci) to vfio-pci") == err);
	CHECK_EQ(host("vfio-bind", "0000:00:02.2", NULL), 0);
	CHECK_STR(err, "");
	fake_done();
}

/* ---- vfio-unbind ---- */

TEST(unbind_restores)
{
	struct hostpci_bind b;
	struct hostpci_unbind res;
	char e[HOSTPCI_ERR_LEN] = "", drv[64], ov[64];

	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &b, e), 0);
	wlog[0] = 0;
	CHECK_EQ(hostpci_vfio_unbind(&hp, state, NIC, &res, e), 0);
	CHECK_STR(e, "");
	CHECK_STR(wlog, "bus/pci/drivers/vfio-pci/unbind\t" NIC "\n"
			"bus/pci/devices/" NIC "/driver_override\t\\n\n"
			"bus/pci/drivers_probe\t" NIC "\n");
	CHECK(res.had_record);
	CHECK_STR(res.recorded, "e1000e");
	CHECK_STR(res.now, "e1000e");
	hostpci_driver(&hp, NIC, drv);
	CHECK_STR(drv, "e1000e");
	slurp_file(at("bus/pci/devices/" NIC "/driver_override"), ov, sizeof(ov));
	CHECK_STR(ov, "(null)\n");
	CHECK(access(at("state/" NIC ".driver"), F_OK) != 0);

	/* through the command */
	CHECK_EQ(host("vfio-bind", NIC, NULL), 0);
	CHECK_EQ(host("vfio-unbind", NIC, NULL), 0);
	CHECK_STR(out, NIC ": unbound from vfio-pci, driver now e1000e\n");
	CHECK_STR(err, "");
	/* not on vfio-pci any more */
	CHECK_EQ(host("vfio-unbind", NIC, NULL), 1);
	CHECK_STR(err, "kasou: " NIC " is not bound to vfio-pci (its driver is e1000e)\n");
	fake_done();
}

TEST(unbind_binds_recorded_driver)
{
	struct hostpci_bind b;
	struct hostpci_unbind res;
	char e[HOSTPCI_ERR_LEN] = "";

	/* e1000e had been bound by hand (new_id): a probe does not bring it back */
	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &b, e), 0);
	wlog[0] = 0;
	CHECK_EQ(hostpci_vfio_unbind(&hp, state, NIC, &res, e), 0);
	CHECK_STR(wlog, "bus/pci/drivers/vfio-pci/unbind\t" NIC "\n"
			"bus/pci/devices/" NIC "/driver_override\t\\n\n"
			"bus/pci/drivers_probe\t" NIC "\n"
			"bus/pci/drivers/e1000e/bind\t" NIC "\n");
	CHECK_STR(res.now, "e1000e");

	/* no record (bound by something else): the probe decides, and says so */
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &b, e), 0);
	unlink(at("state/" NIC ".driver"));
	CHECK_EQ(host("vfio-unbind", NIC, NULL), 0);
	CHECK_STR(out, NIC ": unbound from vfio-pci, driver now none\n");
	CHECK_STR(err, "");

	/* the recorded driver is gone: one line saying what to load */
	link_driver(NIC, "e1000e");
	CHECK_EQ(hostpci_vfio_bind(&hp, state, NIC, &b, e), 0);
	rm_rf(at("bus/pci/drivers/e1000e"));
	CHECK_EQ(host("vfio-unbind", NIC, NULL), 1);
	CHECK_STR(err, "kasou: " NIC ": unbound from vfio-pci, but its driver e1000e is not "
		       "loaded (modprobe e1000e?)\n");
	fake_done();
}

/* ---- SR-IOV ---- */

#define PF "0000:03:00.0"

static void fake_pf(int total, const char *drv)
{
	char t[16];

	fake_dev(PF, "1b36:0010", drv, 9, drv);
	snprintf(t, sizeof(t), "%d\n", total);
	spit(at("bus/pci/devices/" PF "/sriov_totalvfs"), t);
	spit(at("bus/pci/devices/" PF "/sriov_numvfs"), "0\n");
	spit(at("bus/pci/devices/" PF "/sriov_drivers_autoprobe"), "1\n");
	if (total < 0)
		unlink(at("bus/pci/devices/" PF "/sriov_totalvfs"));
}

TEST(sriov_create_list_remove)
{
	struct hostpci_vf *vfs;
	struct hostpci_sriov info;
	char e[HOSTPCI_ERR_LEN] = "";
	int n;

	fake_root();
	fake_pf(2, "nvme");
	CHECK_EQ(hostpci_sriov_info(&hp, PF, &info, e), 0);
	CHECK_EQ(info.total, 2);
	CHECK_EQ(info.num, 0);
	CHECK_EQ(info.autoprobe, 1);
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 2, 0, e), 0);
	/* autoprobe off before the VFs exist */
	CHECK_STR(wlog, "bus/pci/devices/" PF "/sriov_drivers_autoprobe\t0\n"
			"bus/pci/devices/" PF "/sriov_numvfs\t2\n");
	n = hostpci_sriov_vfs(&hp, PF, &vfs);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK_EQ(vfs[0].index, 0);
		CHECK_STR(vfs[0].addr, "0000:03:00.1");
		CHECK_STR(vfs[0].ids, "1b36:0010");
		CHECK_STR(vfs[0].driver, "");
		CHECK_EQ(vfs[0].group, 100);
		CHECK_EQ(vfs[1].index, 1);
		CHECK_STR(vfs[1].addr, "0000:03:00.2");
		CHECK_EQ(vfs[1].group, 101);
	}
	free(vfs);

	/* the same count: nothing written */
	wlog[0] = 0;
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 2, 0, e), 0);
	CHECK_STR(wlog, "");
	/* another count: through 0 */
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 1, 0, e), 0);
	CHECK_STR(wlog, "bus/pci/devices/" PF "/sriov_numvfs\t0\n"
			"bus/pci/devices/" PF "/sriov_numvfs\t1\n");
	/* 0 removes them */
	wlog[0] = 0;
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 0, 0, e), 0);
	CHECK_STR(wlog, "bus/pci/devices/" PF "/sriov_numvfs\t0\n");
	CHECK_EQ(hostpci_sriov_vfs(&hp, PF, &vfs), 0);
	free(vfs);
	CHECK(access(at("bus/pci/devices/0000:03:00.1"), F_OK) != 0);
	fake_done();
}

TEST(sriov_cli)
{
	fake_root();
	fake_pf(2, "nvme");
	CHECK_EQ(host("sriov", PF, "--vfs", "2", NULL), 0);
	CHECK_STR(out, PF ": 2 of 2 VFs, drivers_autoprobe off\n"
		       "VF  ADDRESS       ID         DRIVER          IOMMU-GROUP\n"
		       "0   0000:03:00.1  1b36:0010  -               100\n"
		       "1   0000:03:00.2  1b36:0010  -               101\n");
	CHECK_STR(err, "");
	/* listing only */
	wlog[0] = 0;
	CHECK_EQ(host("sriov", "03:00.0", NULL), 0);
	CHECK_EQ(lines(out), 4);
	CHECK_STR(wlog, "");
	CHECK_EQ(host("sriov", PF, "--vfs=0", NULL), 0);
	CHECK_STR(out, PF ": 0 of 2 VFs, drivers_autoprobe off\n");
	/* --autoprobe lets the PF's driver claim them */
	CHECK_EQ(host("sriov", PF, "--vfs", "1", "--autoprobe", NULL), 0);
	CHECK(strstr(out, "0   0000:03:00.1  1b36:0010  nvme            100\n") != NULL);
	/* usage */
	CHECK_EQ(host("sriov", PF, "--vfs", NULL), 2);
	CHECK_EQ(host("sriov", PF, "--vfs", "-1", NULL), 2);
	CHECK_EQ(host("sriov", PF, "--vfs", "two", NULL), 2);
	CHECK_EQ(lines(err), 1);
	CHECK_EQ(host("sriov", PF, "--no-autoprobe", NULL), 2);
	CHECK_EQ(host("sriov", PF, "--bogus", NULL), 2);
	CHECK_EQ(host("sriov", "--vfs", "1", NULL), 2);
	fake_done();
}

TEST(sriov_limits)
{
	char e[HOSTPCI_ERR_LEN];

	fake_root();
	fake_pf(2, "nvme");
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 3, 0, e), -ERANGE);
	CHECK_STR(e, PF " supports at most 2 VFs (sriov_totalvfs), not 3");
	CHECK_EQ(host("sriov", PF, "--vfs", "3", NULL), 1);
	CHECK_STR(err, "kasou: " PF " supports at most 2 VFs (sriov_totalvfs), not 3\n");
	CHECK_STR(wlog, "");
	fake_done();

	/* no SR-IOV at all */
	fake_root();
	fake_pf(-1, "e1000e");
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 1, 0, e), -ENOTSUP);
	CHECK(strstr(e, PF " has no SR-IOV") == e);
	CHECK_EQ(host("sriov", PF, NULL), 1);
	CHECK_EQ(lines(err), 1);
	CHECK(strstr(err, "has no SR-IOV") != NULL);
	CHECK_EQ(host("sriov", "0000:03:00.5", "--vfs", "1", NULL), 1);
	CHECK(strstr(err, "no such PCI device") != NULL);
	fake_done();

	/* the PF has no driver: the kernel says ENOENT */
	fake_root();
	fake_pf(2, "");
	CHECK_EQ(hostpci_sriov_set(&hp, PF, 2, 0, e), -ENOENT);
	CHECK(strstr(e, "no driver is bound to the device") != NULL);
	fake_done();
}

TEST(list_pci)
{
	fake_root();
	fake_driver("vfio-pci");
	fake_dev(NIC, "8086:10d3", "e1000e", 7, "e1000e");
	fake_dev("0000:00:01.0", "8086:29c0", "", -1, "");
	mkdir_p(at("bus/pci/devices/not-a-device"));
	CHECK_EQ(host("list-pci", NULL), 0);
	CHECK_STR(out, "ADDRESS       CLASS   ID         DRIVER          IOMMU-GROUP\n"
		       "0000:00:01.0  020000  8086:29c0  -               -\n"
		       "0000:00:02.0  020000  8086:10d3  e1000e          7\n");
	CHECK_EQ(host("list-pci", "x", NULL), 2);
	fake_done();
}

UNIT_MAIN("host_pci", T(parse_valid), T(parse_invalid), T(bind_writes_in_order),
	  T(bind_cli_output), T(bind_unbound_device), T(bind_errors_touch_nothing),
	  T(bind_refused_puts_it_back), T(group_not_viable), T(unbind_restores),
	  T(unbind_binds_recorded_driver), T(sriov_create_list_remove), T(sriov_cli),
	  T(sriov_limits), T(list_pci))
