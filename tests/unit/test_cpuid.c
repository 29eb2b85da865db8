// SPDX-License-Identifier: GPL-2.0-only
/* Per-vCPU CPUID topology rewrite on a synthetic KVM_GET_SUPPORTED_CPUID list. */
#include "arch/x86/cpuid.h"
#include "unit.h"

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/* Leaf 4 cache types in EAX[4:0]: data, instruction, unified, unified, null. */
static const uint32_t leaf4_type[] = { 1, 2, 3, 3, 0 };

static struct kvm_cpuid2 *synth(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 32 * sizeof(c->entries[0]));
	unsigned int n = 0;

	if (!c)
		abort();
	/* leaf 1: stale host topology that must be replaced, HTT already set */
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 1,
						     .eax = 0x000906ea,
						     .ebx = 0xff100800,
						     .ecx = 0x7ffafbff,
						     .edx = 0xbfebfbff };
	for (uint32_t i = 0; i < 5; i++)
		c->entries[n++] = (struct kvm_cpuid_entry2){
			.function = 4,
			.index = i,
			.flags = SIG,
			/* stale: 64 cores, 16 threads share it, level i+1 */
			.eax = leaf4_type[i] ? (63u << 26) | (15u << 14) | ((i + 1) << 5) |
						       leaf4_type[i] :
					       0,
			.ebx = 0x01c0003f + i,
			.ecx = 0x3f + i,
		};
	for (uint32_t l = 0; l < 2; l++)
		for (uint32_t i = 0; i < 3; i++)
			c->entries[n++] = (struct kvm_cpuid_entry2){ .function = l ? 0x1f : 0xb,
								     .index = i,
								     .flags = SIG,
								     .eax = 7,
								     .ebx = 99,
								     .ecx = 0xffff,
								     .edx = 0xdead };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 0x121 | 2 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008,
						     .eax = 0x3030,
						     .ecx = 0x0003fbff };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e,
						     .eax = 0x55,
						     .ebx = 0x0155,
						     .ecx = 0x0703,
						     .edx = 0x1234 };
	c->nent = n;
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	static struct kvm_cpuid_entry2 zero;
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, idx);

	CHECK(e != NULL);
	if (!e) {
		memset(&zero, 0, sizeof(zero));
		return &zero;
	}
	return e;
}

TEST(find_honours_significant_index)
{
	struct kvm_cpuid2 *c = synth();

	/* leaf 1 has no significant index: any subleaf finds it */
	CHECK(cpuid_find(c, 1, 0) == &c->entries[0]);
	CHECK(cpuid_find(c, 1, 7) == &c->entries[0]);
	/* leaf 4 does: each index finds its own entry, a missing one nothing */
	CHECK(cpuid_find(c, 4, 0) == &c->entries[1]);
	CHECK(cpuid_find(c, 4, 2) == &c->entries[3]);
	CHECK_EQ(find(c, 4, 3)->index, 3);
	CHECK(cpuid_find(c, 4, 5) == NULL);
	CHECK_EQ(find(c, 0xb, 1)->index, 1);
	CHECK_EQ(find(c, 0x1f, 2)->function, 0x1f);
	CHECK_EQ(find(c, 0x1f, 2)->index, 2);
	CHECK(cpuid_find(c, 0x1f, 3) == NULL);
	CHECK(cpuid_find(c, 0x40000000, 0) == NULL);
	free(c);
}

TEST(leaf1_vcpu3_of_4)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 4 };
	struct kvm_cpuid_entry2 *e;

	cpuid_patch(c, 32, 3, &t);
	e = find(c, 1, 0);
	CHECK_EQ(e->ebx >> 24, 3); /* initial APIC ID */
	CHECK_EQ((e->ebx >> 16) & 0xff, 4); /* addressable logical IDs */
	CHECK_EQ(e->ebx & 0xffff, 0x0800); /* CLFLUSH size and brand kept */
	CHECK_EQ(e->edx & (1u << 28), 1u << 28); /* HTT */
	CHECK_EQ(e->ecx & (1u << 31), 1u << 31); /* hypervisor */
	CHECK_EQ(e->ecx & 0x7fffffff, 0x7ffafbff); /* other features untouched */
	CHECK_EQ(e->eax, 0x000906ea);
	free(c);
}

TEST(leaf1_vcpu0_of_1)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 1 };
	struct kvm_cpuid_entry2 *e;

	cpuid_patch(c, 32, 0, &t);
	e = find(c, 1, 0);
	CHECK_EQ(e->ebx >> 24, 0);
	CHECK_EQ((e->ebx >> 16) & 0xff, 1);
	CHECK_EQ(e->edx & (1u << 28), 0); /* host HTT cleared */
	CHECK_EQ(e->edx | (1u << 28), 0xbfebfbff);
	CHECK_EQ(e->ecx & (1u << 31), 1u << 31);
	free(c);
}

TEST(leaf1_non_power_of_two)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 3 };

	cpuid_patch(c, 32, 2, &t);
	CHECK_EQ(find(c, 1, 0)->ebx >> 24, 2);
	/* rounded up to a power of two, as the APIC ID space is */
	CHECK_EQ((find(c, 1, 0)->ebx >> 16) & 0xff, 4);
	CHECK_EQ(find(c, 4, 0)->eax >> 26, 3);
	CHECK_EQ(find(c, 0xb, 1)->eax & 0x1f, 2);
	CHECK_EQ(find(c, 0xb, 1)->ebx & 0xffff, 3);
	CHECK_EQ(find(c, 0x80000008, 0)->ecx & 0xff, 2);
	CHECK_EQ((find(c, 0x80000008, 0)->ecx >> 12) & 0xf, 2);
	free(c);
}

TEST(leaf4_cores_per_package)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 4 };

	cpuid_patch(c, 32, 3, &t);
	for (uint32_t i = 0; i < 4; i++) {
		struct kvm_cpuid_entry2 *e = find(c, 4, i);

		CHECK_EQ(e->eax >> 26, 3); /* cores per package - 1 */
		/* L1/L2 per core (one thread), L3 and beyond shared by the die's 4 cores */
		CHECK_EQ((e->eax >> 14) & 0xfff, i + 1 >= 3 ? 3 : 0);
		CHECK_EQ(e->eax & 0x3fff, ((i + 1) << 5) | leaf4_type[i]); /* type, level */
		CHECK_EQ(e->ebx, 0x01c0003f + i); /* geometry untouched */
	}
	/* the terminating null entry stays all zero */
	CHECK_EQ(find(c, 4, 4)->eax, 0);
	free(c);

	c = synth();
	t.nr_cpus = 1;
	cpuid_patch(c, 32, 0, &t);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK_EQ(find(c, 4, i)->eax >> 26, 0);
		CHECK_EQ((find(c, 4, i)->eax >> 14) & 0xfff, 0);
	}
	CHECK_EQ(find(c, 4, 4)->eax, 0);
	free(c);
}

static void check_ext_topology(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t apic,
			       uint32_t shift, uint32_t ncpu)
{
	struct kvm_cpuid_entry2 *e;

	/* SMT level: one thread per core */
	e = find(c, leaf, 0);
	CHECK_EQ(e->edx, apic);
	CHECK_EQ(e->eax & 0x1f, 0);
	CHECK_EQ(e->ebx & 0xffff, 1);
	CHECK_EQ(e->ecx & 0xff, 0);
	CHECK_EQ((e->ecx >> 8) & 0xff, 1);
	/* core level: the whole package */
	e = find(c, leaf, 1);
	CHECK_EQ(e->edx, apic);
	CHECK_EQ(e->eax & 0x1f, shift);
	CHECK_EQ(e->ebx & 0xffff, ncpu);
	CHECK_EQ(e->ecx & 0xff, 1);
	CHECK_EQ((e->ecx >> 8) & 0xff, 2);
	/* invalid level ends the enumeration and echoes the index */
	e = find(c, leaf, 2);
	CHECK_EQ(e->edx, apic);
	CHECK_EQ(e->eax, 0);
	CHECK_EQ(e->ebx, 0);
	CHECK_EQ(e->ecx & 0xff, 2);
	CHECK_EQ((e->ecx >> 8) & 0xff, 0);
}

TEST(ext_topology_vcpu3_of_4)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 4 };

	cpuid_patch(c, 32, 3, &t);
	check_ext_topology(c, 0xb, 3, 2, 4);
	check_ext_topology(c, 0x1f, 3, 2, 4);
	free(c);
}

TEST(ext_topology_vcpu0_of_1)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 1 };

	cpuid_patch(c, 32, 0, &t);
	check_ext_topology(c, 0xb, 0, 0, 1);
	check_ext_topology(c, 0x1f, 0, 0, 1);
	free(c);
}

TEST(amd_leaves_vcpu3_of_4)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 4 };
	struct kvm_cpuid_entry2 *e;

	/* start from CmpLegacy clear to see it set */
	find(c, 0x80000001, 0)->ecx &= ~2u;
	cpuid_patch(c, 32, 3, &t);
	CHECK_EQ(find(c, 0x80000001, 0)->ecx, 0x121 | 2);
	e = find(c, 0x80000008, 0);
	CHECK_EQ(e->ecx & 0xff, 3); /* NC */
	CHECK_EQ((e->ecx >> 12) & 0xf, 2); /* ApicIdCoreIdSize */
	CHECK_EQ(e->ecx & ~0xf0ffu, 0x00030b00); /* PerfTscSize etc. kept */
	CHECK_EQ(e->eax, 0x3030);
	e = find(c, 0x8000001e, 0);
	CHECK_EQ(e->eax, 3); /* extended APIC ID */
	CHECK_EQ(e->ebx & 0xff, 3); /* core ID */
	CHECK_EQ((e->ebx >> 8) & 0xff, 0); /* one thread per core */
	CHECK_EQ(e->ecx, 0);
	CHECK_EQ(e->edx, 0);
	free(c);
}

TEST(amd_leaves_vcpu0_of_1)
{
	struct kvm_cpuid2 *c = synth();
	struct cpuid_topology t = { .nr_cpus = 1 };
	struct kvm_cpuid_entry2 *e;

	cpuid_patch(c, 32, 0, &t);
	CHECK_EQ(find(c, 0x80000001, 0)->ecx, 0x121); /* CmpLegacy cleared */
	e = find(c, 0x80000008, 0);
	CHECK_EQ(e->ecx & 0xff, 0);
	CHECK_EQ((e->ecx >> 12) & 0xf, 0);
	e = find(c, 0x8000001e, 0);
	CHECK_EQ(e->eax, 0);
	CHECK_EQ(e->ebx, 0);
	CHECK_EQ(e->ecx, 0);
	free(c);
}

TEST(patch_is_per_vcpu)
{
	struct kvm_cpuid2 *a = synth(), *b = synth();
	struct cpuid_topology t = { .nr_cpus = 4 };

	cpuid_patch(a, 32, 1, &t);
	cpuid_patch(b, 32, 2, &t);
	CHECK_EQ(find(a, 1, 0)->ebx >> 24, 1);
	CHECK_EQ(find(b, 1, 0)->ebx >> 24, 2);
	CHECK_EQ(find(a, 0xb, 0)->edx, 1);
	CHECK_EQ(find(b, 0xb, 0)->edx, 2);
	/* patching again (a reboot reuses the list) gives the same result */
	cpuid_patch(a, 32, 1, &t);
	CHECK_EQ(find(a, 1, 0)->ebx >> 24, 1);
	CHECK_EQ(find(a, 4, 0)->eax >> 26, 3);
	CHECK_EQ(find(a, 0x80000008, 0)->ecx & 0xf0ff, 0x2003);
	free(a);
	free(b);
}

TEST(missing_leaves_are_fine)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (1 + CPUID_PATCH_EXTRA) * sizeof(c->entries[0]));
	struct cpuid_topology t = { .nr_cpus = 2 };

	if (!c)
		abort();
	c->nent = 1;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd, .ebx = 0x756e6547 };
	cpuid_patch(c, 1 + CPUID_PATCH_EXTRA, 1, &t);
	CHECK_EQ(c->entries[0].eax, 0xd);
	CHECK_EQ(c->entries[0].ebx, 0x756e6547);
	CHECK(cpuid_find(c, 1, 0) == NULL);
	free(c);
}

UNIT_MAIN("cpuid", T(find_honours_significant_index), T(leaf1_vcpu3_of_4), T(leaf1_vcpu0_of_1),
	  T(leaf1_non_power_of_two), T(leaf4_cores_per_package), T(ext_topology_vcpu3_of_4),
	  T(ext_topology_vcpu0_of_1), T(amd_leaves_vcpu3_of_4), T(amd_leaves_vcpu0_of_1),
	  T(patch_is_per_vcpu), T(missing_leaves_are_fine))
