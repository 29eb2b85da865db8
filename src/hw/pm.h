/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI fixed hardware (PM1a event/control blocks, PM timer, GPE0) at
 * 0x600-0x623, as the FADT describes. A write of SLP_TYP=S5|SLP_EN powers the
 * VM off; the power button sets PWRBTN_STS and raises the SCI (IRQ 9, level).
 * Register accesses come from vCPU threads, the power button from the main
 * thread; one mutex.
 */
#ifndef KASOU_HW_PM_H
#define KASOU_HW_PM_H

#include <pthread.h>
#include <stdint.h>

#include "bus/bus.h"
#include "hw/irq.h"

#define PM_RANGE_LEN 0x24

struct pm {
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	int sci_level;
	struct irq_sink irq;
	struct vm_control ctl;
	uint64_t (*now_ns)(void);
};

extern const struct bus_ops pm_ops;

void pm_init(struct pm *pm, struct irq_sink irq, struct vm_control ctl);
void pm_destroy(struct pm *pm);
/* Press the ACPI power button (graceful shutdown request). */
void pm_power_button(struct pm *pm);

#endif
