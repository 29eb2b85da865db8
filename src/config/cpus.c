// SPDX-License-Identifier: GPL-2.0-only
/*
 * --cpus N | boot=N[,max=M][,topology=SOCKETS:DIES:CORES:THREADS][,model=host|base]
 *            [,pmu=on|off][,affinity=[VCPU@[HOSTCPUS],...]]
 * --emulator affinity=HOSTCPUS      --iothreads N[,affinity=HOSTCPUS]
 * Cloud Hypervisor's syntax; affinity lists use Linux's cpulist form (0-3,8).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	if (!*dst)
		abort();
}

int config_parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s || !isdigit((unsigned char)*s))
			return -EINVAL;
		s = end;
		if (*s == '-') {
			s++;
			if (!isdigit((unsigned char)*s))
				return -EINVAL;
			b = strtoul(s, &end, 10);
			s = end;
		}
		if (b < a || b >= CPU_SETSIZE)
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++)
			CPU_SET(c, set);
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return 0;
}

unsigned int config_max_cpus(const struct vm_config *cfg)
{
	return cfg->cpu.max ? cfg->cpu.max : cfg->cpus;
}

void config_free_cpus(struct cpu_config *c)
{
	free(c->affinity);
	free(c->affinity_set);
	free(c->affinity_str);
	free(c->emulator_str);
	free(c->io_str);
	c->affinity = NULL;
	c->affinity_set = NULL;
	c->affinity_str = c->emulator_str = c->io_str = NULL;
}

static int uint_key(const char *key, const char *v, uint64_t min, uint64_t max, uint64_t *out,
		    char *err)
{
	if (config_parse_uint(v, min, max, out))
		return config_err(err, "%s='%s': between %llu and %llu", key, v, (unsigned long long)min,
			    (unsigned long long)max);
	return 0;
}

/* "S:D:C:T": four plain decimal numbers >= 1 whose product is at most CONFIG_CPUS_MAX
 * (each checked before multiplying, so "-1:-1:1:1" or 65536:65536:1:1 cannot wrap to 1) */
static int parse_topology(const char *v, unsigned int f[4])
{
	unsigned int product = 1;

	for (unsigned int i = 0; i < 4; i++) {
		const char *end = strchr(v, ':');
		size_t len = end && i < 3 ? (size_t)(end - v) : strlen(v);
		char num[8];
		uint64_t n;

		if (len >= sizeof(num))
			return -EINVAL;
		memcpy(num, v, len);
		num[len] = 0;
		if (config_parse_uint(num, 1, CONFIG_CPUS_MAX, &n))
			return -EINVAL;
		f[i] = (unsigned int)n;
		product *= f[i];
		if (product > CONFIG_CPUS_MAX)
			return -EINVAL;
		v += len;
		if (i < 3 && *v++ != ':')
			return -EINVAL;
	}
	return 0;
}

/* bits to number `n` items, as the APIC ID fields are (cpuid_apic_id) */
static unsigned int id_bits(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

int config_cpus_set(struct vm_config *cfg, const char *key, const char *v, char *err)
{
	struct cpu_config *c = &cfg->cpu;
	uint64_t n;

	if (!strcmp(key, "boot")) {
		if (uint_key(key, v, 1, CONFIG_CPUS_MAX, &n, err))
			return -EINVAL;
		cfg->cpus = (unsigned int)n;
	} else if (!strcmp(key, "max")) {
		if (uint_key(key, v, 1, CONFIG_CPUS_MAX, &n, err))
			return -EINVAL;
		c->max = (unsigned int)n;
	} else if (!strcmp(key, "topology")) {
		unsigned int f[4];

		if (parse_topology(v, f))
			return config_err(err, "topology='%s': use SOCKETS:DIES:CORES:THREADS, each at least 1, "
					 "at most %d CPUs in all", v, CONFIG_CPUS_MAX);
		c->sockets = f[0];
		c->dies = f[1];
		c->cores = f[2];
		c->threads = f[3];
	} else if (!strcmp(key, "model")) {
		if (!strcmp(v, "host"))
			c->model_base = false;
		else if (!strcmp(v, "base"))
			c->model_base = true;
		else
			return config_err(err, "model='%s': use host or base", v);
	} else if (!strcmp(key, "pmu")) {
		if (!strcmp(v, "on"))
			c->pmu_off = false;
		else if (!strcmp(v, "off"))
			c->pmu_off = true;
		else
			return config_err(err, "pmu='%s': use on or off", v);
	} else if (!strcmp(key, "affinity")) {
		if (v[0] != '[' || v[strlen(v) - 1] != ']')
			return config_err(err, "affinity='%s': use [VCPU@[HOSTCPUS],...], e.g. [0@[2,3],1@[4-5]]", v);
		set_str(&c->affinity_str, v);
	} else {
		return config_err(err, "unknown key '%s'", key);
	}
	return 0;
}

/* affinity=[0@[2,3],1@[4-5]] into per-vCPU sets, once max is known */
static int parse_affinity(struct cpu_config *c, unsigned int max, char *err)
{
	const char *p = c->affinity_str + 1;

	c->affinity = calloc(max, sizeof(*c->affinity));
	c->affinity_set = calloc(max, sizeof(*c->affinity_set));
	if (!c->affinity || !c->affinity_set)
		abort();
	while (*p && *p != ']') {
		char *end, list[256];
		unsigned long vcpu = strtoul(p, &end, 10);
		const char *close;

		if (end == p || *end != '@' || end[1] != '[')
			return config_err(err, "affinity: expected VCPU@[HOSTCPUS] at '%s'", p);
		close = strchr(end + 2, ']');
		if (!close || (size_t)(close - end - 2) >= sizeof(list))
			return config_err(err, "affinity: unclosed host CPU list at '%s'", p);
		memcpy(list, end + 2, (size_t)(close - end - 2));
		list[close - end - 2] = 0;
		if (vcpu >= max)
			return config_err(err, "affinity: vCPU %lu does not exist (%u vCPUs)", vcpu, max);
		if (c->affinity_set[vcpu])
			return config_err(err, "affinity: vCPU %lu is given twice", vcpu);
		if (config_parse_cpulist(list, &c->affinity[vcpu]))
			return config_err(err, "affinity: '%s' is not a CPU list (e.g. 2,3 or 4-7)", list);
		c->affinity_set[vcpu] = true;
		p = close + 1;
		if (*p == ',')
			p++;
	}
	if (*p != ']' || p[1])
		return config_err(err, "affinity: trailing text '%s'", p);
	return 0;
}

int config_cpus_finish(struct vm_config *cfg, char *err)
{
	struct cpu_config *c = &cfg->cpu;
	unsigned int max = config_max_cpus(cfg);

	if (c->max && c->max < cfg->cpus)
		return config_err(err, "max=%u is less than boot=%u", c->max, cfg->cpus);
	if (c->sockets && c->sockets * c->dies * c->cores * c->threads != max)
		return config_err(err, "topology %u:%u:%u:%u gives %u CPUs, but the VM has %u (max)",
			    c->sockets, c->dies, c->cores, c->threads,
			    c->sockets * c->dies * c->cores * c->threads, max);
	if (c->sockets) {
		/* each level is a power-of-two wide field of the APIC ID: the last vCPU has the
		 * highest one, and the MADT, SRAT and CPUID leaf 1 hold 8 bits (255 = broadcast) */
		unsigned int top = ((((c->sockets - 1) << id_bits(c->dies) | (c->dies - 1))
				     << id_bits(c->cores) | (c->cores - 1))
				    << id_bits(c->threads)) | (c->threads - 1);

		if (top > 254)
			return config_err(err, "topology %u:%u:%u:%u needs APIC IDs up to %u, above the xAPIC "
					 "limit of 254 (make the counts powers of two)",
				    c->sockets, c->dies, c->cores, c->threads, top);
	}
	free(c->affinity);
	free(c->affinity_set);
	c->affinity = NULL;
	c->affinity_set = NULL;
	if (c->affinity_str)
		return parse_affinity(c, max, err);
	return 0;
}

int config_parse_cpus(const char *s, struct vm_config *cfg, char *err)
{
	struct kv kv;
	uint64_t n;
	int rc = 0;

	if (!strchr(s, '=')) {
		int e = config_parse_uint(s, 1, CONFIG_CPUS_MAX, &n);

		if (e == -ERANGE)
			return config_err(err, "%s: must be between 1 and %d", s, CONFIG_CPUS_MAX);
		if (e)
			return config_err(err, "'%s': not a number", s);
		cfg->cpus = (unsigned int)n;
		return config_cpus_finish(cfg, err);
	}
	rc = kv_parse(&kv, s);
	if (rc) {
		kv_free(&kv);
		return config_err(err, "malformed option string");
	}
	for (unsigned int i = 0; i < kv.nr && !rc; i++) {
		if (kv.pairs[i].bare)
			rc = config_err(err, "'%s': expected key=value", kv.pairs[i].key);
		else
			rc = config_cpus_set(cfg, kv.pairs[i].key, kv.pairs[i].value, err);
	}
	kv_free(&kv);
	return rc ? rc : config_cpus_finish(cfg, err);
}

static int affinity_only(const char *s, const char *what, cpu_set_t *set, bool *pinned, char **str,
			 char *err)
{
	const char *v = s;

	if (!strncmp(v, "affinity=", 9))
		v += 9;
	else
		return config_err(err, "%s: use affinity=HOSTCPUS", what);
	if (config_parse_cpulist(v, set))
		return config_err(err, "%s: '%s' is not a CPU list (e.g. 0-1 or 0,2)", what, v);
	*pinned = true;
	set_str(str, v);
	return 0;
}

int config_parse_emulator(const char *s, struct vm_config *cfg, char *err)
{
	return affinity_only(s, "--emulator", &cfg->cpu.emulator_affinity, &cfg->cpu.emulator_pinned,
			     &cfg->cpu.emulator_str, err);
}

int config_parse_iothreads(const char *s, struct vm_config *cfg, char *err)
{
	const char *comma = strchr(s, ',');
	char num[16];
	uint64_t n;

	if (isdigit((unsigned char)*s)) {
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len >= sizeof(num))
			return config_err(err, "--iothreads '%s': N[,affinity=HOSTCPUS]", s);
		memcpy(num, s, len);
		num[len] = 0;
		if (config_parse_uint(num, 1, 64, &n))
			return config_err(err, "--iothreads %s: between 1 and 64", num);
		cfg->cpu.iothreads = (unsigned int)n;
		if (!comma)
			return 0;
		s = comma + 1;
	}
	return affinity_only(s, "--iothreads", &cfg->cpu.io_affinity, &cfg->cpu.io_pinned,
			     &cfg->cpu.io_str, err);
}
