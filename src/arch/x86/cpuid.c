// SPDX-License-Identifier: GPL-2.0-only
#include "arch/x86/cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	errno = E2BIG;
	return NULL;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != fn)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != idx)
			continue;
		return e;
	}
	return NULL;
}

/* bits needed to number `n` items: 1 -> 0, 2 -> 1, 3..4 -> 2, ... */
static unsigned int order_base_2(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static void patch_ext_topology(struct kvm_cpuid2 *c, uint32_t leaf, unsigned int apic,
			       unsigned int ncpu)
{
	unsigned int core_shift = order_base_2(ncpu);

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != leaf)
			continue;
		e->edx = apic;
		switch (e->index) {
		case 0: /* SMT level: one thread per core */
			e->eax = 0;
			e->ebx = 1;
			e->ecx = 0 | (1u << 8);
			break;
		case 1: /* core level */
			e->eax = core_shift;
			e->ebx = ncpu;
			e->ecx = 1 | (2u << 8);
			break;
		default: /* invalid level ends the enumeration */
			e->eax = 0;
			e->ebx = 0;
			e->ecx = e->index;
			break;
		}
	}
}

void cpuid_patch(struct kvm_cpuid2 *c, unsigned int index, const struct cpuid_topology *t)
{
	unsigned int ncpu = t->nr_cpus, apic = index;
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(c, 1, 0);
	if (e) {
		e->ebx &= 0x0000ffff; /* keep brand index and CLFLUSH size */
		e->ebx |= apic << 24;
		e->ebx |= (1u << order_base_2(ncpu)) << 16; /* addressable logical IDs */
		if (ncpu > 1)
			e->edx |= 1u << 28; /* HTT: multi-core package */
		else
			e->edx &= ~(1u << 28);
		e->ecx |= 1u << 31; /* running on a hypervisor */
	}
	for (uint32_t i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function != 4)
			continue;
		/* cores per package - 1; each cache shared by one thread */
		e->eax &= 0x03ffffff & ~(0xfffu << 14);
		if (e->eax & 0x1f)
			e->eax |= ((1u << order_base_2(ncpu)) - 1) << 26;
	}
	e = cpuid_find(c, 0xd, 0);
	if (e) {
		/* XSAVE area size for the enabled XCR0: KVM refreshes it only when
		 * features beyond x87/SSE/AVX change, so a guest that enables AVX
		 * would read the x87/SSE size and warn. Report the size for every
		 * supported feature, as the guest's XCR0 ends up with all of them. */
		e->ebx = e->ecx;
	}
	patch_ext_topology(c, 0xb, apic, ncpu);
	patch_ext_topology(c, 0x1f, apic, ncpu);

	e = cpuid_find(c, 0x80000001, 0);
	if (e) {
		if (ncpu > 1)
			e->ecx |= 1u << 1; /* CmpLegacy */
		else
			e->ecx &= ~(1u << 1);
	}
	e = cpuid_find(c, 0x80000008, 0);
	if (e) {
		e->ecx &= ~0xf0ffu;
		e->ecx |= (ncpu - 1) & 0xff; /* NC: cores - 1 */
		e->ecx |= order_base_2(ncpu) << 12; /* ApicIdCoreIdSize */
	}
	e = cpuid_find(c, 0x8000001e, 0);
	if (e) {
		e->eax = apic;
		e->ebx = apic & 0xff; /* core id; threads per core - 1 = 0 */
		e->ecx = 0; /* node 0, one node per socket */
		e->edx = 0;
	}
}
