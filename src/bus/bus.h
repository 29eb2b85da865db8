/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PIO and MMIO dispatch. A device registers a range with an ops table; a vCPU
 * exit (KVM_EXIT_IO / KVM_EXIT_MMIO) is routed to the one range holding the
 * address. Registration happens while building the VM (main thread, no vCPU
 * running); lookups are lock-free afterwards. Devices lock their own state.
 * Accesses to no device read as all-ones and writes are dropped, like an
 * empty ISA/PCI bus.
 */
#ifndef KASOU_BUS_BUS_H
#define KASOU_BUS_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	/* `off` is relative to the range base; size is 1, 2, 4 or 8 */
	void (*read)(void *opaque, uint64_t off, uint8_t *data, unsigned int size);
	void (*write)(void *opaque, uint64_t off, const uint8_t *data, unsigned int size);
};

struct bus_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

#define BUS_MAX_RANGES 64

struct bus {
	const char *name;
	unsigned int nr;
	struct bus_range ranges[BUS_MAX_RANGES];
	uint64_t unhandled; /* accesses that hit no device */
};

/* 0, -EEXIST on overlap, -ENOSPC when full. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name);
/* Returns false when no device claimed the access. */
bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size);
bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int size);

#endif
