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
	int fd; /* memfd for hugetlb/shared RAM, else -1 */
	uint64_t page_size; /* host page size backing it (4K, 2M, 1G) */
	uint8_t *host;
	uint64_t size;
	unsigned int nr_regions;
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Lay out `size` bytes of RAM below and above the hole (no allocation). */
void guest_mem_layout(struct guest_mem *mem, uint64_t size);
/* Anonymous THP-backed RAM (the default). -errno on failure. */
int guest_mem_create(struct guest_mem *mem, uint64_t size);

struct mem_config;

/* How the host backs guest RAM; one host-node mask per guest NUMA node range. */
struct guest_mem_backing {
	const struct mem_config *m;
	unsigned int nr_nodes;
	struct {
		uint64_t size; /* bytes of guest RAM, in guest-physical order */
		uint64_t host_nodes; /* 0: the --memory policy */
	} nodes[8];
};

/*
 * RAM backed as asked: hugetlb memfd, shared memfd or anonymous; THP, KSM,
 * NUMA placement (mbind), prefault and mlock. -errno with one line in `why`
 * (256 bytes) naming what to change on the host.
 */
int guest_mem_create_backed(struct guest_mem *mem, uint64_t size,
			    const struct guest_mem_backing *b, char *why);
void guest_mem_destroy(struct guest_mem *mem);

/* Host pointer for [gpa, gpa+len) or NULL if any byte is outside RAM. */
void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* Copy helpers built on gpa_to_hva(); -EFAULT when out of range. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);
/* RAM bytes below 4 GiB. */
uint64_t guest_mem_low_size(const struct guest_mem *mem);

#endif
