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

struct topo {
	unsigned int sockets, dies, cores, threads;
	unsigned int tbits, cbits, dbits; /* field widths */
};

static struct topo topo_of(const struct cpuid_topology *t)
{
	struct topo o;

	if (t->sockets) {
		o.sockets = t->sockets;
		o.dies = t->dies;
		o.cores = t->cores;
		o.threads = t->threads;
	} else {
		o.sockets = o.dies = o.threads = 1;
		o.cores = t->nr_cpus ? t->nr_cpus : 1;
	}
	o.tbits = order_base_2(o.threads);
	o.cbits = order_base_2(o.cores);
	o.dbits = order_base_2(o.dies);
	return o;
}

unsigned int cpuid_apic_id(const struct cpuid_topology *t, unsigned int index)
{
	struct topo o = topo_of(t);
	unsigned int thread = index % o.threads, core = (index / o.threads) % o.cores;
	unsigned int die = (index / (o.threads * o.cores)) % o.dies;
	unsigned int socket = index / (o.threads * o.cores * o.dies);

	return ((((socket << o.dbits) | die) << o.cbits | core) << o.tbits) | thread;
}

/* leaf 0xb (SMT, core) and 0x1f (SMT, core, die) */
static void patch_ext_topology(struct kvm_cpuid2 *c, uint32_t leaf, unsigned int apic,
			       const struct topo *o)
{
	unsigned int pkg_bits = o->tbits + o->cbits + o->dbits;
	unsigned int per_pkg = o->threads * o->cores * o->dies;

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != leaf)
			continue;
		e->edx = apic;
		if (e->index == 0) { /* SMT */
			e->eax = o->tbits;
			e->ebx = o->threads;
			e->ecx = 0 | (1u << 8);
		} else if (e->index == 1) { /* core: in 0xb it reaches the package */
			e->eax = leaf == 0xb ? pkg_bits : o->tbits + o->cbits;
			e->ebx = leaf == 0xb ? per_pkg : o->threads * o->cores;
			e->ecx = 1 | (2u << 8);
		} else if (e->index == 2 && leaf == 0x1f && o->dies > 1) { /* die */
			e->eax = pkg_bits;
			e->ebx = per_pkg;
			e->ecx = 2 | (5u << 8);
		} else { /* an invalid level ends the enumeration */
			e->eax = 0;
			e->ebx = 0;
			e->ecx = e->index;
		}
	}
}

/* Deterministic cache leaves (Intel 4, AMD 0x8000001d): who shares each cache. */
static void patch_cache_leaf(struct kvm_cpuid2 *c, uint32_t leaf, const struct topo *o)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		unsigned int level = (e->eax >> 5) & 7, share;

		if (e->function != leaf || !(e->eax & 0x1f))
			continue;
		/* L1/L2 per core, L3 per die (the last level a die shares) */
		share = level >= 3 ? o->tbits + o->cbits : o->tbits;
		e->eax &= ~(0xfffu << 14);
		e->eax |= ((1u << share) - 1) << 14;
		if (leaf == 4) {
			e->eax &= 0x03ffffff;
			e->eax |= ((1u << (o->cbits + o->dbits)) - 1) << 26;
		}
	}
}

/* model=base: roughly x86-64-v2 (SSE4.2, POPCNT, CX16, LAHF), no AVX and newer */
static void apply_baseline(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e;
	/* SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 x2APIC POPCNT TSC-deadline AES hypervisor */
	const uint32_t ecx1 = (1u << 0) | (1u << 1) | (1u << 9) | (1u << 13) | (1u << 19) |
			      (1u << 20) | (1u << 21) | (1u << 23) | (1u << 24) | (1u << 25) |
			      (1u << 31);

	e = cpuid_find(c, 1, 0);
	if (e)
		e->ecx &= ecx1;
	for (uint32_t i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function == 7) {
			e->ebx = e->ecx = e->edx = 0;
			if (e->index == 0)
				e->eax = 0; /* no further subleaves */
		}
		if (e->function == 0xd) {
			if (e->index == 0) {
				e->eax &= 3; /* x87 and SSE state only */
				e->edx = 0;
				e->ebx = e->ecx = 576;
			} else if (e->index == 1) {
				e->eax &= 1; /* XSAVEOPT */
			} else {
				e->eax = e->ebx = e->ecx = e->edx = 0;
			}
		}
	}
	e = cpuid_find(c, 0x80000001, 0);
	if (e) {
		e->ecx &= (1u << 0) | (1u << 1) | (1u << 5); /* LAHF, CmpLegacy, LZCNT */
		e->edx &= (1u << 11) | (1u << 20) | (1u << 27) | (1u << 29) | 0x0183fbffu;
	}
}

static void hide_pmu(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xa, 0);

	if (e)
		e->eax = e->ebx = e->ecx = e->edx = 0;
	e = cpuid_find(c, 0x80000001, 0);
	if (e)
		e->ecx &= ~(1u << 23); /* PerfCtrExtCore */
	e = cpuid_find(c, 0x80000022, 0);
	if (e)
		e->eax = e->ebx = e->ecx = e->edx = 0;
}

/* Append an entry the host did not list (zeroed; the patch fills it). */
static struct kvm_cpuid_entry2 *ensure(struct kvm_cpuid2 *c, unsigned int capacity, uint32_t fn,
				       uint32_t idx, bool indexed)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, idx);

	if (e && (!indexed || e->index == idx))
		return e;
	if (c->nent >= capacity)
		return NULL;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

static bool is_amd(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 0, 0);

	/* "AuthenticAMD" or "HygonGenuine": ebx "Auth"/"Hygo" */
	return e && (e->ebx == 0x68747541 || e->ebx == 0x6f677948);
}

/*
 * The topology leaves must all be there for the guest to see SMT, cores and
 * dies: leaf 0xb with its levels (and 0x1f for dies); on AMD, TOPOEXT with
 * 0x8000001e, which Linux reads for threads per core. A nested or emulated
 * host may list fewer, so add what is missing.
 */
static void ensure_topology_leaves(struct kvm_cpuid2 *c, unsigned int capacity,
				   const struct topo *o)
{
	struct kvm_cpuid_entry2 *e, *l0 = cpuid_find(c, 0, 0), *x0 = cpuid_find(c, 0x80000000, 0);

	if (l0 && l0->eax >= 0xb)
		for (uint32_t i = 0; i < 3; i++)
			ensure(c, capacity, 0xb, i, true);
	if (l0 && l0->eax >= 0x1f && o->dies > 1)
		for (uint32_t i = 0; i < 4; i++)
			ensure(c, capacity, 0x1f, i, true);
	if (!is_amd(c) || !x0)
		return;
	if (x0->eax < 0x8000001e)
		x0->eax = 0x8000001e;
	if (ensure(c, capacity, 0x8000001e, 0, false)) {
		e = cpuid_find(c, 0x80000001, 0);
		if (e)
			e->ecx |= 1u << 22; /* TOPOEXT */
	}
}

void cpuid_patch(struct kvm_cpuid2 *c, unsigned int capacity, unsigned int index,
		 const struct cpuid_topology *t)
{
	struct topo o = topo_of(t);
	unsigned int apic = cpuid_apic_id(t, index);
	unsigned int pkg_bits = o.tbits + o.cbits + o.dbits;
	unsigned int per_pkg = o.threads * o.cores * o.dies;
	unsigned int core_in_pkg = (index / o.threads) % (o.cores * o.dies);
	struct kvm_cpuid_entry2 *e;

	ensure_topology_leaves(c, capacity, &o);
	if (t->model_base)
		apply_baseline(c);
	if (t->pmu_off)
		hide_pmu(c);
	e = cpuid_find(c, 1, 0);
	if (e) {
		e->ebx &= 0x0000ffff; /* keep brand index and CLFLUSH size */
		e->ebx |= apic << 24;
		/* addressable logical IDs per package: an 8-bit field, so 256 (129-255 vCPUs in
		 * one package) is given as 255 rather than spilling into the APIC ID above it */
		e->ebx |= ((1u << pkg_bits) > 0xff ? 0xff : (1u << pkg_bits)) << 16;
		if (per_pkg > 1)
			e->edx |= 1u << 28; /* HTT: more than one logical CPU per package */
		else
			e->edx &= ~(1u << 28);
		e->ecx |= 1u << 31; /* running on a hypervisor */
	}
	patch_cache_leaf(c, 4, &o);
	patch_cache_leaf(c, 0x8000001d, &o);
	e = cpuid_find(c, 0xd, 0);
	if (e && !t->model_base) {
		/* XSAVE area size for the enabled XCR0: KVM refreshes it only when
		 * features beyond x87/SSE/AVX change, so a guest that enables AVX
		 * would read the x87/SSE size and warn. Report the size for every
		 * supported feature, as the guest's XCR0 ends up with all of them. */
		e->ebx = e->ecx;
	}
	patch_ext_topology(c, 0xb, apic, &o);
	patch_ext_topology(c, 0x1f, apic, &o);

	e = cpuid_find(c, 0x80000001, 0);
	if (e) {
		if (per_pkg > 1)
			e->ecx |= 1u << 1; /* CmpLegacy */
		else
			e->ecx &= ~(1u << 1);
	}
	e = cpuid_find(c, 0x80000008, 0);
	if (e) {
		e->ecx &= ~0xf0ffu;
		e->ecx |= (per_pkg - 1) & 0xff; /* NC: logical CPUs per package - 1 */
		e->ecx |= pkg_bits << 12; /* ApicIdCoreIdSize */
	}
	e = cpuid_find(c, 0x8000001e, 0);
	if (e) {
		unsigned int node = index / (o.threads * o.cores);

		e->eax = apic;
		e->ebx = (core_in_pkg & 0xff) | ((o.threads - 1) << 8); /* core id, threads per core - 1 */
		e->ecx = (node & 0xff) | ((o.dies - 1) << 8); /* node (= die), nodes per package - 1 */
		e->edx = 0;
	}
}
