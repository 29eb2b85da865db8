/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One PCI function's configuration space (4 KiB, PCIe-sized) with write
 * masks, BAR registers that size and move like hardware, and a capability
 * list. The device fills an ops table; the host bridge (host.c) routes
 * config cycles and BAR accesses here. Config accesses are serialised by the
 * host's lock; BAR accesses arrive concurrently from vCPU threads and the
 * device locks its own state.
 */
#ifndef KASOU_PCI_PCI_H
#define KASOU_PCI_PCI_H

#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_SIZE 4096
#define PCI_NUM_BARS 6

struct pci_dev;

struct pci_dev_ops {
	/* access to BAR `bar` at offset `off` (already within the BAR) */
	void (*bar_read)(struct pci_dev *d, int bar, uint64_t off, uint8_t *data, unsigned int size);
	void (*bar_write)(struct pci_dev *d, int bar, uint64_t off, const uint8_t *data,
			  unsigned int size);
	/* after the guest wrote config space [off, off+size) */
	void (*cfg_written)(struct pci_dev *d, uint32_t off, unsigned int size);
	/* before a config read: refresh emulated registers (may be NULL) */
	void (*cfg_read)(struct pci_dev *d, uint32_t off, unsigned int size);
	/* a BAR got a new guest address, or decoding was turned on/off (addr 0 = off) */
	void (*bar_moved)(struct pci_dev *d, int bar, uint64_t old_addr, uint64_t new_addr);
};

struct pci_bar {
	uint64_t size; /* 0: unused */
	uint64_t addr; /* programmed address, 0 when not decoded */
	bool io, is64, prefetch;
};

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may write */
	uint8_t w1c[PCI_CFG_SIZE]; /* write-1-to-clear bits */
	struct pci_bar bars[PCI_NUM_BARS];
	const struct pci_dev_ops *ops;
	void *priv;
	const char *name;
	uint8_t devfn;
	uint8_t last_cap; /* offset of the last capability, for chaining */
	uint8_t cap_end; /* next free byte in the standard capability area */
	unsigned int intx_gsi;
};

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_rev,
		  uint16_t subsys_vendor, uint16_t subsys_id);
/* Declare BAR `bar` of `size` bytes (power of 2 >= 16, or 4 for I/O); a 64-bit BAR uses bar+1 too. */
int pci_dev_add_bar(struct pci_dev *d, int bar, uint64_t size, bool io, bool is64, bool prefetch);
/* Append a capability: `body` is the whole capability (its ID and next bytes are overwritten); returns its offset or 0. */
uint8_t pci_dev_add_cap(struct pci_dev *d, uint8_t id, const void *body, uint8_t len);
/* The INTx pin (1 = INTA) and its GSI for the _PRT routing the device sits behind. */
void pci_dev_set_intx(struct pci_dev *d, uint8_t pin, unsigned int gsi);

/* Config cycle; `off` + `size` within 4 KiB and naturally aligned (host checks). */
void pci_cfg_read(struct pci_dev *d, uint32_t off, uint8_t *data, unsigned int size);
void pci_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data, unsigned int size);

/* Where BAR `bar` decodes now (0 when memory/IO decoding is off). */
uint64_t pci_bar_address(const struct pci_dev *d, int bar);
/* Program a BAR's initial address (kasou plays firmware). */
void pci_bar_assign(struct pci_dev *d, int bar, uint64_t addr);

static inline uint16_t pci_cfg_get16(const struct pci_dev *d, uint32_t off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg_get32(const struct pci_dev *d, uint32_t off)
{
	return (uint32_t)d->cfg[off] | (uint32_t)d->cfg[off + 1] << 8 |
	       (uint32_t)d->cfg[off + 2] << 16 | (uint32_t)d->cfg[off + 3] << 24;
}

void pci_cfg_set16(struct pci_dev *d, uint32_t off, uint16_t v);
void pci_cfg_set32(struct pci_dev *d, uint32_t off, uint32_t v);

#endif
