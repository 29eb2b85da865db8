// SPDX-License-Identifier: GPL-2.0-only
/*
 * --cgroup [path=DIR][,cpu.weight=N][,cpu.max=..][,memory.max=SIZE][,memory.high=SIZE]
 *          [,memory.min=SIZE][,memory.swap.max=SIZE][,io.weight=N][,io.max=MAJ:MIN:k=v..]
 *          [,cpuset.cpus=[LIST]][,cpuset.mems=[LIST]][,threads=on]
 *          [,vcpus.cpu.max=..][,vcpus.cpu.weight=N][,emulator.cpu.max=..][,emulator.cpu.weight=N]
 *
 * Validation only: every value is checked against what the kernel accepts
 * (so a bad value fails here, with its key, not later as EINVAL from a write
 * to cgroupfs). resources/cgroup.c turns the struct into file writes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

#define CPU_PERIOD_MIN 1000ULL /* us: the kernel's 1 ms .. 1 s */
#define CPU_PERIOD_MAX 1000000ULL
#define CPU_QUOTA_MIN  1000ULL /* us: the kernel refuses less than 1 ms */
#define CPU_MAX_CPUS   4096ULL /* a quota may cover at most this many CPUs */
#define IO_MAJOR_MAX   4095U   /* dev_t: 12-bit major, 20-bit minor */
#define IO_MINOR_MAX   1048575U

static int parse_weight(const char *key, const char *v, unsigned int *out, char *err)
{
	uint64_t n;

	if (config_parse_uint(v, 1, CGROUP_WEIGHT_MAX, &n))
		return config_err(err, "%s='%s': between 1 and %d (the kernel's default is 100)", key,
			      v, CGROUP_WEIGHT_MAX);
	*out = (unsigned int)n;
	return 0;
}

/* QUOTA/PERIOD, max/PERIOD, max, or PERCENT% of one CPU (period 100 ms). */
static int parse_cpu_max(const char *key, const char *v, struct cgroup_cpu_max *m, char *err)
{
	size_t len = strlen(v);
	char buf[64];
	char *slash;
	uint64_t quota = 0, period = CGROUP_CPU_PERIOD_DEFAULT;
	bool unlimited = false;

	if (!len || len >= sizeof(buf))
		goto usage;
	memcpy(buf, v, len + 1);
	if (buf[len - 1] == '%') {
		uint64_t pct;

		buf[len - 1] = 0;
		if (config_parse_uint(buf, 0, UINT64_MAX, &pct))
			goto usage;
		if (pct < 1 || pct > 100 * CPU_MAX_CPUS)
			return config_err(err, "%s='%s': between 1%% and %llu%% of one CPU", key, v,
				      100 * CPU_MAX_CPUS);
		quota = pct * (CGROUP_CPU_PERIOD_DEFAULT / 100);
	} else if (!strcmp(buf, "max")) {
		unlimited = true;
	} else {
		slash = strchr(buf, '/');
		if (!slash)
			goto usage;
		*slash = 0;
		if (config_parse_uint(slash + 1, 0, UINT64_MAX, &period))
			goto usage;
		if (period < CPU_PERIOD_MIN || period > CPU_PERIOD_MAX)
			return config_err(err, "%s='%s': the period must be %llu-%llu us", key, v,
				      CPU_PERIOD_MIN, CPU_PERIOD_MAX);
		if (!strcmp(buf, "max")) {
			unlimited = true;
		} else {
			if (config_parse_uint(buf, 0, UINT64_MAX, &quota))
				goto usage;
			if (quota < CPU_QUOTA_MIN || quota > period * CPU_MAX_CPUS)
				return config_err(err,
					      "%s='%s': the quota must be %llu us to %llu periods",
					      key, v, CPU_QUOTA_MIN, CPU_MAX_CPUS);
		}
	}
	m->set = true;
	m->unlimited = unlimited;
	m->quota_us = unlimited ? 0 : quota;
	m->period_us = period;
	return 0;
usage:
	return config_err(err,
		      "%s='%s': use QUOTA/PERIOD in us (50000/100000), max/PERIOD, max, "
		      "or PERCENT%% of one CPU (150%%)",
		      key, v);
}

static int parse_bytes(const char *key, const char *v, struct cgroup_val *out, char *err)
{
	if (!strcmp(v, "max")) {
		out->kind = CGROUP_VAL_MAX;
		out->num = 0;
		return 0;
	}
	if (config_parse_size(v, &out->num))
		return config_err(err, "%s='%s': use a size (512M, 2G) or max", key, v);
	out->kind = CGROUP_VAL_NUM;
	return 0;
}

/* MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N — at least one limit; bytes take sizes. */
static int parse_io_max(const char *v, struct cgroup_config *c, char *err)
{
	struct cgroup_io_max io = { 0 };
	char buf[256], *save = NULL, *tok;
	uint64_t n;
	bool any = false;
	unsigned int i;

	if (strlen(v) >= sizeof(buf))
		goto usage;
	strcpy(buf, v);
	tok = strtok_r(buf, ":", &save);
	if (!tok || config_parse_uint(tok, 0, IO_MAJOR_MAX, &n))
		goto usage;
	io.major = (unsigned int)n;
	tok = strtok_r(NULL, ":", &save);
	if (!tok || config_parse_uint(tok, 0, IO_MINOR_MAX, &n))
		goto usage;
	io.minor = (unsigned int)n;
	while ((tok = strtok_r(NULL, ":", &save))) {
		char *eq = strchr(tok, '=');
		struct cgroup_val *dst;
		bool bytes;

		if (!eq)
			goto usage;
		*eq = 0;
		if (!strcmp(tok, "rbps") || !strcmp(tok, "wbps")) {
			dst = tok[0] == 'r' ? &io.rbps : &io.wbps;
			bytes = true;
		} else if (!strcmp(tok, "riops") || !strcmp(tok, "wiops")) {
			dst = tok[0] == 'r' ? &io.riops : &io.wiops;
			bytes = false;
		} else {
			return config_err(
				err,
				"io.max='%s': unknown limit '%s' (use rbps, wbps, riops, wiops)", v,
				tok);
		}
		if (!strcmp(eq + 1, "max")) {
			dst->kind = CGROUP_VAL_MAX;
		} else if ((bytes ? config_parse_size(eq + 1, &dst->num)
				  : config_parse_uint(eq + 1, 0, UINT64_MAX, &dst->num)) ||
			   !dst->num) {
			return config_err(err, "io.max='%s': %s='%s': %s at least 1, or max", v, tok,
				      eq + 1, bytes ? "a byte rate (10M)" : "a number");
		} else {
			dst->kind = CGROUP_VAL_NUM;
		}
		any = true;
	}
	if (!any)
		goto usage;
	/* a repeated device replaces its earlier line, as a second write to io.max does */
	for (i = 0; i < c->nr_io_max; i++)
		if (c->io_max[i].major == io.major && c->io_max[i].minor == io.minor)
			break;
	if (i == CGROUP_MAX_IO)
		return config_err(err, "io.max: at most %d devices", CGROUP_MAX_IO);
	c->io_max[i] = io;
	if (i == c->nr_io_max)
		c->nr_io_max++;
	return 0;
usage:
	return config_err(err,
		      "io.max='%s': use MAJ:MIN:rbps=N:wbps=N:riops=N:wiops=N (at least one "
		      "limit; rates take sizes like 10M; any may be max)",
		      v);
}

/* A CPU or node list, "0-3,8": written [0-3,8] (or 0-3,,8) inside an option. */
static int parse_cpuset(const char *key, const char *v, char *dst, char *err)
{
	char buf[CGROUP_CPUSET_LEN];
	size_t len = strlen(v);
	const char *p = v;
	cpu_set_t set;

	if (len >= 2 && v[0] == '[' && v[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (!len || len >= sizeof(buf))
		goto usage;
	memcpy(buf, p, len);
	buf[len] = 0;
	if (buf[len - 1] == ',' || config_parse_cpulist(buf, &set))
		goto usage;
	strcpy(dst, buf);
	return 0;
usage:
	return config_err(err, "%s='%s': use a list like [0-3,8] (numbers below %d)", key, v,
		      CPU_SETSIZE);
}

/* An absolute directory without "." or ".." components; trailing '/' dropped. */
static int parse_path(const char *v, struct cgroup_config *c, char *err)
{
	size_t len = strlen(v), n;
	const char *p;

	if (v[0] != '/' || len >= CGROUP_PATH_LEN || strpbrk(v, "\n\r\t"))
		goto usage;
	while (len > 1 && v[len - 1] == '/')
		len--;
	for (p = v + 1; p < v + len; p += n + 1) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			goto usage;
	}
	memcpy(c->path, v, len);
	c->path[len] = 0;
	return 0;
usage:
	return config_err(err,
		      "path='%s': an absolute directory under the cgroup v2 mount, at most %d "
		      "characters, no . or .. (e.g. /sys/fs/cgroup/kasou/vm1)",
		      v, CGROUP_PATH_LEN - 1);
}

int config_cgroup_set(struct cgroup_config *c, const char *k, const char *v, char *err)
{
	c->enabled = true;
	if (!strcmp(k, "path"))
		return parse_path(v, c, err);
	if (!strcmp(k, "threads")) {
		if (!strcmp(v, "on"))
			c->threads = true;
		else if (!strcmp(v, "off"))
			c->threads = false;
		else
			return config_err(err, "threads='%s': use on or off", v);
		return 0;
	}
	if (!strcmp(k, "cpu.weight"))
		return parse_weight(k, v, &c->cpu_weight, err);
	if (!strcmp(k, "cpu.max"))
		return parse_cpu_max(k, v, &c->cpu_max, err);
	if (!strcmp(k, "memory.max"))
		return parse_bytes(k, v, &c->memory_max, err);
	if (!strcmp(k, "memory.high"))
		return parse_bytes(k, v, &c->memory_high, err);
	if (!strcmp(k, "memory.min"))
		return parse_bytes(k, v, &c->memory_min, err);
	if (!strcmp(k, "memory.swap.max"))
		return parse_bytes(k, v, &c->memory_swap_max, err);
	if (!strcmp(k, "io.weight"))
		return parse_weight(k, v, &c->io_weight, err);
	if (!strcmp(k, "io.max"))
		return parse_io_max(v, c, err);
	if (!strcmp(k, "cpuset.cpus"))
		return parse_cpuset(k, v, c->cpuset_cpus, err);
	if (!strcmp(k, "cpuset.mems"))
		return parse_cpuset(k, v, c->cpuset_mems, err);
	if (!strcmp(k, "vcpus.cpu.weight"))
		return parse_weight(k, v, &c->vcpus_cpu_weight, err);
	if (!strcmp(k, "vcpus.cpu.max"))
		return parse_cpu_max(k, v, &c->vcpus_cpu_max, err);
	if (!strcmp(k, "emulator.cpu.weight"))
		return parse_weight(k, v, &c->emulator_cpu_weight, err);
	if (!strcmp(k, "emulator.cpu.max"))
		return parse_cpu_max(k, v, &c->emulator_cpu_max, err);
	return config_err(err,
		      "unknown key '%s' (use path, cpu.weight, cpu.max, memory.max, "
		      "memory.high, memory.min, memory.swap.max, io.weight, io.max, cpuset.cpus, "
		      "cpuset.mems, threads, vcpus.cpu.*, emulator.cpu.*)",
		      k);
}

int config_cgroup_finish(const struct cgroup_config *c, char *err)
{
	static const char *const sub_keys[] = { "vcpus.cpu.weight", "vcpus.cpu.max",
						"emulator.cpu.weight", "emulator.cpu.max" };
	const bool sub_set[] = { c->vcpus_cpu_weight != 0, c->vcpus_cpu_max.set,
				 c->emulator_cpu_weight != 0, c->emulator_cpu_max.set };

	if (c->threads)
		return 0;
	for (size_t i = 0; i < sizeof(sub_set) / sizeof(sub_set[0]); i++)
		if (sub_set[i])
			return config_err(err,
				      "%s needs threads=on (the vcpus/ and emulator/ sub-groups)",
				      sub_keys[i]);
	return 0;
}

int config_parse_cgroup(const char *s, struct cgroup_config *c, char *err)
{
	struct kv kv;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = kv_parse(&kv, s);
	if (rc)
		rc = config_err(err, rc == -E2BIG ? "too many keys" : "malformed option string");
	for (unsigned int i = 0; i < kv.nr && !rc; i++) {
		if (kv.pairs[i].bare)
			rc = config_err(err, "'%s': expected key=value", kv.pairs[i].key);
		else
			rc = config_cgroup_set(c, kv.pairs[i].key, kv.pairs[i].value, err);
	}
	kv_free(&kv);
	if (!rc)
		rc = config_cgroup_finish(c, err);
	if (rc)
		memset(c, 0, sizeof(*c));
	else
		c->enabled = true;
	return rc;
}

unsigned int config_cgroup_weight_from_shares(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return (unsigned int)(1 + ((shares - 2) * 9999) / 262142);
}
