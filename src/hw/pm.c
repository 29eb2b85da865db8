// SPDX-License-Identifier: GPL-2.0-only
#include "hw/pm.h"

#include <string.h>
#include <time.h>

#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"
#include "util/time.h"

#define PM1_STS 0x00
#define PM1_EN 0x02
#define PM1_CNT 0x04
#define PM_TMR 0x08
#define GPE0_STS 0x20
#define GPE0_EN 0x22

#define PM1_TMR_STS (1u << 0)
#define PM1_PWRBTN (1u << 8)
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM1_CNT_SLP_EN (1u << 13)
#define PM_TMR_HZ 3579545ULL

void pm_init(struct pm *pm, struct irq_sink irq, struct vm_control ctl)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->irq = irq;
	pm->ctl = ctl;
	pm->pm1_cnt = PM1_CNT_SCI_EN;
	pm->now_ns = mono_ns;
}

void pm_destroy(struct pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

static void pm_update_sci(struct pm *pm)
{
	int level = (pm->pm1_sts & pm->pm1_en) || (pm->gpe_sts & pm->gpe_en);

	if (level != pm->sci_level) {
		pm->sci_level = level;
		if (pm->irq.set_level)
			pm->irq.set_level(pm->irq.ctx, IRQ_SCI, level);
	}
}

static uint32_t pm_timer(const struct pm *pm)
{
	uint64_t ns = pm->now_ns();

	/* split to avoid overflow: ns * 3.58e6 overflows 64 bits after ~85 min */
	return (uint32_t)((ns / 1000000000ULL) * PM_TMR_HZ +
			  (ns % 1000000000ULL) * PM_TMR_HZ / 1000000000ULL);
}

static void pm_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	struct pm *pm = opaque;
	uint8_t regs[PM_RANGE_LEN] = { 0 };
	uint32_t tmr;

	pthread_mutex_lock(&pm->lock);
	memcpy(regs + PM1_STS, &pm->pm1_sts, 2);
	memcpy(regs + PM1_EN, &pm->pm1_en, 2);
	memcpy(regs + PM1_CNT, &pm->pm1_cnt, 2);
	tmr = pm_timer(pm);
	memcpy(regs + PM_TMR, &tmr, 4);
	memcpy(regs + GPE0_STS, &pm->gpe_sts, 2);
	memcpy(regs + GPE0_EN, &pm->gpe_en, 2);
	pthread_mutex_unlock(&pm->lock);
	memcpy(data, regs + off, size); /* bus guarantees off + size <= range */
}

/* Apply a write of `size` bytes at `off` one byte at a time: registers are
 * 16-bit, but ACPICA may use byte or word accesses. */
static void pm_write_byte(struct pm *pm, unsigned int off, uint8_t v, enum vm_stop_reason *stop)
{
	unsigned int shift = (off & 1) * 8;
	uint16_t mask = (uint16_t)(0xffu << shift), val = (uint16_t)(v << shift);

	switch (off & ~1u) {
	case PM1_STS:
		pm->pm1_sts &= (uint16_t)~val; /* write 1 to clear */
		break;
	case PM1_EN:
		pm->pm1_en = (uint16_t)((pm->pm1_en & ~mask) | val);
		break;
	case PM1_CNT:
		pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & ~mask) | val) | PM1_CNT_SCI_EN;
		if ((pm->pm1_cnt & PM1_CNT_SLP_EN) && (off & 1)) {
			if (PM1_CNT_SLP_TYP(pm->pm1_cnt) == ACPI_SLP_TYP_S5)
				*stop = VM_STOP_POWEROFF;
			pm->pm1_cnt &= (uint16_t)~PM1_CNT_SLP_EN;
		}
		break;
	case GPE0_STS:
		pm->gpe_sts &= (uint16_t)~val;
		break;
	case GPE0_EN:
		pm->gpe_en = (uint16_t)((pm->gpe_en & ~mask) | val);
		break;
	default: /* PM timer: read-only */
		break;
	}
}

static void pm_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	struct pm *pm = opaque;
	enum vm_stop_reason stop = VM_STOP_NONE;

	pthread_mutex_lock(&pm->lock);
	for (unsigned int i = 0; i < size; i++)
		pm_write_byte(pm, (unsigned int)off + i, data[i], &stop);
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (stop != VM_STOP_NONE && pm->ctl.request_stop)
		pm->ctl.request_stop(pm->ctl.ctx, stop);
}

const struct bus_ops pm_ops = { .read = pm_read, .write = pm_write };

void pm_power_button(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= PM1_PWRBTN;
	pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}
