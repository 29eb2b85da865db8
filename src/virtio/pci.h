/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-pci modern transport (virtio 1.2 §4.1). BAR 0 (32-bit memory):
 *   0x0000 common configuration      0x1000 ISR status
 *   0x2000 device configuration      0x3000 notifications (4 bytes per queue)
 *   0x4000 MSI-X table               0x6000 MSI-X PBA
 * Each queue's notify address is bound to its kick eventfd with an ioeventfd,
 * so a guest kick never leaves KVM; without one (device tests), the BAR
 * write path writes the eventfd itself. Common-config accesses come from
 * vCPU threads and are serialised by `lock`; interrupts from device threads
 * go through MSI-X (or INTx + ISR when MSI-X is off) without that lock.
 */
#ifndef KASOU_VIRTIO_PCI_H
#define KASOU_VIRTIO_PCI_H

#include <pthread.h>

#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/virtio.h"

#define VPCI_BAR 0
#define VPCI_BAR_SIZE 0x8000
#define VPCI_COMMON 0x0000
#define VPCI_ISR 0x1000
#define VPCI_DEVICE 0x2000
#define VPCI_NOTIFY 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_TABLE 0x4000
#define VPCI_MSIX_PBA 0x6000

/* What the transport needs from the VM; every hook may be NULL (device tests). */
struct virtio_env {
	int (*ioeventfd)(void *ctx, uint64_t addr, unsigned int len, int fd, bool assign);
	void (*set_intx)(void *ctx, unsigned int gsi, int level);
	void *ctx;
	struct irq_router *router;
};

struct virtio_pci {
	struct pci_dev pci;
	struct msix msix;
	struct virtio_dev *dev;
	struct virtio_env env;
	pthread_mutex_t lock;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint16_t msix_config;
	uint8_t isr; /* atomic */
	uint8_t cfg_cap; /* offset of the VIRTIO_PCI_CAP_PCI_CFG capability */
	uint64_t notify_addr; /* where the ioeventfds are bound, 0 = none */
	uint64_t bad_accesses;
};

extern const struct pci_dev_ops virtio_pci_ops;

int virtio_pci_init(struct virtio_pci *t, struct virtio_dev *d, const struct guest_mem *mem,
		    const struct virtio_env *env);
/* Stop the device (reset) and release eventfds, ioeventfds and vectors. */
void virtio_pci_destroy(struct virtio_pci *t);

#endif
