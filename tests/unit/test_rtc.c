// SPDX-License-Identifier: GPL-2.0-only
/* CMOS RTC: clock fields in BCD/binary/12-hour, status registers, NVRAM. */
#include "hw/rtc.h"
#include "unit.h"

/* 2026-11-26 13:45:07 UTC, a Thursday */
#define FIXED_TIME ((time_t)1795700707)

static time_t fake_clock = FIXED_TIME;

static time_t fixed_now(void)
{
	return fake_clock;
}

static void setup(struct rtc *r)
{
	rtc_init(r);
	fake_clock = FIXED_TIME;
	r->now = fixed_now;
}

static uint8_t rd(struct rtc *r, uint8_t idx)
{
	uint8_t v = 0;

	rtc_ops.write(r, 0, &idx, 1);
	rtc_ops.read(r, 1, &v, 1);
	return v;
}

static void wr(struct rtc *r, uint8_t idx, uint8_t v)
{
	rtc_ops.write(r, 0, &idx, 1);
	rtc_ops.write(r, 1, &v, 1);
}

TEST(bcd_fields)
{
	static struct rtc r;

	setup(&r);
	CHECK_EQ(rd(&r, 0x00), 0x07);
	CHECK_EQ(rd(&r, 0x02), 0x45);
	CHECK_EQ(rd(&r, 0x04), 0x13);
	CHECK_EQ(rd(&r, 0x06), 0x05); /* Sunday = 1 */
	CHECK_EQ(rd(&r, 0x07), 0x26);
	CHECK_EQ(rd(&r, 0x08), 0x11);
	CHECK_EQ(rd(&r, 0x09), 0x26);
	CHECK_EQ(rd(&r, 0x32), 0x20);
	/* the clock follows the host */
	fake_clock += 60 * 60 * 24 * 5 + 3; /* 2026-12-01 13:45:10 */
	CHECK_EQ(rd(&r, 0x00), 0x10);
	CHECK_EQ(rd(&r, 0x07), 0x01);
	CHECK_EQ(rd(&r, 0x08), 0x12);
	rtc_destroy(&r);
}

TEST(binary_mode)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x0b, 0x06); /* DM binary | 24h */
	CHECK_EQ(rd(&r, 0x0b), 0x06);
	CHECK_EQ(rd(&r, 0x00), 7);
	CHECK_EQ(rd(&r, 0x02), 45);
	CHECK_EQ(rd(&r, 0x04), 13);
	CHECK_EQ(rd(&r, 0x06), 5);
	CHECK_EQ(rd(&r, 0x07), 26);
	CHECK_EQ(rd(&r, 0x08), 11);
	CHECK_EQ(rd(&r, 0x09), 26);
	CHECK_EQ(rd(&r, 0x32), 20);
	rtc_destroy(&r);
}

TEST(twelve_hour_mode)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x0b, 0x00); /* BCD, 12h */
	CHECK_EQ(rd(&r, 0x04), 0x81); /* 1 PM */
	CHECK_EQ(rd(&r, 0x02), 0x45);
	wr(&r, 0x0b, 0x04); /* binary, 12h */
	CHECK_EQ(rd(&r, 0x04), 0x81);
	/* 00:xx is 12 AM, 12:xx is 12 PM */
	wr(&r, 0x0b, 0x00);
	fake_clock = FIXED_TIME - 13 * 3600;
	CHECK_EQ(rd(&r, 0x04), 0x12);
	fake_clock = FIXED_TIME - 3600;
	CHECK_EQ(rd(&r, 0x04), 0x92);
	fake_clock = FIXED_TIME - 2 * 3600;
	CHECK_EQ(rd(&r, 0x04), 0x11);
	fake_clock = FIXED_TIME + 10 * 3600; /* 23:45 */
	CHECK_EQ(rd(&r, 0x04), 0x91);
	rtc_destroy(&r);
}

TEST(status_registers)
{
	static struct rtc r;

	setup(&r);
	CHECK_EQ(rd(&r, 0x0a) & 0x80, 0); /* never update-in-progress */
	CHECK_EQ(rd(&r, 0x0a), 0x26);
	wr(&r, 0x0a, 0xff); /* ignored, UIP stays clear */
	CHECK_EQ(rd(&r, 0x0a) & 0x80, 0);
	CHECK_EQ(rd(&r, 0x0b), 0x02); /* 24h, BCD after reset */
	CHECK_EQ(rd(&r, 0x0c), 0);
	CHECK_EQ(rd(&r, 0x0d) & 0x80, 0x80); /* valid RAM and time */
	wr(&r, 0x0d, 0x00);
	CHECK_EQ(rd(&r, 0x0d) & 0x80, 0x80);
	rtc_destroy(&r);
}

TEST(nvram_reads_back)
{
	static struct rtc r;
	unsigned int bad = 0;

	setup(&r);
	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != 0x32) /* the century byte is a clock field */
			wr(&r, (uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != 0x32 && rd(&r, (uint8_t)i) != (uint8_t)(i ^ 0xa5))
			bad++;
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd(&r, 0x32), 0x20);
	/* the clock was not disturbed by NVRAM writes */
	CHECK_EQ(r.offset, 0);
	CHECK_EQ(rd(&r, 0x04), 0x13);
	rtc_destroy(&r);
}

TEST(index_port_masks_nmi_bit)
{
	static struct rtc r;
	uint8_t idx = 0x80 | 0x20, v = 0x5c, out = 0, wide[2] = { 0, 0 };

	setup(&r);
	rtc_ops.write(&r, 0, &idx, 1);
	CHECK_EQ(r.index, 0x20);
	rtc_ops.write(&r, 1, &v, 1);
	CHECK_EQ(r.cmos[0x20], 0x5c);
	idx = 0x20;
	rtc_ops.write(&r, 0, &idx, 1);
	rtc_ops.read(&r, 1, &out, 1);
	CHECK_EQ(out, 0x5c);
	/* 0x80 | seconds selects the seconds register, NMI masked */
	idx = 0x80;
	rtc_ops.write(&r, 0, &idx, 1);
	rtc_ops.read(&r, 1, &out, 1);
	CHECK_EQ(out, 0x07);
	/* the index port itself reads as 0xff; wide reads pad with 0xff */
	rtc_ops.read(&r, 0, &out, 1);
	CHECK_EQ(out, 0xff);
	rtc_ops.read(&r, 1, wide, 2);
	CHECK_EQ(wide[0], 0x07);
	CHECK_EQ(wide[1], 0xff);
	rtc_destroy(&r);
}

TEST(set_year_keeps_other_fields)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x09, 0x31);
	CHECK_EQ(rd(&r, 0x09), 0x31);
	CHECK_EQ(rd(&r, 0x32), 0x20);
	CHECK_EQ(rd(&r, 0x08), 0x11);
	CHECK_EQ(rd(&r, 0x07), 0x26);
	CHECK_EQ(rd(&r, 0x04), 0x13);
	CHECK_EQ(rd(&r, 0x02), 0x45);
	CHECK_EQ(rd(&r, 0x00), 0x07);
	CHECK_EQ(rd(&r, 0x06), 0x04); /* 2031-11-26 is a Wednesday */
	CHECK(r.offset > 0);
	/* the offset survives the host clock moving on */
	fake_clock += 2;
	CHECK_EQ(rd(&r, 0x00), 0x09);
	CHECK_EQ(rd(&r, 0x09), 0x31);
	rtc_destroy(&r);
}

TEST(set_hour_keeps_other_fields)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x04, 0x02);
	CHECK_EQ(rd(&r, 0x04), 0x02);
	CHECK_EQ(rd(&r, 0x02), 0x45);
	CHECK_EQ(rd(&r, 0x00), 0x07);
	CHECK_EQ(rd(&r, 0x07), 0x26);
	CHECK_EQ(rd(&r, 0x08), 0x11);
	CHECK_EQ(rd(&r, 0x09), 0x26);
	CHECK_EQ(r.offset, -11 * 3600);
	rtc_destroy(&r);
}

TEST(set_hour_twelve_hour_mode)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x0b, 0x00);
	wr(&r, 0x04, 0x83); /* 3 PM */
	CHECK_EQ(rd(&r, 0x04), 0x83);
	CHECK_EQ(r.offset, 2 * 3600);
	wr(&r, 0x04, 0x12); /* 12 AM */
	CHECK_EQ(rd(&r, 0x04), 0x12);
	wr(&r, 0x0b, 0x02);
	CHECK_EQ(rd(&r, 0x04), 0x00);
	CHECK_EQ(rd(&r, 0x07), 0x26);
	rtc_destroy(&r);
}

TEST(set_binary_fields)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x0b, 0x06);
	wr(&r, 0x02, 59);
	wr(&r, 0x00, 30);
	CHECK_EQ(rd(&r, 0x02), 59);
	CHECK_EQ(rd(&r, 0x00), 30);
	CHECK_EQ(rd(&r, 0x04), 13);
	CHECK_EQ(r.offset, 14 * 60 + 23);
	rtc_destroy(&r);
}

/* Guests write the date one field at a time with SET held in register B;
 * an intermediate date that does not exist must not leak into the result. */
static void set_date_linux_order(struct rtc *r, uint8_t yy, uint8_t mm, uint8_t dd)
{
	wr(r, 0x0b, 0x82);
	wr(r, 0x09, yy);
	wr(r, 0x08, mm);
	wr(r, 0x07, dd);
	wr(r, 0x04, 0x10);
	wr(r, 0x02, 0x20);
	wr(r, 0x00, 0x30);
	wr(r, 0x0b, 0x02);
}

static void set_date_ascending_order(struct rtc *r, uint8_t yy, uint8_t mm, uint8_t dd)
{
	wr(r, 0x0b, 0x82);
	wr(r, 0x00, 0x30);
	wr(r, 0x02, 0x20);
	wr(r, 0x04, 0x10);
	wr(r, 0x07, dd);
	wr(r, 0x08, mm);
	wr(r, 0x09, yy);
	wr(r, 0x0b, 0x02);
}

TEST(set_date_through_invalid_intermediate)
{
	static struct rtc r;

	setup(&r);
	/* from 2026-03-31 to 2026-02-15: "Feb 31" on the way (year, month, day) */
	fake_clock = 1774962000; /* 2026-03-31 13:00:00 */
	set_date_linux_order(&r, 0x26, 0x02, 0x15);
	CHECK_EQ(rd(&r, 0x08), 0x02);
	CHECK_EQ(rd(&r, 0x07), 0x15);
	CHECK_EQ(rd(&r, 0x09), 0x26);
	CHECK_EQ(rd(&r, 0x04), 0x10);
	CHECK_EQ(rd(&r, 0x02), 0x20);
	CHECK_EQ(rd(&r, 0x00), 0x30);
	rtc_destroy(&r);

	setup(&r);
	/* from 2026-02-10 to 2026-03-31: "Feb 31" on the way (day, month, year) */
	fake_clock = 1770728400; /* 2026-02-10 13:00:00 */
	set_date_ascending_order(&r, 0x26, 0x03, 0x31);
	CHECK_EQ(rd(&r, 0x08), 0x03);
	CHECK_EQ(rd(&r, 0x07), 0x31);
	CHECK_EQ(rd(&r, 0x09), 0x26);
	CHECK_EQ(rd(&r, 0x04), 0x10);
	rtc_destroy(&r);
}

TEST(set_bit_freezes_clock_until_cleared)
{
	static struct rtc r;

	setup(&r);
	wr(&r, 0x0b, 0x82);
	CHECK_EQ(rd(&r, 0x0b), 0x82);
	wr(&r, 0x00, 0x00);
	fake_clock += 5; /* the guest is slow between writes */
	wr(&r, 0x02, 0x10);
	CHECK_EQ(rd(&r, 0x00), 0x00);
	CHECK_EQ(rd(&r, 0x02), 0x10);
	wr(&r, 0x0b, 0x02);
	/* the clock restarts from exactly what was written */
	CHECK_EQ(rd(&r, 0x00), 0x00);
	CHECK_EQ(rd(&r, 0x02), 0x10);
	CHECK_EQ(rd(&r, 0x04), 0x13);
	fake_clock += 1;
	CHECK_EQ(rd(&r, 0x00), 0x01);
	rtc_destroy(&r);
}

UNIT_MAIN("rtc", T(bcd_fields), T(binary_mode), T(twelve_hour_mode), T(status_registers),
	  T(nvram_reads_back), T(index_port_masks_nmi_bit), T(set_year_keeps_other_fields),
	  T(set_hour_keeps_other_fields), T(set_hour_twelve_hour_mode), T(set_binary_fields),
	  T(set_date_through_invalid_intermediate), T(set_bit_freezes_clock_until_cleared))
