// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host resource options: --cpus (boot, max, topology, model, pmu, affinity),
 * --emulator, --iothreads, --memory (size, hugepages, thp, prefault, locked,
 * merge, numa-policy, host-nodes, shared) and --numa (node, cpus, memory,
 * host-nodes, distance). Valid forms land in struct vm_config; every invalid
 * form is refused with a message that names the problem.
 */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "unit.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct vm_config cfg;
static char err[CONFIG_ERR_LEN];

static void fresh(void)
{
	config_free(&cfg);
	config_init(&cfg);
	memset(err, 0, sizeof(err));
}

/* One option refused, with `msg` in its error; each case starts from a fresh config. */
#define REFUSED(fn, s, msg)                                                           \
	do {                                                                          \
		fresh();                                                              \
		CHECK_EQ(fn(s, &cfg, err), -EINVAL);                                  \
		if (!strstr(err, msg))                                                \
			CHECK_STR(err, msg);                                          \
	} while (0)

#define ACCEPTED(fn, s)                                                               \
	do {                                                                          \
		int rc_ = fn(s, &cfg, err);                                           \
		if (rc_)                                                              \
			CHECK_STR(err, "(accepted: " s ")");                          \
		CHECK_EQ(rc_, 0);                                                     \
	} while (0)

static unsigned int cpus_in(const cpu_set_t *set, const unsigned int *want, unsigned int n)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i++)
		ok += CPU_ISSET(want[i], set) != 0;
	return ok == n && (unsigned int)CPU_COUNT(set) == n;
}

/* ---- --cpus ---- */

TEST(cpus_plain_number)
{
	fresh();
	ACCEPTED(config_parse_cpus, "4");
	CHECK_EQ(cfg.cpus, 4);
	CHECK_EQ(cfg.cpu.max, 0);
	CHECK_EQ(config_max_cpus(&cfg), 4);
	CHECK_EQ(cfg.cpu.sockets, 0);
	ACCEPTED(config_parse_cpus, "255");
	CHECK_EQ(config_max_cpus(&cfg), 255);
	config_free(&cfg);
}

TEST(cpus_every_key)
{
	const unsigned int a0[] = { 2, 3 }, a1[] = { 4, 5 }, a7[] = { 0 };

	fresh();
	ACCEPTED(config_parse_cpus,
		 "boot=2,max=8,topology=1:2:2:2,model=base,pmu=off,affinity=[0@[2,3],1@[4-5],7@[0]]");
	CHECK_EQ(cfg.cpus, 2);
	CHECK_EQ(cfg.cpu.max, 8);
	CHECK_EQ(config_max_cpus(&cfg), 8);
	CHECK_EQ(cfg.cpu.sockets, 1);
	CHECK_EQ(cfg.cpu.dies, 2);
	CHECK_EQ(cfg.cpu.cores, 2);
	CHECK_EQ(cfg.cpu.threads, 2);
	CHECK(cfg.cpu.model_base);
	CHECK(cfg.cpu.pmu_off);
	CHECK_STR(cfg.cpu.affinity_str, "[0@[2,3],1@[4-5],7@[0]]");
	CHECK(cfg.cpu.affinity && cfg.cpu.affinity_set);
	if (cfg.cpu.affinity && cfg.cpu.affinity_set) {
		CHECK(cfg.cpu.affinity_set[0] && cfg.cpu.affinity_set[1] && cfg.cpu.affinity_set[7]);
		for (unsigned int i = 2; i < 7; i++)
			CHECK(!cfg.cpu.affinity_set[i]);
		CHECK(cpus_in(&cfg.cpu.affinity[0], a0, 2));
		CHECK(cpus_in(&cfg.cpu.affinity[1], a1, 2));
		CHECK(cpus_in(&cfg.cpu.affinity[7], a7, 1));
	}
	/* and back */
	ACCEPTED(config_parse_cpus, "model=host,pmu=on");
	CHECK(!cfg.cpu.model_base);
	CHECK(!cfg.cpu.pmu_off);
	config_free(&cfg);
}

TEST(cpus_topology_forms)
{
	fresh();
	ACCEPTED(config_parse_cpus, "boot=8,topology=2:1:2:2");
	CHECK_EQ(cfg.cpu.sockets * cfg.cpu.dies * cfg.cpu.cores * cfg.cpu.threads, 8);
	/* the product may cover hot-pluggable vCPUs: it is checked against max */
	ACCEPTED(config_parse_cpus, "boot=2,max=4,topology=1:1:2:2");
	/* the largest: 255 vCPUs, APIC IDs 0-254 */
	fresh();
	ACCEPTED(config_parse_cpus, "boot=255,topology=1:1:255:1");
	fresh();
	ACCEPTED(config_parse_cpus, "boot=128,topology=2:1:64:1,max=128");
	config_free(&cfg);
}

TEST(cpus_refused)
{
	REFUSED(config_parse_cpus, "0", "0: must be between 1 and 255");
	REFUSED(config_parse_cpus, "256", "256: must be between 1 and 255");
	REFUSED(config_parse_cpus, "four", "'four': not a number");
	REFUSED(config_parse_cpus, "boot=0", "boot='0': between 1 and 255");
	REFUSED(config_parse_cpus, "boot=x", "boot='x': between 1 and 255");
	REFUSED(config_parse_cpus, "max=256", "max='256': between 1 and 255");
	REFUSED(config_parse_cpus, "boot=4,max=2", "max=2 is less than boot=4");
	REFUSED(config_parse_cpus, "model=fast", "model='fast': use host or base");
	REFUSED(config_parse_cpus, "pmu=maybe", "pmu='maybe': use on or off");
	REFUSED(config_parse_cpus, "sockets=2", "unknown key 'sockets'");
	REFUSED(config_parse_cpus, "boot=2,pmu", "'pmu': expected key=value");
	REFUSED(config_parse_cpus, "=2", "malformed option string");
}

TEST(cpus_topology_refused)
{
	static const char *const bad[] = {
		"topology=1:1:4",	   "topology=1:1:1:1:1",   "topology=0:1:1:1",
		"topology=1:0:1:1",	   "topology=1:1:1:0",	   "topology=a:b:c:d",
		"topology=1:1:1:1x",   "topology=",		   "topology=1::1:1",
		"topology= 1:1:1:1",   "topology=+1:1:1:1",	   "topology=1:1:16:16",
		/* would wrap around to 1 in 32-bit arithmetic */
		"topology=-1:-1:1:1",  "topology=65536:65536:1:1", "topology=4294967295:4294967295:1:1",
		"topology=256:1:1:1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh();
		CHECK_EQ(config_parse_cpus(bad[i], &cfg, err), -EINVAL);
		if (!strstr(err, "use SOCKETS:DIES:CORES:THREADS, each at least 1, at most 255 CPUs"))
			CHECK_STR(bad[i], err);
		CHECK_EQ(cfg.cpu.sockets, 0);
	}
	/* the product must be the VM's (max) vCPU count */
	REFUSED(config_parse_cpus, "boot=4,topology=1:1:2:1",
		"topology 1:1:2:1 gives 2 CPUs, but the VM has 4 (max)");
	REFUSED(config_parse_cpus, "boot=2,max=8,topology=1:1:2:2",
		"topology 1:1:2:2 gives 4 CPUs, but the VM has 8 (max)");
	config_free(&cfg);
}

/* Non-power-of-two counts leave holes in the APIC IDs: they must stay below 255. */
TEST(cpus_topology_apic_id_limit)
{
	fresh();
	ACCEPTED(config_parse_cpus, "boot=254,topology=2:1:127:1"); /* highest ID 1<<7 | 126 = 254 */
	ACCEPTED(config_parse_cpus, "boot=192,topology=3:1:64:1"); /* 2<<6 | 63 = 191 */
	REFUSED(config_parse_cpus, "boot=195,topology=3:1:65:1",
		"topology 3:1:65:1 needs APIC IDs up to 320, above the xAPIC limit of 254");
	REFUSED(config_parse_cpus, "boot=255,topology=5:1:51:1", "needs APIC IDs up to 306");
	REFUSED(config_parse_cpus, "boot=243,topology=3:3:3:9", "needs APIC IDs up to");
	config_free(&cfg);
}

TEST(cpus_affinity_refused)
{
	REFUSED(config_parse_cpus, "affinity=0@[1]", "affinity='0@[1]': use [VCPU@[HOSTCPUS],...]");
	REFUSED(config_parse_cpus, "boot=2,affinity=[2@[1]]",
		"affinity: vCPU 2 does not exist (2 vCPUs)");
	REFUSED(config_parse_cpus, "boot=2,max=4,affinity=[4@[1]]",
		"affinity: vCPU 4 does not exist (4 vCPUs)");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[1],0@[2]]", "affinity: vCPU 0 is given twice");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[x]]", "affinity: 'x' is not a CPU list");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[3-1]]", "affinity: '3-1' is not a CPU list");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[1024]]", "affinity: '1024' is not a CPU list");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[]]", "affinity: '' is not a CPU list");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@1]",
		"affinity: expected VCPU@[HOSTCPUS] at '0@1]'");
	REFUSED(config_parse_cpus, "boot=2,affinity=[a@[1]]", "affinity: expected VCPU@[HOSTCPUS]");
	REFUSED(config_parse_cpus, "boot=2,affinity=[-1@[1]]", "does not exist");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[1]]]", "affinity: trailing text");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[1]x]",
		"affinity: expected VCPU@[HOSTCPUS] at 'x]'");
	REFUSED(config_parse_cpus, "boot=2,affinity=[0@[1", "malformed option string");
	/* a vCPU with a host CPU list is fine once max makes it exist */
	fresh();
	ACCEPTED(config_parse_cpus, "boot=2,max=4,affinity=[3@[1]]");
	ACCEPTED(config_parse_cpus, "affinity=[]");
	config_free(&cfg);
}

/* ---- --emulator, --iothreads ---- */

TEST(emulator)
{
	const unsigned int want[] = { 0, 1, 3 };

	fresh();
	ACCEPTED(config_parse_emulator, "affinity=0-1,3");
	CHECK(cfg.cpu.emulator_pinned);
	CHECK(cpus_in(&cfg.cpu.emulator_affinity, want, 3));
	CHECK_STR(cfg.cpu.emulator_str, "0-1,3");
	REFUSED(config_parse_emulator, "0-1", "--emulator: use affinity=HOSTCPUS");
	REFUSED(config_parse_emulator, "cpus=0-1", "--emulator: use affinity=HOSTCPUS");
	REFUSED(config_parse_emulator, "affinity=", "--emulator: '' is not a CPU list");
	REFUSED(config_parse_emulator, "affinity=3-1", "--emulator: '3-1' is not a CPU list");
	REFUSED(config_parse_emulator, "affinity=a", "--emulator: 'a' is not a CPU list");
	REFUSED(config_parse_emulator, "affinity=0,,1", "--emulator: '0,,1' is not a CPU list");
	CHECK(!cfg.cpu.emulator_pinned);
	config_free(&cfg);
}

TEST(iothreads)
{
	const unsigned int want[] = { 4, 5 };

	fresh();
	ACCEPTED(config_parse_iothreads, "4");
	CHECK_EQ(cfg.cpu.iothreads, 4);
	CHECK(!cfg.cpu.io_pinned);
	ACCEPTED(config_parse_iothreads, "2,affinity=4-5");
	CHECK_EQ(cfg.cpu.iothreads, 2);
	CHECK(cfg.cpu.io_pinned);
	CHECK(cpus_in(&cfg.cpu.io_affinity, want, 2));
	CHECK_STR(cfg.cpu.io_str, "4-5");
	fresh();
	ACCEPTED(config_parse_iothreads, "affinity=6");
	CHECK_EQ(cfg.cpu.iothreads, 0);
	CHECK(cfg.cpu.io_pinned);
	ACCEPTED(config_parse_iothreads, "64");
	REFUSED(config_parse_iothreads, "0", "--iothreads 0: between 1 and 64");
	REFUSED(config_parse_iothreads, "65", "--iothreads 65: between 1 and 64");
	REFUSED(config_parse_iothreads, "4x", "--iothreads 4x: between 1 and 64");
	REFUSED(config_parse_iothreads, "12345678901234567890",
		"--iothreads '12345678901234567890': N[,affinity=HOSTCPUS]");
	REFUSED(config_parse_iothreads, "4,", "--iothreads: use affinity=HOSTCPUS");
	REFUSED(config_parse_iothreads, "4,cpus=1", "--iothreads: use affinity=HOSTCPUS");
	REFUSED(config_parse_iothreads, "2,affinity=x", "--iothreads: 'x' is not a CPU list");
	REFUSED(config_parse_iothreads, "", "--iothreads: use affinity=HOSTCPUS");
	config_free(&cfg);
}

/* ---- --memory ---- */

TEST(memory_every_key)
{
	fresh();
	CHECK_EQ(cfg.mem.merge, -1); /* untouched unless asked */
	ACCEPTED(config_parse_memory, "size=2G,hugepages=2M,thp=off,prefault=on,locked=on,merge=on,"
				      "numa-policy=interleave,host-nodes=0-1,shared=on");
	CHECK_EQ(cfg.mem_size, 2 * GiB);
	CHECK_EQ(cfg.mem.hugepage_size, 2 * MiB);
	CHECK(cfg.mem.thp_off);
	CHECK(cfg.mem.prefault);
	CHECK(cfg.mem.locked);
	CHECK_EQ(cfg.mem.merge, 1);
	CHECK_EQ(cfg.mem.policy, NUMA_INTERLEAVE);
	CHECK_EQ(cfg.mem.host_nodes, 3);
	CHECK_STR(cfg.mem.host_nodes_str, "0-1");
	CHECK(cfg.mem.shared);
	ACCEPTED(config_parse_memory, "hugepages=off,thp=on,prefault=off,locked=off,merge=off,shared=off");
	CHECK_EQ(cfg.mem.hugepage_size, 0);
	CHECK(!cfg.mem.thp_off);
	CHECK(!cfg.mem.prefault);
	CHECK(!cfg.mem.locked);
	CHECK_EQ(cfg.mem.merge, 0);
	CHECK(!cfg.mem.shared);
	config_free(&cfg);
}

TEST(memory_forms)
{
	fresh();
	ACCEPTED(config_parse_memory, "1G");
	CHECK_EQ(cfg.mem_size, GiB);
	/* hugepages before size: the multiple is checked once all keys are in */
	ACCEPTED(config_parse_memory, "hugepages=1G,size=2G");
	CHECK_EQ(cfg.mem.hugepage_size, GiB);
	CHECK_EQ(cfg.mem_size, 2 * GiB);
	ACCEPTED(config_parse_memory, "hugepages=2m");
	CHECK_EQ(cfg.mem.hugepage_size, 2 * MiB);
	/* host-nodes alone binds */
	fresh();
	ACCEPTED(config_parse_memory, "host-nodes=1");
	CHECK_EQ(cfg.mem.policy, NUMA_BIND);
	CHECK_EQ(cfg.mem.host_nodes, 2);
	/* underscore spellings (the config file's) */
	fresh();
	ACCEPTED(config_parse_memory, "numa_policy=preferred,host_nodes=63");
	CHECK_EQ(cfg.mem.policy, NUMA_PREFERRED);
	CHECK_EQ(cfg.mem.host_nodes, 1ULL << 63);
	fresh();
	ACCEPTED(config_parse_memory, "numa-policy=bind,host-nodes=0,,2");
	CHECK_EQ(cfg.mem.policy, NUMA_BIND);
	CHECK_EQ(cfg.mem.host_nodes, 5);
	config_free(&cfg);
}

TEST(memory_refused)
{
	REFUSED(config_parse_memory, "hugepages=3M", "hugepages='3M': use off, 2M or 1G");
	REFUSED(config_parse_memory, "hugepages=on", "hugepages='on': use off, 2M or 1G");
	REFUSED(config_parse_memory, "size=1536M,hugepages=1G",
		"size 1536M is not a multiple of the 1024M huge page");
	REFUSED(config_parse_memory, "size=17M,hugepages=2M",
		"size 17M is not a multiple of the 2M huge page");
	REFUSED(config_parse_memory, "thp=maybe", "thp='maybe': use on or off");
	REFUSED(config_parse_memory, "prefault=1", "prefault='1': use on or off");
	REFUSED(config_parse_memory, "locked=yes", "locked='yes': use on or off");
	REFUSED(config_parse_memory, "shared=2", "shared='2': use on or off");
	REFUSED(config_parse_memory, "merge=x", "merge='x': use on or off");
	REFUSED(config_parse_memory, "numa-policy=spread",
		"numa-policy='spread': use default, bind, preferred or interleave");
	REFUSED(config_parse_memory, "numa-policy=bind", "numa-policy needs host-nodes=LIST");
	REFUSED(config_parse_memory, "numa-policy=interleave", "numa-policy needs host-nodes=LIST");
	REFUSED(config_parse_memory, "numa-policy=preferred,host-nodes=0-1",
		"numa-policy=preferred takes one host node");
	REFUSED(config_parse_memory, "host-nodes=64",
		"host-nodes='64': a list of host NUMA nodes below 64");
	REFUSED(config_parse_memory, "host-nodes=", "host-nodes='': a list of host NUMA nodes");
	REFUSED(config_parse_memory, "host-nodes=1-0", "host-nodes='1-0'");
	REFUSED(config_parse_memory, "size=1M", "1M: too small, at least 16M");
	REFUSED(config_parse_memory, "size=1P", "'1P': not a size");
	REFUSED(config_parse_memory, "size=1.5G", "'1.5G': not a size");
	REFUSED(config_parse_memory, "size=100000T", "100000T: too large, at most 65536G");
	REFUSED(config_parse_memory, "size=16777217", "16777217: must be a multiple of 4K");
	REFUSED(config_parse_memory, "speed=fast", "unknown key 'speed'");
	REFUSED(config_parse_memory, "size=1G,shared", "'shared': expected key=value");
	REFUSED(config_parse_memory, "=1G", "malformed option string");
	REFUSED(config_parse_memory, "lots", "'lots': not a size");
	/* a later plain size is checked against the huge page size already set */
	fresh();
	ACCEPTED(config_parse_memory, "size=2G,hugepages=1G");
	CHECK_EQ(config_parse_memory("1536M", &cfg, err), -EINVAL);
	CHECK(strstr(err, "not a multiple of the 1024M huge page") != NULL);
	config_free(&cfg);
}

/* ---- --numa ---- */

TEST(numa_node_every_key)
{
	const unsigned int want[] = { 0, 1 };

	fresh();
	ACCEPTED(config_parse_numa, "node=0,cpus=0-1,memory=256M,host-nodes=1,distance=1@20:2@31");
	CHECK_EQ(cfg.nr_numa, 1);
	CHECK_EQ(cfg.numa[0].id, 0);
	CHECK(cpus_in(&cfg.numa[0].vcpus, want, 2));
	CHECK_STR(cfg.numa[0].cpus_str, "0-1");
	CHECK_EQ(cfg.numa[0].size, 256 * MiB);
	CHECK_EQ(cfg.numa[0].host_nodes, 2);
	CHECK_STR(cfg.numa[0].host_nodes_str, "1");
	CHECK_EQ(cfg.numa[0].distance[0], 0); /* default: 10 */
	CHECK_EQ(cfg.numa[0].distance[1], 20);
	CHECK_EQ(cfg.numa[0].distance[2], 31);
	/* Cloud Hypervisor's spellings and bracketed list */
	ACCEPTED(config_parse_numa, "guest_numa_id=1,cpus=[2,3],memory=256M,host_nodes=0,distances=0@20");
	CHECK_EQ(cfg.nr_numa, 2);
	CHECK_EQ(cfg.numa[1].id, 1);
	CHECK_STR(cfg.numa[1].cpus_str, "2,3");
	CHECK(CPU_ISSET(2, &cfg.numa[1].vcpus) && CPU_ISSET(3, &cfg.numa[1].vcpus));
	CHECK_EQ(cfg.numa[1].distance[0], 20);
	config_free(&cfg);
}

TEST(numa_node_refused)
{
	REFUSED(config_parse_numa, "node=8,cpus=0,memory=256M", "node='8': 0 to 7");
	REFUSED(config_parse_numa, "node=x,cpus=0,memory=256M", "node='x': 0 to 7");
	REFUSED(config_parse_numa, "node=0,cpus=x,memory=256M", "cpus='x': a list of vCPUs (e.g. 0-1)");
	REFUSED(config_parse_numa, "node=0,cpus=[],memory=256M", "cpus='[]': a list of vCPUs");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=1M", "1M: too small, at least 16M");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=big", "'big': not a size");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,host-nodes=99",
		"host-nodes='99': a list of host NUMA nodes");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,distance=1-20",
		"distance='1-20': use NODE@DISTANCE[:NODE@DISTANCE...]");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,distance=8@20",
		"distance: node below 8, distance 10-254");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,distance=1@9", "distance 10-254");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,distance=1@255", "distance 10-254");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,distance=1@", "distance 10-254");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,distance=1@20x", "distance: unexpected 'x'");
	REFUSED(config_parse_numa, "node=0,cpus=0", "needs node=ID, cpus=LIST and memory=SIZE");
	REFUSED(config_parse_numa, "cpus=0,memory=256M", "needs node=ID, cpus=LIST and memory=SIZE");
	REFUSED(config_parse_numa, "node=0,memory=256M", "needs node=ID, cpus=LIST and memory=SIZE");
	REFUSED(config_parse_numa, "node=0,cpus=0,memory=256M,color=red", "unknown key 'color'");
	/* a malformed string used to return without a message */
	REFUSED(config_parse_numa, "=0", "malformed option string");
	REFUSED(config_parse_numa, "node=0,cpus=[0", "malformed option string");
	CHECK_EQ(cfg.nr_numa, 0);
	/* the same id twice */
	fresh();
	ACCEPTED(config_parse_numa, "node=0,cpus=0,memory=256M");
	CHECK_EQ(config_parse_numa("node=0,cpus=1,memory=256M", &cfg, err), -EINVAL);
	CHECK(strstr(err, "node 0 is given twice") != NULL);
	CHECK_EQ(cfg.nr_numa, 1);
	/* nine nodes */
	fresh();
	for (unsigned int i = 0; i < CONFIG_MAX_NUMA; i++) {
		char s[64];

		snprintf(s, sizeof(s), "node=%u,cpus=%u,memory=64M", i, i);
		CHECK_EQ(config_parse_numa(s, &cfg, err), 0);
	}
	CHECK_EQ(config_parse_numa("node=0,cpus=8,memory=64M", &cfg, err), -EINVAL);
	CHECK(strstr(err, "at most 8 guest NUMA nodes") != NULL);
	config_free(&cfg);
}

/* Options as `kasou run` takes them, then config_numa_finish(); 0 or -EINVAL with err. */
static int numa_setup(const char *cpus, const char *memory, ...)
{
	const char *n;
	va_list va;
	int rc = 0;

	fresh();
	if (cpus && config_parse_cpus(cpus, &cfg, err))
		return -EINVAL;
	if (memory && config_parse_memory(memory, &cfg, err))
		return -EINVAL;
	va_start(va, memory);
	while (!rc && (n = va_arg(va, const char *)))
		rc = config_parse_numa(n, &cfg, err);
	va_end(va);
	return rc ? rc : config_numa_finish(&cfg, err);
}

#define NUMA_OK(...)                                                                  \
	do {                                                                          \
		int rc_ = numa_setup(__VA_ARGS__, NULL);                              \
		CHECK_STR(err, "");                                                   \
		CHECK_EQ(rc_, 0);                                                     \
	} while (0)

#define NUMA_BAD(msg, ...)                                                            \
	do {                                                                          \
		CHECK_EQ(numa_setup(__VA_ARGS__, NULL), -EINVAL);                     \
		if (!strstr(err, msg))                                                \
			CHECK_STR(err, msg);                                          \
	} while (0)

TEST(numa_finish_accepts)
{
	NUMA_OK("4", "512M", "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-3,memory=256M");
	CHECK_EQ(cfg.nr_numa, 2);
	/* no --numa: nothing to check */
	NUMA_OK("4", "512M", (const char *)NULL);
	/* hot-pluggable vCPUs belong to nodes too */
	NUMA_OK("boot=2,max=4", "512M", "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-3,memory=256M");
	/* nodes in any order; the default 512M; explicit distances that follow the rules */
	NUMA_OK("2", (const char *)NULL, "node=1,cpus=1,memory=256M,distance=0@21:1@10",
		"node=0,cpus=0,memory=256M,distance=1@21");
	/* huge pages: every node a multiple */
	NUMA_OK("2", "size=2G,hugepages=1G", "node=0,cpus=0,memory=1G", "node=1,cpus=1,memory=1G");
	config_free(&cfg);
}

TEST(numa_finish_refused)
{
	NUMA_BAD("--numa: the nodes' memory adds up to 384M, --memory is 512M", "4", "512M",
		 "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-3,memory=128M");
	NUMA_BAD("--numa: the nodes' memory adds up to 1024M, --memory is 512M", "4", "512M",
		 "node=0,cpus=0-1,memory=512M", "node=1,cpus=2-3,memory=512M");
	NUMA_BAD("--numa: a vCPU is in two nodes", "4", "512M", "node=0,cpus=0-2,memory=256M",
		 "node=1,cpus=2-3,memory=256M");
	NUMA_BAD("--numa node 1: vCPU 4 does not exist (4 vCPUs)", "4", "512M",
		 "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-4,memory=256M");
	NUMA_BAD("--numa: every vCPU must be in a node (3 of 4 are)", "4", "512M",
		 "node=0,cpus=0-1,memory=256M", "node=1,cpus=2,memory=256M");
	NUMA_BAD("--numa: every vCPU must be in a node (2 of 4 are)", "boot=2,max=4", "512M",
		 "node=0,cpus=0,memory=256M", "node=1,cpus=1,memory=256M");
	NUMA_BAD("--numa: node ids must be 0 to 1 (the number of nodes - 1)", "4", "512M",
		 "node=0,cpus=0-1,memory=256M", "node=2,cpus=2-3,memory=256M");
	/* distances: only to nodes that exist, 10 to itself, more than 10 to the others */
	NUMA_BAD("--numa node 1: distance to node 2, which does not exist", "2", "512M",
		 "node=0,cpus=0,memory=256M", "node=1,cpus=1,memory=256M,distance=2@20");
	NUMA_BAD("--numa node 0: the distance to itself must be 10, not 20", "2", "512M",
		 "node=0,cpus=0,memory=256M,distance=0@20", "node=1,cpus=1,memory=256M");
	NUMA_BAD("--numa node 0: the distance to node 1 must be above 10", "2", "512M",
		 "node=0,cpus=0,memory=256M,distance=1@10", "node=1,cpus=1,memory=256M");
	/* with huge pages each node's slice is bound on its own */
	NUMA_BAD("--numa node 0: memory 768M is not a multiple of the 1024M huge page", "2",
		 "size=2G,hugepages=1G", "node=0,cpus=0,memory=768M", "node=1,cpus=1,memory=1280M");
	NUMA_BAD("--numa node 0: memory 17M is not a multiple of the 2M huge page", "2",
		 "size=34M,hugepages=2M", "node=0,cpus=0,memory=17M", "node=1,cpus=1,memory=17M");
	config_free(&cfg);
}

/* The config file sets --memory keys one at a time: the final check still runs. */
TEST(memory_checked_after_config_file)
{
	fresh();
	{
		const char *j = "{\"memory\": {\"numa-policy\": \"bind\"}}";

		CHECK_EQ(config_from_json(&cfg, j, strlen(j), err), 0);
	}
	CHECK_EQ(config_numa_finish(&cfg, err), -EINVAL);
	CHECK(strstr(err, "numa-policy needs host-nodes=LIST") != NULL);
	fresh();
	CHECK_EQ(config_memory_set(&cfg, "host-nodes", "1", err), 0);
	CHECK_EQ(config_numa_finish(&cfg, err), 0);
	CHECK_EQ(cfg.mem.policy, NUMA_BIND); /* as --memory host-nodes=1 gives */
	fresh();
	CHECK_EQ(config_memory_set(&cfg, "size", "1536M", err), 0);
	CHECK_EQ(config_memory_set(&cfg, "hugepages", "1G", err), 0);
	CHECK_EQ(config_numa_finish(&cfg, err), -EINVAL);
	CHECK(strstr(err, "not a multiple of the 1024M huge page") != NULL);
	config_free(&cfg);
}

/* Through `kasou run`: the checks after the last option reach the user. */
static int run_parse(char *out, size_t cap, ...)
{
	char *argv[16];
	int argc = 0, rc, saved = dup(2);
	FILE *tmp = tmpfile();
	va_list va;
	size_t n;

	argv[argc++] = "run";
	va_start(va, cap);
	while (argc < 15 && (argv[argc] = va_arg(va, char *)))
		argc++;
	va_end(va);
	argv[argc] = NULL;
	fresh();
	fflush(stderr);
	dup2(fileno(tmp), 2);
	rc = cli_parse_run(argc, argv, &cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, cap - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	return rc;
}

TEST(run_options)
{
	char out[4096];

	CHECK_EQ(run_parse(out, sizeof(out), "--kernel", "/k", "--cpus", "4", "--memory", "512M",
			   "--numa", "node=0,cpus=0-1,memory=256M", "--numa",
			   "node=1,cpus=2-3,memory=128M", NULL),
		 EXIT_USAGE);
	CHECK(strstr(out, "the nodes' memory adds up to 384M, --memory is 512M") != NULL);
	CHECK_EQ(run_parse(out, sizeof(out), "--kernel", "/k", "--numa", "=0", NULL), EXIT_USAGE);
	CHECK(strstr(out, "--numa '=0': malformed option string") != NULL);
	CHECK_EQ(run_parse(out, sizeof(out), "--kernel", "/k", "--cpus", "boot=2,topology=1:1:1:1",
			   NULL),
		 EXIT_USAGE);
	CHECK(strstr(out, "--cpus topology 1:1:1:1 gives 1 CPUs, but the VM has 2 (max)") != NULL);
	CHECK_EQ(run_parse(out, sizeof(out), "--kernel", "/k", "--iothreads", "0", NULL), EXIT_USAGE);
	CHECK(strstr(out, "--iothreads 0: between 1 and 64") != NULL);
	CHECK_EQ(run_parse(out, sizeof(out), "--kernel", "/k", "--cpus", "4", "--memory",
			   "size=1G,hugepages=2M,host-nodes=0", "--numa", "node=0,cpus=0-1,memory=512M",
			   "--numa", "node=1,cpus=2-3,memory=512M,host-nodes=0", "--emulator",
			   "affinity=0", "--iothreads", "2,affinity=1", NULL),
		 0);
	CHECK_STR(out, "");
	CHECK_EQ(cfg.nr_numa, 2);
	CHECK_EQ(cfg.mem.hugepage_size, 2 * MiB);
	CHECK(cfg.cpu.emulator_pinned && cfg.cpu.io_pinned);
	CHECK_EQ(cfg.cpu.iothreads, 2);
	config_free(&cfg);
}

UNIT_MAIN("resources_config", T(cpus_plain_number), T(cpus_every_key), T(cpus_topology_forms),
	  T(cpus_refused), T(cpus_topology_refused), T(cpus_topology_apic_id_limit),
	  T(cpus_affinity_refused), T(emulator), T(iothreads), T(memory_every_key), T(memory_forms),
	  T(memory_refused), T(numa_node_every_key), T(numa_node_refused), T(numa_finish_accepts),
	  T(numa_finish_refused), T(memory_checked_after_config_file), T(run_options))
