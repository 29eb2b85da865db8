// SPDX-License-Identifier: GPL-2.0-only
/* e820 layout for memory sizes around the 32-bit hole. */
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "unit.h"

/* Layout invariants every map must keep; returns RAM bytes. */
static uint64_t check_map(const struct boot_e820_entry *t, int n, uint64_t size)
{
	uint64_t ram = 0;

	CHECK(n > 0);
	for (int i = 0; i < n; i++) {
		CHECK(t[i].size > 0);
		if (i)
			CHECK(t[i].addr >= t[i - 1].addr + t[i - 1].size); /* sorted, no overlap */
		if (t[i].type == E820_RAM) {
			ram += t[i].size;
			/* no RAM inside the MMIO hole */
			CHECK(t[i].addr + t[i].size <= LAYOUT_MMIO_HOLE || t[i].addr >= 1ULL << 32);
		}
	}
	/* all RAM is reported except the legacy area 0x9fc00-0x100000 */
	CHECK_EQ(ram, size - (LAYOUT_HIGHMEM - LAYOUT_EBDA));
	return ram;
}

static int build(uint64_t size, struct boot_e820_entry *t)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, size);
	return e820_build(&m, t, 128);
}

TEST(small)
{
	struct boot_e820_entry t[128];
	int n = build(128ULL << 20, t);

	CHECK_EQ(n, 5);
	check_map(t, n, 128ULL << 20);
	CHECK_EQ(t[0].addr, 0);
	CHECK_EQ(t[0].size, LAYOUT_EBDA);
	CHECK_EQ(t[2].addr, LAYOUT_ACPI);
	CHECK_EQ(t[2].type, E820_RESERVED);
	CHECK_EQ(t[3].addr + t[3].size, 128ULL << 20);
}

TEST(exactly_hole)
{
	struct boot_e820_entry t[128];
	int n = build(LAYOUT_MMIO_HOLE, t);

	CHECK_EQ(n, 5);
	check_map(t, n, LAYOUT_MMIO_HOLE);
	CHECK_EQ(t[3].addr + t[3].size, LAYOUT_MMIO_HOLE);
}

TEST(just_above_hole)
{
	struct boot_e820_entry t[128];
	int n = build(LAYOUT_MMIO_HOLE + 4096, t);

	CHECK_EQ(n, 6);
	check_map(t, n, LAYOUT_MMIO_HOLE + 4096);
	CHECK_EQ(t[4].addr, LAYOUT_PCI_ECAM);
	CHECK_EQ(t[4].type, E820_RESERVED);
	CHECK_EQ(t[5].addr, 1ULL << 32);
	CHECK_EQ(t[5].size, 4096);
	CHECK_EQ(t[5].type, E820_RAM);
}

TEST(large)
{
	struct boot_e820_entry t[128];
	uint64_t size = 64ULL << 30;
	int n = build(size, t);

	CHECK_EQ(n, 6);
	check_map(t, n, size);
	CHECK_EQ(t[5].addr + t[5].size, (1ULL << 32) + size - LAYOUT_MMIO_HOLE);
}

TEST(table_too_small)
{
	struct boot_e820_entry t[3];
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 4ULL << 30);
	CHECK(e820_build(&m, t, 3) < 0);
}

UNIT_MAIN("e820", T(small), T(exactly_hole), T(just_above_hole), T(large), T(table_too_small))
