// SPDX-License-Identifier: GPL-2.0-only
#include "pci/pci.h"

#include <errno.h>
#include <string.h>

#define CAP_AREA_START 0x40
#define CAP_AREA_END 0x100

void pci_cfg_set16(struct pci_dev *d, uint32_t off, uint16_t v)
{
	d->cfg[off] = (uint8_t)v;
	d->cfg[off + 1] = (uint8_t)(v >> 8);
}

void pci_cfg_set32(struct pci_dev *d, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		d->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void set_wmask16(struct pci_dev *d, uint32_t off, uint16_t m)
{
	d->wmask[off] = (uint8_t)m;
	d->wmask[off + 1] = (uint8_t)(m >> 8);
}

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_rev,
		  uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	memset(d->w1c, 0, sizeof(d->w1c));
	memset(d->bars, 0, sizeof(d->bars));
	pci_cfg_set16(d, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(d, PCI_DEVICE_ID, device);
	pci_cfg_set32(d, PCI_CLASS_REVISION, class_rev);
	pci_cfg_set16(d, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_set16(d, PCI_SUBSYSTEM_ID, subsys_id);
	set_wmask16(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					    PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
					    PCI_COMMAND_INTX_DISABLE);
	d->w1c[PCI_STATUS + 1] = (uint8_t)((PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
					    PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
					    PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY) >> 8);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->last_cap = 0;
	d->cap_end = CAP_AREA_START;
}

int pci_dev_add_bar(struct pci_dev *d, int bar, uint64_t size, bool io, bool is64, bool prefetch)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * (uint32_t)bar, flags;
	uint64_t mask;

	if (bar < 0 || bar >= PCI_NUM_BARS || (is64 && bar == PCI_NUM_BARS - 1) || (io && is64) ||
	    size < (io ? 4 : 16) || (size & (size - 1)) || (!is64 && size > 0x80000000ULL))
		return -EINVAL;
	d->bars[bar] = (struct pci_bar){ .size = size, .io = io, .is64 = is64, .prefetch = prefetch };
	flags = io ? PCI_BASE_ADDRESS_SPACE_IO
		   : (is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
			     (prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
	pci_cfg_set32(d, off, flags);
	mask = ~(size - 1);
	/* writable: the address bits above the size; the low flag bits stay */
	for (int i = 0; i < 4; i++)
		d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
	d->wmask[off] &= io ? 0xfc : 0xf0;
	if (is64) {
		for (int i = 0; i < 4; i++)
			d->wmask[off + 4 + i] = (uint8_t)(mask >> (32 + 8 * i));
	}
	return 0;
}

uint8_t pci_dev_add_cap(struct pci_dev *d, uint8_t id, const void *body, uint8_t len)
{
	uint8_t off = (uint8_t)((d->cap_end + 3) & ~3);

	if (len < 2 || off + len > CAP_AREA_END || off < CAP_AREA_START)
		return 0;
	memcpy(d->cfg + off, body, len);
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (d->last_cap)
		d->cfg[d->last_cap + 1] = off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->last_cap = off;
	d->cap_end = (uint8_t)(off + len);
	return off;
}

void pci_dev_set_intx(struct pci_dev *d, uint8_t pin, unsigned int gsi)
{
	d->cfg[PCI_INTERRUPT_PIN] = pin;
	d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)gsi;
	d->intx_gsi = gsi;
}

static uint64_t bar_programmed(const struct pci_dev *d, int bar)
{
	const struct pci_bar *b = &d->bars[bar];
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * (uint32_t)bar;
	uint64_t a = pci_cfg_get32(d, off);

	if (b->io)
		return a & PCI_BASE_ADDRESS_IO_MASK;
	a &= PCI_BASE_ADDRESS_MEM_MASK;
	if (b->is64)
		a |= (uint64_t)pci_cfg_get32(d, off + 4) << 32;
	return a;
}

uint64_t pci_bar_address(const struct pci_dev *d, int bar)
{
	const struct pci_bar *b = &d->bars[bar];
	uint16_t cmd = pci_cfg_get16(d, PCI_COMMAND);

	if (!b->size || !(cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return 0;
	return bar_programmed(d, bar);
}

void pci_bar_assign(struct pci_dev *d, int bar, uint64_t addr)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * (uint32_t)bar;
	uint32_t flags = pci_cfg_get32(d, off) & (d->bars[bar].io ? 0x3 : 0xf);

	pci_cfg_set32(d, off, (uint32_t)addr | flags);
	if (d->bars[bar].is64)
		pci_cfg_set32(d, off + 4, (uint32_t)(addr >> 32));
	d->bars[bar].addr = pci_bar_address(d, bar);
}

void pci_cfg_read(struct pci_dev *d, uint32_t off, uint8_t *data, unsigned int size)
{
	if (d->ops && d->ops->cfg_read)
		d->ops->cfg_read(d, off, size);
	memcpy(data, d->cfg + off, size);
}

/* After any write that can move a BAR: tell the device where each BAR decodes now. */
static void update_bars(struct pci_dev *d)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t now;

		if (!d->bars[i].size)
			continue;
		now = pci_bar_address(d, i);
		if (now == d->bars[i].addr)
			continue;
		if (d->ops && d->ops->bar_moved)
			d->ops->bar_moved(d, i, d->bars[i].addr, now);
		__atomic_store_n(&d->bars[i].addr, now, __ATOMIC_RELEASE);
	}
}

void pci_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data, unsigned int size)
{
	bool bars = false;

	for (unsigned int i = 0; i < size; i++) {
		uint32_t o = off + i;
		uint8_t wm = d->wmask[o], c = d->w1c[o];

		d->cfg[o] = (uint8_t)((d->cfg[o] & ~wm) | (data[i] & wm));
		d->cfg[o] &= (uint8_t)~(data[i] & c);
		if ((o >= PCI_BASE_ADDRESS_0 && o < PCI_BASE_ADDRESS_5 + 4) || o == PCI_COMMAND)
			bars = true;
	}
	if (bars)
		update_bars(d);
	if (d->ops && d->ops->cfg_written)
		d->ops->cfg_written(d, off, size);
}
