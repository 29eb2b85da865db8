// SPDX-License-Identifier: GPL-2.0-only
/* ACPI fixed hardware (PM1, PM timer, GPE0) and the legacy reset ports. */
#include "hw/legacy.h"
#include "hw/pm.h"
#include "unit.h"

#define PM1_STS 0x00
#define PM1_EN 0x02
#define PM1_CNT 0x04
#define PM_TMR 0x08
#define GPE0_STS 0x20
#define GPE0_EN 0x22

#define PWRBTN (1u << 8)
#define SLP_EN (1u << 13)
#define SLP_TYP(v) ((unsigned int)(v) << 10)

struct recorder {
	unsigned int stops;
	enum vm_stop_reason why;
	unsigned int irqs;
	unsigned int irq;
	int level;
};

static void rec_stop(void *ctx, enum vm_stop_reason why)
{
	struct recorder *r = ctx;

	r->stops++;
	r->why = why;
}

static void rec_irq(void *ctx, unsigned int irq, int level)
{
	struct recorder *r = ctx;

	r->irqs++;
	r->irq = irq;
	r->level = level;
}

static uint64_t fake_ns;

static uint64_t fake_now(void)
{
	return fake_ns;
}

static void setup(struct pm *pm, struct recorder *rec)
{
	memset(rec, 0, sizeof(*rec));
	pm_init(pm, (struct irq_sink){ .set_level = rec_irq, .ctx = rec },
		(struct vm_control){ .request_stop = rec_stop, .ctx = rec });
	fake_ns = 0;
	pm->now_ns = fake_now;
}

static uint16_t rd16(struct pm *pm, unsigned int off)
{
	uint8_t b[2] = { 0, 0 };

	pm_ops.read(pm, off, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t rd32(struct pm *pm, unsigned int off)
{
	uint8_t b[4] = { 0 };

	pm_ops.read(pm, off, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr16(struct pm *pm, unsigned int off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	pm_ops.write(pm, off, b, 2);
}

static void wr8(struct pm *pm, unsigned int off, uint8_t v)
{
	pm_ops.write(pm, off, &v, 1);
}

TEST(sci_en_always_set)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	CHECK_EQ(rd16(&pm, PM1_CNT) & 1, 1);
	wr16(&pm, PM1_CNT, 0x0000);
	CHECK_EQ(rd16(&pm, PM1_CNT) & 1, 1);
	wr8(&pm, PM1_CNT, 0x00);
	CHECK_EQ(rd16(&pm, PM1_CNT) & 1, 1);
	/* other bits are plain storage */
	wr16(&pm, PM1_CNT, SLP_TYP(3));
	CHECK_EQ(rd16(&pm, PM1_CNT), SLP_TYP(3) | 1);
	CHECK_EQ(rec.stops, 0);
	pm_destroy(&pm);
}

TEST(s5_word_write_powers_off_once)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	wr16(&pm, PM1_CNT, SLP_TYP(5) | SLP_EN);
	CHECK_EQ(rec.stops, 1);
	CHECK_EQ(rec.why, VM_STOP_POWEROFF);
	/* SLP_EN is write-only: it reads 0 and does not linger */
	CHECK_EQ(rd16(&pm, PM1_CNT) & SLP_EN, 0);
	wr16(&pm, PM1_CNT, SLP_TYP(5));
	CHECK_EQ(rec.stops, 1);
	pm_destroy(&pm);
}

TEST(s5_byte_writes_power_off_once)
{
	static struct pm pm;
	struct recorder rec;
	uint16_t v = SLP_TYP(5) | SLP_EN;

	setup(&pm, &rec);
	wr8(&pm, PM1_CNT, (uint8_t)v);
	CHECK_EQ(rec.stops, 0);
	wr8(&pm, PM1_CNT + 1, (uint8_t)(v >> 8));
	CHECK_EQ(rec.stops, 1);
	CHECK_EQ(rec.why, VM_STOP_POWEROFF);
	/* a later low-byte write does not fire again */
	wr8(&pm, PM1_CNT, 0x01);
	CHECK_EQ(rec.stops, 1);
	pm_destroy(&pm);
}

TEST(s5_dword_write_powers_off_once)
{
	static struct pm pm;
	struct recorder rec;
	uint16_t v = SLP_TYP(5) | SLP_EN;
	uint8_t b[4] = { 0, 0, (uint8_t)v, (uint8_t)(v >> 8) };

	setup(&pm, &rec);
	pm_ops.write(&pm, PM1_EN, b, 4); /* PM1_EN and PM1_CNT together */
	CHECK_EQ(rec.stops, 1);
	CHECK_EQ(rec.why, VM_STOP_POWEROFF);
	pm_destroy(&pm);
}

TEST(other_sleep_types_do_nothing)
{
	static struct pm pm;
	struct recorder rec;
	unsigned int bad = 0;

	setup(&pm, &rec);
	for (unsigned int typ = 0; typ < 8; typ++) {
		if (typ == 5)
			continue;
		wr16(&pm, PM1_CNT, (uint16_t)(SLP_TYP(typ) | SLP_EN));
		if (rd16(&pm, PM1_CNT) & SLP_EN)
			bad++;
	}
	CHECK_EQ(rec.stops, 0);
	CHECK_EQ(bad, 0);
	/* S5 without SLP_EN only selects the state */
	wr16(&pm, PM1_CNT, SLP_TYP(5));
	CHECK_EQ(rec.stops, 0);
	pm_destroy(&pm);
}

TEST(pm1_status_write_one_to_clear)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	pm.pm1_sts = 0x8101;
	wr16(&pm, PM1_STS, 0x0000);
	CHECK_EQ(rd16(&pm, PM1_STS), 0x8101);
	wr16(&pm, PM1_STS, 0x0100);
	CHECK_EQ(rd16(&pm, PM1_STS), 0x8001);
	wr8(&pm, PM1_STS + 1, 0x80);
	CHECK_EQ(rd16(&pm, PM1_STS), 0x0001);
	wr8(&pm, PM1_STS, 0x01);
	CHECK_EQ(rd16(&pm, PM1_STS), 0x0000);
	pm_destroy(&pm);
}

TEST(power_button_masked)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	pm_power_button(&pm);
	CHECK_EQ(rd16(&pm, PM1_STS) & PWRBTN, PWRBTN);
	CHECK_EQ(rec.irqs, 0);
	CHECK_EQ(pm.sci_level, 0);
	/* enabling with the status already set raises the SCI then */
	wr16(&pm, PM1_EN, PWRBTN);
	CHECK_EQ(rd16(&pm, PM1_EN), PWRBTN);
	CHECK_EQ(rec.irqs, 1);
	CHECK_EQ(rec.irq, 9);
	CHECK_EQ(rec.level, 1);
	pm_destroy(&pm);
}

TEST(power_button_raises_and_clears_sci)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	wr16(&pm, PM1_EN, PWRBTN);
	CHECK_EQ(rec.irqs, 0);
	pm_power_button(&pm);
	CHECK_EQ(rd16(&pm, PM1_STS) & PWRBTN, PWRBTN);
	CHECK_EQ(rec.irqs, 1);
	CHECK_EQ(rec.irq, 9);
	CHECK_EQ(rec.level, 1);
	/* a second press while pending is no new edge */
	pm_power_button(&pm);
	CHECK_EQ(rec.irqs, 1);
	CHECK_EQ(rec.stops, 0); /* graceful: the guest decides */
	wr16(&pm, PM1_STS, PWRBTN);
	CHECK_EQ(rd16(&pm, PM1_STS) & PWRBTN, 0);
	CHECK_EQ(rec.irqs, 2);
	CHECK_EQ(rec.level, 0);
	pm_destroy(&pm);
}

TEST(disabling_lowers_sci)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	wr16(&pm, PM1_EN, PWRBTN);
	pm_power_button(&pm);
	CHECK_EQ(rec.level, 1);
	wr16(&pm, PM1_EN, 0);
	CHECK_EQ(rec.irqs, 2);
	CHECK_EQ(rec.level, 0);
	CHECK_EQ(rd16(&pm, PM1_STS) & PWRBTN, PWRBTN);
	pm_destroy(&pm);
}

TEST(pm_timer_rate_and_wrap)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	CHECK_EQ(rd32(&pm, PM_TMR), 0);
	fake_ns = 1000000000ULL;
	CHECK_EQ(rd32(&pm, PM_TMR), 3579545);
	fake_ns = 1000ULL; /* 3.58 ticks */
	CHECK_EQ(rd32(&pm, PM_TMR), 3);
	fake_ns = 2500000000ULL;
	CHECK_EQ(rd32(&pm, PM_TMR), 8948862); /* 2.5 s */
	/* 1200 s is past 2^32 ticks: the counter wraps */
	fake_ns = 1200ULL * 1000000000ULL;
	CHECK_EQ(rd32(&pm, PM_TMR), (uint32_t)(1200ULL * 3579545ULL));
	CHECK_EQ(rd32(&pm, PM_TMR), 486704);
	/* days of uptime: no 64-bit overflow in the conversion */
	fake_ns = 10ULL * 86400 * 1000000000ULL + 500000000ULL;
	CHECK_EQ(rd32(&pm, PM_TMR), (uint32_t)(864000ULL * 3579545ULL + 1789772ULL));
	/* read-only */
	wr16(&pm, PM_TMR, 0);
	CHECK_EQ(rd32(&pm, PM_TMR), (uint32_t)(864000ULL * 3579545ULL + 1789772ULL));
	pm_destroy(&pm);
}

TEST(gpe0_status_and_enable)
{
	static struct pm pm;
	struct recorder rec;

	setup(&pm, &rec);
	wr16(&pm, GPE0_EN, 0x0204);
	CHECK_EQ(rd16(&pm, GPE0_EN), 0x0204);
	wr8(&pm, GPE0_EN + 1, 0x00);
	CHECK_EQ(rd16(&pm, GPE0_EN), 0x0004);
	CHECK_EQ(rec.irqs, 0);
	/* a GPE event on an enabled bit raises the SCI */
	pm.gpe_sts = 0x0005;
	wr16(&pm, GPE0_STS, 0x0000); /* writing zeros clears nothing */
	CHECK_EQ(rd16(&pm, GPE0_STS), 0x0005);
	CHECK_EQ(rec.irqs, 1);
	CHECK_EQ(rec.irq, 9);
	CHECK_EQ(rec.level, 1);
	wr16(&pm, GPE0_STS, 0x0004);
	CHECK_EQ(rd16(&pm, GPE0_STS), 0x0001);
	CHECK_EQ(rec.irqs, 2);
	CHECK_EQ(rec.level, 0);
	pm_destroy(&pm);
}

TEST(no_hooks_is_safe)
{
	static struct pm pm;

	pm_init(&pm, (struct irq_sink){ 0 }, (struct vm_control){ 0 });
	wr16(&pm, PM1_EN, PWRBTN);
	pm_power_button(&pm);
	CHECK_EQ(pm.sci_level, 1);
	wr16(&pm, PM1_CNT, SLP_TYP(5) | SLP_EN);
	CHECK_EQ(rd16(&pm, PM1_CNT) & SLP_EN, 0);
	pm_destroy(&pm);
}

TEST(cf9_reset)
{
	struct recorder rec = { 0 };
	struct vm_control ctl = { .request_stop = rec_stop, .ctx = &rec };
	uint8_t v, out = 0xaa;

	v = 0x02; /* SYS_RST alone: Linux writes this first */
	legacy_reset_ops.write(&ctl, 0, &v, 1);
	CHECK_EQ(rec.stops, 0);
	v = 0x00;
	legacy_reset_ops.write(&ctl, 0, &v, 1);
	CHECK_EQ(rec.stops, 0);
	v = 0x06;
	legacy_reset_ops.write(&ctl, 0, &v, 1);
	CHECK_EQ(rec.stops, 1);
	CHECK_EQ(rec.why, VM_STOP_REBOOT);
	v = 0x04;
	legacy_reset_ops.write(&ctl, 0, &v, 1);
	CHECK_EQ(rec.stops, 2);
	legacy_reset_ops.read(&ctl, 0, &out, 1);
	CHECK_EQ(out, 0);
}

TEST(kbc_reset)
{
	struct recorder rec = { 0 };
	struct vm_control ctl = { .request_stop = rec_stop, .ctx = &rec };
	uint8_t v, st = 0xaa;

	v = 0xfe; /* data port: not a command */
	legacy_kbc_ops.write(&ctl, 0, &v, 1);
	CHECK_EQ(rec.stops, 0);
	v = 0xfd;
	legacy_kbc_ops.write(&ctl, 4, &v, 1);
	v = 0xd1;
	legacy_kbc_ops.write(&ctl, 4, &v, 1);
	v = 0xff;
	legacy_kbc_ops.write(&ctl, 4, &v, 1);
	CHECK_EQ(rec.stops, 0);
	v = 0xfe;
	legacy_kbc_ops.write(&ctl, 4, &v, 1);
	CHECK_EQ(rec.stops, 1);
	CHECK_EQ(rec.why, VM_STOP_REBOOT);
	/* status reads 0: input buffer empty, so a reset loop never spins */
	legacy_kbc_ops.read(&ctl, 4, &st, 1);
	CHECK_EQ(st, 0);
}

TEST(sink_port)
{
	uint8_t b[4] = { 0xaa, 0xaa, 0xaa, 0xaa }, v = 0x12;

	legacy_sink_ops.write(NULL, 0, &v, 1);
	legacy_sink_ops.read(NULL, 0, b, 4);
	CHECK_EQ(b[0], 0);
	CHECK_EQ(b[3], 0);
}

UNIT_MAIN("pm", T(sci_en_always_set), T(s5_word_write_powers_off_once),
	  T(s5_byte_writes_power_off_once), T(s5_dword_write_powers_off_once),
	  T(other_sleep_types_do_nothing), T(pm1_status_write_one_to_clear),
	  T(power_button_masked), T(power_button_raises_and_clears_sci), T(disabling_lowers_sci),
	  T(pm_timer_rate_and_wrap), T(gpe0_status_and_enable), T(no_hooks_is_safe), T(cf9_reset),
	  T(kbc_reset), T(sink_port))
