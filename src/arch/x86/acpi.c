// SPDX-License-Identifier: GPL-2.0-only
#include "arch/x86/acpi.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id; /* 0 memory, 1 I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_sdt_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk,
		gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len,
		gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk,
		x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk, sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT is 276 bytes in ACPI 6");

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5) /* no fixed sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8) /* 32-bit PM timer */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_NO_VGA (1u << 2)

struct madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;
} __attribute__((packed));
struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));
struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));
struct madt_lapic_nmi {
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

#define MADT_PCAT_COMPAT 1u
#define ISO_ACTIVE_HIGH_LEVEL 0x000d /* polarity 01 high, trigger 11 level */

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void header_init(struct acpi_sdt_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "KASOU ", 6);
	memcpy(h->oem_table_id, "KASOUVM ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "KSOU", 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = acpi_checksum(h, len);
}

/* A simple bump allocator over the table area, 16-byte aligned. */
struct acpi_buf {
	uint8_t *base;
	size_t size, used;
	uint64_t gpa;
};

static void *acpi_alloc(struct acpi_buf *b, size_t len, uint64_t *gpa)
{
	size_t off = (b->used + 15) & ~(size_t)15;

	if (off > b->size || len > b->size - off)
		return NULL;
	b->used = off + len;
	*gpa = b->gpa + off;
	memset(b->base + off, 0, len);
	return b->base + off;
}

static void gas_io(struct acpi_gas *g, uint16_t port, uint8_t bytes)
{
	g->space_id = 1;
	g->bit_width = (uint8_t)(bytes * 8);
	g->bit_offset = 0;
	g->access_size = bytes == 4 ? 3 : bytes == 2 ? 2 : 1;
	g->address = port;
}

static int build_fadt(struct acpi_buf *b, uint64_t dsdt_gpa, uint64_t *gpa)
{
	struct acpi_fadt *f = acpi_alloc(b, sizeof(*f), gpa);

	if (!f)
		return -ENOSPC;
	f->dsdt = (uint32_t)dsdt_gpa;
	f->x_dsdt = dsdt_gpa;
	f->sci_int = IRQ_SCI;
	f->smi_cmd = 0; /* no SMM: the hardware is always in ACPI mode (SCI_EN = 1) */
	f->pm1a_evt_blk = PORT_PM_EVT;
	f->pm1_evt_len = 4;
	gas_io(&f->x_pm1a_evt_blk, PORT_PM_EVT, 4);
	f->x_pm1a_evt_blk.access_size = 2;
	f->x_pm1a_evt_blk.bit_width = 32;
	f->pm1a_cnt_blk = PORT_PM_CNT;
	f->pm1_cnt_len = 2;
	gas_io(&f->x_pm1a_cnt_blk, PORT_PM_CNT, 2);
	f->pm_tmr_blk = PORT_PM_TMR;
	f->pm_tmr_len = 4;
	gas_io(&f->x_pm_tmr_blk, PORT_PM_TMR, 4);
	f->gpe0_blk = PORT_GPE0;
	f->gpe0_blk_len = 4;
	gas_io(&f->x_gpe0_blk, PORT_GPE0, 4);
	f->x_gpe0_blk.access_size = 1;
	f->x_gpe0_blk.bit_width = 32;
	f->p_lvl2_lat = 101; /* > 100: C2 not supported */
	f->p_lvl3_lat = 1001; /* > 1000: C3 not supported */
	f->century = 0x32;
	f->iapc_boot_arch = BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_NO_VGA; /* no 8042 */
	f->flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_TMR_VAL_EXT |
		   FADT_F_RESET_REG_SUP;
	gas_io(&f->reset_reg, PORT_RESET, 1);
	f->reset_value = 0x06; /* CF9: full reset + reset CPU */
	f->minor_version = 3;
	memcpy(&f->hypervisor_id, "KASOU\0\0\0", 8);
	header_init(&f->h, "FACP", sizeof(*f), 6);
	return 0;
}

static int build_madt(struct acpi_buf *b, const struct acpi_params *ap, uint64_t *gpa)
{
	unsigned int ncpu = ap->apic_ids && ap->nr_possible ? ap->nr_possible : ap->nr_cpus;
	size_t len = sizeof(struct acpi_sdt_header) + 8 + ncpu * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
		     sizeof(struct madt_lapic_nmi);
	uint8_t *t = acpi_alloc(b, len, gpa), *p;
	struct madt_ioapic io = { .type = 1, .length = sizeof(io), .id = 0,
				  .address = (uint32_t)LAYOUT_IOAPIC, .gsi_base = 0 };
	struct madt_iso iso0 = { .type = 2, .length = sizeof(iso0), .source = 0, .gsi = 2 };
	struct madt_iso iso9 = { .type = 2, .length = sizeof(iso9), .source = IRQ_SCI,
				 .gsi = IRQ_SCI, .flags = ISO_ACTIVE_HIGH_LEVEL };
	struct madt_lapic_nmi nmi = { .type = 4, .length = sizeof(nmi), .processor_uid = 0xff,
				      .lint = 1 };
	uint32_t lapic_addr = (uint32_t)LAYOUT_LAPIC, flags = MADT_PCAT_COMPAT;

	if (!t)
		return -ENOSPC;
	p = t + sizeof(struct acpi_sdt_header);
	memcpy(p, &lapic_addr, 4);
	memcpy(p + 4, &flags, 4);
	p += 8;
	for (unsigned int i = 0; i < ncpu; i++) {
		/* past the boot vCPUs: not enabled but online-capable (ACPI 6.3), so the
		 * guest counts them as possible CPUs for hotplug */
		struct madt_lapic l = { .type = 0, .length = sizeof(l), .processor_uid = (uint8_t)i,
					.apic_id = (uint8_t)(ap->apic_ids ? ap->apic_ids[i] : i),
					.flags = i < ap->nr_cpus ? 1 : 2 };
		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	memcpy(p, &iso0, sizeof(iso0));
	p += sizeof(iso0);
	memcpy(p, &iso9, sizeof(iso9));
	p += sizeof(iso9);
	memcpy(p, &nmi, sizeof(nmi));
	header_init((struct acpi_sdt_header *)t, "APIC", (uint32_t)len, 5);
	return 0;
}

static int build_dsdt(struct acpi_buf *b, const struct acpi_params *p, uint64_t *gpa)
{
	size_t off = (b->used + 15) & ~(size_t)15;
	struct acpi_sdt_header *h;
	long n;

	if (off > b->size || b->size - off < sizeof(*h))
		return -ENOSPC;
	n = dsdt_build(b->base + off + sizeof(*h), b->size - off - sizeof(*h), p);
	if (n < 0)
		return -ENOSPC;
	h = acpi_alloc(b, sizeof(*h) + (size_t)n, gpa);
	if (!h)
		return -ENOSPC;
	/*
	 * acpi_alloc zeroed the area: write the body again, with the same room
	 * as the first pass (each PkgLength reserves 4 bytes until its end is
	 * known, so the writer briefly needs more than the final n bytes).
	 */
	if (dsdt_build((uint8_t *)(h + 1), b->size - off - sizeof(*h), p) != n)
		return -ENOSPC;
	header_init(h, "DSDT", (uint32_t)(sizeof(*h) + (size_t)n), 2);
	return 0;
}

struct acpi_mcfg {
	struct acpi_sdt_header h;
	uint64_t reserved;
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved2;
} __attribute__((packed));

static int build_mcfg(struct acpi_buf *b, const struct acpi_params *p, uint64_t *gpa)
{
	struct acpi_mcfg *m = acpi_alloc(b, sizeof(*m), gpa);

	if (!m)
		return -ENOSPC;
	m->base = p->ecam_base;
	m->segment = 0;
	m->start_bus = 0;
	m->end_bus = (uint8_t)((p->ecam_size >> 20) - 1); /* 1 MiB of ECAM per bus */
	header_init(&m->h, "MCFG", sizeof(*m), 1);
	return 0;
}

struct srat_cpu {
	uint8_t type, length, domain_lo, apic_id;
	uint32_t flags;
	uint8_t sapic_eid, domain_hi[3];
	uint32_t clock_domain;
} __attribute__((packed));

struct srat_mem {
	uint8_t type, length;
	uint32_t domain;
	uint16_t reserved1;
	uint64_t base, len;
	uint32_t reserved2, flags;
	uint64_t reserved3;
} __attribute__((packed));

_Static_assert(sizeof(struct srat_cpu) == 16, "SRAT processor affinity is 16 bytes");
_Static_assert(sizeof(struct srat_mem) == 40, "SRAT memory affinity is 40 bytes");

/* SRAT: which node each vCPU (by APIC ID) and each RAM range belongs to. */
static int build_srat(struct acpi_buf *b, const struct acpi_params *p, uint64_t *gpa)
{
	unsigned int ncpu = p->nr_possible ? p->nr_possible : p->nr_cpus;
	size_t len = sizeof(struct acpi_sdt_header) + 12 + ncpu * sizeof(struct srat_cpu) +
		     p->nr_mem_ranges * sizeof(struct srat_mem);
	uint8_t *t = acpi_alloc(b, len, gpa), *q;
	uint32_t one = 1;

	if (!t)
		return -ENOSPC;
	q = t + sizeof(struct acpi_sdt_header);
	memcpy(q, &one, 4); /* reserved, 1 for compatibility */
	q += 12;
	for (unsigned int i = 0; i < ncpu; i++) {
		struct srat_cpu c = { .type = 0, .length = sizeof(c),
				      .domain_lo = p->cpu_node ? p->cpu_node[i] : 0,
				      .apic_id = (uint8_t)(p->apic_ids ? p->apic_ids[i] : i),
				      .flags = 1 };

		memcpy(q, &c, sizeof(c));
		q += sizeof(c);
	}
	for (unsigned int i = 0; i < p->nr_mem_ranges; i++) {
		struct srat_mem m = { .type = 1, .length = sizeof(m), .domain = p->mem_ranges[i].node,
				      .base = p->mem_ranges[i].base, .len = p->mem_ranges[i].len,
				      .flags = 1 };

		memcpy(q, &m, sizeof(m));
		q += sizeof(m);
	}
	header_init((struct acpi_sdt_header *)t, "SRAT", (uint32_t)len, 3);
	return 0;
}

/* SLIT: relative distances, 10 on the diagonal, 20 elsewhere unless set; a distance
 * given in one direction only (node 0 distance=1@30) holds both ways. */
static int build_slit(struct acpi_buf *b, const struct acpi_params *p, uint64_t *gpa)
{
	unsigned int n = p->nr_numa;
	size_t len = sizeof(struct acpi_sdt_header) + 8 + (size_t)n * n;
	uint8_t *t = acpi_alloc(b, len, gpa), *q;
	uint64_t localities = n;

	if (!t)
		return -ENOSPC;
	q = t + sizeof(struct acpi_sdt_header);
	memcpy(q, &localities, 8);
	q += 8;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < n; j++) {
			uint8_t d = p->distance[i][j] ? p->distance[i][j] : p->distance[j][i];

			*q++ = d ? d : i == j ? 10 : 20;
		}
	header_init((struct acpi_sdt_header *)t, "SLIT", (uint32_t)len, 1);
	return 0;
}

long acpi_build(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_params *p)
{
	struct acpi_buf b = { .base = buf, .size = size, .used = 0, .gpa = gpa };
	struct acpi_rsdp *rsdp;
	struct acpi_sdt_header *xsdt;
	uint64_t rsdp_gpa, dsdt_gpa, xsdt_gpa;
	uint64_t entries[5];
	unsigned int n = 2;

	rsdp = acpi_alloc(&b, sizeof(*rsdp), &rsdp_gpa);
	if (!rsdp || build_dsdt(&b, p, &dsdt_gpa))
		return -ENOSPC;
	if (build_fadt(&b, dsdt_gpa, &entries[0]) || build_madt(&b, p, &entries[1]))
		return -ENOSPC;
	if (p->ecam_size && build_mcfg(&b, p, &entries[n++]))
		return -ENOSPC;
	if (p->nr_numa && (build_srat(&b, p, &entries[n++]) || build_slit(&b, p, &entries[n++])))
		return -ENOSPC;
	xsdt = acpi_alloc(&b, sizeof(*xsdt) + n * 8, &xsdt_gpa);
	if (!xsdt)
		return -ENOSPC;
	memcpy(xsdt + 1, entries, n * 8);
	header_init(xsdt, "XSDT", (uint32_t)(sizeof(*xsdt) + n * 8), 1);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "KASOU ", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return (long)b.used;
}
