// SPDX-License-Identifier: GPL-2.0-only
/* PIO/MMIO range registration and dispatch. */
#include <errno.h>

#include "bus/bus.h"
#include "unit.h"

struct dev {
	unsigned int reads, writes;
	uint64_t last_off;
	unsigned int last_size;
	uint8_t last_data;
};

static void dev_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	struct dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_size = size;
	memset(data, 0x40 + (int)off, size);
}

static void dev_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	struct dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_size = size;
	d->last_data = data[0];
}

static const struct bus_ops dev_ops = { .read = dev_read, .write = dev_write };
static const struct bus_ops write_only_ops = { .write = dev_write };

TEST(register_and_overlap)
{
	static struct bus b;
	struct dev d = { 0 };

	memset(&b, 0, sizeof(b));
	CHECK_EQ(bus_register(&b, 0x3f8, 8, &dev_ops, &d, "com1"), 0);
	CHECK_EQ(bus_register(&b, 0x3f8, 8, &dev_ops, &d, "dup"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0x3f0, 9, &dev_ops, &d, "low"), -EEXIST); /* last byte */
	CHECK_EQ(bus_register(&b, 0x3ff, 1, &dev_ops, &d, "high"), -EEXIST); /* first byte */
	CHECK_EQ(bus_register(&b, 0x3fa, 1, &dev_ops, &d, "inside"), -EEXIST);
	CHECK_EQ(bus_register(&b, 0x300, 0x200, &dev_ops, &d, "around"), -EEXIST);
	/* adjacent on both sides is fine */
	CHECK_EQ(bus_register(&b, 0x3f0, 8, &dev_ops, &d, "below"), 0);
	CHECK_EQ(bus_register(&b, 0x400, 8, &dev_ops, &d, "above"), 0);
	CHECK_EQ(b.nr, 3);
	CHECK_STR(b.ranges[0].name, "com1");
}

TEST(register_invalid)
{
	static struct bus b;
	struct dev d = { 0 };

	memset(&b, 0, sizeof(b));
	CHECK_EQ(bus_register(&b, 0x80, 0, &dev_ops, &d, "empty"), -EINVAL);
	CHECK_EQ(bus_register(&b, UINT64_MAX - 3, 8, &dev_ops, &d, "wraps"), -EINVAL);
	CHECK_EQ(b.nr, 0);
	/* a range ending just below 2^64 is fine */
	CHECK_EQ(bus_register(&b, UINT64_MAX - 7, 7, &dev_ops, &d, "top"), 0);
}

TEST(register_full)
{
	static struct bus b;
	struct dev d = { 0 };
	unsigned int bad = 0;

	memset(&b, 0, sizeof(b));
	for (unsigned int i = 0; i < BUS_MAX_RANGES; i++)
		if (bus_register(&b, 0x1000 + i * 0x10, 0x10, &dev_ops, &d, "dev"))
			bad++;
	CHECK_EQ(bad, 0);
	CHECK_EQ(b.nr, BUS_MAX_RANGES);
	CHECK_EQ(bus_register(&b, 0x9000, 0x10, &dev_ops, &d, "one too many"), -ENOSPC);
	CHECK_EQ(b.nr, BUS_MAX_RANGES);
}

TEST(dispatch_relative_offset)
{
	static struct bus b;
	struct dev a = { 0 }, c = { 0 };
	uint8_t v[4] = { 0 }, w = 0x5a;

	memset(&b, 0, sizeof(b));
	CHECK_EQ(bus_register(&b, 0x600, 0x24, &dev_ops, &a, "pm"), 0);
	CHECK_EQ(bus_register(&b, 0xd0000000ULL, 0x1000, &dev_ops, &c, "mmio"), 0);
	CHECK(bus_read(&b, 0x608, v, 4));
	CHECK_EQ(a.reads, 1);
	CHECK_EQ(a.last_off, 8);
	CHECK_EQ(a.last_size, 4);
	CHECK_EQ(v[0], 0x48);
	CHECK_EQ(v[3], 0x48);
	CHECK(bus_write(&b, 0x604, &w, 1));
	CHECK_EQ(a.writes, 1);
	CHECK_EQ(a.last_off, 4);
	CHECK_EQ(a.last_data, 0x5a);
	CHECK(bus_write(&b, 0xd0000ffcULL, &w, 4));
	CHECK_EQ(c.writes, 1);
	CHECK_EQ(c.last_off, 0xffc);
	CHECK_EQ(c.last_size, 4);
	CHECK_EQ(a.writes, 1);
	CHECK_EQ(b.unhandled, 0);
}

TEST(partial_accesses_miss)
{
	static struct bus b;
	struct dev d = { 0 };
	uint8_t v[8];

	memset(&b, 0, sizeof(b));
	CHECK_EQ(bus_register(&b, 0x600, 0x24, &dev_ops, &d, "pm"), 0);
	CHECK(bus_read(&b, 0x620, v, 4)); /* the last four bytes */
	CHECK(!bus_read(&b, 0x622, v, 4)); /* runs off the end */
	CHECK(!bus_read(&b, 0x5fe, v, 4)); /* starts before the base */
	CHECK(!bus_read(&b, 0x620, v, 8));
	CHECK(!bus_write(&b, 0x623, v, 2));
	CHECK(!bus_write(&b, 0x624, v, 1));
	CHECK_EQ(d.reads, 1);
	CHECK_EQ(d.writes, 0);
	CHECK_EQ(b.unhandled, 5);
}

TEST(unclaimed_reads_all_ones)
{
	static struct bus b;
	struct dev d = { 0 };
	uint8_t v[8] = { 0 };

	memset(&b, 0, sizeof(b));
	CHECK(!bus_read(&b, 0x80, v, 1));
	CHECK_EQ(v[0], 0xff);
	CHECK_EQ(v[1], 0);
	CHECK_EQ(b.unhandled, 1);
	CHECK_EQ(bus_register(&b, 0x70, 2, &dev_ops, &d, "rtc"), 0);
	CHECK(!bus_read(&b, 0x1000, v, 8));
	CHECK_EQ(v[0], 0xff);
	CHECK_EQ(v[7], 0xff);
	CHECK(!bus_write(&b, 0x1000, v, 8));
	CHECK_EQ(b.unhandled, 3);
	CHECK_EQ(d.reads + d.writes, 0);
}

TEST(missing_callback_is_unhandled)
{
	static struct bus b;
	struct dev d = { 0 };
	uint8_t v[2] = { 0, 0 }, w = 1;

	memset(&b, 0, sizeof(b));
	CHECK_EQ(bus_register(&b, 0x80, 1, &write_only_ops, &d, "post"), 0);
	CHECK(!bus_read(&b, 0x80, v, 1));
	CHECK_EQ(v[0], 0xff);
	CHECK(bus_write(&b, 0x80, &w, 1));
	CHECK_EQ(d.writes, 1);
	CHECK_EQ(b.unhandled, 1);
}

UNIT_MAIN("bus", T(register_and_overlap), T(register_invalid), T(register_full),
	  T(dispatch_relative_offset), T(partial_accesses_miss), T(unclaimed_reads_all_ones),
	  T(missing_callback_is_unhandled))
