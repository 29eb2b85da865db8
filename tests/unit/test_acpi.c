// SPDX-License-Identifier: GPL-2.0-only
/* ACPI tables: checksums, lengths, pointers, MADT contents, FADT fields. */
#include <errno.h>

#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"
#include "unit.h"

static uint8_t area[LAYOUT_ACPI_SIZE];

static void *at(uint64_t gpa)
{
	CHECK(gpa >= LAYOUT_ACPI && gpa < LAYOUT_ACPI + sizeof(area));
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

static void build(unsigned int ncpu)
{
	struct acpi_params p = { .nr_cpus = ncpu };

	memset(area, 0xcc, sizeof(area));
	CHECK(acpi_build(area, sizeof(area), LAYOUT_ACPI, &p) > 0);
}

TEST(rsdp)
{
	const struct acpi_rsdp *r = at(LAYOUT_ACPI);

	build(1);
	CHECK(!memcmp(r->signature, "RSD PTR ", 8));
	CHECK_EQ(r->revision, 2);
	CHECK_EQ(r->length, 36);
	CHECK_EQ(sum(r, 20), 0);
	CHECK_EQ(sum(r, 36), 0);
	CHECK_EQ(LAYOUT_ACPI & 15, 0); /* the guest scans on 16-byte boundaries */
}

TEST(every_table_checksums)
{
	const char *sigs[] = { "FACP", "APIC" };
	const struct acpi_rsdp *r = at(LAYOUT_ACPI);
	const struct acpi_sdt_header *x;

	build(4);
	x = at(r->xsdt_address);
	CHECK(!memcmp(x->signature, "XSDT", 4));
	CHECK_EQ(x->length, sizeof(*x) + 2 * 8);
	CHECK_EQ(sum(x, x->length), 0);
	for (size_t i = 0; i < 2; i++) {
		const struct acpi_sdt_header *h = find(sigs[i]);

		CHECK(h != NULL);
		if (h)
			CHECK_EQ(sum(h, h->length), 0);
	}
}

TEST(fadt)
{
	const uint8_t *f;
	const struct acpi_sdt_header *dsdt;
	uint32_t dsdt32, pm1a_cnt, flags;
	uint16_t sci;

	build(1);
	f = (const uint8_t *)find("FACP");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(((const struct acpi_sdt_header *)f)->length, 276);
	memcpy(&dsdt32, f + 40, 4);
	memcpy(&sci, f + 46, 2);
	memcpy(&pm1a_cnt, f + 64, 4);
	memcpy(&flags, f + 112, 4);
	CHECK_EQ(sci, IRQ_SCI);
	CHECK_EQ(pm1a_cnt, PORT_PM_CNT);
	CHECK(flags & (1u << 10)); /* RESET_REG_SUP */
	CHECK_EQ(f[116], 1); /* reset register in I/O space */
	CHECK_EQ(f[120], PORT_RESET & 0xff);
	CHECK_EQ(f[128], 6); /* reset value */
	dsdt = at(dsdt32);
	CHECK(!memcmp(dsdt->signature, "DSDT", 4));
	CHECK_EQ(sum(dsdt, dsdt->length), 0);
	/* \_S5 gives SLP_TYP 5, what hw/pm.c powers off on */
	CHECK(memmem(dsdt, dsdt->length, "_S5_", 4) != NULL);
}

static void check_madt(unsigned int ncpu)
{
	const struct acpi_sdt_header *m;
	const uint8_t *p, *end;
	unsigned int lapics = 0, ioapics = 0, isos = 0;

	build(ncpu);
	m = find("APIC");
	CHECK(m != NULL);
	if (!m)
		return;
	p = (const uint8_t *)m + sizeof(*m) + 8;
	end = (const uint8_t *)m + m->length;
	while (p < end) {
		CHECK(p[1] >= 2 && p + p[1] <= end);
		if (p[1] < 2)
			break;
		if (p[0] == 0) {
			CHECK_EQ(p[3], lapics); /* APIC ID == vCPU index */
			CHECK_EQ(p[4] & 1, 1); /* enabled */
			lapics++;
		}
		ioapics += p[0] == 1;
		isos += p[0] == 2;
		p += p[1];
	}
	CHECK(p == end);
	CHECK_EQ(lapics, ncpu);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(isos, 2);
}

TEST(madt_1)
{
	check_madt(1);
}

TEST(madt_4)
{
	check_madt(4);
}

TEST(madt_255)
{
	check_madt(255);
}

TEST(no_room)
{
	struct acpi_params p = { .nr_cpus = 4 };

	CHECK_EQ(acpi_build(area, 100, LAYOUT_ACPI, &p), -ENOSPC);
	CHECK_EQ(acpi_build(area, 400, LAYOUT_ACPI, &p), -ENOSPC);
}

UNIT_MAIN("acpi", T(rsdp), T(every_table_checksums), T(fadt), T(madt_1), T(madt_4), T(madt_255),
	  T(no_room))
