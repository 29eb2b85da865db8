// SPDX-License-Identifier: GPL-2.0-only
/* --memory size=..,hugepages=..,thp=..,prefault=..,locked=..,merge=..,numa-policy=..,host-nodes=..,shared=..
 * --numa node=ID,cpus=LIST,memory=SIZE[,host-nodes=LIST][,distance=N@D:N@D] */
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

int config_parse_nodelist(const char *s, uint64_t *mask)
{
	cpu_set_t set;

	*mask = 0;
	if (config_parse_cpulist(s, &set))
		return -EINVAL;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &set))
			continue;
		if (i >= CONFIG_MAX_HOST_NODES)
			return -ERANGE;
		*mask |= 1ULL << i;
	}
	return 0;
}

static int size_key(const char *v, uint64_t *out, char *err)
{
	uint64_t n;

	if (config_parse_size(v, &n))
		return config_err(err, "'%s': not a size (use e.g. 512M or 2G)", v);
	if (n < CONFIG_MEM_MIN)
		return config_err(err, "%s: too small, at least %lluM", v,
			    (unsigned long long)(CONFIG_MEM_MIN >> 20));
	if (n > CONFIG_MEM_MAX)
		return config_err(err, "%s: too large, at most %lluG", v,
			    (unsigned long long)(CONFIG_MEM_MAX >> 30));
	if (n & 0xfff)
		return config_err(err, "%s: must be a multiple of 4K", v);
	*out = n;
	return 0;
}

int config_memory_set(struct vm_config *cfg, const char *key, const char *v, char *err)
{
	struct mem_config *m = &cfg->mem;
	bool b = false;

	if (!strcmp(key, "size"))
		return size_key(v, &cfg->mem_size, err);
	if (!strcmp(key, "hugepages")) {
		if (!strcmp(v, "off"))
			m->hugepage_size = 0;
		else if (!strcasecmp(v, "2M"))
			m->hugepage_size = 2ULL << 20;
		else if (!strcasecmp(v, "1G"))
			m->hugepage_size = 1ULL << 30;
		else
			return config_err(err, "hugepages='%s': use off, 2M or 1G", v);
		return 0;
	}
	if (!strcmp(key, "thp")) {
		if (config_onoff(key, v, &b, err))
			return -EINVAL;
		m->thp_off = !b;
		return 0;
	}
	if (!strcmp(key, "prefault"))
		return config_onoff(key, v, &m->prefault, err);
	if (!strcmp(key, "locked"))
		return config_onoff(key, v, &m->locked, err);
	if (!strcmp(key, "shared"))
		return config_onoff(key, v, &m->shared, err);
	if (!strcmp(key, "merge")) {
		if (config_onoff(key, v, &b, err))
			return -EINVAL;
		m->merge = b;
		return 0;
	}
	if (!strcmp(key, "numa-policy") || !strcmp(key, "numa_policy")) {
		static const char *names[] = { "default", "bind", "preferred", "interleave" };

		for (unsigned int i = 0; i < 4; i++)
			if (!strcmp(v, names[i])) {
				m->policy = (enum numa_policy)i;
				return 0;
			}
		return config_err(err, "numa-policy='%s': use default, bind, preferred or interleave", v);
	}
	if (!strcmp(key, "host-nodes") || !strcmp(key, "host_nodes")) {
		if (config_parse_nodelist(v, &m->host_nodes))
			return config_err(err, "host-nodes='%s': a list of host NUMA nodes below %d (e.g. 0 or 0-1)",
				    v, CONFIG_MAX_HOST_NODES);
		set_str(&m->host_nodes_str, v);
		return 0;
	}
	return config_err(err, "unknown key '%s'", key);
}

static int memory_finish(struct vm_config *cfg, char *err)
{
	struct mem_config *m = &cfg->mem;

	if (m->policy != NUMA_DEFAULT && !m->host_nodes)
		return config_err(err, "numa-policy needs host-nodes=LIST");
	if (m->host_nodes && m->policy == NUMA_DEFAULT)
		m->policy = NUMA_BIND;
	if (m->policy == NUMA_PREFERRED && (m->host_nodes & (m->host_nodes - 1)))
		return config_err(err, "numa-policy=preferred takes one host node");
	if (m->hugepage_size && (cfg->mem_size % m->hugepage_size))
		return config_err(err, "size %lluM is not a multiple of the %lluM huge page",
			    (unsigned long long)(cfg->mem_size >> 20),
			    (unsigned long long)(m->hugepage_size >> 20));
	return 0;
}

int config_parse_memory(const char *s, struct vm_config *cfg, char *err)
{
	struct kv kv;
	int rc;

	if (!strchr(s, '='))
		return size_key(s, &cfg->mem_size, err) ? -EINVAL : memory_finish(cfg, err);
	rc = kv_parse(&kv, s);
	if (rc) {
		kv_free(&kv);
		return config_err(err, "malformed option string");
	}
	for (unsigned int i = 0; i < kv.nr && !rc; i++)
		rc = kv.pairs[i].bare ? config_err(err, "'%s': expected key=value", kv.pairs[i].key)
				      : config_memory_set(cfg, kv.pairs[i].key, kv.pairs[i].value, err);
	kv_free(&kv);
	return rc ? rc : memory_finish(cfg, err);
}

static int parse_distance(struct numa_node_config *n, const char *v, char *err)
{
	while (*v) {
		char *end;
		unsigned long node = strtoul(v, &end, 10), d;

		if (end == v || *end != '@')
			return config_err(err, "distance='%s': use NODE@DISTANCE[:NODE@DISTANCE...]", v);
		v = end + 1;
		d = strtoul(v, &end, 10);
		if (end == v || node >= CONFIG_MAX_NUMA || d < 10 || d > 254)
			return config_err(err, "distance: node below %d, distance 10-254", CONFIG_MAX_NUMA);
		n->distance[node] = (uint8_t)d;
		v = *end == ':' ? end + 1 : end;
		if (*end && *end != ':')
			return config_err(err, "distance: unexpected '%s'", end);
	}
	return 0;
}

int config_parse_numa(const char *s, struct vm_config *cfg, char *err)
{
	struct numa_node_config n;
	struct kv kv;
	uint64_t x;
	bool have_id = false, have_mem = false;
	int rc;

	memset(&n, 0, sizeof(n));
	if (cfg->nr_numa == CONFIG_MAX_NUMA)
		return config_err(err, "at most %d guest NUMA nodes", CONFIG_MAX_NUMA);
	rc = kv_parse(&kv, s);
	if (rc)
		rc = config_err(err, "malformed option string");
	for (unsigned int i = 0; i < kv.nr && !rc; i++) {
		const char *k = kv.pairs[i].key, *v = kv.pairs[i].value;

		if (!strcmp(k, "node") || !strcmp(k, "guest_numa_id")) {
			if (config_parse_uint(v, 0, CONFIG_MAX_NUMA - 1, &x))
				rc = config_err(err, "node='%s': 0 to %d", v, CONFIG_MAX_NUMA - 1);
			n.id = (unsigned int)x;
			have_id = true;
		} else if (!strcmp(k, "cpus")) {
			const char *list = v;
			char buf[256];

			/* [0-1] as in Cloud Hypervisor, or a bare list */
			if (*v == '[' && v[strlen(v) - 1] == ']' && strlen(v) < sizeof(buf)) {
				snprintf(buf, sizeof(buf), "%.*s", (int)strlen(v) - 2, v + 1);
				list = buf;
			}
			if (config_parse_cpulist(list, &n.vcpus))
				rc = config_err(err, "cpus='%s': a list of vCPUs (e.g. 0-1)", v);
			set_str(&n.cpus_str, list);
		} else if (!strcmp(k, "memory")) {
			rc = size_key(v, &n.size, err);
			have_mem = true;
		} else if (!strcmp(k, "host-nodes") || !strcmp(k, "host_nodes")) {
			if (config_parse_nodelist(v, &n.host_nodes))
				rc = config_err(err, "host-nodes='%s': a list of host NUMA nodes", v);
			set_str(&n.host_nodes_str, v);
		} else if (!strcmp(k, "distance") || !strcmp(k, "distances")) {
			rc = parse_distance(&n, v, err);
		} else {
			rc = config_err(err, "unknown key '%s'", k);
		}
	}
	kv_free(&kv);
	if (!rc && (!have_id || !have_mem || !CPU_COUNT(&n.vcpus)))
		rc = config_err(err, "needs node=ID, cpus=LIST and memory=SIZE");
	for (unsigned int i = 0; !rc && i < cfg->nr_numa; i++)
		if (cfg->numa[i].id == n.id)
			rc = config_err(err, "node %u is given twice", n.id);
	if (rc) {
		free(n.cpus_str);
		free(n.host_nodes_str);
		return rc;
	}
	cfg->numa[cfg->nr_numa++] = n;
	return 0;
}

/* SLIT rules Linux checks (else it drops the whole table): 10 to itself, more to others */
static int numa_check_distances(const struct vm_config *cfg, const struct numa_node_config *n,
				char *err)
{
	for (unsigned int j = 0; j < CONFIG_MAX_NUMA; j++) {
		if (!n->distance[j])
			continue;
		if (j >= cfg->nr_numa)
			return config_err(err, "--numa node %u: distance to node %u, which does not exist", n->id,
				    j);
		if (j == n->id && n->distance[j] != 10)
			return config_err(err, "--numa node %u: the distance to itself must be 10, not %u", n->id,
				    n->distance[j]);
		if (j != n->id && n->distance[j] <= 10)
			return config_err(err, "--numa node %u: the distance to node %u must be above 10 (local)",
				    n->id, j);
	}
	return 0;
}

int config_numa_finish(struct vm_config *cfg, char *err)
{
	uint64_t total = 0;
	cpu_set_t seen;
	unsigned int max = config_max_cpus(cfg);
	uint64_t page = cfg->mem.hugepage_size;

	/* again after every option: a config file sets the memory keys one at a time */
	if (memory_finish(cfg, err))
		return -EINVAL;
	if (!cfg->nr_numa)
		return 0;
	CPU_ZERO(&seen);
	for (unsigned int i = 0; i < cfg->nr_numa; i++) {
		struct numa_node_config *n = &cfg->numa[i];
		cpu_set_t both;

		if (n->id >= cfg->nr_numa)
			return config_err(err, "--numa: node ids must be 0 to %u (the number of nodes - 1)",
				    cfg->nr_numa - 1);
		if (numa_check_distances(cfg, n, err))
			return -EINVAL;
		/* each node's slice is mbind()ed on its own: it must be whole huge pages */
		if (page && n->size % page)
			return config_err(err, "--numa node %u: memory %lluM is not a multiple of the %lluM huge page",
				    n->id, (unsigned long long)(n->size >> 20),
				    (unsigned long long)(page >> 20));
		CPU_AND(&both, &seen, &n->vcpus);
		if (CPU_COUNT(&both))
			return config_err(err, "--numa: a vCPU is in two nodes");
		CPU_OR(&seen, &seen, &n->vcpus);
		for (int c = (int)max; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &n->vcpus))
				return config_err(err, "--numa node %u: vCPU %d does not exist (%u vCPUs)", n->id, c,
					    max);
		total += n->size;
	}
	if (total != cfg->mem_size)
		return config_err(err, "--numa: the nodes' memory adds up to %lluM, --memory is %lluM",
			    (unsigned long long)(total >> 20), (unsigned long long)(cfg->mem_size >> 20));
	if ((unsigned int)CPU_COUNT(&seen) != max)
		return config_err(err, "--numa: every vCPU must be in a node (%d of %u are)", CPU_COUNT(&seen),
			    max);
	return 0;
}

void config_free_memory_numa(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nr_numa; i++) {
		free(cfg->numa[i].cpus_str);
		free(cfg->numa[i].host_nodes_str);
	}
	cfg->nr_numa = 0;
}

void config_free_memory(struct vm_config *cfg)
{
	free(cfg->mem.host_nodes_str);
	cfg->mem.host_nodes_str = NULL;
	config_free_memory_numa(cfg);
}
