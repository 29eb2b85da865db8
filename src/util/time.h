/* SPDX-License-Identifier: GPL-2.0-only */
/* Clocks and counters shared by every module. Any thread. */
#ifndef KASOU_UTIL_TIME_H
#define KASOU_UTIL_TIME_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A statistics counter written by one thread and read lock-free by others. */
static inline void stat_add(uint64_t *c, uint64_t v)
{
	__atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

#endif
