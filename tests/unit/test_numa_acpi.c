// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest NUMA in the ACPI tables, from the command-line options to the bytes:
 * --cpus/--memory/--numa parsed and validated, RAM laid out around the MMIO
 * hole, numa_acpi_params() and acpi_build() as vm.c runs them, then SRAT,
 * SLIT, MADT and the DSDT's _PXM read back and checked.
 */
#include <errno.h>
#include <stdarg.h>

#include "arch/x86/acpi.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "config/config.h"
#include "vmm/guest_mem.h"
#include "vmm/numa.h"
#include "unit.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static uint8_t area[LAYOUT_ACPI_SIZE];

/* What one build produced, read back from `area`. */
struct tables {
	struct vm_config cfg;
	struct guest_mem mem;
	uint32_t apic_ids[CONFIG_CPUS_MAX];
	unsigned int max;
};

static const void *at(uint64_t gpa)
{
	CHECK(gpa >= LAYOUT_ACPI && gpa < LAYOUT_ACPI + sizeof(area));
	if (gpa < LAYOUT_ACPI || gpa >= LAYOUT_ACPI + sizeof(area))
		return area;
	return area + (gpa - LAYOUT_ACPI);
}

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct acpi_sdt_header *find(const char *sig)
{
	const struct acpi_rsdp *rsdp = at(LAYOUT_ACPI);
	const struct acpi_sdt_header *xsdt = at(rsdp->xsdt_address);
	unsigned int n = (xsdt->length - sizeof(*xsdt)) / 8;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t p;
		const struct acpi_sdt_header *h;

		memcpy(&p, (const uint8_t *)(xsdt + 1) + i * 8, 8);
		h = at(p);
		if (!memcmp(h->signature, sig, 4))
			return h;
	}
	return NULL;
}

static const struct acpi_sdt_header *dsdt(void)
{
	const uint8_t *f = (const uint8_t *)find("FACP");
	uint32_t a;

	CHECK(f != NULL);
	if (!f)
		return NULL;
	memcpy(&a, f + 40, 4);
	return at(a);
}

/* Every table the XSDT lists, the DSDT and the RSDP sum to zero. */
static void check_checksums(void)
{
	const struct acpi_rsdp *rsdp = at(LAYOUT_ACPI);
	const struct acpi_sdt_header *xsdt = at(rsdp->xsdt_address);
	unsigned int n = (xsdt->length - sizeof(*xsdt)) / 8;
	const struct acpi_sdt_header *d = dsdt();

	CHECK_EQ(sum(rsdp, 20), 0);
	CHECK_EQ(sum(rsdp, sizeof(*rsdp)), 0);
	CHECK_EQ(sum(xsdt, xsdt->length), 0);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t p;
		const struct acpi_sdt_header *h;

		memcpy(&p, (const uint8_t *)(xsdt + 1) + i * 8, 8);
		h = at(p);
		CHECK_EQ(sum(h, h->length), 0);
	}
	if (d)
		CHECK_EQ(sum(d, d->length), 0);
}

/*
 * Parse the options as `kasou run` does (each --numa a separate string,
 * NULL-terminated), then build the tables as vm_load_guest() does.
 * 0, or the first parse error with its message in `err`.
 */
static int build_from(struct tables *t, char *err, const char *cpus, const char *memory, ...)
{
	struct acpi_params ap = { 0 };
	static uint8_t cpu_node[CONFIG_CPUS_MAX];
	struct cpuid_topology topo;
	const char *numa;
	va_list va;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	memset(cpu_node, 0xee, sizeof(cpu_node));
	config_init(&t->cfg);
	err[0] = 0;
	if (cpus && config_parse_cpus(cpus, &t->cfg, err))
		return -EINVAL;
	if (memory && config_parse_memory(memory, &t->cfg, err))
		return -EINVAL;
	va_start(va, memory);
	while (!rc && (numa = va_arg(va, const char *)))
		rc = config_parse_numa(numa, &t->cfg, err);
	va_end(va);
	if (rc || config_numa_finish(&t->cfg, err))
		return -EINVAL;

	t->max = config_max_cpus(&t->cfg);
	topo = (struct cpuid_topology){ .nr_cpus = t->max,
					.sockets = t->cfg.cpu.sockets,
					.dies = t->cfg.cpu.dies,
					.cores = t->cfg.cpu.cores,
					.threads = t->cfg.cpu.threads };
	for (unsigned int i = 0; i < t->max; i++)
		t->apic_ids[i] = cpuid_apic_id(&topo, i);
	guest_mem_layout(&t->mem, t->cfg.mem_size);

	ap.nr_cpus = t->cfg.cpus;
	ap.nr_possible = t->max;
	ap.apic_ids = t->apic_ids;
	ap.ecam_base = LAYOUT_PCI_ECAM;
	ap.ecam_size = LAYOUT_PCI_ECAM_SIZE;
	ap.mmio32_base = LAYOUT_PCI_MMIO32;
	ap.mmio32_size = LAYOUT_PCI_MMIO32_SIZE;
	ap.mmio64_base = 1ULL << 40;
	ap.mmio64_size = LAYOUT_PCI_MMIO64_SIZE;
	numa_acpi_params(&t->cfg, &t->mem, t->max, &ap, cpu_node);
	memset(area, 0xcc, sizeof(area));
	CHECK(acpi_build(area, sizeof(area), LAYOUT_ACPI, &ap) > 0);
	check_checksums();
	return 0;
}

#define BUILD(t, cpus, memory, ...)                                                   \
	do {                                                                          \
		char e_[CONFIG_ERR_LEN];                                              \
		int rc_ = build_from(t, e_, cpus, memory, __VA_ARGS__, NULL);         \
		CHECK_STR(e_, "");                                                    \
		CHECK_EQ(rc_, 0);                                                     \
	} while (0)

struct srat_cpu_entry {
	unsigned int domain, apic_id;
	uint32_t flags;
};

struct srat_mem_entry {
	unsigned int domain;
	uint64_t base, len;
	uint32_t flags;
};

struct srat {
	unsigned int nr_cpu, nr_mem;
	struct srat_cpu_entry cpu[CONFIG_CPUS_MAX];
	struct srat_mem_entry mem[32];
};

/* Walk the SRAT's affinity structures; false when it is missing or malformed. */
static bool read_srat(struct srat *s)
{
	const struct acpi_sdt_header *h = find("SRAT");
	const uint8_t *p, *end;
	uint32_t reserved1;

	memset(s, 0, sizeof(*s));
	CHECK(h != NULL);
	if (!h)
		return false;
	CHECK_EQ(h->revision, 3);
	p = (const uint8_t *)(h + 1);
	memcpy(&reserved1, p, 4);
	CHECK_EQ(reserved1, 1); /* "reserved, must be 1" for compatibility */
	p += 12;
	end = (const uint8_t *)h + h->length;
	while (p < end) {
		CHECK(p[1] >= 2 && p + p[1] <= end);
		if (p[1] < 2 || p + p[1] > end)
			return false;
		if (p[0] == 0) { /* Processor Local APIC/SAPIC Affinity */
			struct srat_cpu_entry *c = &s->cpu[s->nr_cpu++];

			CHECK_EQ(p[1], 16);
			c->domain = p[2] | (unsigned int)p[9] << 8 | (unsigned int)p[10] << 16 |
				    (unsigned int)p[11] << 24;
			c->apic_id = p[3];
			memcpy(&c->flags, p + 4, 4);
		} else if (p[0] == 1) { /* Memory Affinity */
			struct srat_mem_entry *m = &s->mem[s->nr_mem++];

			CHECK_EQ(p[1], 40);
			memcpy(&m->domain, p + 2, 4);
			memcpy(&m->base, p + 8, 8);
			memcpy(&m->len, p + 16, 8);
			memcpy(&m->flags, p + 28, 4);
		} else if (p[0] == 2) { /* Processor Local x2APIC Affinity */
			struct srat_cpu_entry *c = &s->cpu[s->nr_cpu++];

			CHECK_EQ(p[1], 24);
			memcpy(&c->domain, p + 4, 4);
			memcpy(&c->apic_id, p + 8, 4);
			memcpy(&c->flags, p + 12, 4);
		}
		p += p[1];
	}
	CHECK(p == end);
	return true;
}

/* The SLIT's matrix; its size, or 0 when missing. */
static unsigned int read_slit(uint8_t d[8][8])
{
	const struct acpi_sdt_header *h = find("SLIT");
	const uint8_t *p;
	uint64_t n;

	CHECK(h != NULL);
	if (!h)
		return 0;
	p = (const uint8_t *)(h + 1);
	memcpy(&n, p, 8);
	CHECK(n >= 1 && n <= 8);
	if (n < 1 || n > 8)
		return 0;
	CHECK_EQ(h->length, sizeof(*h) + 8 + n * n);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < n; j++)
			d[i][j] = p[8 + i * n + j];
	return (unsigned int)n;
}

struct madt_cpu {
	unsigned int uid, apic_id, flags;
};

/* The MADT's Processor Local APIC (type 0) and x2APIC (type 9) entries. */
static unsigned int read_madt(struct madt_cpu *out)
{
	const struct acpi_sdt_header *h = find("APIC");
	const uint8_t *p, *end;
	unsigned int n = 0;

	CHECK(h != NULL);
	if (!h)
		return 0;
	p = (const uint8_t *)(h + 1) + 8;
	end = (const uint8_t *)h + h->length;
	while (p < end && p[1] >= 2) {
		if (p[0] == 0) {
			uint32_t f;

			memcpy(&f, p + 4, 4);
			out[n++] = (struct madt_cpu){ .uid = p[2], .apic_id = p[3], .flags = f };
		} else if (p[0] == 9) {
			struct madt_cpu *c = &out[n++];

			memcpy(&c->apic_id, p + 4, 4);
			memcpy(&c->flags, p + 8, 4);
			memcpy(&c->uid, p + 12, 4);
		}
		p += p[1];
	}
	CHECK(p == end);
	return n;
}

/* The SRAT's processor entries: one per possible vCPU, in order, on its node. */
static void check_srat_cpus(const struct tables *t, const struct srat *s, const unsigned int *node)
{
	CHECK_EQ(s->nr_cpu, t->max);
	for (unsigned int i = 0; i < s->nr_cpu && i < t->max; i++) {
		CHECK_EQ(s->cpu[i].apic_id, t->apic_ids[i]);
		CHECK_EQ(s->cpu[i].domain, node[i]);
		CHECK_EQ(s->cpu[i].flags & 1, 1); /* enabled, hot-pluggable ones too */
	}
}

/*
 * The SRAT's memory entries: enabled, in guest-physical order, each inside
 * one RAM region (none in the MMIO hole), together exactly guest RAM, and
 * each node's share its --numa memory=.
 */
static void check_srat_mem(const struct tables *t, const struct srat *s)
{
	uint64_t per_node[CONFIG_MAX_NUMA] = { 0 }, total = 0;
	struct boot_e820_entry e820[32];
	int n;

	for (unsigned int i = 0; i < s->nr_mem; i++) {
		const struct srat_mem_entry *m = &s->mem[i];
		bool inside = false;

		CHECK_EQ(m->flags & 1, 1);
		CHECK(m->len > 0);
		CHECK(m->domain < t->cfg.nr_numa);
		if (i)
			CHECK(m->base >= s->mem[i - 1].base + s->mem[i - 1].len);
		for (unsigned int r = 0; r < t->mem.nr_regions; r++)
			inside |= m->base >= t->mem.regions[r].gpa &&
				  m->base + m->len <= t->mem.regions[r].gpa + t->mem.regions[r].size;
		CHECK(inside);
		CHECK(m->base + m->len <= LAYOUT_MMIO_HOLE || m->base >= 1ULL << 32);
		if (m->domain < CONFIG_MAX_NUMA)
			per_node[m->domain] += m->len;
		total += m->len;
	}
	CHECK_EQ(total, t->cfg.mem_size);
	for (unsigned int i = 0; i < t->cfg.nr_numa; i++)
		CHECK_EQ(per_node[t->cfg.numa[i].id], t->cfg.numa[i].size);
	/* every byte the guest's e820 calls RAM has a node */
	n = e820_build(&t->mem, e820, 32);
	CHECK(n > 0);
	for (int i = 0; i < n; i++) {
		uint64_t a = e820[i].addr, end = e820[i].addr + e820[i].size;

		if (e820[i].type != E820_RAM)
			continue;
		while (a < end) {
			bool found = false;

			for (unsigned int j = 0; j < s->nr_mem && !found; j++)
				if (a >= s->mem[j].base && a < s->mem[j].base + s->mem[j].len) {
					a = s->mem[j].base + s->mem[j].len;
					found = true;
				}
			CHECK(found);
			if (!found)
				break;
		}
	}
}

static void check_mem_entry(const struct srat *s, unsigned int i, unsigned int domain,
			    uint64_t base, uint64_t len)
{
	CHECK(i < s->nr_mem);
	if (i >= s->nr_mem)
		return;
	CHECK_EQ(s->mem[i].domain, domain);
	CHECK_EQ(s->mem[i].base, base);
	CHECK_EQ(s->mem[i].len, len);
}

/* The example from the issue: two nodes of two vCPUs and 256M each. */
TEST(two_nodes_srat)
{
	static struct tables t;
	static struct srat s;
	const unsigned int node[] = { 0, 0, 1, 1 };

	BUILD(&t, "4", "512M", "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-3,memory=256M");
	if (!read_srat(&s))
		return;
	check_srat_cpus(&t, &s, node);
	CHECK_EQ(s.nr_mem, 2);
	check_mem_entry(&s, 0, 0, 0, 256 * MiB);
	check_mem_entry(&s, 1, 1, 256 * MiB, 256 * MiB);
	check_srat_mem(&t, &s);
	config_free(&t.cfg);
}

TEST(two_nodes_slit_default)
{
	static struct tables t;
	uint8_t d[8][8];

	BUILD(&t, "4", "512M", "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-3,memory=256M");
	CHECK_EQ(read_slit(d), 2);
	CHECK_EQ(d[0][0], 10);
	CHECK_EQ(d[1][1], 10);
	CHECK_EQ(d[0][1], 20);
	CHECK_EQ(d[1][0], 20);
	CHECK_EQ(find("SLIT")->revision, 1);
	config_free(&t.cfg);
}

TEST(two_nodes_slit_requested)
{
	static struct tables t;
	uint8_t d[8][8];

	BUILD(&t, "4", "512M", "node=0,cpus=0-1,memory=256M,distance=0@10:1@20",
	      "node=1,cpus=2-3,memory=256M,distance=0@20:1@10");
	CHECK_EQ(read_slit(d), 2);
	CHECK_EQ(d[0][0], 10);
	CHECK_EQ(d[0][1], 20);
	CHECK_EQ(d[1][0], 20);
	CHECK_EQ(d[1][1], 10);
	config_free(&t.cfg);
}

/* Four nodes, distances given one way only: the SLIT holds them both ways. */
TEST(slit_symmetric_from_one_direction)
{
	static struct tables t;
	uint8_t d[8][8];
	static const uint8_t want[4][4] = {
		{ 10, 15, 30, 40 },
		{ 15, 10, 25, 20 },
		{ 30, 25, 10, 20 },
		{ 40, 20, 20, 10 },
	};

	BUILD(&t, "4", "1G", "node=0,cpus=0,memory=256M,distance=1@15:2@30:3@40",
	      "node=1,cpus=1,memory=256M,distance=2@25", "node=2,cpus=2,memory=256M",
	      "node=3,cpus=3,memory=256M");
	CHECK_EQ(read_slit(d), 4);
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int j = 0; j < 4; j++) {
			CHECK_EQ(d[i][j], want[i][j]);
			CHECK_EQ(d[i][j], d[j][i]);
		}
	config_free(&t.cfg);
}

TEST(no_numa_no_srat_slit_pxm)
{
	static struct tables t;
	const struct acpi_sdt_header *d;

	BUILD(&t, "4", "512M", (const char *)NULL);
	CHECK(find("SRAT") == NULL);
	CHECK(find("SLIT") == NULL);
	CHECK(find("APIC") != NULL);
	CHECK(find("MCFG") != NULL);
	d = dsdt();
	if (d) {
		CHECK(memmem(d, d->length, "PCI0", 4) != NULL);
		CHECK(memmem(d, d->length, "_PXM", 4) == NULL);
	}
	config_free(&t.cfg);
}

/* The PCI host bridge says which node its devices are on (node 0). */
TEST(pxm_for_pci)
{
	static struct tables t;
	const struct acpi_sdt_header *d;
	const uint8_t *pxm;

	BUILD(&t, "4", "512M", "node=0,cpus=0-1,memory=256M", "node=1,cpus=2-3,memory=256M");
	d = dsdt();
	if (!d)
		return;
	pxm = memmem(d, d->length, "_PXM", 4);
	CHECK(pxm != NULL);
	/* inside Device (PCI0), after its _HID: NameOp "_PXM" ZeroOp */
	CHECK(pxm && pxm > (const uint8_t *)memmem(d, d->length, "PCI0", 4));
	if (pxm) {
		CHECK_EQ(pxm[-1], 0x08); /* NameOp */
		CHECK_EQ(pxm[4], 0x00); /* ZeroOp: proximity domain 0 */
	}
	config_free(&t.cfg);
}

/* The MADT and the SRAT name the same APIC IDs, in the same (vCPU) order. */
static void check_madt_matches_srat(const struct tables *t, const struct srat *s)
{
	static struct madt_cpu m[CONFIG_CPUS_MAX];
	unsigned int n = read_madt(m);

	CHECK_EQ(n, t->max);
	CHECK_EQ(n, s->nr_cpu);
	for (unsigned int i = 0; i < n && i < s->nr_cpu; i++) {
		CHECK_EQ(m[i].apic_id, s->cpu[i].apic_id);
		CHECK_EQ(m[i].apic_id, t->apic_ids[i]);
		CHECK_EQ(m[i].uid, i);
		/* boot vCPUs enabled; the rest online-capable (hotplug), not enabled */
		CHECK_EQ(m[i].flags, i < t->cfg.cpus ? 1u : 2u);
	}
}

/* Three cores per socket: APIC IDs 0,1,2 and 4,5,6 (the core field is 2 bits). */
TEST(madt_matches_srat_sparse_apic_ids)
{
	static struct tables t;
	static struct srat s;
	const unsigned int node[] = { 0, 0, 0, 1, 1, 1 };
	const uint32_t ids[] = { 0, 1, 2, 4, 5, 6 };

	BUILD(&t, "boot=4,max=6,topology=2:1:3:1", "1G", "node=0,cpus=0-2,memory=512M",
	      "node=1,cpus=3-5,memory=512M");
	for (unsigned int i = 0; i < 6; i++)
		CHECK_EQ(t.apic_ids[i], ids[i]);
	if (!read_srat(&s))
		return;
	check_srat_cpus(&t, &s, node);
	check_madt_matches_srat(&t, &s);
	check_srat_mem(&t, &s);
	config_free(&t.cfg);
}

/* SMT: threads of a core share it; nodes by socket. */
TEST(madt_matches_srat_smt)
{
	static struct tables t;
	static struct srat s;
	const unsigned int node[] = { 0, 0, 0, 0, 1, 1, 1, 1 };

	BUILD(&t, "boot=8,topology=2:1:2:2", "2G", "node=0,cpus=0-3,memory=1G",
	      "node=1,cpus=4-7,memory=1G");
	if (!read_srat(&s))
		return;
	check_srat_cpus(&t, &s, node);
	check_madt_matches_srat(&t, &s);
	config_free(&t.cfg);
}

/* vCPUs interleaved over the nodes, nodes listed out of order. */
TEST(interleaved_cpus_nodes_out_of_order)
{
	static struct tables t;
	static struct srat s;
	const unsigned int node[] = { 0, 1, 0, 1 };

	BUILD(&t, "4", "768M", "node=1,cpus=1,,3,memory=512M", "node=0,cpus=[0,2],memory=256M");
	if (!read_srat(&s))
		return;
	check_srat_cpus(&t, &s, node);
	/* node 0 still takes the low RAM: slices go in node-id order */
	CHECK_EQ(s.nr_mem, 2);
	check_mem_entry(&s, 0, 0, 0, 256 * MiB);
	check_mem_entry(&s, 1, 1, 256 * MiB, 512 * MiB);
	check_srat_mem(&t, &s);
	config_free(&t.cfg);
}

/* 4G of RAM: 3G below the hole, 1G at 4G; node 1's slice is split around the hole. */
TEST(pci_hole_splits_a_node)
{
	static struct tables t;
	static struct srat s;

	BUILD(&t, "4", "4G", "node=0,cpus=0-1,memory=2G", "node=1,cpus=2-3,memory=2G");
	CHECK_EQ(t.mem.nr_regions, 2);
	if (!read_srat(&s))
		return;
	CHECK_EQ(s.nr_mem, 3);
	check_mem_entry(&s, 0, 0, 0, 2 * GiB);
	check_mem_entry(&s, 1, 1, 2 * GiB, 1 * GiB);
	check_mem_entry(&s, 2, 1, 4 * GiB, 1 * GiB);
	check_srat_mem(&t, &s);
	config_free(&t.cfg);
}

/* Node 0 itself spans the hole, node 1 is all above it. */
TEST(pci_hole_node0_spans)
{
	static struct tables t;
	static struct srat s;

	BUILD(&t, "2", "5G", "node=0,cpus=0,memory=3584M", "node=1,cpus=1,memory=1536M");
	if (!read_srat(&s))
		return;
	CHECK_EQ(s.nr_mem, 3);
	check_mem_entry(&s, 0, 0, 0, 3 * GiB);
	check_mem_entry(&s, 1, 0, 4 * GiB, 512 * MiB);
	check_mem_entry(&s, 2, 1, 4 * GiB + 512 * MiB, 1536 * MiB);
	check_srat_mem(&t, &s);
	config_free(&t.cfg);
}

/* A boundary exactly at the hole: no empty range on either side. */
TEST(pci_hole_boundary_exact)
{
	static struct tables t;
	static struct srat s;

	BUILD(&t, "2", "4G", "node=0,cpus=0,memory=3G", "node=1,cpus=1,memory=1G");
	if (!read_srat(&s))
		return;
	CHECK_EQ(s.nr_mem, 2);
	check_mem_entry(&s, 0, 0, 0, 3 * GiB);
	check_mem_entry(&s, 1, 1, 4 * GiB, 1 * GiB);
	check_srat_mem(&t, &s);
	config_free(&t.cfg);
}

/* Eight nodes (the most): eight vCPUs, every table still fits the ACPI area. */
TEST(eight_nodes)
{
	static struct tables t;
	static struct srat s;
	uint8_t d[8][8];
	const unsigned int node[] = { 0, 1, 2, 3, 4, 5, 6, 7 };

	BUILD(&t, "8", "5G", "node=0,cpus=0,memory=640M", "node=1,cpus=1,memory=640M",
	      "node=2,cpus=2,memory=640M", "node=3,cpus=3,memory=640M", "node=4,cpus=4,memory=640M",
	      "node=5,cpus=5,memory=640M", "node=6,cpus=6,memory=640M", "node=7,cpus=7,memory=640M");
	if (!read_srat(&s))
		return;
	check_srat_cpus(&t, &s, node);
	CHECK_EQ(s.nr_mem, 9); /* node 4 straddles the hole */
	check_mem_entry(&s, 3, 3, 1920 * MiB, 640 * MiB);
	check_mem_entry(&s, 4, 4, 2560 * MiB, 512 * MiB);
	check_mem_entry(&s, 5, 4, 4 * GiB, 128 * MiB);
	check_mem_entry(&s, 6, 5, 4 * GiB + 128 * MiB, 640 * MiB);
	check_mem_entry(&s, 8, 7, 4 * GiB + 1408 * MiB, 640 * MiB);
	check_srat_mem(&t, &s);
	CHECK_EQ(read_slit(d), 8);
	for (unsigned int i = 0; i < 8; i++)
		for (unsigned int j = 0; j < 8; j++)
			CHECK_EQ(d[i][j], i == j ? 10 : 20);
	config_free(&t.cfg);
}

/* numa_acpi_params leaves the params alone without --numa. */
TEST(params_without_numa)
{
	struct vm_config cfg;
	struct guest_mem mem = { 0 };
	struct acpi_params ap = { .nr_cpus = 2 };
	uint8_t cpu_node[2] = { 7, 7 };

	config_init(&cfg);
	guest_mem_layout(&mem, cfg.mem_size);
	numa_acpi_params(&cfg, &mem, 2, &ap, cpu_node);
	CHECK_EQ(ap.nr_numa, 0);
	CHECK_EQ(ap.nr_mem_ranges, 0);
	CHECK(ap.cpu_node == NULL);
	CHECK_EQ(cpu_node[0], 7);
	config_free(&cfg);
}

/* Bad NUMA configs never reach the table builder. */
TEST(bad_configs_refused)
{
	static struct tables t;
	char err[CONFIG_ERR_LEN];

	CHECK_EQ(build_from(&t, err, "4", "512M", "node=0,cpus=0-1,memory=256M",
			    "node=1,cpus=2-3,memory=128M", NULL),
		 -EINVAL);
	CHECK(strstr(err, "adds up to 384M, --memory is 512M") != NULL);
	config_free(&t.cfg);
	CHECK_EQ(build_from(&t, err, "4", "512M", "node=0,cpus=0-2,memory=256M",
			    "node=1,cpus=2-3,memory=256M", NULL),
		 -EINVAL);
	CHECK(strstr(err, "a vCPU is in two nodes") != NULL);
	config_free(&t.cfg);
	CHECK_EQ(build_from(&t, err, "4", "512M", "node=0,cpus=0-1,memory=256M",
			    "node=1,cpus=2-3,memory=256M,distance=1@20", NULL),
		 -EINVAL);
	CHECK(strstr(err, "distance to itself must be 10") != NULL);
	config_free(&t.cfg);
}

UNIT_MAIN("numa_acpi", T(two_nodes_srat), T(two_nodes_slit_default), T(two_nodes_slit_requested),
	  T(slit_symmetric_from_one_direction), T(no_numa_no_srat_slit_pxm), T(pxm_for_pci),
	  T(madt_matches_srat_sparse_apic_ids), T(madt_matches_srat_smt),
	  T(interleaved_cpus_nodes_out_of_order), T(pci_hole_splits_a_node), T(pci_hole_node0_spans),
	  T(pci_hole_boundary_exact), T(eight_nodes), T(params_without_numa), T(bad_configs_refused))
