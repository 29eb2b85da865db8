/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MC146818 CMOS RTC at ports 0x70/0x71: wall-clock time from the host (UTC,
 * shifted by what the guest sets), status registers A-D, and 114 bytes of
 * NVRAM that survive a guest reboot (the struct lives in the VM's persistent
 * state, not the per-boot state). No alarm/periodic interrupts. vCPU threads.
 */
#ifndef KASOU_HW_RTC_H
#define KASOU_HW_RTC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "bus/bus.h"

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t reg_b;
	int64_t offset; /* seconds added to host time: the guest's clock setting */
	struct tm held; /* the clock while reg B SET is held: frozen, takes field writes */
	uint8_t cmos[128];
	time_t (*now)(void); /* host clock; tests replace it */
};

extern const struct bus_ops rtc_ops;

void rtc_init(struct rtc *r);
void rtc_destroy(struct rtc *r);

#endif
