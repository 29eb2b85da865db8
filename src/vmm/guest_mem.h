/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest RAM: one memfd, mapped once, split into regions around the 32-bit
 * MMIO hole. Every guest-physical access in kasou goes through
 * gpa_to_hva(), which checks that the whole [gpa, gpa+len) range lies in
 * one region. Read-only after setup; safe from any thread.
 */
#ifndef KASOU_VMM_GUEST_MEM_H
#define KASOU_VMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 4

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t offset; /* into the memfd / host mapping */
};

struct guest_mem {
	int fd;
	uint8_t *host;
	uint64_t size;
	unsigned int nr_regions;
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Lay out `size` bytes of RAM below and above the hole (no allocation). */
void guest_mem_layout(struct guest_mem *mem, uint64_t size);
/* Create the memfd and map it. -errno on failure. */
int guest_mem_create(struct guest_mem *mem, uint64_t size);
void guest_mem_destroy(struct guest_mem *mem);

/* Host pointer for [gpa, gpa+len) or NULL if any byte is outside RAM. */
void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* Copy helpers built on gpa_to_hva(); -EFAULT when out of range. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);
/* RAM bytes below 4 GiB. */
uint64_t guest_mem_low_size(const struct guest_mem *mem);

#endif
