// SPDX-License-Identifier: GPL-2.0-only
/* Guest RAM layout around the MMIO hole and the checked gpa -> hva translation. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "vmm/guest_mem.h"
#include "unit.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define HOLE (3 * GiB)
#define HIGH (4 * GiB)

/* Host offset of a translation; ~0 when it failed. */
static uint64_t hoff(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gpa_to_hva(m, gpa, len);

	return p ? (uint64_t)(p - m->host) : ~0ULL;
}

/*
 * Big layouts get a PROT_NONE reservation as `host`: real addresses, so the
 * pointer arithmetic is well defined, but no memory behind them and nothing
 * is ever dereferenced. NULL when the address space is not there.
 */
static uint8_t *reserve(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST(layout_128m)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 128 * MiB);
	CHECK_EQ(m.size, 128 * MiB);
	CHECK_EQ(m.nr_regions, 1);
	CHECK_EQ(m.regions[0].gpa, 0);
	CHECK_EQ(m.regions[0].size, 128 * MiB);
	CHECK_EQ(m.regions[0].offset, 0);
	CHECK_EQ(guest_mem_low_size(&m), 128 * MiB);
}

TEST(layout_3g_exactly)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 3 * GiB);
	CHECK_EQ(m.nr_regions, 1);
	CHECK_EQ(m.regions[0].size, 3 * GiB);
	CHECK_EQ(guest_mem_low_size(&m), 3 * GiB);
	/* no host mapping: every translation fails, in range or not */
	CHECK(gpa_to_hva(&m, 0, 1) == NULL);
}

TEST(layout_3g_plus_4k)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 3 * GiB + 4096);
	CHECK_EQ(m.size, 3 * GiB + 4096);
	CHECK_EQ(m.nr_regions, 2);
	CHECK_EQ(m.regions[0].gpa, 0);
	CHECK_EQ(m.regions[0].size, 3 * GiB);
	CHECK_EQ(m.regions[0].offset, 0);
	CHECK_EQ(m.regions[1].gpa, HIGH);
	CHECK_EQ(m.regions[1].size, 4096);
	CHECK_EQ(m.regions[1].offset, 3 * GiB);
	CHECK_EQ(guest_mem_low_size(&m), 3 * GiB);
}

TEST(layout_4g)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 4 * GiB);
	CHECK_EQ(m.nr_regions, 2);
	CHECK_EQ(m.regions[0].size, 3 * GiB);
	CHECK_EQ(m.regions[1].gpa, HIGH);
	CHECK_EQ(m.regions[1].size, 1 * GiB);
	CHECK_EQ(m.regions[1].offset, 3 * GiB);
	/* the regions add up to the RAM size */
	CHECK_EQ(m.regions[0].size + m.regions[1].size, m.size);
}

TEST(translate_4g_regions)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 4 * GiB);
	m.host = reserve(m.size);
	if (!m.host)
		SKIP_TEST("cannot reserve 4 GiB of address space");
	CHECK_EQ(hoff(&m, 0, 1), 0);
	CHECK_EQ(hoff(&m, 0x1000, 0x1000), 0x1000);
	/* last byte below the hole */
	CHECK_EQ(hoff(&m, HOLE - 1, 1), HOLE - 1);
	CHECK_EQ(hoff(&m, HOLE - 4096, 4096), HOLE - 4096);
	/* into, inside and across the hole */
	CHECK_EQ(hoff(&m, HOLE - 1, 2), ~0ULL);
	CHECK_EQ(hoff(&m, HOLE, 1), ~0ULL);
	CHECK_EQ(hoff(&m, 0xfec00000, 4), ~0ULL);
	CHECK_EQ(hoff(&m, HIGH - 1, 1), ~0ULL);
	CHECK_EQ(hoff(&m, HIGH - 1, 2), ~0ULL); /* starts in the hole, ends in RAM */
	CHECK_EQ(hoff(&m, HOLE - 4096, GiB + 8192), ~0ULL); /* spans the hole */
	/* the high region maps right after the low one in the host buffer */
	CHECK_EQ(hoff(&m, HIGH, 1), 3 * GiB);
	CHECK_EQ(hoff(&m, HIGH + 0x1234, 16), 3 * GiB + 0x1234);
	CHECK_EQ(hoff(&m, HIGH + GiB - 1, 1), 4 * GiB - 1);
	CHECK_EQ(hoff(&m, HIGH, GiB), 3 * GiB);
	CHECK_EQ(hoff(&m, HIGH + GiB, 1), ~0ULL);
	CHECK_EQ(hoff(&m, HIGH + GiB - 1, 2), ~0ULL);
	CHECK_EQ(hoff(&m, HIGH, GiB + 1), ~0ULL);
	CHECK_EQ(hoff(&m, HIGH, UINT64_MAX), ~0ULL);
	CHECK_EQ(hoff(&m, UINT64_MAX, 1), ~0ULL);
	CHECK_EQ(hoff(&m, UINT64_MAX - 4095, 4096), ~0ULL);
	munmap(m.host, m.size);
}

TEST(translate_3g_plus_4k)
{
	struct guest_mem m = { 0 };

	guest_mem_layout(&m, 3 * GiB + 4096);
	m.host = reserve(m.size);
	if (!m.host)
		SKIP_TEST("cannot reserve 3 GiB of address space");
	CHECK_EQ(hoff(&m, HIGH, 4096), 3 * GiB);
	CHECK_EQ(hoff(&m, HIGH + 4095, 1), 3 * GiB + 4095);
	CHECK_EQ(hoff(&m, HIGH, 4097), ~0ULL);
	CHECK_EQ(hoff(&m, HIGH + 4096, 1), ~0ULL);
	CHECK_EQ(hoff(&m, HOLE, 1), ~0ULL);
	munmap(m.host, m.size);
}

TEST(translate_128m_boundaries)
{
	struct guest_mem m;
	const uint64_t end = 128 * MiB;

	CHECK_EQ(guest_mem_create(&m, end), 0);
	if (!m.host)
		return; /* the failure is recorded above */
	CHECK(((uintptr_t)m.host & ((2u << 20) - 1)) == 0); /* 2 MiB aligned for THP */
	CHECK(gpa_to_hva(&m, 0, end) == m.host);
	CHECK(gpa_to_hva(&m, end - 1, 1) == m.host + end - 1);
	CHECK(gpa_to_hva(&m, end, 1) == NULL);
	CHECK(gpa_to_hva(&m, end - 4, 8) == NULL); /* straddles the end */
	CHECK(gpa_to_hva(&m, 0, end + 1) == NULL);
	CHECK(gpa_to_hva(&m, 0, UINT64_MAX) == NULL);
	CHECK(gpa_to_hva(&m, 1, UINT64_MAX) == NULL); /* gpa + len wraps to 0 */
	CHECK(gpa_to_hva(&m, end - 1, UINT64_MAX) == NULL);
	CHECK(gpa_to_hva(&m, UINT64_MAX, 1) == NULL);
	CHECK(gpa_to_hva(&m, HOLE, 1) == NULL);
	CHECK(gpa_to_hva(&m, HIGH, 1) == NULL);
	/* an empty range inside RAM is fine; one past the end is not RAM */
	CHECK(gpa_to_hva(&m, end - 1, 0) == m.host + end - 1);
	CHECK(gpa_to_hva(&m, 0, 0) == m.host);
	CHECK(gpa_to_hva(&m, end, 0) == NULL);
	guest_mem_destroy(&m);
	CHECK(m.host == NULL);
	CHECK_EQ(m.fd, -1);
}

TEST(read_write_copy_helpers)
{
	struct guest_mem m;
	const uint64_t end = 2 * MiB;
	const char msg[] = "kasou";
	char buf[8] = { 0 };
	uint8_t sentinel[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	CHECK_EQ(guest_mem_create(&m, end), 0);
	if (!m.host)
		return; /* the failure is recorded above */
	/* fresh memory is zero */
	CHECK_EQ(m.host[0], 0);
	CHECK_EQ(m.host[end - 1], 0);
	CHECK_EQ(guest_mem_write(&m, 0x1000, msg, sizeof(msg)), 0);
	CHECK_EQ(guest_mem_read(&m, 0x1000, buf, sizeof(msg)), 0);
	CHECK_STR(buf, "kasou");
	CHECK_STR((char *)m.host + 0x1000, "kasou");
	/* last bytes of RAM */
	CHECK_EQ(guest_mem_write(&m, end - 4, sentinel, 4), 0);
	CHECK_EQ(m.host[end - 1], 0xaa);
	/* out of range: -EFAULT and nothing copied */
	memset(buf, 0x11, sizeof(buf));
	CHECK_EQ(guest_mem_write(&m, end - 2, msg, 4), -EFAULT);
	CHECK_EQ(guest_mem_read(&m, end - 2, buf, 4), -EFAULT);
	CHECK_EQ(buf[0], 0x11);
	CHECK_EQ(m.host[end - 2], 0xaa);
	CHECK_EQ(guest_mem_write(&m, end, msg, 1), -EFAULT);
	CHECK_EQ(guest_mem_read(&m, HOLE, buf, 1), -EFAULT);
	CHECK_EQ(guest_mem_read(&m, 0, buf, UINT64_MAX), -EFAULT);
	CHECK_EQ(guest_mem_write(&m, UINT64_MAX, msg, 1), -EFAULT);
	CHECK_EQ(guest_mem_read(&m, end - 1, buf, 0), 0);
	guest_mem_destroy(&m);
}

TEST(copy_helpers_without_mapping)
{
	struct guest_mem m = { 0 };
	char buf[4] = { 0 };

	guest_mem_layout(&m, 4 * GiB);
	CHECK_EQ(guest_mem_read(&m, 0, buf, 1), -EFAULT);
	CHECK_EQ(guest_mem_write(&m, HIGH, buf, 1), -EFAULT);
}

UNIT_MAIN("guest_mem", T(layout_128m), T(layout_3g_exactly), T(layout_3g_plus_4k), T(layout_4g),
	  T(translate_4g_regions), T(translate_3g_plus_4k), T(translate_128m_boundaries),
	  T(read_write_copy_helpers), T(copy_helpers_without_mapping))
