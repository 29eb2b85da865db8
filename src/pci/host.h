/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCIe host bridge of the one root bus: config cycles through ECAM (MMIO,
 * described by MCFG) and the legacy 0xcf8/0xcfc ports; BAR windows (32-bit
 * below the IOAPIC, 64-bit above RAM, and I/O ports) whose accesses it routes
 * to the device that decodes them. kasou plays firmware: it assigns every BAR
 * at build time. Devices are added on the main thread before vCPUs run; config
 * cycles then come from any vCPU and are serialised by `lock`.
 */
#ifndef KASOU_PCI_HOST_H
#define KASOU_PCI_HOST_H

#include <pthread.h>
#include <stdbool.h>

#include "bus/bus.h"
#include "pci/pci.h"

#define PCI_MAX_DEVICES 32

struct pci_host;

/* One BAR window on the MMIO bus (or, io, the port bus): the bus passes offsets from `base`. */
struct pci_window {
	struct pci_host *host;
	uint64_t base;
	bool io;
};

struct pci_host {
	pthread_mutex_t lock;
	struct pci_window win32, win64, winio; /* opaque of pci_mmio_ops */
	struct pci_dev bridge; /* 00:00.0 */
	struct pci_dev *devs[PCI_MAX_DEVICES]; /* function 0 of each slot */
	uint32_t cf8;
	/* 0xcf9 (reset control) shares the 0xcf8 dword: byte writes there go here */
	const struct bus_ops *cf9_ops;
	void *cf9_opaque;
	uint64_t ecam_base, ecam_size;
	uint64_t mmio32_base, mmio32_size, mmio32_next;
	uint64_t mmio64_base, mmio64_size, mmio64_next;
	uint64_t io_base, io_size, io_next; /* I/O BARs; size 0: none offered */
	uint64_t bad_accesses; /* config or BAR accesses that hit nothing */
};

extern const struct bus_ops pci_ecam_ops;
extern const struct bus_ops pci_cf8_ops; /* 0xcf8-0xcff */
extern const struct bus_ops pci_mmio_ops; /* a BAR window (MMIO or ports); opaque: struct pci_window */

void pci_host_init(struct pci_host *h, uint64_t ecam_base, uint64_t ecam_size, uint64_t mmio32_base,
		   uint64_t mmio32_size, uint64_t mmio64_base, uint64_t mmio64_size);
/* An I/O port window for I/O BARs (winio, to register on the port bus). */
void pci_host_set_io(struct pci_host *h, uint64_t io_base, uint64_t io_size);
void pci_host_destroy(struct pci_host *h);
/* Put `d` in the first free slot (1..31), assign its BARs and INTx. Returns the slot or -ENOSPC. */
int pci_host_add(struct pci_host *h, struct pci_dev *d);

#endif
