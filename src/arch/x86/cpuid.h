/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-vCPU CPUID: KVM_GET_SUPPORTED_CPUID, then the topology and identity
 * leaves rewritten so each vCPU reports its own APIC ID and the guest sees
 * one socket of `nr_cpus` cores (1, 4, 0xb, 0x1f, AMD 0x80000008/0x8000001e).
 * cpuid_patch() is pure (unit-tested); called on the main thread at VM build.
 */
#ifndef KASOU_ARCH_X86_CPUID_H
#define KASOU_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 256

struct cpuid_topology {
	unsigned int nr_cpus; /* cores in the one socket, one thread each */
};

/* Allocate and fetch the supported list. NULL + errno on failure. */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);
/* Rewrite topology/identity leaves in place for vCPU `index`. */
void cpuid_patch(struct kvm_cpuid2 *c, unsigned int index, const struct cpuid_topology *t);
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx);

#endif
