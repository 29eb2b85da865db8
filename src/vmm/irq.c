// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/irq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static void add_irqchip(struct irq_router *r, unsigned int gsi, unsigned int chip, unsigned int pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* Must match KVM's default table: the ISA IRQs on both PICs and the IOAPIC,
 * GSI 0 (the PIT) on IOAPIC pin 2 as the MADT override says. */
int irq_router_init(struct irq_router *r, int vm_fd)
{
	memset(r, 0, sizeof(*r));
	r->vm_fd = vm_fd;
	pthread_mutex_init(&r->lock, NULL);
	for (unsigned int gsi = 0; gsi < IRQ_IOAPIC_PINS; gsi++) {
		if (gsi < 8)
			add_irqchip(r, gsi, KVM_IRQCHIP_PIC_MASTER, gsi);
		else if (gsi < 16)
			add_irqchip(r, gsi, KVM_IRQCHIP_PIC_SLAVE, gsi - 8);
		add_irqchip(r, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	r->next_gsi = IRQ_IOAPIC_PINS;
	return 0;
}

void irq_router_destroy(struct irq_router *r)
{
	pthread_mutex_destroy(&r->lock);
}

static int commit(struct irq_router *r)
{
	struct kvm_irq_routing *t;
	int err = 0;

	r->commits++;
	if (r->vm_fd < 0)
		return 0;
	t = malloc(sizeof(*t) + r->nr * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	t->nr = r->nr;
	t->flags = 0;
	memcpy(t->entries, r->entries, r->nr * sizeof(t->entries[0]));
	if (ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t) < 0)
		err = -errno;
	free(t);
	return err;
}

int irq_router_alloc_msi(struct irq_router *r)
{
	struct kvm_irq_routing_entry *e;
	int gsi;

	pthread_mutex_lock(&r->lock);
	if (r->nr == IRQ_ROUTER_MAX) {
		pthread_mutex_unlock(&r->lock);
		return -ENOSPC;
	}
	gsi = (int)r->next_gsi++;
	e = &r->entries[r->nr++];
	memset(e, 0, sizeof(*e));
	e->gsi = (uint32_t)gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	pthread_mutex_unlock(&r->lock);
	return gsi;
}

int irq_router_set_msi(struct irq_router *r, unsigned int gsi, uint64_t addr, uint32_t data)
{
	int err = -ENOENT;

	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < r->nr; i++) {
		struct kvm_irq_routing_entry *e = &r->entries[i];

		if (e->gsi != gsi || e->type != KVM_IRQ_ROUTING_MSI)
			continue;
		if (e->u.msi.address_lo == (uint32_t)addr &&
		    e->u.msi.address_hi == (uint32_t)(addr >> 32) && e->u.msi.data == data) {
			err = 0; /* unchanged: no ioctl */
			break;
		}
		e->u.msi.address_lo = (uint32_t)addr;
		e->u.msi.address_hi = (uint32_t)(addr >> 32);
		e->u.msi.data = data;
		err = commit(r);
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

int irq_router_irqfd(struct irq_router *r, unsigned int gsi, int fd, int resample_fd, bool assign)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = gsi };

	if (r->vm_fd < 0)
		return 0;
	if (!assign) {
		irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	} else if (resample_fd >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = (uint32_t)resample_fd;
	}
	return ioctl(r->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}
