// SPDX-License-Identifier: GPL-2.0-only
#include "pci/host.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"

#define CF8_ENABLE 0x80000000u
#define PCI_VENDOR_REDHAT 0x1b36
#define PCI_DEVICE_REDHAT_HOST 0x0008
#define PCI_CLASS_HOST_BRIDGE 0x060000

void pci_host_init(struct pci_host *h, uint64_t ecam_base, uint64_t ecam_size, uint64_t mmio32_base,
		   uint64_t mmio32_size, uint64_t mmio64_base, uint64_t mmio64_size)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->ecam_base = ecam_base;
	h->ecam_size = ecam_size;
	h->mmio32_base = h->mmio32_next = mmio32_base;
	h->mmio32_size = mmio32_size;
	h->mmio64_base = h->mmio64_next = mmio64_base;
	h->mmio64_size = mmio64_size;
	h->win32 = (struct pci_window){ .host = h, .base = mmio32_base };
	h->win64 = (struct pci_window){ .host = h, .base = mmio64_base };
	pci_dev_init(&h->bridge, PCI_VENDOR_REDHAT, PCI_DEVICE_REDHAT_HOST, PCI_CLASS_HOST_BRIDGE << 8,
		     PCI_VENDOR_REDHAT, 0x1100);
	h->bridge.name = "host-bridge";
	h->devs[0] = &h->bridge;
}

void pci_host_set_io(struct pci_host *h, uint64_t io_base, uint64_t io_size)
{
	h->io_base = h->io_next = io_base;
	h->io_size = io_size;
	h->winio = (struct pci_window){ .host = h, .base = io_base, .io = true };
}

void pci_host_destroy(struct pci_host *h)
{
	pthread_mutex_destroy(&h->lock);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
	uint16_t decode = PCI_COMMAND_MEMORY;
	int slot;

	for (slot = 1; slot < PCI_MAX_DEVICES && h->devs[slot]; slot++)
		;
	if (slot == PCI_MAX_DEVICES)
		return -ENOSPC;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		uint64_t *next = b->io ? &h->io_next : b->is64 ? &h->mmio64_next : &h->mmio32_next;
		uint64_t base = b->io ? h->io_base : b->is64 ? h->mmio64_base : h->mmio32_base;
		uint64_t size = b->io ? h->io_size : b->is64 ? h->mmio64_size : h->mmio32_size;
		uint64_t a;

		if (!b->size)
			continue;
		if (b->io) {
			if (!h->io_size)
				return -ENOTSUP; /* no I/O window */
			decode |= PCI_COMMAND_IO;
		}
		a = align_up(*next, b->size);
		if (a + b->size > base + size)
			return -ENOSPC;
		*next = a + b->size;
		pci_bar_assign(d, i, a);
		d->bars[i].addr = 0; /* decoding starts below */
	}
	d->devfn = (uint8_t)(slot << 3);
	pci_dev_set_intx(d, 1, PCI_INTX_GSI_BASE + (unsigned int)slot % 4);
	/* decode on, as firmware leaves it: Linux keeps the assignment */
	pci_cfg_set16(d, PCI_COMMAND, pci_cfg_get16(d, PCI_COMMAND) | decode);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t a = pci_bar_address(d, i);

		if (a && d->ops && d->ops->bar_moved)
			d->ops->bar_moved(d, i, 0, a);
		d->bars[i].addr = a;
	}
	h->devs[slot] = d;
	return slot;
}

/* bus 0, function 0 only; anything else reads as absent */
static struct pci_dev *lookup(struct pci_host *h, unsigned int bus, unsigned int dev,
			      unsigned int fn)
{
	if (bus != 0 || fn != 0 || dev >= PCI_MAX_DEVICES)
		return NULL;
	return h->devs[dev];
}

static void cfg_access(struct pci_host *h, unsigned int bus, unsigned int dev, unsigned int fn,
		       uint32_t reg, uint8_t *data, unsigned int size, bool write)
{
	struct pci_dev *d = lookup(h, bus, dev, fn);

	/* naturally aligned accesses only, inside 4 KiB */
	if (!d || (reg & (size - 1)) || reg + size > PCI_CFG_SIZE) {
		if (!write)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (write)
		pci_cfg_write(d, reg, data, size);
	else
		pci_cfg_read(d, reg, data, size);
	pthread_mutex_unlock(&h->lock);
}

static void ecam_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	cfg_access(opaque, (unsigned int)(off >> 20), (off >> 15) & 31, (off >> 12) & 7,
		   off & 0xfff, data, size, false);
}

static void ecam_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	cfg_access(opaque, (unsigned int)(off >> 20), (off >> 15) & 31, (off >> 12) & 7,
		   off & 0xfff, (uint8_t *)data, size, true);
}

const struct bus_ops pci_ecam_ops = { .read = ecam_read, .write = ecam_write };

/* 0xcf8: address register (dword only); 0xcfc-0xcff: data window */
static bool cf8_decode(struct pci_host *h, uint64_t off, unsigned int size, unsigned int *bus,
		       unsigned int *dev, unsigned int *fn, uint32_t *reg)
{
	uint32_t a = h->cf8;

	if (off < 4 || !(a & CF8_ENABLE) || (off & (size - 1)))
		return false;
	*bus = (a >> 16) & 0xff;
	*dev = (a >> 11) & 31;
	*fn = (a >> 8) & 7;
	/* the extended-register bits 27:24 (AMD style) reach the 4 KiB space */
	*reg = ((a & 0xfc) | ((a >> 16) & 0xf00)) + (uint32_t)(off - 4);
	return true;
}

static void cf8_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	struct pci_host *h = opaque;
	unsigned int bus, dev, fn;
	uint32_t reg;

	if (off == 0 && size == 4) {
		memcpy(data, &h->cf8, 4);
		return;
	}
	if (off == 1 && size == 1 && h->cf9_ops) {
		h->cf9_ops->read(h->cf9_opaque, 0, data, 1);
		return;
	}
	if (!cf8_decode(h, off, size, &bus, &dev, &fn, &reg)) {
		memset(data, 0xff, size);
		return;
	}
	cfg_access(h, bus, dev, fn, reg, data, size, false);
}

static void cf8_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	struct pci_host *h = opaque;
	unsigned int bus, dev, fn;
	uint32_t reg;

	if (off == 0 && size == 4) {
		memcpy(&h->cf8, data, 4);
		return;
	}
	if (off == 1 && size == 1 && h->cf9_ops) {
		h->cf9_ops->write(h->cf9_opaque, 0, data, 1);
		return;
	}
	if (cf8_decode(h, off, size, &bus, &dev, &fn, &reg))
		cfg_access(h, bus, dev, fn, reg, (uint8_t *)data, size, true);
}

const struct bus_ops pci_cf8_ops = { .read = cf8_read, .write = cf8_write };

/* The BAR windows: find the device and BAR decoding `addr`. */
static struct pci_dev *bar_lookup(struct pci_host *h, uint64_t addr, unsigned int size, bool io,
				  int *bar, uint64_t *off)
{
	for (int s = 1; s < PCI_MAX_DEVICES; s++) {
		struct pci_dev *d = h->devs[s];

		if (!d)
			continue;
		for (int i = 0; i < PCI_NUM_BARS; i++) {
			uint64_t base = __atomic_load_n(&d->bars[i].addr, __ATOMIC_ACQUIRE);

			if (!base || d->bars[i].io != io || addr < base || addr - base >= d->bars[i].size ||
			    size > d->bars[i].size - (addr - base))
				continue;
			*bar = i;
			*off = addr - base;
			return d;
		}
	}
	return NULL;
}

static void mmio_read(void *opaque, uint64_t woff, uint8_t *data, unsigned int size)
{
	struct pci_window *w = opaque;
	struct pci_host *h = w->host;
	uint64_t off, addr = w->base + woff;
	int bar;
	struct pci_dev *d = bar_lookup(h, addr, size, w->io, &bar, &off);

	if (!d || !d->ops->bar_read) {
		memset(data, 0xff, size);
		__atomic_add_fetch(&h->bad_accesses, 1, __ATOMIC_RELAXED);
		return;
	}
	d->ops->bar_read(d, bar, off, data, size);
}

static void mmio_write(void *opaque, uint64_t woff, const uint8_t *data, unsigned int size)
{
	struct pci_window *w = opaque;
	struct pci_host *h = w->host;
	uint64_t off, addr = w->base + woff;
	int bar;
	struct pci_dev *d = bar_lookup(h, addr, size, w->io, &bar, &off);

	if (!d || !d->ops->bar_write) {
		__atomic_add_fetch(&h->bad_accesses, 1, __ATOMIC_RELAXED);
		return;
	}
	d->ops->bar_write(d, bar, off, data, size);
}

const struct bus_ops pci_mmio_ops = { .read = mmio_read, .write = mmio_write };
