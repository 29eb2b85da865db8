/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSI-X for an emulated PCI function: the capability, the vector table and
 * pending-bit array in a BAR, and delivery. Each vector owns an eventfd bound
 * to its own GSI by an irqfd, so a device thread raises an interrupt with one
 * write() and KVM injects it without kasou on the path. The guest's
 * address/data go into the GSI's MSI route; a masked vector (or function
 * mask, or MSI-X disabled) records the interrupt in the PBA instead, and
 * unmasking delivers it. msix_notify() is safe from any thread.
 */
#ifndef KASOU_PCI_MSIX_H
#define KASOU_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"
#include "vmm/irq.h"

#define MSIX_MAX_VECTORS 2048
#define MSIX_ENTRY_SIZE 16

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl;
	int gsi; /* -1: no router */
	int efd;
	bool pending;
	bool bound; /* direct mode: the irqfd is assigned (vector deliverable) */
};

struct msix {
	pthread_mutex_t lock;
	struct pci_dev *pci;
	struct irq_router *router; /* NULL in device tests: eventfds only */
	unsigned int nr;
	struct msix_vector *v;
	uint8_t cap;
	int bar;
	uint32_t table_off, pba_off;
	bool enabled, fn_masked;
	/* direct: a real device (VFIO) writes the eventfds itself; masking a vector
	 * detaches its irqfd so signals wait in the eventfd (KVM delivers them on
	 * re-attach), and the PBA belongs to the device */
	bool direct;
	uint64_t delivered, masked_hits;
};

/* Adds the capability to `pci`; table and PBA live in BAR `bar` at the given offsets. */
int msix_init(struct msix *m, struct pci_dev *pci, struct irq_router *router, unsigned int nr,
	      int bar, uint32_t table_off, uint32_t pba_off);
/* Direct mode on an existing capability at `cap` (a passed-through device's): the
 * table size, BAR and offsets are read from it. */
int msix_attach(struct msix *m, struct pci_dev *pci, struct irq_router *router, uint8_t cap);
void msix_destroy(struct msix *m);
/* BAR accesses inside [table_off, pba_off + pba size): returns false if not ours. */
bool msix_bar_read(struct msix *m, uint64_t off, uint8_t *data, unsigned int size);
bool msix_bar_write(struct msix *m, uint64_t off, const uint8_t *data, unsigned int size);
/* After a config write that touched the capability's control word. */
void msix_cfg_written(struct msix *m, uint32_t off, unsigned int size);
/* Raise vector `vec` (any thread). Returns false if it was only recorded as pending. */
bool msix_notify(struct msix *m, unsigned int vec);
bool msix_enabled(struct msix *m);
/* Size in bytes of table + PBA for `nr` vectors, for laying out the BAR. */
uint32_t msix_table_size(unsigned int nr);
uint32_t msix_pba_size(unsigned int nr);

#endif
