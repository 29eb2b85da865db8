/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest NUMA for the ACPI tables: which node each possible vCPU sits on and
 * which guest-physical RAM ranges each node owns. Nodes take consecutive
 * slices of RAM in node-id order (node 0 first, as vm.c backs them), split
 * where RAM is split around the 32-bit MMIO hole. Pure: the VM builder calls
 * it on the main thread before acpi_build(); unit tests call it directly.
 */
#ifndef KASOU_VMM_NUMA_H
#define KASOU_VMM_NUMA_H

#include "arch/x86/acpi.h"
#include "config/config.h"
#include "vmm/guest_mem.h"

/*
 * Fill ap->nr_numa, mem_ranges, distance and cpu_node (pointing at the
 * caller's array of at least `max_vcpus` bytes) from an already-validated
 * config (config_numa_finish). Nothing changes without --numa.
 */
void numa_acpi_params(const struct vm_config *cfg, const struct guest_mem *mem,
		      unsigned int max_vcpus, struct acpi_params *ap, uint8_t *cpu_node);

#endif
