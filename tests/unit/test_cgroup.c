// SPDX-License-Identifier: GPL-2.0-only
/*
 * --cgroup parsing (every key, every error) and resources/cgroup.c against a
 * fake cgroupfs tree (each file reads as the commands written to it, in
 * order): the exact files and values setup writes, teardown, live set,
 * thread placement, error messages, unwinding. Then the real thing, on a
 * writable cgroup2 mount under a test-only parent, or SKIP with the reason.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "resources/cgroup.h"
#include "unit.h"

static struct cgroup_config c;
static char err[CONFIG_ERR_LEN];

static int parse(const char *s)
{
	memset(err, 0, sizeof(err));
	return config_parse_cgroup(s, &c, err);
}

/* ---- parsing ---- */

TEST(parse_empty)
{
	CHECK_EQ(parse(""), 0);
	CHECK(c.enabled);
	CHECK_STR(c.path, "");
	CHECK(!c.threads);
	CHECK_EQ(c.cpu_weight, 0);
	CHECK(!c.cpu_max.set);
	CHECK_EQ(c.memory_max.kind, CGROUP_VAL_UNSET);
	CHECK_EQ(c.memory_swap_max.kind, CGROUP_VAL_UNSET);
	CHECK_EQ(c.io_weight, 0);
	CHECK_EQ(c.nr_io_max, 0);
	CHECK_STR(c.cpuset_cpus, "");
	CHECK_STR(err, "");

	/* a zeroed struct (config_init) is "no --cgroup" */
	struct vm_config cfg;

	config_init(&cfg);
	CHECK(!cfg.cgroup.enabled);
	config_free(&cfg);
}

TEST(parse_every_key)
{
	CHECK_EQ(parse("path=/sys/fs/cgroup/machine/vm1/,cpu.weight=200,cpu.max=50000/100000,"
		       "memory.max=1G,memory.high=768M,memory.min=256M,memory.swap.max=0,"
		       "io.weight=300,io.max=8:0:rbps=10M:wbps=max:riops=100:wiops=50,"
		       "io.max=253:1:wbps=1048576,cpuset.cpus=0-3,,8,cpuset.mems=0,threads=on,"
		       "vcpus.cpu.max=max/50000,vcpus.cpu.weight=300,emulator.cpu.max=10%,"
		       "emulator.cpu.weight=20"),
		 0);
	CHECK_STR(err, "");
	CHECK_STR(c.path, "/sys/fs/cgroup/machine/vm1"); /* trailing '/' dropped */
	CHECK_EQ(c.cpu_weight, 200);
	CHECK(c.cpu_max.set && !c.cpu_max.unlimited);
	CHECK_EQ(c.cpu_max.quota_us, 50000);
	CHECK_EQ(c.cpu_max.period_us, 100000);
	CHECK_EQ(c.memory_max.kind, CGROUP_VAL_NUM);
	CHECK_EQ(c.memory_max.num, 1ULL << 30);
	CHECK_EQ(c.memory_high.num, 768ULL << 20);
	CHECK_EQ(c.memory_min.num, 256ULL << 20);
	CHECK_EQ(c.memory_swap_max.kind, CGROUP_VAL_NUM);
	CHECK_EQ(c.memory_swap_max.num, 0);
	CHECK_EQ(c.io_weight, 300);
	CHECK_EQ(c.nr_io_max, 2);
	CHECK_EQ(c.io_max[0].major, 8);
	CHECK_EQ(c.io_max[0].minor, 0);
	CHECK_EQ(c.io_max[0].rbps.kind, CGROUP_VAL_NUM);
	CHECK_EQ(c.io_max[0].rbps.num, 10 << 20);
	CHECK_EQ(c.io_max[0].wbps.kind, CGROUP_VAL_MAX);
	CHECK_EQ(c.io_max[0].riops.num, 100);
	CHECK_EQ(c.io_max[0].wiops.num, 50);
	CHECK_EQ(c.io_max[1].major, 253);
	CHECK_EQ(c.io_max[1].minor, 1);
	CHECK_EQ(c.io_max[1].rbps.kind, CGROUP_VAL_UNSET);
	CHECK_EQ(c.io_max[1].wbps.num, 1048576);
	CHECK_STR(c.cpuset_cpus, "0-3,8");
	CHECK_STR(c.cpuset_mems, "0");
	CHECK(c.threads);
	CHECK(c.vcpus_cpu_max.set && c.vcpus_cpu_max.unlimited);
	CHECK_EQ(c.vcpus_cpu_max.period_us, 50000);
	CHECK_EQ(c.vcpus_cpu_weight, 300);
	CHECK_EQ(c.emulator_cpu_max.quota_us, 10000);
	CHECK_EQ(c.emulator_cpu_max.period_us, 100000);
	CHECK_EQ(c.emulator_cpu_weight, 20);

	/* the other spellings */
	CHECK_EQ(parse("cpu.max=20%,memory.max=max,memory.high=max,memory.min=max,"
		       "memory.swap.max=max,threads=off"),
		 0);
	CHECK_EQ(c.cpu_max.quota_us, 20000); /* 20% of one CPU */
	CHECK_EQ(c.cpu_max.period_us, 100000);
	CHECK_EQ(c.memory_max.kind, CGROUP_VAL_MAX);
	CHECK_EQ(c.memory_high.kind, CGROUP_VAL_MAX);
	CHECK_EQ(c.memory_min.kind, CGROUP_VAL_MAX);
	CHECK_EQ(c.memory_swap_max.kind, CGROUP_VAL_MAX);
	CHECK(!c.threads);
	CHECK_EQ(parse("cpu.max=250%"), 0);
	CHECK_EQ(c.cpu_max.quota_us, 250000);
	CHECK_EQ(parse("cpu.max=max"), 0);
	CHECK(c.cpu_max.set && c.cpu_max.unlimited);
	CHECK_EQ(c.cpu_max.period_us, 100000);
	CHECK_EQ(parse("cpu.max=1000/1000,cpu.weight=1,io.weight=10000,cpu.max=1%"), 0);
	CHECK_EQ(c.cpu_max.quota_us, 1000); /* the last one wins */
	CHECK_EQ(c.io_weight, 10000);
	CHECK_EQ(parse("cpu.max=4096000000/1000000"), 0); /* 4096 CPUs */
	CHECK_EQ(parse("cpuset.cpus=7,cpuset.mems=0-1,,3-3"), 0);
	CHECK_STR(c.cpuset_mems, "0-1,3-3");
	CHECK_EQ(parse("cpuset.cpus=[0-3,8,10-11],cpuset.mems=[1]"), 0);
	CHECK_STR(c.cpuset_cpus, "0-3,8,10-11");
	CHECK_STR(c.cpuset_mems, "1");

	/* a repeated device replaces its line; eight devices fit */
	CHECK_EQ(parse("io.max=8:0:rbps=1M,io.max=8:16:wiops=5,io.max=8:0:riops=7"), 0);
	CHECK_EQ(c.nr_io_max, 2);
	CHECK_EQ(c.io_max[0].rbps.kind, CGROUP_VAL_UNSET);
	CHECK_EQ(c.io_max[0].riops.num, 7);
	CHECK_EQ(parse("io.max=1:0:rbps=1,io.max=1:1:rbps=1,io.max=1:2:rbps=1,io.max=1:3:rbps=1,"
		       "io.max=1:4:rbps=1,io.max=1:5:rbps=1,io.max=1:6:rbps=1,io.max=1:7:rbps=1"),
		 0);
	CHECK_EQ(c.nr_io_max, 8);
}

TEST(parse_errors)
{
	static const struct {
		const char *opt, *msg;
	} bad[] = {
		{ "cpu.weight=0", "cpu.weight='0': between 1 and 10000 (the kernel's default is 100)" },
		{ "cpu.weight=10001", "cpu.weight='10001': between 1 and 10000 (the kernel's default is 100)" },
		{ "cpu.weight=x", "cpu.weight='x': between 1 and 10000 (the kernel's default is 100)" },
		{ "io.weight=0", "io.weight='0': between 1 and 10000 (the kernel's default is 100)" },
		{ "io.weight=20000", "io.weight='20000': between 1 and 10000 (the kernel's default is 100)" },
		{ "vcpus.cpu.weight=0,threads=on", "vcpus.cpu.weight='0': between 1 and 10000 (the kernel's default is 100)" },
		{ "cpu.max=50000", "cpu.max='50000': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, or PERCENT% of one CPU (150%)" },
		{ "cpu.max=", "cpu.max='': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, or PERCENT% of one CPU (150%)" },
		{ "cpu.max=1.5%", "cpu.max='1.5%': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, or PERCENT% of one CPU (150%)" },
		{ "cpu.max=a/100000", "cpu.max='a/100000': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, or PERCENT% of one CPU (150%)" },
		{ "cpu.max=50000/", "cpu.max='50000/': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, or PERCENT% of one CPU (150%)" },
		{ "cpu.max=0%", "cpu.max='0%': between 1% and 409600% of one CPU" },
		{ "cpu.max=409601%", "cpu.max='409601%': between 1% and 409600% of one CPU" },
		{ "cpu.max=50000/999", "cpu.max='50000/999': the period must be 1000-1000000 us" },
		{ "cpu.max=max/1000001", "cpu.max='max/1000001': the period must be 1000-1000000 us" },
		{ "cpu.max=999/100000", "cpu.max='999/100000': the quota must be 1000 us to 4096 periods" },
		{ "cpu.max=409600001/100000", "cpu.max='409600001/100000': the quota must be 1000 us to 4096 periods" },
		{ "emulator.cpu.max=1/2/3,threads=on", "emulator.cpu.max='1/2/3': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, or PERCENT% of one CPU (150%)" },
		{ "memory.max=1.5G", "memory.max='1.5G': use a size (512M, 2G) or max" },
		{ "memory.high=", "memory.high='': use a size (512M, 2G) or max" },
		{ "memory.min=-1", "memory.min='-1': use a size (512M, 2G) or max" },
		{ "memory.swap.max=lots", "memory.swap.max='lots': use a size (512M, 2G) or max" },
		{ "io.max=8:0", "io.max='8:0': use MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N (at least one limit; rates take sizes like 10M; any may be max)" },
		{ "io.max=8", "io.max='8': use MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N (at least one limit; rates take sizes like 10M; any may be max)" },
		{ "io.max=sda:rbps=1", "io.max='sda:rbps=1': use MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N (at least one limit; rates take sizes like 10M; any may be max)" },
		{ "io.max=4096:0:rbps=1", "io.max='4096:0:rbps=1': use MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N (at least one limit; rates take sizes like 10M; any may be max)" },
		{ "io.max=8:0:rbps", "io.max='8:0:rbps': use MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N (at least one limit; rates take sizes like 10M; any may be max)" },
		{ "io.max=8:0:bps=1", "io.max='8:0:bps=1': unknown limit 'bps' (use rbps, wbps, riops, wiops)" },
		{ "io.max=8:0:rbps=0", "io.max='8:0:rbps=0': rbps='0': a byte rate (10M) at least 1, or max" },
		{ "io.max=8:0:wbps=1.5M", "io.max='8:0:wbps=1.5M': wbps='1.5M': a byte rate (10M) at least 1, or max" },
		{ "io.max=8:0:riops=10K", "io.max='8:0:riops=10K': riops='10K': a number at least 1, or max" },
		{ "io.max=8:0:wiops=0", "io.max='8:0:wiops=0': wiops='0': a number at least 1, or max" },
		{ "io.max=1:0:rbps=1,io.max=1:1:rbps=1,io.max=1:2:rbps=1,io.max=1:3:rbps=1,"
		  "io.max=1:4:rbps=1,io.max=1:5:rbps=1,io.max=1:6:rbps=1,io.max=1:7:rbps=1,"
		  "io.max=1:8:rbps=1", "io.max: at most 8 devices" },
		{ "cpuset.cpus=", "cpuset.cpus='': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.cpus=[]", "cpuset.cpus='[]': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.cpus=3-1", "cpuset.cpus='3-1': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.cpus=0-", "cpuset.cpus='0-': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.cpus=0,,", "cpuset.cpus='0,': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.cpus=[0,]", "cpuset.cpus='[0,]': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.mems=1024", "cpuset.mems='1024': use a list like [0-3,8] (numbers below 1024)" },
		{ "cpuset.mems=a", "cpuset.mems='a': use a list like [0-3,8] (numbers below 1024)" },
		{ "path=kasou/vm1", "path='kasou/vm1': an absolute directory under the cgroup v2 mount, at most 255 characters, no . or .. (e.g. /sys/fs/cgroup/kasou/vm1)" },
		{ "path=/sys/fs/cgroup/../etc", "path='/sys/fs/cgroup/../etc': an absolute directory under the cgroup v2 mount, at most 255 characters, no . or .. (e.g. /sys/fs/cgroup/kasou/vm1)" },
		{ "path=/sys/fs/cgroup/./x", "path='/sys/fs/cgroup/./x': an absolute directory under the cgroup v2 mount, at most 255 characters, no . or .. (e.g. /sys/fs/cgroup/kasou/vm1)" },
		{ "path=/sys//x", "path='/sys//x': an absolute directory under the cgroup v2 mount, at most 255 characters, no . or .. (e.g. /sys/fs/cgroup/kasou/vm1)" },
		{ "path=", "path='': an absolute directory under the cgroup v2 mount, at most 255 characters, no . or .. (e.g. /sys/fs/cgroup/kasou/vm1)" },
		{ "threads=yes", "threads='yes': use on or off" },
		{ "threads", "'threads': expected key=value" },
		{ "cpu.shares=1024", "unknown key 'cpu.shares' (use path, cpu.weight, cpu.max, memory.max, memory.high, memory.min, memory.swap.max, io.weight, io.max, cpuset.cpus, cpuset.mems, threads, vcpus.cpu.*, emulator.cpu.*)" },
		{ "vcpus.cpu.max=50%", "vcpus.cpu.max needs threads=on (the vcpus/ and emulator/ sub-groups)" },
		{ "vcpus.cpu.weight=5", "vcpus.cpu.weight needs threads=on (the vcpus/ and emulator/ sub-groups)" },
		{ "emulator.cpu.weight=5,threads=off", "emulator.cpu.weight needs threads=on (the vcpus/ and emulator/ sub-groups)" },
		{ "emulator.cpu.max=5%", "emulator.cpu.max needs threads=on (the vcpus/ and emulator/ sub-groups)" },
		{ "=5", "malformed option string" },
	};
	char longpath[300] = "path=/";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		CHECK_EQ(parse(bad[i].opt), -EINVAL);
		CHECK_STR(err, bad[i].msg);
		CHECK(!c.enabled && c.nr_io_max == 0 && !c.path[0]); /* zeroed on error */
		if (unit_failed) {
			snprintf(unit_why + strlen(unit_why), sizeof(unit_why) - strlen(unit_why),
				 " [%s]", bad[i].opt);
			return;
		}
	}
	memset(longpath + 6, 'a', 260);
	CHECK_EQ(parse(longpath), -EINVAL);
	CHECK(!strncmp(err, "path='/aaa", 10));
	/* the per-key setter and finish, as the JSON config uses them */
	memset(&c, 0, sizeof(c));
	CHECK_EQ(config_cgroup_set(&c, "memory.high", "2G", err), 0);
	CHECK(c.enabled);
	CHECK_EQ(c.memory_high.num, 2ULL << 30);
	CHECK_EQ(config_cgroup_set(&c, "memory.high", "2X", err), -EINVAL);
	CHECK_EQ(c.memory_high.num, 2ULL << 30); /* a bad value leaves the old one */
	CHECK_EQ(config_cgroup_set(&c, "vcpus.cpu.max", "50%", err), 0);
	CHECK_EQ(config_cgroup_finish(&c, err), -EINVAL);
	CHECK_EQ(config_cgroup_set(&c, "threads", "on", err), 0);
	CHECK_EQ(config_cgroup_finish(&c, err), 0);
}

TEST(weight_from_shares)
{
	CHECK_EQ(config_cgroup_weight_from_shares(2), 1);
	CHECK_EQ(config_cgroup_weight_from_shares(0), 1);
	CHECK_EQ(config_cgroup_weight_from_shares(1024), 39); /* v1 default -> runc/crun's 39 */
	CHECK_EQ(config_cgroup_weight_from_shares(262144), 10000);
	CHECK_EQ(config_cgroup_weight_from_shares(1000000), 10000);
	CHECK_EQ(config_cgroup_weight_from_shares(2048), 79);
}

/* ---- the fake cgroupfs tree ---- */

static char root[64];
static char why[CONFIG_ERR_LEN];
static char origin[8192]; /* where /proc/self/cgroup says this process is, in the fake tree */

static char *path_of(const char *rel)
{
	static char p[8][4096];
	static int n;
	char *out = p[n++ % 8];

	snprintf(out, 4096, "%s%s%s", root, *rel ? "/" : "", rel);
	return out;
}

static const char *slurp(const char *p)
{
	static char buf[8192];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return "(missing)";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

static void spit(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(p);
		close(fd);
	}
}

static bool exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in a directory, sorted, space-separated. */
static const char *ls(const char *p)
{
	static char out[2048];
	char *names[64];
	size_t n = 0, len = 0;
	struct dirent *e;
	DIR *d = opendir(p);

	out[0] = 0;
	if (!d)
		return "(missing)";
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return out;
}

static void rm_rf(const char *p)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", p);
}

static void mkdir_p(const char *p)
{
	char buf[4096];

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

/* A fresh fake root: the kernel's files at the top, the origin group. */
static void fake_root(const char *controllers, const char *subtree)
{
	FILE *f;
	char line[4096], procs[8300];

	if (root[0])
		rm_rf(root);
	snprintf(root, sizeof(root), "/tmp/kasou-cgroup-XXXXXX");
	if (!mkdtemp(root))
		abort();
	chmod(root, 0755);
	spit(path_of("cgroup.controllers"), controllers);
	spit(path_of("cgroup.subtree_control"), subtree);
	spit(path_of("cgroup.procs"), "");
	snprintf(origin, sizeof(origin), "%s", root);
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		line[strcspn(line, "\n")] = 0;
		if (line[4]) {
			snprintf(origin, sizeof(origin), "%s%s", root, line + 3);
			mkdir_p(origin);
		}
	}
	if (f)
		fclose(f);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", origin);
	spit(procs, "");
	cgroup_set_root_for_tests(root, true);
	cgroup_fail_writes_for_tests(NULL, 0);
	memset(why, 0, sizeof(why));
}

static void fake_done(void)
{
	cgroup_set_root_for_tests(NULL, false);
	cgroup_fail_writes_for_tests(NULL, 0);
	rm_rf(root);
	root[0] = 0;
}

static const char *pid_line(int pid)
{
	static char s[32];

	snprintf(s, sizeof(s), "%d\n", pid);
	return s;
}

#define ALL_CTL "cpuset cpu io memory hugetlb pids rdma misc\n"

TEST(setup_writes_exactly)
{
	struct vm_cgroup *cg = NULL;

	fake_root(ALL_CTL, "cpu\n");
	CHECK_EQ(parse("cpu.weight=200,cpu.max=50%,memory.max=1G,memory.high=768M,memory.min=256M,"
		       "memory.swap.max=0,io.weight=300,io.max=8:0:rbps=10M:wiops=100,"
		       "io.max=253:1:wbps=max:riops=max,cpuset.cpus=[0-3,8],cpuset.mems=0"),
		 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), 0);
	CHECK_STR(why, "");
	CHECK(cg != NULL);
	CHECK_STR(cgroup_path(cg), path_of("kasou/vm1"));

	/* the root: only the controllers it lacked; kasou/: all four, nothing else */
	CHECK_STR(slurp(path_of("cgroup.subtree_control")), "cpu\n+cpuset +io +memory\n");
	CHECK_STR(ls(path_of("kasou")), "cgroup.subtree_control vm1");
	CHECK_STR(slurp(path_of("kasou/cgroup.subtree_control")), "+cpuset +cpu +io +memory\n");
	CHECK_STR(ls(path_of("kasou/vm1")),
		  "cgroup.procs cpu.max cpu.weight cpuset.cpus cpuset.mems io.max io.weight "
		  "memory.high memory.max memory.min memory.swap.max");
	CHECK_STR(slurp(path_of("kasou/vm1/cpu.weight")), "200\n");
	CHECK_STR(slurp(path_of("kasou/vm1/cpu.max")), "50000 100000\n");
	CHECK_STR(slurp(path_of("kasou/vm1/memory.min")), "268435456\n");
	CHECK_STR(slurp(path_of("kasou/vm1/memory.high")), "805306368\n");
	CHECK_STR(slurp(path_of("kasou/vm1/memory.max")), "1073741824\n");
	CHECK_STR(slurp(path_of("kasou/vm1/memory.swap.max")), "0\n");
	CHECK_STR(slurp(path_of("kasou/vm1/io.weight")), "default 300\n");
	CHECK_STR(slurp(path_of("kasou/vm1/io.max")),
		  "8:0 rbps=10485760 wiops=100\n253:1 wbps=max riops=max\n");
	CHECK_STR(slurp(path_of("kasou/vm1/cpuset.cpus")), "0-3,8\n");
	CHECK_STR(slurp(path_of("kasou/vm1/cpuset.mems")), "0\n");
	CHECK_STR(slurp(path_of("kasou/vm1/cgroup.procs")), pid_line(getpid()));

	/* teardown: back to where it came from, the group gone, kasou/ kept */
	cgroup_teardown(cg);
	CHECK(!exists(path_of("kasou/vm1")));
	CHECK(exists(path_of("kasou")));
	{
		char p[8300];

		snprintf(p, sizeof(p), "%s/cgroup.procs", origin);
		CHECK_STR(slurp(p), pid_line(getpid()));
	}
	fake_done();
}

TEST(setup_no_limits_and_path)
{
	struct vm_cgroup *cg = NULL;
	char opt[200];

	/* "--cgroup" alone: a group, the process in it, no controller touched */
	fake_root(ALL_CTL, "");
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "web-1", why), 0);
	CHECK_STR(ls(path_of("kasou")), "web-1");
	CHECK_STR(ls(path_of("kasou/web-1")), "cgroup.procs");
	CHECK_STR(slurp(path_of("cgroup.subtree_control")), "");
	cgroup_teardown(cg);
	CHECK_STR(ls(path_of("kasou")), "");

	/* path=: every missing parent created, each enabling the controllers */
	snprintf(opt, sizeof(opt), "path=%s/machine.slice/tenant/vm7,memory.high=1M", root);
	CHECK_EQ(parse(opt), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "ignored", why), 0);
	CHECK_STR(cgroup_path(cg), path_of("machine.slice/tenant/vm7"));
	CHECK_STR(slurp(path_of("cgroup.subtree_control")), "+memory\n");
	CHECK_STR(slurp(path_of("machine.slice/cgroup.subtree_control")), "+memory\n");
	CHECK_STR(slurp(path_of("machine.slice/tenant/cgroup.subtree_control")), "+memory\n");
	CHECK_STR(ls(path_of("machine.slice/tenant/vm7")), "cgroup.procs memory.high");
	CHECK_STR(slurp(path_of("machine.slice/tenant/vm7/memory.high")), "1048576\n");
	cgroup_teardown(cg);
	CHECK_STR(ls(path_of("machine.slice/tenant")), "cgroup.subtree_control");

	/* a second VM: controllers already enabled are not written again */
	CHECK_EQ(parse("memory.max=2M"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm2", why), 0);
	CHECK_EQ(parse("memory.max=3M"), 0);
	{
		struct vm_cgroup *cg3 = NULL;

		CHECK_EQ(cgroup_setup(&cg3, &c, "vm3", why), 0);
		CHECK_STR(slurp(path_of("kasou/cgroup.subtree_control")), "+memory\n");
		CHECK_STR(ls(path_of("kasou")), "cgroup.subtree_control vm2 vm3");
		cgroup_teardown(cg3);
	}
	cgroup_teardown(cg);
	CHECK_STR(ls(path_of("kasou")), "cgroup.subtree_control");

	/* not enabled: nothing at all */
	memset(&c, 0, sizeof(c));
	cg = (struct vm_cgroup *)1;
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), 0);
	CHECK(cg == NULL);
	CHECK_EQ(cgroup_place_thread(NULL, 1, true), 0);
	CHECK(cgroup_path(NULL) == NULL);
	CHECK_EQ(cgroup_set(NULL, "cpu.weight", "5", why), -ENOENT);
	CHECK_STR(why, "the VM has no cgroup (start it with --cgroup)");
	CHECK_EQ(cgroup_read(NULL, "cpu.stat", opt, sizeof(opt)), -ENOENT);
	cgroup_teardown(NULL);
	fake_done();
}

static int pipefd[2];
static volatile int helper_tid;

static void *helper(void *arg)
{
	char b;

	helper_tid = gettid();
	if (read(pipefd[0], &b, 1) < 0)
		perror("helper");
	return arg;
}

TEST(threads)
{
	struct vm_cgroup *cg = NULL;
	pthread_t t;
	char buf[256], expect[64];
	const char *threads;

	fake_root(ALL_CTL, "");
	if (pipe(pipefd))
		abort();
	pthread_create(&t, NULL, helper, NULL);
	while (!helper_tid)
		usleep(1000);

	CHECK_EQ(parse("threads=on,vcpus.cpu.max=200%,emulator.cpu.weight=50"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), 0);
	CHECK_STR(why, "");
	CHECK_STR(slurp(path_of("cgroup.subtree_control")), "+cpu\n");
	CHECK_STR(slurp(path_of("kasou/cgroup.subtree_control")), "+cpu\n");
	CHECK_STR(ls(path_of("kasou/vm1")), "cgroup.procs cgroup.subtree_control emulator vcpus");
	CHECK_STR(slurp(path_of("kasou/vm1/cgroup.subtree_control")), "+cpu\n");
	CHECK_STR(slurp(path_of("kasou/vm1/cgroup.procs")), pid_line(getpid()));
	CHECK_STR(ls(path_of("kasou/vm1/vcpus")), "cgroup.type cpu.max");
	CHECK_STR(slurp(path_of("kasou/vm1/vcpus/cgroup.type")), "threaded\n");
	CHECK_STR(slurp(path_of("kasou/vm1/vcpus/cpu.max")), "200000 100000\n");
	CHECK_STR(ls(path_of("kasou/vm1/emulator")), "cgroup.threads cgroup.type cpu.weight");
	CHECK_STR(slurp(path_of("kasou/vm1/emulator/cgroup.type")), "threaded\n");
	CHECK_STR(slurp(path_of("kasou/vm1/emulator/cpu.weight")), "50\n");
	/* every thread of the process went to emulator/ */
	threads = slurp(path_of("kasou/vm1/emulator/cgroup.threads"));
	CHECK(strstr(threads, pid_line(getpid())) != NULL);
	CHECK(strstr(threads, pid_line(helper_tid)) != NULL);

	/* the vCPU thread to vcpus/, another back to emulator/ */
	CHECK_EQ(cgroup_place_thread(cg, helper_tid, true), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/vcpus/cgroup.threads")), pid_line(helper_tid));
	CHECK_EQ(cgroup_place_thread(cg, getpid(), false), 0);
	snprintf(expect, sizeof(expect), "%s", pid_line(getpid()));
	threads = slurp(path_of("kasou/vm1/emulator/cgroup.threads"));
	CHECK(!strcmp(threads + strlen(threads) - strlen(expect), expect));
	CHECK_EQ(cgroup_place_thread(cg, 0, true), -EINVAL);

	/* live, on the sub-groups; reads in them */
	CHECK_EQ(cgroup_set(cg, "vcpus.cpu.max", "max", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/vcpus/cpu.max")), "200000 100000\nmax 100000\n");
	CHECK_EQ(cgroup_set(cg, "emulator.cpu.max", "50000/100000", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/emulator/cpu.max")), "50000 100000\n");
	CHECK_EQ(cgroup_set(cg, "threads", "off", why), -EINVAL);
	CHECK_STR(why, "threads cannot change while the VM runs");
	CHECK_EQ(cgroup_read(cg, "vcpus/cpu.max", buf, sizeof(buf)), 25);
	CHECK_STR(buf, "200000 100000\nmax 100000\n");
	CHECK_EQ(cgroup_read(cg, "emulator/cpu.weight", buf, sizeof(buf)), 3);
	CHECK_EQ(cgroup_read(cg, "vcpus/../../x", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(cgroup_read(cg, "other/cpu.max", buf, sizeof(buf)), -EINVAL);

	cgroup_teardown(cg);
	CHECK(!exists(path_of("kasou/vm1")));

	/* threads=off: placement is a no-op, and vcpus/ is no file to read */
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), 0);
	CHECK_EQ(cgroup_place_thread(cg, helper_tid, true), 0);
	CHECK_STR(ls(path_of("kasou/vm1")), "cgroup.procs");
	CHECK_EQ(cgroup_read(cg, "vcpus/cpu.stat", buf, sizeof(buf)), -EINVAL);
	cgroup_teardown(cg);

	if (write(pipefd[1], "x", 1) < 0)
		perror("pipe");
	pthread_join(t, NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	helper_tid = 0;
	fake_done();
}

TEST(live_set)
{
	struct vm_cgroup *cg = NULL;
	struct cgroup_config now;
	char buf[8];

	fake_root(ALL_CTL, "memory\n");
	CHECK_EQ(parse("memory.max=1G"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), 0);
	CHECK_STR(slurp(path_of("kasou/cgroup.subtree_control")), "+memory\n");

	CHECK_EQ(cgroup_set(cg, "memory.high", "512M", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/memory.high")), "536870912\n");
	CHECK_EQ(cgroup_set(cg, "memory.max", "max", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/memory.max")), "1073741824\nmax\n");
	/* a controller the group lacked is enabled on the way, at every level */
	CHECK_EQ(cgroup_set(cg, "cpu.max", "20%", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/cpu.max")), "20000 100000\n");
	CHECK_STR(slurp(path_of("cgroup.subtree_control")), "memory\n+cpu\n");
	CHECK_STR(slurp(path_of("kasou/cgroup.subtree_control")), "+memory\n+cpu\n");
	CHECK_EQ(cgroup_set(cg, "cpu.weight", "1000", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/cpu.weight")), "1000\n");
	CHECK_EQ(cgroup_set(cg, "io.max", "8:0:riops=max:wbps=5M", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/io.max")), "8:0 wbps=5242880 riops=max\n");
	CHECK_EQ(cgroup_set(cg, "io.weight", "100", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/io.weight")), "default 100\n");
	CHECK_STR(slurp(path_of("kasou/cgroup.subtree_control")), "+memory\n+cpu\n+io\n");
	CHECK_EQ(cgroup_set(cg, "cpuset.cpus", "2-3", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/cpuset.cpus")), "2-3\n");
	CHECK_EQ(cgroup_set(cg, "memory.swap.max", "1G", why), 0);
	CHECK_EQ(cgroup_set(cg, "memory.min", "64M", why), 0);
	CHECK_STR(slurp(path_of("kasou/vm1/memory.min")), "67108864\n");

	/* validated like the option; nothing written when refused */
	CHECK_EQ(cgroup_set(cg, "cpu.weight", "0", why), -EINVAL);
	CHECK_STR(why, "cpu.weight='0': between 1 and 10000 (the kernel's default is 100)");
	CHECK_STR(slurp(path_of("kasou/vm1/cpu.weight")), "1000\n");
	CHECK_EQ(cgroup_set(cg, "cpu.max", "5", why), -EINVAL);
	CHECK_EQ(cgroup_set(cg, "path", "/x", why), -EINVAL);
	CHECK_STR(why, "path cannot change while the VM runs");
	CHECK_EQ(cgroup_set(cg, "vcpus.cpu.max", "50%", why), -EINVAL);
	CHECK_STR(why, "vcpus.cpu.max needs threads=on (the vcpus/ and emulator/ sub-groups)");
	CHECK_EQ(cgroup_set(cg, "bogus", "1", why), -EINVAL);
	CHECK(!strncmp(why, "unknown key 'bogus'", 19));
	/* io.max: seven more devices fit, a ninth does not; a known one is replaced */
	for (int i = 1; i < 8; i++) {
		char v[32];

		snprintf(v, sizeof(v), "9:%d:rbps=1", i);
		CHECK_EQ(cgroup_set(cg, "io.max", v, why), 0);
	}
	CHECK_EQ(cgroup_set(cg, "io.max", "9:99:rbps=1", why), -EINVAL);
	CHECK_STR(why, "io.max: at most 8 devices");
	CHECK_EQ(cgroup_set(cg, "io.max", "8:0:rbps=1", why), 0);

	/* the configuration in force */
	cgroup_get_config(cg, &now);
	CHECK_EQ(now.memory_max.kind, CGROUP_VAL_MAX);
	CHECK_EQ(now.memory_high.num, 512ULL << 20);
	CHECK_EQ(now.cpu_max.quota_us, 20000);
	CHECK_EQ(now.cpu_weight, 1000);
	CHECK_EQ(now.nr_io_max, 8);
	CHECK_EQ(now.io_max[0].rbps.num, 1);
	CHECK_EQ(now.io_max[0].riops.kind, CGROUP_VAL_UNSET); /* the new line replaced it */
	CHECK_STR(now.cpuset_cpus, "2-3");

	/* stats reads */
	spit(path_of("kasou/vm1/memory.current"), "123456\n");
	CHECK_EQ(cgroup_read(cg, "memory.current", buf, sizeof(buf)), 7);
	CHECK_STR(buf, "123456\n");
	CHECK_EQ(cgroup_read(cg, "memory.current", buf, 7), -EOVERFLOW);
	CHECK_EQ(cgroup_read(cg, "io.stat", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cgroup_read(cg, "../cgroup.procs", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(cgroup_read(cg, ".", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(cgroup_read(cg, "", buf, sizeof(buf)), -EINVAL);

	/* a write the kernel refuses: the key's file, value and errno */
	cgroup_fail_writes_for_tests("memory.high", EINVAL);
	CHECK_EQ(cgroup_set(cg, "memory.high", "1G", why), -EINVAL);
	{
		char expect[512];

		snprintf(expect, sizeof(expect),
			 "cannot write '1073741824' to %s/kasou/vm1/memory.high: Invalid argument", root);
		CHECK_STR(why, expect);
	}
	cgroup_get_config(cg, &now);
	CHECK_EQ(now.memory_high.num, 512ULL << 20); /* unchanged */
	cgroup_fail_writes_for_tests(NULL, 0);

	cgroup_teardown(cg);
	CHECK(!exists(path_of("kasou/vm1")));
	fake_done();
}

TEST(error_messages)
{
	struct vm_cgroup *cg = NULL;
	char expect[512], opt[128];

	/* a controller the root does not offer: nothing created */
	fake_root("cpu memory pids\n", "cpu memory\n");
	CHECK_EQ(parse("io.weight=100"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EOPNOTSUPP);
	snprintf(expect, sizeof(expect),
		 "controller io is not enabled in %s (cgroup.controllers lists cpu memory pids)", root);
	CHECK_STR(why, expect);
	CHECK(cg == NULL);
	CHECK(!exists(path_of("kasou")));

	fake_root("hugetlb\n", "");
	CHECK_EQ(parse("io.max=8:0:rbps=1M,memory.max=1G,cpu.weight=5"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EOPNOTSUPP);
	snprintf(expect, sizeof(expect),
		 "controllers cpu io memory are not enabled in %s (cgroup.controllers lists hugetlb)",
		 root);
	CHECK_STR(why, expect);

	fake_root("", "");
	CHECK_EQ(parse("cpuset.mems=0"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EOPNOTSUPP);
	snprintf(expect, sizeof(expect),
		 "controller cpuset is not enabled in %s (cgroup.controllers is empty)", root);
	CHECK_STR(why, expect);

	/* subtree_control refused: busy (processes in the parent), or not permitted */
	fake_root(ALL_CTL, "");
	cgroup_fail_writes_for_tests("cgroup.subtree_control", EBUSY);
	CHECK_EQ(parse("memory.max=1G"), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EBUSY);
	snprintf(expect, sizeof(expect),
		 "cannot enable +memory in %s/cgroup.subtree_control: Device or resource busy (it "
		 "holds processes of its own: choose a path= whose parents hold none)", root);
	CHECK_STR(why, expect);
	cgroup_fail_writes_for_tests("cgroup.subtree_control", EACCES);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EACCES);
	snprintf(expect, sizeof(expect),
		 "cannot enable +memory in %s/cgroup.subtree_control: Permission denied: run as root "
		 "or delegate the subtree to this user", root);
	CHECK_STR(why, expect);
	cgroup_fail_writes_for_tests("cgroup.subtree_control", EROFS);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EROFS);
	snprintf(expect, sizeof(expect),
		 "cannot enable +memory in %s/cgroup.subtree_control: Read-only file system: cgroupfs "
		 "is mounted read-only (a container without a delegated cgroup?)", root);
	CHECK_STR(why, expect);
	cgroup_fail_writes_for_tests(NULL, 0);

	/* path= outside the mount, a name that is no directory name */
	snprintf(opt, sizeof(opt), "path=/elsewhere/vm1");
	CHECK_EQ(parse(opt), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EINVAL);
	snprintf(expect, sizeof(expect), "path=/elsewhere/vm1 is not under the cgroup v2 mount %s",
		 root);
	CHECK_STR(why, expect);
	snprintf(opt, sizeof(opt), "path=%s", root);
	CHECK_EQ(parse(opt), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EINVAL);
	snprintf(opt, sizeof(opt), "path=%sx/vm1", root);
	CHECK_EQ(parse(opt), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EINVAL);
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "..", why), -EINVAL);
	CHECK_STR(why, "VM name '..' cannot name a cgroup: give path=");
	CHECK_EQ(cgroup_setup(&cg, &c, NULL, why), -EINVAL);
	CHECK_EQ(cgroup_setup(&cg, &c, "a/b", why), -EINVAL);
	/* a struct that skipped validation */
	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.vcpus_cpu_weight = 5;
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EINVAL);
	CHECK_STR(why, "vcpus.cpu.weight needs threads=on (the vcpus/ and emulator/ sub-groups)");
	CHECK(!exists(path_of("kasou")));
	fake_done();
}

TEST(not_mounted)
{
	struct vm_cgroup *cg = NULL;
	char dir[] = "/tmp/kasou-notcg-XXXXXX", expect[256];

	if (!mkdtemp(dir))
		abort();
	CHECK_EQ(parse(""), 0);
	/* the real check on a directory that is no cgroup2 mount */
	cgroup_set_root_for_tests(dir, false);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -ENODEV);
	snprintf(expect, sizeof(expect), "cgroup v2 is not mounted at %s", dir);
	CHECK(!strncmp(why, expect, strlen(expect)));
	/* nothing more, or where cgroup2 is mounted instead */
	CHECK(!why[strlen(expect)] || !strncmp(why + strlen(expect), " (cgroup2 is mounted at /", 25));
	CHECK(cg == NULL);
	CHECK_STR(ls(dir), "");
	/* KASOU_CGROUP_ROOT chooses the root */
	cgroup_set_root_for_tests(NULL, false);
	setenv("KASOU_CGROUP_ROOT", dir, 1);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -ENODEV);
	CHECK(!strncmp(why, expect, strlen(expect)));
	unsetenv("KASOU_CGROUP_ROOT");
	rmdir(dir);
}

/* No permission: a child process without privileges (or, not root, a read-only tree). */
TEST(no_permission)
{
	int fds[2], status;
	char msg[2 * CONFIG_ERR_LEN + 8] = "";
	char expect1[512], expect2[512];
	ssize_t n;
	pid_t pid;

	fake_root("cpu memory\n", "cpu\n");
	if (pipe(fds))
		abort();
	chmod(root, 0555);
	chmod(path_of("cgroup.subtree_control"), 0444);
	pid = fork();
	if (pid == 0) {
		struct vm_cgroup *cg = NULL;
		char w1[CONFIG_ERR_LEN] = "", w2[CONFIG_ERR_LEN] = "";
		int r1, r2;

		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
				       setresuid(65534, 65534, 65534))) {
			dprintf(fds[1], "SKIP cannot drop root: %s", strerror(errno));
			_exit(0);
		}
		parse("cpu.weight=5"); /* cpu is enabled already: the mkdir fails */
		r1 = cgroup_setup(&cg, &c, "vm1", w1);
		parse("memory.max=1G"); /* the subtree_control write fails */
		r2 = cgroup_setup(&cg, &c, "vm1", w2);
		dprintf(fds[1], "%d|%s|%d|%s", r1, w1, r2, w2);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	msg[n < 0 ? 0 : n] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	chmod(root, 0755);
	chmod(path_of("cgroup.subtree_control"), 0644);
	if (!strncmp(msg, "SKIP", 4)) {
		fake_done();
		SKIP_TEST("%s", msg + 5);
	}
	snprintf(expect1, sizeof(expect1),
		 "%d|cannot create %s/kasou: Permission denied: run as root or delegate the subtree "
		 "to this user|",
		 -EACCES, root);
	snprintf(expect2, sizeof(expect2),
		 "%d|cannot enable +memory in %s/cgroup.subtree_control: Permission denied: run as "
		 "root or delegate the subtree to this user",
		 -EACCES, root);
	CHECK(!strncmp(msg, expect1, strlen(expect1)));
	CHECK_STR(msg + strlen(expect1), expect2);
	CHECK(!exists(path_of("kasou")));
	fake_done();
}

/* A group left by a run that died is replaced; one still in use is refused. */
TEST(stale_group)
{
	struct vm_cgroup *cg = NULL;
	char expect[512];

	fake_root(ALL_CTL, "");
	mkdir_p(path_of("kasou/vm1/vcpus"));
	spit(path_of("kasou/vm1/cgroup.procs"), "4242\n");
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -EBUSY);
	snprintf(expect, sizeof(expect),
		 "%s/kasou/vm1 already exists and holds processes (another VM of that name?)", root);
	CHECK_STR(why, expect);
	CHECK_STR(slurp(path_of("kasou/vm1/cgroup.procs")), "4242\n"); /* untouched */

	spit(path_of("kasou/vm1/cgroup.procs"), "");
	spit(path_of("kasou/vm1/vcpus/cpu.max"), "1000 100000\n");
	spit(path_of("kasou/vm1/memory.max"), "1\n");
	CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), 0);
	CHECK_STR(ls(path_of("kasou/vm1")), "cgroup.procs");
	CHECK_STR(slurp(path_of("kasou/vm1/cgroup.procs")), pid_line(getpid()));
	cgroup_teardown(cg);
	CHECK_STR(ls(path_of("kasou")), "");
	fake_done();
}

/* A failure after the group exists: the process back, the group removed. */
TEST(setup_unwinds)
{
	static const struct {
		const char *file;
		int err;
		const char *opt, *msg; /* after "cannot write '...' to ROOT/kasou/vm1/" */
	} faults[] = {
		{ "cpu.max", EINVAL, "cpu.max=50%,memory.max=1G", "cpu.max: Invalid argument" },
		{ "io.max", ENODEV, "io.max=8:0:rbps=1M", "io.max: No such device" },
		{ "memory.swap.max", ENOENT, "memory.swap.max=0",
		  "memory.swap.max: no such file (the controller is not enabled there, or this "
		  "kernel lacks the feature)" },
		{ "cgroup.procs", EACCES, "", "cgroup.procs: Permission denied: run as root or "
					      "delegate the subtree to this user" },
		{ "cgroup.type", EOPNOTSUPP, "threads=on", "vcpus/cgroup.type: Operation not supported" },
		{ "cgroup.threads", EPERM, "threads=on",
		  "emulator: Operation not permitted: run as root or delegate the subtree to this user" },
	};

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct vm_cgroup *cg = NULL;
		char p[8300];

		fake_root(ALL_CTL, "");
		CHECK_EQ(parse(faults[i].opt), 0);
		cgroup_fail_writes_for_tests(faults[i].file, faults[i].err);
		CHECK_EQ(cgroup_setup(&cg, &c, "vm1", why), -faults[i].err);
		CHECK(cg == NULL);
		CHECK(strstr(why, faults[i].msg) != NULL);
		CHECK(!exists(path_of("kasou/vm1")));
		CHECK_STR(ls(path_of("kasou")), strcmp(faults[i].opt, "") && strcmp(faults[i].opt, "threads=on")
							    ? "cgroup.subtree_control"
							    : "");
		/* moved in before the failure: moved back out */
		snprintf(p, sizeof(p), "%s/cgroup.procs", origin);
		CHECK_STR(slurp(p), !strcmp(faults[i].file, "cgroup.threads") ? pid_line(getpid()) : "");
		if (unit_failed) {
			snprintf(unit_why + strlen(unit_why), sizeof(unit_why) - strlen(unit_why),
				 " [fault %s: %s]", faults[i].file, why);
			break;
		}
	}
	fake_done();
}

/* ---- a real cgroup2 mount ---- */

static bool find_cgroup2(char *out, size_t len)
{
	struct statfs st;
	char line[4200], mnt[4096];
	FILE *f;

	if (!statfs("/sys/fs/cgroup", &st) && st.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(out, len, "/sys/fs/cgroup");
		return true;
	}
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(out, len, "%s", mnt);
			fclose(f);
			return true;
		}
	}
	if (f)
		fclose(f);
	return false;
}

/* /proc/thread-self/cgroup (or a task's) as the "0::" path */
static const char *cgroup_of(const char *proc)
{
	static char line[4096];
	FILE *f = fopen(proc, "r");

	line[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			break;
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = 0;
	return strncmp(line, "0::", 3) ? "" : line + 3;
}

TEST(real_cgroup2)
{
	char mnt[4096], parent[4200], before[4096], opt[4400], buf[4096], p[4400], rel[4300];
	struct vm_cgroup *cg = NULL;
	pthread_t t;
	int rc;

	if (!find_cgroup2(mnt, sizeof(mnt)))
		SKIP_TEST("no cgroup2 mount on this host");
	snprintf(parent, sizeof(parent), "%s/kasou-unit-%d", mnt, (int)getpid());
	if (mkdir(parent, 0755))
		SKIP_TEST("cannot create %s: %s (needs root or a delegated cgroup2 subtree)", parent,
			  strerror(errno));
	snprintf(before, sizeof(before), "%s", cgroup_of("/proc/thread-self/cgroup"));
	cgroup_set_root_for_tests(mnt, false);
	if (pipe(pipefd))
		abort();
	pthread_create(&t, NULL, helper, NULL);
	while (!helper_tid)
		usleep(1000);

	/* the group, threaded sub-groups, the process in emulator/, a "vCPU" in vcpus/ */
	snprintf(opt, sizeof(opt), "path=%s/vm,threads=on", parent);
	CHECK_EQ(parse(opt), 0);
	rc = cgroup_setup(&cg, &c, "unused", why);
	CHECK_EQ(rc, 0);
	if (rc) {
		snprintf(unit_why + strlen(unit_why), sizeof(unit_why) - strlen(unit_why), " [%s]", why);
		goto out;
	}
	snprintf(rel, sizeof(rel), "%s/vm", parent + strlen(mnt));
	snprintf(p, sizeof(p), "%s/emulator", rel);
	CHECK_STR(cgroup_of("/proc/thread-self/cgroup"), p);
	snprintf(p, sizeof(p), "%s/vm/cgroup.type", parent);
	CHECK_STR(slurp(p), "domain threaded\n");
	snprintf(p, sizeof(p), "%s/vm/vcpus/cgroup.type", parent);
	CHECK_STR(slurp(p), "threaded\n");
	CHECK_EQ(cgroup_place_thread(cg, helper_tid, true), 0);
	snprintf(buf, sizeof(buf), "/proc/self/task/%d/cgroup", helper_tid);
	snprintf(p, sizeof(p), "%s/vcpus", rel);
	CHECK_STR(cgroup_of(buf), p);
	CHECK(cgroup_read(cg, "cpu.stat", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "usage_usec ") != NULL);
	CHECK(cgroup_read(cg, "vcpus/cpu.stat", buf, sizeof(buf)) > 0);

	/* live: works where the cpu controller reaches the mount, a clear line where not */
	rc = cgroup_set(cg, "cpu.weight", "50", why);
	if (rc == 0) {
		CHECK_EQ(cgroup_read(cg, "cpu.weight", buf, sizeof(buf)), 3);
		CHECK_STR(buf, "50\n");
	} else {
		snprintf(buf, sizeof(buf), "controller cpu is not enabled in %s (cgroup.controllers ",
			 mnt);
		CHECK_EQ(rc, -EOPNOTSUPP);
		CHECK(!strncmp(why, buf, strlen(buf)));
	}

	cgroup_teardown(cg);
	CHECK_STR(cgroup_of("/proc/thread-self/cgroup"), before);
	snprintf(buf, sizeof(buf), "/proc/self/task/%d/cgroup", helper_tid);
	CHECK_STR(cgroup_of(buf), before);
	snprintf(p, sizeof(p), "%s/vm", parent);
	CHECK(!exists(p));

	/* memory limits: applied, or refused with the controllers the mount offers */
	snprintf(opt, sizeof(opt), "path=%s/vm2,memory.high=1G", parent);
	CHECK_EQ(parse(opt), 0);
	rc = cgroup_setup(&cg, &c, "unused", why);
	if (rc == 0) {
		CHECK_EQ(cgroup_read(cg, "memory.high", buf, sizeof(buf)), 11);
		CHECK_STR(buf, "1073741824\n");
		cgroup_teardown(cg);
	} else {
		snprintf(buf, sizeof(buf), "controller memory is not enabled in %s (cgroup.controllers ",
			 mnt);
		CHECK_EQ(rc, -EOPNOTSUPP);
		CHECK(!strncmp(why, buf, strlen(buf)));
	}
	snprintf(p, sizeof(p), "%s/vm2", parent);
	CHECK(!exists(p));
	CHECK_STR(cgroup_of("/proc/thread-self/cgroup"), before);
out:
	if (write(pipefd[1], "x", 1) < 0)
		perror("pipe");
	pthread_join(t, NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	helper_tid = 0;
	cgroup_set_root_for_tests(NULL, false);
	if (rmdir(parent))
		CHECK(!"test parent left behind");
}

/* A block device's MAJ:MIN from /sys/block (not loop, ram or zram), for io.max. */
static bool find_disk(char *out, size_t len)
{
	struct dirent *e;
	DIR *d = opendir("/sys/block");
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char p[600];

		if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) ||
		    !strncmp(e->d_name, "ram", 3) || !strncmp(e->d_name, "zram", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/dev", e->d_name);
		const char *dev = slurp(p);
		size_t n = strcspn(dev, "\n");

		if (n >= len)
			continue;
		memcpy(out, dev, n);
		out[n] = 0;
		found = strchr(out, ':') != NULL;
	}
	if (d)
		closedir(d);
	return found;
}

/* Every limit the mount's controllers allow, as the kernel reads them back. */
TEST(real_cgroup2_limits)
{
	char mnt[4096], parent[4200], opt[4600], buf[8400], disk[64] = "", line[128];
	char ctl[512];
	struct vm_cgroup *cg = NULL;
	bool cpu, mem, io;
	pthread_t t;
	int rc;

	if (!find_cgroup2(mnt, sizeof(mnt)))
		SKIP_TEST("no cgroup2 mount on this host");
	snprintf(opt, sizeof(opt), "%s/cgroup.controllers", mnt);
	if ((size_t)snprintf(ctl, sizeof(ctl), " %s", slurp(opt)) >= sizeof(ctl))
		SKIP_TEST("%s: too long", opt);
	ctl[strcspn(ctl, "\n")] = ' ';
	cpu = strstr(ctl, " cpu ") != NULL;
	mem = strstr(ctl, " memory ") != NULL;
	io = strstr(ctl, " io ") != NULL;
	if (!cpu && !mem && !io)
		SKIP_TEST("the cgroup2 mount %s offers no cpu, memory or io controller (lists:%.*s)",
			  mnt, (int)strlen(ctl) - 1, ctl);
	snprintf(parent, sizeof(parent), "%s/kasou-unit-%d", mnt, (int)getpid());
	if (mkdir(parent, 0755))
		SKIP_TEST("cannot create %s: %s (needs root or a delegated cgroup2 subtree)", parent,
			  strerror(errno));
	cgroup_set_root_for_tests(mnt, false);
	if (pipe(pipefd))
		abort();
	pthread_create(&t, NULL, helper, NULL);
	while (!helper_tid)
		usleep(1000);

	snprintf(opt, sizeof(opt), "path=%s/vm,threads=on", parent);
	if (cpu)
		strcat(opt, ",cpu.weight=200,cpu.max=50%,vcpus.cpu.max=20%,emulator.cpu.weight=50");
	if (mem)
		strcat(opt, ",memory.max=1G,memory.high=768M,memory.min=16M");
	if (io) {
		strcat(opt, ",io.weight=300");
		if (find_disk(disk, sizeof(disk))) {
			snprintf(buf, sizeof(buf), ",io.max=%s:rbps=10M:wiops=100", disk);
			strcat(opt, buf);
		}
	}
	CHECK_EQ(parse(opt), 0);
	rc = cgroup_setup(&cg, &c, "unused", why);
	CHECK_EQ(rc, 0);
	if (rc) {
		snprintf(unit_why + strlen(unit_why), sizeof(unit_why) - strlen(unit_why),
			 " [%s: %s]", opt, why);
		goto out;
	}
	CHECK_EQ(cgroup_place_thread(cg, helper_tid, true), 0);
	if (cpu) {
		CHECK(cgroup_read(cg, "cpu.weight", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "200\n");
		CHECK(cgroup_read(cg, "cpu.max", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "50000 100000\n");
		CHECK(cgroup_read(cg, "vcpus/cpu.max", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "20000 100000\n");
		CHECK(cgroup_read(cg, "emulator/cpu.weight", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "50\n");
		CHECK_EQ(cgroup_set(cg, "cpu.max", "max", why), 0);
		CHECK(cgroup_read(cg, "cpu.max", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "max 100000\n");
		CHECK_EQ(cgroup_set(cg, "vcpus.cpu.max", "150%", why), 0);
		CHECK(cgroup_read(cg, "vcpus/cpu.max", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "150000 100000\n");
	}
	if (mem) {
		CHECK(cgroup_read(cg, "memory.max", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "1073741824\n");
		CHECK(cgroup_read(cg, "memory.high", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "805306368\n");
		CHECK(cgroup_read(cg, "memory.min", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "16777216\n");
		CHECK(cgroup_read(cg, "memory.current", buf, sizeof(buf)) > 0);
		CHECK(cgroup_read(cg, "memory.stat", buf, sizeof(buf)) > 0);
		CHECK_EQ(cgroup_set(cg, "memory.high", "max", why), 0);
		CHECK(cgroup_read(cg, "memory.high", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "max\n");
	}
	if (io) {
		CHECK(cgroup_read(cg, "io.weight", buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "default 300\n");
		if (disk[0]) {
			CHECK(cgroup_read(cg, "io.max", buf, sizeof(buf)) > 0);
			snprintf(line, sizeof(line), "%s rbps=10485760 wbps=max riops=max wiops=100\n",
				 disk);
			CHECK_STR(buf, line);
		}
		CHECK(cgroup_read(cg, "io.stat", buf, sizeof(buf)) >= 0);
	}
	if (unit_failed)
		snprintf(unit_why + strlen(unit_why), sizeof(unit_why) - strlen(unit_why),
			 " [%s | %s | got %s]", opt, why, buf);
	cgroup_teardown(cg);
	snprintf(buf, sizeof(buf), "%s/vm", parent);
	CHECK(!exists(buf));
out:
	if (write(pipefd[1], "x", 1) < 0)
		perror("pipe");
	pthread_join(t, NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	helper_tid = 0;
	cgroup_set_root_for_tests(NULL, false);
	if (rmdir(parent))
		CHECK(!"test parent left behind");
}

UNIT_MAIN("cgroup", T(parse_empty), T(parse_every_key), T(parse_errors), T(weight_from_shares),
	  T(setup_writes_exactly), T(setup_no_limits_and_path), T(threads), T(live_set),
	  T(error_messages), T(not_mounted), T(no_permission), T(stale_group), T(setup_unwinds),
	  T(real_cgroup2), T(real_cgroup2_limits))
