// SPDX-License-Identifier: GPL-2.0-only
/* Per-vCPU CPUID topology rewrite on a synthetic KVM_GET_SUPPORTED_CPUID list. */
#include "arch/x86/acpi.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
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

/*
 * Topologies SOCKETS:DIES:CORES:THREADS: every vCPU's leaves 1, 4, 0xb, 0x1f
 * (Intel) or 0x80000008, 0x8000001d, 0x8000001e (AMD), checked against the
 * numbers worked out here from the topology.
 */
struct topo_case {
	unsigned int s, d, c, t;
	const uint32_t *apic; /* the APIC IDs, worked out by hand */
};

static const uint32_t ids_0_7[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
static const uint32_t ids_2x3x2[] = { 0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13 };
static const uint32_t ids_1x2x3x1[] = { 0, 1, 2, 4, 5, 6 };

static const struct topo_case topo_cases[] = {
	{ 1, 1, 4, 2, ids_0_7 }, /* SMT: APIC ID = core << 1 | thread */
	{ 2, 1, 2, 2, ids_0_7 }, /* two sockets */
	{ 1, 2, 2, 1, ids_0_7 }, /* two dies: leaf 0x1f gets a die level */
	{ 2, 1, 3, 2, ids_2x3x2 }, /* three cores: a 2-bit core field, IDs 6, 7 unused */
	{ 1, 2, 3, 1, ids_1x2x3x1 }, /* three cores per die */
	{ 1, 1, 1, 1, ids_0_7 },
};

static unsigned int bits(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/* A host list with the vendor in leaf 0 and every topology leaf, max leaf 0x1f. */
static struct kvm_cpuid2 *synth_vendor(bool amd)
{
	struct kvm_cpuid2 *c = synth();
	unsigned int n = c->nent;

	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0,
						     .eax = 0x1f,
						     .ebx = amd ? 0x68747541 : 0x756e6547 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000021 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x1f, .index = 3, .flags = SIG,
						     .eax = 7, .ebx = 99, .ecx = 0xffff };
	if (amd) {
		/* AMD cache leaf: L1d shared by 2 (stale), L3 by 16 (stale) */
		c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001d, .index = 0,
							     .flags = SIG,
							     .eax = (1u << 14) | (1u << 5) | 1,
							     .ebx = 0x3f };
		c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001d, .index = 1,
							     .flags = SIG,
							     .eax = (15u << 14) | (3u << 5) | 3,
							     .ebx = 0x3f };
		c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001d, .index = 2,
							     .flags = SIG };
	}
	c->nent = n;
	return c;
}

static void check_topo_vcpu(const struct topo_case *k, unsigned int i, bool amd)
{
	struct kvm_cpuid2 *c = synth_vendor(amd);
	struct cpuid_topology t = { .nr_cpus = k->s * k->d * k->c * k->t,
				    .sockets = k->s, .dies = k->d, .cores = k->c, .threads = k->t };
	unsigned int tb = bits(k->t), cb = bits(k->c), db = bits(k->d), pkg = tb + cb + db;
	unsigned int per_pkg = k->d * k->c * k->t, apic = k->apic[i];
	struct kvm_cpuid_entry2 *e;

	CHECK_EQ(cpuid_apic_id(&t, i), apic);
	cpuid_patch(c, 32, i, &t);
	/* leaf 1: initial APIC ID, addressable IDs per package, HTT */
	e = find(c, 1, 0);
	CHECK_EQ(e->ebx >> 24, apic);
	CHECK_EQ((e->ebx >> 16) & 0xff, 1u << pkg);
	CHECK_EQ(!!(e->edx & (1u << 28)), per_pkg > 1);
	/* leaf 4: cores per package (EAX[31:26], addressable - 1); L1/L2 shared by a
	 * core's threads, L3 by the die */
	for (uint32_t j = 0; j < 4; j++) {
		e = find(c, 4, j);
		CHECK_EQ(e->eax >> 26, (1u << (cb + db)) - 1);
		CHECK_EQ((e->eax >> 14) & 0xfff, (1u << (j + 1 >= 3 ? tb + cb : tb)) - 1);
		CHECK_EQ(e->eax & 0x3fff, ((j + 1) << 5) | leaf4_type[j]);
	}
	CHECK_EQ(find(c, 4, 4)->eax, 0);
	/* leaf 0xb: SMT, then core reaching the whole package, then the end */
	e = find(c, 0xb, 0);
	CHECK_EQ(e->eax & 0x1f, tb);
	CHECK_EQ(e->ebx & 0xffff, k->t);
	CHECK_EQ(e->ecx & 0xffff, 1u << 8);
	CHECK_EQ(e->edx, apic);
	e = find(c, 0xb, 1);
	CHECK_EQ(e->eax & 0x1f, pkg);
	CHECK_EQ(e->ebx & 0xffff, per_pkg);
	CHECK_EQ(e->ecx & 0xffff, 1 | (2u << 8));
	CHECK_EQ(e->edx, apic);
	e = find(c, 0xb, 2);
	CHECK_EQ(e->ebx & 0xffff, 0);
	CHECK_EQ((e->ecx >> 8) & 0xff, 0);
	CHECK_EQ(e->ecx & 0xff, 2);
	CHECK_EQ(e->edx, apic);
	/* leaf 0x1f: SMT, core (up to the die), die (type 5) when there are dies, end */
	e = find(c, 0x1f, 0);
	CHECK_EQ(e->eax & 0x1f, tb);
	CHECK_EQ(e->ebx & 0xffff, k->t);
	CHECK_EQ(e->ecx & 0xffff, 1u << 8);
	e = find(c, 0x1f, 1);
	CHECK_EQ(e->eax & 0x1f, tb + cb);
	CHECK_EQ(e->ebx & 0xffff, k->t * k->c);
	CHECK_EQ(e->ecx & 0xffff, 1 | (2u << 8));
	CHECK_EQ(e->edx, apic);
	e = find(c, 0x1f, 2);
	if (k->d > 1) {
		CHECK_EQ(e->eax & 0x1f, pkg);
		CHECK_EQ(e->ebx & 0xffff, per_pkg);
		CHECK_EQ(e->ecx & 0xffff, 2 | (5u << 8));
		e = find(c, 0x1f, 3);
		CHECK_EQ(e->ecx & 0xffff, 3);
	} else {
		CHECK_EQ(e->ebx & 0xffff, 0);
		CHECK_EQ(e->ecx & 0xffff, 2);
	}
	CHECK_EQ(e->eax, 0);
	CHECK_EQ(e->edx, apic);
	/* AMD: NC and ApicIdCoreIdSize, CmpLegacy, extended APIC ID, core and node IDs */
	e = find(c, 0x80000008, 0);
	CHECK_EQ(e->ecx & 0xff, per_pkg - 1);
	CHECK_EQ((e->ecx >> 12) & 0xf, pkg);
	CHECK_EQ(!!(find(c, 0x80000001, 0)->ecx & 2), per_pkg > 1);
	e = find(c, 0x8000001e, 0);
	CHECK_EQ(e->eax, apic);
	CHECK_EQ(e->ebx & 0xff, (i / k->t) % (k->c * k->d)); /* core within the package */
	CHECK_EQ((e->ebx >> 8) & 0xff, k->t - 1); /* threads per core - 1 */
	CHECK_EQ(e->ecx & 0xff, i / (k->t * k->c)); /* node = die, numbered system-wide */
	CHECK_EQ((e->ecx >> 8) & 7, k->d - 1); /* nodes per package - 1 */
	if (amd) {
		CHECK(find(c, 0x80000001, 0)->ecx & (1u << 22)); /* TOPOEXT */
		CHECK_EQ((find(c, 0x8000001d, 0)->eax >> 14) & 0xfff, (1u << tb) - 1);
		CHECK_EQ((find(c, 0x8000001d, 1)->eax >> 14) & 0xfff, (1u << (tb + cb)) - 1);
		CHECK_EQ(find(c, 0x8000001d, 1)->eax & 0x3fff, (3u << 5) | 3);
		CHECK_EQ(find(c, 0x8000001d, 2)->eax, 0);
	}
	free(c);
}

static void check_topo_case(const struct topo_case *k)
{
	unsigned int n = k->s * k->d * k->c * k->t;

	for (unsigned int i = 0; i < n; i++) {
		check_topo_vcpu(k, i, false);
		check_topo_vcpu(k, i, true);
	}
}

TEST(topology_1_1_4_2)
{
	check_topo_case(&topo_cases[0]);
}

TEST(topology_2_1_2_2)
{
	check_topo_case(&topo_cases[1]);
}

TEST(topology_1_2_2_1)
{
	check_topo_case(&topo_cases[2]);
}

TEST(topology_2_1_3_2_sparse_ids)
{
	check_topo_case(&topo_cases[3]);
}

TEST(topology_1_2_3_1_sparse_ids)
{
	check_topo_case(&topo_cases[4]);
}

TEST(topology_1_1_1_1)
{
	check_topo_case(&topo_cases[5]);
}

/* Without counts it is one socket of nr_cpus cores, the same as S=1 D=1 T=1. */
TEST(no_topology_equals_one_socket)
{
	struct cpuid_topology flat = { .nr_cpus = 6 };
	struct cpuid_topology one = { .nr_cpus = 6, .sockets = 1, .dies = 1, .cores = 6, .threads = 1 };

	for (unsigned int i = 0; i < 6; i++) {
		struct kvm_cpuid2 *a = synth_vendor(false), *b = synth_vendor(false);

		CHECK_EQ(cpuid_apic_id(&flat, i), i);
		cpuid_patch(a, 32, i, &flat);
		cpuid_patch(b, 32, i, &one);
		CHECK_EQ(a->nent, b->nent);
		CHECK(!memcmp(a->entries, b->entries, a->nent * sizeof(a->entries[0])));
		free(a);
		free(b);
	}
}

/*
 * 129-255 vCPUs in one package: 256 addressable IDs do not fit leaf 1's 8-bit
 * field; it must say 255, not carry into the APIC ID byte above it.
 */
TEST(leaf1_255_vcpus)
{
	struct cpuid_topology t = { .nr_cpus = 255 };
	const unsigned int idx[] = { 0, 1, 128, 254 };

	for (unsigned int k = 0; k < 4; k++) {
		struct kvm_cpuid2 *c = synth_vendor(false);

		cpuid_patch(c, 32, idx[k], &t);
		CHECK_EQ(find(c, 1, 0)->ebx >> 24, idx[k]);
		CHECK_EQ((find(c, 1, 0)->ebx >> 16) & 0xff, 255);
		CHECK_EQ(find(c, 0xb, 1)->eax & 0x1f, 8);
		CHECK_EQ(find(c, 0xb, 1)->ebx & 0xffff, 255);
		CHECK_EQ(find(c, 0xb, 0)->edx, idx[k]);
		CHECK_EQ(find(c, 0x80000008, 0)->ecx & 0xff, 254);
		CHECK_EQ((find(c, 0x80000008, 0)->ecx >> 12) & 0xf, 8);
		CHECK_EQ(find(c, 4, 0)->eax >> 26, 63); /* 255 clipped to the 6-bit field */
		free(c);
	}
	/* 128 fits: the field says 128 */
	t.nr_cpus = 128;
	{
		struct kvm_cpuid2 *c = synth_vendor(false);

		cpuid_patch(c, 32, 127, &t);
		CHECK_EQ(find(c, 1, 0)->ebx >> 24, 127);
		CHECK_EQ((find(c, 1, 0)->ebx >> 16) & 0xff, 128);
		free(c);
	}
}

/* A host list without the topology leaves gets them (0xb, 0x1f with dies, AMD 0x8000001e). */
TEST(missing_topology_leaves_added)
{
	struct cpuid_topology t = { .nr_cpus = 4, .sockets = 1, .dies = 2, .cores = 2, .threads = 1 };
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 32 * sizeof(c->entries[0]));
	struct kvm_cpuid_entry2 *e;

	if (!c)
		abort();
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f, .ebx = 0x68747541 };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1 };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008 };
	c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0x80000001 };
	c->nent = 4;
	cpuid_patch(c, 32, 3, &t);
	CHECK_EQ(c->nent, 4 + 3 + 4 + 1);
	CHECK_EQ(find(c, 0xb, 0)->edx, 3);
	CHECK_EQ(find(c, 0xb, 1)->ebx & 0xffff, 4);
	CHECK_EQ(find(c, 0x1f, 1)->ebx & 0xffff, 2);
	CHECK_EQ(find(c, 0x1f, 2)->ecx & 0xffff, 2 | (5u << 8));
	CHECK_EQ(find(c, 0x1f, 3)->ecx & 0xffff, 3);
	CHECK_EQ(find(c, 0x80000000, 0)->eax, 0x8000001e);
	CHECK(find(c, 0x80000001, 0)->ecx & (1u << 22));
	e = find(c, 0x8000001e, 0);
	CHECK_EQ(e->eax, 3);
	CHECK_EQ(e->ebx & 0xff, 3); /* core 1 of die 1: core 3 counted in the package */
	CHECK_EQ(e->ecx, 1 | (1u << 8)); /* node 1, two nodes per package */
	free(c);
}

/* What every vCPU's CPUID says its APIC ID is, the MADT says too (same builder inputs as vm.c). */
TEST(apic_ids_match_madt)
{
	static uint8_t area[LAYOUT_ACPI_SIZE];

	for (size_t k = 0; k < sizeof(topo_cases) / sizeof(topo_cases[0]); k++) {
		const struct topo_case *tc = &topo_cases[k];
		unsigned int n = tc->s * tc->d * tc->c * tc->t;
		struct cpuid_topology t = { .nr_cpus = n, .sockets = tc->s, .dies = tc->d,
					    .cores = tc->c, .threads = tc->t };
		uint32_t ids[16];
		struct acpi_params ap = { .nr_cpus = n, .nr_possible = n, .apic_ids = ids };
		const struct acpi_rsdp *rsdp = (const void *)area;
		const struct acpi_sdt_header *x, *m = NULL;
		const uint8_t *p, *end;
		unsigned int seen = 0;

		for (unsigned int i = 0; i < n; i++)
			ids[i] = cpuid_apic_id(&t, i);
		CHECK(acpi_build(area, sizeof(area), LAYOUT_ACPI, &ap) > 0);
		x = (const void *)(area + (rsdp->xsdt_address - LAYOUT_ACPI));
		for (unsigned int i = 0; i < (x->length - sizeof(*x)) / 8; i++) {
			uint64_t a;
			const struct acpi_sdt_header *h;

			memcpy(&a, (const uint8_t *)(x + 1) + i * 8, 8);
			h = (const void *)(area + (a - LAYOUT_ACPI));
			if (!memcmp(h->signature, "APIC", 4))
				m = h;
		}
		CHECK(m != NULL);
		if (!m)
			continue;
		p = (const uint8_t *)(m + 1) + 8;
		end = (const uint8_t *)m + m->length;
		for (; p < end && p[1] >= 2; p += p[1]) {
			struct kvm_cpuid2 *c;

			if (p[0] != 0)
				continue;
			CHECK(p[2] < n);
			if (p[2] >= n)
				break;
			c = synth_vendor(k & 1);
			cpuid_patch(c, 32, p[2], &t); /* ACPI processor UID = vCPU index */
			CHECK_EQ(p[3], tc->apic[p[2]]);
			CHECK_EQ(find(c, 1, 0)->ebx >> 24, p[3]);
			CHECK_EQ(find(c, 0xb, 0)->edx, p[3]);
			CHECK_EQ(find(c, 0x1f, 0)->edx, p[3]);
			CHECK_EQ(find(c, 0x8000001e, 0)->eax, p[3]);
			free(c);
			seen++;
		}
		CHECK_EQ(seen, n);
	}
}

UNIT_MAIN("cpuid", T(find_honours_significant_index), T(leaf1_vcpu3_of_4), T(leaf1_vcpu0_of_1),
	  T(leaf1_non_power_of_two), T(leaf4_cores_per_package), T(ext_topology_vcpu3_of_4),
	  T(ext_topology_vcpu0_of_1), T(amd_leaves_vcpu3_of_4), T(amd_leaves_vcpu0_of_1),
	  T(patch_is_per_vcpu), T(missing_leaves_are_fine), T(topology_1_1_4_2), T(topology_2_1_2_2),
	  T(topology_1_2_2_1), T(topology_2_1_3_2_sparse_ids), T(topology_1_2_3_1_sparse_ids),
	  T(topology_1_1_1_1), T(no_topology_equals_one_socket), T(leaf1_255_vcpus),
	  T(missing_topology_leaves_added), T(apic_ids_match_madt))
