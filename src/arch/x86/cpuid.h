/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-vCPU CPUID: KVM_GET_SUPPORTED_CPUID, then the topology and identity
 * leaves rewritten so each vCPU reports its own APIC ID and the guest sees
 * SOCKETS x DIES x CORES x THREADS (leaves 1, 4, 0xb, 0x1f, AMD 0x80000008,
 * 0x8000001d, 0x8000001e), consistent with the MADT's APIC IDs; optionally a
 * baseline feature set (model=base) and no vPMU.
 * cpuid_patch() is pure (unit-tested); called on the main thread at VM build.
 */
#ifndef KASOU_ARCH_X86_CPUID_H
#define KASOU_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 256

struct cpuid_topology {
	unsigned int nr_cpus; /* without the counts below: one socket of nr_cpus cores */
	unsigned int sockets, dies, cores, threads; /* all 0, or all >= 1 */
	bool model_base; /* a conservative feature set (x86-64-v2-ish) for migration */
	bool pmu_off; /* hide the vPMU */
};

/* The APIC ID of vCPU `index`: thread, core, die, socket fields, each a power of 2 wide. */
unsigned int cpuid_apic_id(const struct cpuid_topology *t, unsigned int index);

/* Allocate and fetch the supported list. NULL + errno on failure. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);
/* Room cpuid_patch() may need past c->nent for topology leaves the host lacks. */
#define CPUID_PATCH_EXTRA 8
/* Rewrite topology/identity leaves in place for vCPU `index`; `capacity` >= nent + CPUID_PATCH_EXTRA. */
void cpuid_patch(struct kvm_cpuid2 *c, unsigned int capacity, unsigned int index,
		 const struct cpuid_topology *t);
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx);

#endif
