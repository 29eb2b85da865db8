// SPDX-License-Identifier: GPL-2.0-only
/* The config space a passed-through device shows the guest (see vfio.h). */
#include "vfio/vfio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define CFG_STD 256

static struct vfio_pci *to_vfio(struct pci_dev *d)
{
	return d->priv;
}

/* Capabilities the guest keeps seeing; the rest are unlinked. */
static bool cap_kept(uint8_t id)
{
	return id == PCI_CAP_ID_PM || id == PCI_CAP_ID_EXP || id == PCI_CAP_ID_MSIX ||
	       id == PCI_CAP_ID_MSI;
}

static void pt_range(struct vfio_pci *v, uint32_t off, uint32_t len, bool on)
{
	for (uint32_t i = off; i < off + len && i < PCI_CFG_SIZE; i++) {
		v->pt[i] = on;
		v->pci.wmask[i] = on ? 0xff : 0;
		v->pci.w1c[i] = 0;
	}
}

/* A capability's length: its layout's, cut at the next capability and the end of the space. */
static uint8_t cap_len(const uint8_t *raw, const bool *is_cap, uint8_t off)
{
	uint8_t id = raw[off], len;
	uint16_t ctrl = (uint16_t)(raw[off + 2] | raw[off + 3] << 8);

	switch (id) {
	case PCI_CAP_ID_MSIX:
		len = PCI_CAP_MSIX_SIZEOF;
		break;
	case PCI_CAP_ID_PM:
		len = PCI_PM_SIZEOF;
		break;
	case PCI_CAP_ID_MSI:
		len = (uint8_t)(((ctrl & PCI_MSI_FLAGS_64BIT) ? 14 : 10) +
				((ctrl & PCI_MSI_FLAGS_MASKBIT) ? 10 : 0));
		break;
	default:
		len = PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	}
	for (unsigned int i = off + 1u; i < (unsigned int)off + len; i++)
		if (i >= CFG_STD || is_cap[i])
			return (uint8_t)(i - off);
	return len;
}

/* Walk the device's chain in raw[], keep the capabilities we pass, relink them. */
static int build_caps(struct vfio_pci *v, const uint8_t *raw, char *why, size_t whylen)
{
	uint8_t *cfg = v->pci.cfg, last = 0, off;
	bool seen[CFG_STD / 4] = { false }, is_cap[CFG_STD] = { false };

	cfg[PCI_CAPABILITY_LIST] = 0;
	if (!(raw[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return 0;
	for (off = raw[PCI_CAPABILITY_LIST] & ~3; off; off = raw[off + PCI_CAP_LIST_NEXT] & ~3) {
		if (off < 0x40 || off > CFG_STD - 4 || seen[off / 4]) {
			snprintf(why, whylen, "broken capability chain at 0x%02x", off);
			return -EIO;
		}
		seen[off / 4] = true;
		is_cap[off] = true;
	}
	for (off = raw[PCI_CAPABILITY_LIST] & ~3; off; off = raw[off + PCI_CAP_LIST_NEXT] & ~3) {
		uint8_t id = raw[off], len = cap_len(raw, is_cap, off);

		if (!cap_kept(id))
			continue;
		if (id == PCI_CAP_ID_MSIX) {
			if (v->msix_cap || len < PCI_CAP_MSIX_SIZEOF) {
				snprintf(why, whylen, "bad MSI-X capability at 0x%02x", off);
				return -EIO;
			}
			v->msix_cap = off;
			pt_range(v, off, len, false); /* emulated: msix_attach sets its masks */
		} else if (id == PCI_CAP_ID_MSI) {
			uint16_t ctrl = (uint16_t)(raw[off + PCI_MSI_FLAGS] | raw[off + PCI_MSI_FLAGS + 1] << 8);
			uint8_t alen = (ctrl & PCI_MSI_FLAGS_64BIT) ? 14 : 10;

			if (v->msi_cap || len < alen) {
				snprintf(why, whylen, "bad MSI capability at 0x%02x", off);
				return -EIO;
			}
			v->msi_cap = off;
			v->msi_64 = ctrl & PCI_MSI_FLAGS_64BIT;
			pt_range(v, off, len, false);
			/* one vector, no per-vector masking: the guest writes Enable, address, data */
			pci_cfg_set16(&v->pci, off + PCI_MSI_FLAGS, ctrl & PCI_MSI_FLAGS_64BIT);
			memset(v->pci.cfg + off + 4, 0, (size_t)(len - 4));
			v->pci.wmask[off + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE;
			memset(v->pci.wmask + off + PCI_MSI_ADDRESS_LO, 0xff, (size_t)(alen - 4));
			v->pci.wmask[off + PCI_MSI_ADDRESS_LO] = 0xfc;
		} else {
			pt_range(v, off + 2, len - 2u, true);
		}
		/* ID and next pointer are ours */
		pt_range(v, off, 2, false);
		cfg[off + PCI_CAP_LIST_NEXT] = 0;
		if (last)
			cfg[last + PCI_CAP_LIST_NEXT] = off;
		else
			cfg[PCI_CAPABILITY_LIST] = off;
		last = off;
	}
	return 0;
}

int vfio_pci_build(struct vfio_pci *v, char *why, size_t whylen)
{
	struct pci_dev *d = &v->pci;
	uint8_t raw[CFG_STD];
	uint64_t cfg_size = v->regions[VFIO_PCI_CONFIG_REGION_INDEX].size;
	int err;

	if (cfg_size < CFG_STD) {
		snprintf(why, whylen, "config space of %llu bytes", (unsigned long long)cfg_size);
		return -EIO;
	}
	err = v->io->read(v->io_ctx, VFIO_PCI_CONFIG_REGION_INDEX, 0, raw, sizeof(raw));
	if (err) {
		snprintf(why, whylen, "reading config space: %s", strerror(-err));
		return err;
	}
	if ((raw[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		snprintf(why, whylen, "header type %u: only endpoints (type 0) can be passed",
			 raw[PCI_HEADER_TYPE] & 0x7f);
		return -ENOTSUP;
	}
	pci_dev_init(d, 0, 0, 0, 0, 0);
	memcpy(d->cfg, raw, sizeof(raw));
	d->ops = &vfio_pci_ops;
	d->priv = v;
	d->name = v->name;
	memset(v->pt, 0, sizeof(v->pt));
	v->msix_cap = v->msi_cap = 0;
	v->io_bars_hidden = 0;
	/* the header is the device's, apart from what follows */
	pt_range(v, 0, 0x40, true);
	/* read-only identity: writes would only be dropped by vfio-pci, keep them local */
	pt_range(v, PCI_VENDOR_ID, 4, false);
	pt_range(v, PCI_CLASS_REVISION, 4, false);
	pt_range(v, PCI_HEADER_TYPE, 1, false);
	pt_range(v, PCI_SUBSYSTEM_VENDOR_ID, 4, false);
	pt_range(v, PCI_CAPABILITY_LIST, 4, false);
	pt_range(v, PCI_INTERRUPT_LINE, 2, false);
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	pt_range(v, PCI_ROM_ADDRESS, 4, false); /* no ROM for the guest */
	pci_cfg_set32(d, PCI_ROM_ADDRESS, 0);
	pt_range(v, PCI_BASE_ADDRESS_0, 24, false);
	memset(d->cfg + PCI_BASE_ADDRESS_0, 0, 24);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint8_t bar = raw[PCI_BASE_ADDRESS_0 + 4 * i]; /* the flag bits */
		uint64_t size = v->regions[i].size;
		bool io = bar & PCI_BASE_ADDRESS_SPACE_IO;
		bool is64 = !io && (bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;

		if (!size)
			continue;
		if (io && (size & (size - 1) || size < 4 || size > 256)) {
			v->io_bars_hidden++; /* not an I/O BAR's size: left out */
			continue;
		}
		if (!io && (size & (size - 1) || size < 16 || (is64 && i == PCI_NUM_BARS - 1))) {
			snprintf(why, whylen, "BAR %d: size 0x%llx is not a BAR's", i,
				 (unsigned long long)size);
			return -EIO;
		}
		/* an I/O BAR is never mmapped: every access is forwarded (vfio_bar_read/write) */
		err = pci_dev_add_bar(d, i, size, io, is64,
				      !io && (bar & PCI_BASE_ADDRESS_MEM_PREFETCH));
		if (err) {
			snprintf(why, whylen, "BAR %d: size 0x%llx not supported", i,
				 (unsigned long long)size);
			return err;
		}
		if (is64)
			i++;
	}
	/* extended capabilities (AER, SR-IOV, ...) stay hidden: an empty list */
	memset(d->cfg + CFG_STD, 0, PCI_CFG_SIZE - CFG_STD);
	/* command: the decode bits matter to pci.c, the rest to the device */
	d->wmask[PCI_COMMAND] = 0xff;
	d->wmask[PCI_COMMAND + 1] = 0x07;
	return build_caps(v, raw, why, whylen);
}

/* Read the passed-through bytes of [off, off+size) from the device. */
static void vfio_cfg_read(struct pci_dev *d, uint32_t off, unsigned int size)
{
	struct vfio_pci *v = to_vfio(d);
	uint8_t buf[4];
	bool any = false;

	for (unsigned int i = 0; i < size; i++)
		any |= v->pt[off + i];
	if (!any)
		return;
	if (v->io->read(v->io_ctx, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, size)) {
		v->io_errors++;
		memset(buf, 0xff, size);
	}
	for (unsigned int i = 0; i < size; i++)
		if (v->pt[off + i])
			d->cfg[off + i] = buf[i];
}

/* INTx on in VFIO: the trigger, and the resample eventfd that unmasks the line after
 * the guest's EOI (VFIO drops both whenever INTx is turned off). */
static int intx_enable(struct vfio_pci *v)
{
	int err = v->io->set_irqs(v->io_ctx, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1,
				  &v->intx_efd);

	if (!err)
		err = v->io->set_irqs(v->io_ctx, VFIO_PCI_INTX_IRQ_INDEX,
				      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
				      &v->intx_resample);
	if (err)
		log_guest("%s: INTx enable: %s", v->name, strerror(-err));
	v->intx_on = !err;
	return err;
}

/*
 * MSI or MSI-X (index) on, with n eventfds, or off, in VFIO; INTx off while
 * it is on and back on after. 0, or -errno after a (rate-limited) log line.
 */
static int msi_switch(struct vfio_pci *v, unsigned int index, bool on, unsigned int n, int *fds,
		      const char *what)
{
	int err;

	if (on && v->intx_on) {
		v->io->set_irqs(v->io_ctx, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
		v->intx_on = false;
	}
	err = on ? v->io->set_irqs(v->io_ctx, index,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, n, fds)
		 : v->io->set_irqs(v->io_ctx, index,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	if (err) {
		log_guest("%s: %s %s: %s", v->name, what, on ? "enable" : "disable", strerror(-err));
		v->io_errors++;
		return err;
	}
	if (!on && v->intx_efd >= 0)
		intx_enable(v);
	return 0;
}

/* MSI-X on or off in VFIO as the guest's enable bit says (INTx while it is off). */
static void msix_follow(struct vfio_pci *v)
{
	bool on = msix_enabled(&v->msix);
	int fds[MSIX_MAX_VECTORS];

	if (on == v->msix_on)
		return;
	for (unsigned int i = 0; on && i < v->msix.nr; i++)
		fds[i] = v->msix.v[i].efd;
	if (!msi_switch(v, VFIO_PCI_MSIX_IRQ_INDEX, on, v->msix.nr, fds, "MSI-X"))
		v->msix_on = on;
}

/* MSI on, off or re-aimed as the guest's capability says (INTx while it is off). */
static void msi_follow(struct vfio_pci *v)
{
	const uint8_t c = v->msi_cap;
	bool on = pci_cfg_get16(&v->pci, c + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE;
	uint64_t addr = pci_cfg_get32(&v->pci, c + PCI_MSI_ADDRESS_LO);
	uint32_t data = pci_cfg_get16(&v->pci, c + (v->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32));

	if (v->msi_64)
		addr |= (uint64_t)pci_cfg_get32(&v->pci, c + PCI_MSI_ADDRESS_HI) << 32;
	if (v->env.router && v->msi_gsi >= 0 && on)
		irq_router_set_msi(v->env.router, (unsigned int)v->msi_gsi, addr, data);
	if (on == v->msi_on || v->msi_efd < 0)
		return;
	if (!msi_switch(v, VFIO_PCI_MSI_IRQ_INDEX, on, 1, &v->msi_efd, "MSI"))
		v->msi_on = on;
}

/* Forward the passed-through bytes the guest just wrote; follow MSI-X and MSI. */
static void vfio_cfg_written(struct pci_dev *d, uint32_t off, unsigned int size)
{
	struct vfio_pci *v = to_vfio(d);
	unsigned int i = 0;

	while (i < size) {
		unsigned int n = 0;

		if (!v->pt[off + i]) {
			i++;
			continue;
		}
		while (i + n < size && v->pt[off + i + n])
			n++;
		if (v->io->write(v->io_ctx, VFIO_PCI_CONFIG_REGION_INDEX, off + i, d->cfg + off + i, n))
			v->io_errors++;
		i += n;
	}
	uint32_t ctrl = (uint32_t)v->msix_cap + PCI_MSIX_FLAGS;

	if (v->msix_ready && off <= ctrl + 1 && off + size > ctrl) {
		msix_cfg_written(&v->msix, off, size);
		msix_follow(v);
	}
	if (v->msi_cap && off < v->msi_cap + 24u && off + size > v->msi_cap && off >= v->msi_cap)
		msi_follow(v);
}

static void vfio_bar_read(struct pci_dev *d, int bar, uint64_t off, uint8_t *data, unsigned int size)
{
	struct vfio_pci *v = to_vfio(d);

	if (v->msix_ready && bar == v->msix.bar && msix_bar_read(&v->msix, off, data, size))
		return;
	__atomic_add_fetch(&v->trapped_reads, 1, __ATOMIC_RELAXED);
	if (v->io->read(v->io_ctx, (unsigned int)bar, off, data, size)) {
		__atomic_add_fetch(&v->io_errors, 1, __ATOMIC_RELAXED);
		memset(data, 0xff, size);
	}
}

static void vfio_bar_write(struct pci_dev *d, int bar, uint64_t off, const uint8_t *data,
			   unsigned int size)
{
	struct vfio_pci *v = to_vfio(d);

	if (v->msix_ready && bar == v->msix.bar && msix_bar_write(&v->msix, off, data, size))
		return;
	__atomic_add_fetch(&v->trapped_writes, 1, __ATOMIC_RELAXED);
	if (v->io->write(v->io_ctx, (unsigned int)bar, off, data, size))
		__atomic_add_fetch(&v->io_errors, 1, __ATOMIC_RELAXED);
}

/* The BAR moved (or decoding changed): its mapped pieces follow it. */
static void vfio_bar_moved(struct pci_dev *d, int bar, uint64_t old_addr, uint64_t new_addr)
{
	struct vfio_pci *v = to_vfio(d);
	struct vfio_region *r = &v->regions[bar];

	(void)old_addr;
	if (!v->env.memslot)
		return;
	for (unsigned int i = 0; i < r->nr_areas; i++) {
		struct vfio_area *a = &r->areas[i];

		if (a->slot >= 0) {
			v->env.memslot(v->env.ctx, a->slot, 0, 0, NULL);
			a->slot = -1;
		}
		if (new_addr) {
			int s = v->env.memslot(v->env.ctx, -1, new_addr + a->off, a->size, a->host);

			if (s < 0)
				log_guest("%s: BAR %d at 0x%llx: no memory slot (%s), accesses trap",
					  v->name, bar, (unsigned long long)new_addr, strerror(-s));
			a->slot = s < 0 ? -1 : s;
		}
	}
}

const struct pci_dev_ops vfio_pci_ops = {
	.bar_read = vfio_bar_read,
	.bar_write = vfio_bar_write,
	.cfg_written = vfio_cfg_written,
	.cfg_read = vfio_cfg_read,
	.bar_moved = vfio_bar_moved,
};

int vfio_pci_wire(struct vfio_pci *v, char *why, size_t whylen)
{
	struct pci_dev *d = &v->pci;
	int err;

	if (v->msix_cap) {
		err = msix_attach(&v->msix, d, v->env.router, v->msix_cap);
		if (err) {
			snprintf(why, whylen, "MSI-X: %s", strerror(-err));
			return err;
		}
		if (!d->bars[v->msix.bar].size) {
			snprintf(why, whylen, "MSI-X table in BAR %d, which the device lacks", v->msix.bar);
			msix_destroy(&v->msix); /* not ready yet: unwire would not free it */
			return -EIO;
		}
		v->msix_ready = true;
	}
	if (v->msi_cap) {
		v->msi_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->msi_efd < 0) {
			snprintf(why, whylen, "eventfd: %s", strerror(errno));
			return -errno;
		}
		if (v->env.router) {
			v->msi_gsi = irq_router_alloc_msi(v->env.router);
			if (v->msi_gsi < 0 ||
			    (err = irq_router_irqfd(v->env.router, (unsigned int)v->msi_gsi, v->msi_efd,
						    -1, true))) {
				snprintf(why, whylen, "MSI route: %s", strerror(ENOSPC));
				v->msi_gsi = -1;
				return -ENOSPC;
			}
		}
	}
	if (v->intx_count && d->intx_gsi) {
		v->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->intx_resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->intx_efd < 0 || v->intx_resample < 0) {
			snprintf(why, whylen, "eventfd: %s", strerror(errno));
			return -errno;
		}
		if (v->env.router &&
		    (err = irq_router_irqfd(v->env.router, d->intx_gsi, v->intx_efd, v->intx_resample,
					    true))) {
			snprintf(why, whylen, "INTx irqfd: %s", strerror(-err));
			return err;
		}
		err = intx_enable(v);
		if (err) {
			snprintf(why, whylen, "INTx: %s", strerror(-err));
			return err;
		}
	} else {
		d->cfg[PCI_INTERRUPT_PIN] = 0;
	}
	/* the decode bits kasou-as-firmware turned on reach the device too */
	vfio_cfg_written(d, PCI_COMMAND, 2);
	return 0;
}

void vfio_pci_unwire(struct vfio_pci *v)
{
	if (v->msix_on)
		v->io->set_irqs(v->io_ctx, VFIO_PCI_MSIX_IRQ_INDEX,
				VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	v->msix_on = false;
	if (v->msi_on)
		v->io->set_irqs(v->io_ctx, VFIO_PCI_MSI_IRQ_INDEX,
				VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	v->msi_on = false;
	if (v->msi_efd >= 0) {
		if (v->env.router && v->msi_gsi >= 0)
			irq_router_irqfd(v->env.router, (unsigned int)v->msi_gsi, v->msi_efd, -1, false);
		close(v->msi_efd);
	}
	v->msi_efd = v->msi_gsi = -1;
	if (v->intx_on)
		v->io->set_irqs(v->io_ctx, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	v->intx_on = false;
	if (v->intx_efd >= 0) {
		if (v->env.router)
			irq_router_irqfd(v->env.router, v->pci.intx_gsi, v->intx_efd, v->intx_resample,
					 false);
		close(v->intx_efd);
	}
	if (v->intx_resample >= 0)
		close(v->intx_resample);
	v->intx_efd = v->intx_resample = -1;
	if (v->msix_ready)
		msix_destroy(&v->msix);
	v->msix_ready = false;
}
