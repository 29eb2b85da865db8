/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM GSI routing: the default IOAPIC/PIC routes for GSIs 0-23 plus MSI routes
 * that devices allocate (GSI 24 up), and irqfds binding an eventfd to a GSI.
 * KVM_SET_GSI_ROUTING replaces the whole table, so this module owns it.
 * Thread-safe (one mutex): MSI-X table writes arrive on vCPU threads.
 */
#ifndef KASOU_VMM_IRQ_H
#define KASOU_VMM_IRQ_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IRQ_ROUTER_MAX 1024
#define IRQ_IOAPIC_PINS 24

struct irq_router {
	int vm_fd; /* -1: no KVM (device tests): routes are kept, nothing committed */
	pthread_mutex_t lock;
	unsigned int nr;
	unsigned int next_gsi;
	struct kvm_irq_routing_entry entries[IRQ_ROUTER_MAX];
	uint64_t commits;
};

int irq_router_init(struct irq_router *r, int vm_fd);
void irq_router_destroy(struct irq_router *r);
/* A new GSI for MSI, initially routed nowhere (address 0). -ENOSPC when full. */
int irq_router_alloc_msi(struct irq_router *r);
/* Point an MSI GSI at (address, data) and commit the table to KVM. */
int irq_router_set_msi(struct irq_router *r, unsigned int gsi, uint64_t addr, uint32_t data);
/* Bind `fd` to `gsi` (irqfd), or unbind. resample_fd >= 0 for level INTx. */
int irq_router_irqfd(struct irq_router *r, unsigned int gsi, int fd, int resample_fd, bool assign);

#endif
