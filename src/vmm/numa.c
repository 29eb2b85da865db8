// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/numa.h"

static const struct numa_node_config *numa_node_by_id(const struct vm_config *cfg, unsigned int id)
{
	for (unsigned int i = 0; i < cfg->nr_numa; i++)
		if (cfg->numa[i].id == id)
			return &cfg->numa[i];
	return NULL;
}

void numa_acpi_params(const struct vm_config *cfg, const struct guest_mem *mem,
		      unsigned int max_vcpus, struct acpi_params *ap, uint8_t *cpu_node)
{
	const unsigned int cap = sizeof(ap->mem_ranges) / sizeof(ap->mem_ranges[0]);
	unsigned int r = 0;
	uint64_t used = 0; /* bytes of region r already given */

	ap->nr_numa = cfg->nr_numa;
	if (!cfg->nr_numa)
		return;
	for (unsigned int id = 0; id < cfg->nr_numa; id++) {
		const struct numa_node_config *n = numa_node_by_id(cfg, id);
		uint64_t left;

		if (!n)
			continue;
		for (unsigned int c = 0; c < max_vcpus && c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &n->vcpus))
				cpu_node[c] = (uint8_t)id;
		for (unsigned int j = 0; j < cfg->nr_numa; j++)
			ap->distance[id][j] = n->distance[j];
		left = n->size;
		while (left && r < mem->nr_regions && ap->nr_mem_ranges < cap) {
			const struct guest_region *g = &mem->regions[r];
			uint64_t take = g->size - used < left ? g->size - used : left;

			ap->mem_ranges[ap->nr_mem_ranges].base = g->gpa + used;
			ap->mem_ranges[ap->nr_mem_ranges].len = take;
			ap->mem_ranges[ap->nr_mem_ranges].node = id;
			ap->nr_mem_ranges++;
			left -= take;
			used += take;
			if (used == g->size) {
				r++;
				used = 0;
			}
		}
	}
	ap->cpu_node = cpu_node;
}
