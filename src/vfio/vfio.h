/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A host PCI function passed through with VFIO. The guest sees a config space
 * that is the device's own except where kasou must own it: the BARs (sized and
 * placed by kasou as firmware), the ROM BAR, the capability chain (only PM,
 * MSI, PCIe and MSI-X stay visible; extended capabilities are hidden), the MSI-X
 * and MSI capabilities, and the interrupt line/pin. Everything else is read from and
 * written to the device (vfio-pci itself filters what a user may change).
 *
 * BARs are mmapped and mapped into the guest as KVM memory slots, minus the
 * pages holding the MSI-X table and PBA, which trap: the table is emulated
 * (pci/msix.c in direct mode: each vector's eventfd is given to VFIO as its
 * trigger and bound to a KVM irqfd while the guest leaves it unmasked), and
 * every other trapped access is forwarded to the device. INTx: an eventfd
 * irqfd with a resample eventfd that VFIO uses to unmask the line.
 *
 * cfg.c is the config-space model, reaching the device through `io` (the
 * VFIO device fd, or a recorded config space in unit tests); vfio.c opens the
 * container, group and device, maps guest RAM for DMA and the BARs for the guest.
 */
#ifndef KASOU_VFIO_VFIO_H
#define KASOU_VFIO_VFIO_H

#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "vmm/guest_mem.h"
#include "vmm/irq.h"

#define VFIO_MAX_AREAS 8

/* A piece of a BAR mapped straight into the guest. */
struct vfio_area {
	uint64_t off, size; /* within the BAR */
	void *host; /* mmap of the device region */
	int slot; /* KVM memory slot while the BAR decodes, else -1 */
};

struct vfio_region {
	uint64_t size, offset; /* offset: where the region starts in the device fd */
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
	unsigned int nr_areas;
	struct vfio_area areas[VFIO_MAX_AREAS];
	/* mmappable pieces the kernel offers (sparse mmap), before the MSI-X holes */
	unsigned int nr_sparse;
	struct {
		uint64_t off, size;
	} sparse[VFIO_MAX_AREAS];
};

/* How the model reaches the device. 0 or -errno. */
struct vfio_io_ops {
	int (*read)(void *ctx, unsigned int region, uint64_t off, void *buf, size_t len);
	int (*write)(void *ctx, unsigned int region, uint64_t off, const void *buf, size_t len);
	/* VFIO_DEVICE_SET_IRQS: `fds` holds `count` eventfds with DATA_EVENTFD */
	int (*set_irqs)(void *ctx, unsigned int index, uint32_t flags, unsigned int start,
			unsigned int count, const int *fds);
};

struct vfio_env {
	struct irq_router *router; /* NULL in unit tests */
	/* Map [hva, hva+size) at guest `gpa` in a new slot (slot -1: returns it) or
	 * remove `slot` (size 0). Returns the slot or -errno. */
	int (*memslot)(void *ctx, int slot, uint64_t gpa, uint64_t size, void *hva);
	void *ctx;
};

struct vfio_pci {
	struct pci_dev pci;
	char name[56]; /* "ID (DDDD:BB:DD.F)" */
	struct vfio_config cfg;
	const struct vfio_io_ops *io;
	void *io_ctx;
	struct vfio_env env;
	struct vfio_region regions[VFIO_PCI_NUM_REGIONS];
	uint8_t pt[PCI_CFG_SIZE]; /* 1: the byte is the device's (passed through) */
	uint8_t msix_cap; /* 0: none */
	bool msix_ready, msix_on;
	/* MSI, one vector (Multiple Message Capable shown as 1, no per-vector mask) */
	uint8_t msi_cap; /* 0: none */
	bool msi_64, msi_on;
	int msi_efd, msi_gsi;
	unsigned int intx_count; /* VFIO's INTx IRQ count (0 or 1) */
	int intx_efd, intx_resample;
	bool intx_on;
	unsigned int io_bars_hidden; /* I/O BARs not offered to the guest (no I/O window) */
	struct msix msix;
	/* kernel side (vfio.c); -1 in unit tests */
	int container, group, fd;
	unsigned int group_id;
	bool dma_mapped;
	const struct guest_mem *mem;
	uint64_t trapped_reads, trapped_writes, io_errors;
};

/* cfg.c */
/* Build the guest's config space from the device's (regions[] filled). 0 or -errno with why. */
int vfio_pci_build(struct vfio_pci *v, char *why, size_t whylen);
/* After the BARs got their addresses: MSI-X (direct mode), INTx, command register. */
int vfio_pci_wire(struct vfio_pci *v, char *why, size_t whylen);
/* Interrupts off, MSI-X state freed (the kernel side is undone by vfio_pci_close). */
void vfio_pci_unwire(struct vfio_pci *v);
extern const struct pci_dev_ops vfio_pci_ops;

/* vfio.c */
/* Open the device `c` names, map `mem` for DMA, build its config space. One line logged on error. */
int vfio_pci_open(struct vfio_pci *v, const struct vfio_config *c, const struct guest_mem *mem,
		  const struct vfio_env *env);
void vfio_pci_close(struct vfio_pci *v);
/* Interrupts the host delivered for the device, per MSI-X vector (or INTx in [0] when
 * MSI-X is off), from /proc/interrupts. Returns how many counts were filled. */
unsigned int vfio_pci_irq_counts(const struct vfio_pci *v, uint64_t *counts, unsigned int max);

#endif
