// SPDX-License-Identifier: GPL-2.0-only
#include "hw/rtc.h"

#include <string.h>

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define REG_B_SET 0x80
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_D_VRT 0x80

static time_t host_now(void)
{
	return time(NULL);
}

void rtc_init(struct rtc *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->reg_b = REG_B_24H;
	r->now = host_now;
}

void rtc_destroy(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t rtc_encode(const struct rtc *r, unsigned int v)
{
	return (r->reg_b & REG_B_DM_BINARY) ? (uint8_t)v : to_bcd(v);
}

static unsigned int rtc_decode(const struct rtc *r, uint8_t v)
{
	return (r->reg_b & REG_B_DM_BINARY) ? v : from_bcd(v);
}

static uint8_t rtc_hours(const struct rtc *r, int h)
{
	int pm;

	if (r->reg_b & REG_B_24H)
		return rtc_encode(r, (unsigned int)h);
	pm = h >= 12;
	h %= 12;
	return (uint8_t)(rtc_encode(r, (unsigned int)(h ? h : 12)) | (pm ? 0x80 : 0));
}

/* The guest's clock now; frozen at what the guest wrote while SET is held. */
static void rtc_clock(const struct rtc *r, struct tm *tm)
{
	time_t t = r->now() + r->offset;

	if (r->reg_b & REG_B_SET)
		*tm = r->held;
	else
		gmtime_r(&t, tm);
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t idx)
{
	struct tm tm;

	rtc_clock(r, &tm);
	switch (idx) {
	case RTC_SECONDS:
		return rtc_encode(r, (unsigned int)tm.tm_sec);
	case RTC_MINUTES:
		return rtc_encode(r, (unsigned int)tm.tm_min);
	case RTC_HOURS:
		return rtc_hours(r, tm.tm_hour);
	case RTC_WEEKDAY:
		return rtc_encode(r, (unsigned int)tm.tm_wday + 1);
	case RTC_DAY:
		return rtc_encode(r, (unsigned int)tm.tm_mday);
	case RTC_MONTH:
		return rtc_encode(r, (unsigned int)tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(r, (unsigned int)(tm.tm_year % 100));
	case RTC_CENTURY:
		return rtc_encode(r, (unsigned int)(1900 + tm.tm_year) / 100);
	case RTC_REG_A:
		return 0x26; /* 32.768 kHz base, 1024 Hz rate, never update-in-progress */
	case RTC_REG_B:
		return r->reg_b;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		return r->cmos[idx];
	}
}

/* Move the offset so that the clock reads `tm` now. */
static void rtc_set_clock(struct rtc *r, struct tm *tm)
{
	time_t nt = timegm(tm);

	if (nt != (time_t)-1)
		r->offset = (int64_t)(nt - r->now());
}

/*
 * The guest sets one field. With SET held (how Linux and the BSDs set the
 * clock) the field goes into the frozen copy, applied when SET is released:
 * a date that passes through a day that does not exist ("Feb 31" between the
 * month and the day writes) must not be normalised into another month.
 * Without SET, the offset moves so that the field reads back as set.
 */
static void rtc_set_field(struct rtc *r, uint8_t idx, uint8_t v)
{
	struct tm tm;
	unsigned int val;

	rtc_clock(r, &tm);
	if (idx == RTC_HOURS && !(r->reg_b & REG_B_24H)) {
		val = rtc_decode(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
	} else {
		val = rtc_decode(r, v);
	}
	switch (idx) {
	case RTC_SECONDS:
		tm.tm_sec = (int)val;
		break;
	case RTC_MINUTES:
		tm.tm_min = (int)val;
		break;
	case RTC_HOURS:
		tm.tm_hour = (int)val;
		break;
	case RTC_DAY:
		tm.tm_mday = (int)val;
		break;
	case RTC_MONTH:
		tm.tm_mon = (int)val - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = (tm.tm_year / 100) * 100 + (int)val;
		break;
	case RTC_CENTURY:
		tm.tm_year = ((int)val * 100 - 1900) + tm.tm_year % 100;
		break;
	default:
		return;
	}
	if (r->reg_b & REG_B_SET)
		r->held = tm;
	else
		rtc_set_clock(r, &tm);
}

static void rtc_write_reg(struct rtc *r, uint8_t idx, uint8_t v)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		rtc_set_field(r, idx, v);
		break;
	case RTC_WEEKDAY: /* derived from the date */
	case RTC_REG_A:
	case RTC_REG_C:
	case RTC_REG_D:
		break;
	case RTC_REG_B:
		if ((v & REG_B_SET) && !(r->reg_b & REG_B_SET))
			rtc_clock(r, &r->held);
		else if (!(v & REG_B_SET) && (r->reg_b & REG_B_SET))
			rtc_set_clock(r, &r->held);
		r->reg_b = v & (REG_B_SET | REG_B_DM_BINARY | REG_B_24H);
		break;
	default:
		r->cmos[idx] = v;
		break;
	}
}

static void rtc_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	struct rtc *r = opaque;

	memset(data, 0xff, size);
	pthread_mutex_lock(&r->lock);
	data[0] = off == 0 ? 0xff : rtc_read_reg(r, r->index);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (off == 0)
		r->index = data[0] & 0x7f; /* bit 7 is the NMI mask */
	else
		rtc_write_reg(r, r->index, data[0]);
	pthread_mutex_unlock(&r->lock);
}

const struct bus_ops rtc_ops = { .read = rtc_read, .write = rtc_write };
