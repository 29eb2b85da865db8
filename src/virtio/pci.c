// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/pci.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_DEVICE_VIRTIO_MODERN 0x1040
#define VIRTIO_PCI_REVISION 1
#define VIRTIO_PCI_ISR_QUEUE 0x1

static struct virtio_pci *to_vpci(struct pci_dev *p)
{
	return p->priv;
}

/* ---- interrupts (any thread, never under t->lock) ---- */

static void intx_raise(struct virtio_pci *t, uint8_t bit)
{
	__atomic_or_fetch(&t->isr, bit, __ATOMIC_ACQ_REL);
	if (t->env.set_intx && !(pci_cfg_get16(&t->pci, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE))
		t->env.set_intx(t->env.ctx, t->pci.intx_gsi, 1);
}

void virtio_notify_queue(struct virtio_dev *d, unsigned int q)
{
	struct virtio_pci *t = d->transport;
	uint16_t vec = __atomic_load_n(&d->q[q].msix_vector, __ATOMIC_ACQUIRE);

	if (msix_enabled(&t->msix)) {
		if (vec != VIRTIO_MSI_NO_VECTOR)
			msix_notify(&t->msix, vec);
		return;
	}
	intx_raise(t, VIRTIO_PCI_ISR_QUEUE);
}

void virtio_notify_config(struct virtio_dev *d)
{
	struct virtio_pci *t = d->transport;
	uint16_t vec = __atomic_load_n(&t->msix_config, __ATOMIC_ACQUIRE);

	__atomic_add_fetch(&d->config_generation, 1, __ATOMIC_ACQ_REL);
	if (msix_enabled(&t->msix)) {
		__atomic_or_fetch(&t->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_ACQ_REL);
		if (vec != VIRTIO_MSI_NO_VECTOR)
			msix_notify(&t->msix, vec);
		return;
	}
	intx_raise(t, VIRTIO_PCI_ISR_CONFIG);
}

void virtio_set_needs_reset(struct virtio_dev *d)
{
	uint8_t old = __atomic_fetch_or(&d->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_ACQ_REL);

	if (old & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	__atomic_add_fetch(&d->needs_reset_count, 1, __ATOMIC_RELAXED);
	log_guest("%s: device error, needs reset (driver status 0x%x)", d->name, old);
	if (old & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_notify_config(d);
}

/* ---- ioeventfds for the notify area ---- */

static void notify_bind(struct virtio_pci *t, uint64_t bar_addr)
{
	struct virtio_dev *d = t->dev;

	if (!t->env.ioeventfd)
		return;
	if (t->notify_addr) {
		for (unsigned int i = 0; i < d->nr_queues; i++)
			t->env.ioeventfd(t->env.ctx, t->notify_addr + i * VPCI_NOTIFY_MULT, 2,
					 d->q[i].kick_fd, false);
		t->notify_addr = 0;
	}
	if (!bar_addr)
		return;
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		int err = t->env.ioeventfd(t->env.ctx, bar_addr + VPCI_NOTIFY + i * VPCI_NOTIFY_MULT,
					   2, d->q[i].kick_fd, true);

		if (err) {
			/* the BAR write path still kicks, just through a vCPU exit */
			log_warn("%s: ioeventfd for queue %u: %s", d->name, i, strerror(-err));
			while (i--)
				t->env.ioeventfd(t->env.ctx,
						 bar_addr + VPCI_NOTIFY + i * VPCI_NOTIFY_MULT, 2,
						 d->q[i].kick_fd, false);
			return;
		}
	}
	t->notify_addr = bar_addr + VPCI_NOTIFY;
}

/* ---- device status ---- */

/* Stop the device and forget the driver's setup. Lock held. */
static void device_reset(struct virtio_pci *t)
{
	struct virtio_dev *d = t->dev;

	if (d->active) {
		d->ops->reset(d);
		d->active = false;
	}
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		struct virtio_queue *q = &d->q[i];
		uint64_t drain;

		q->size = q->max_size;
		q->msix_vector = VIRTIO_MSI_NO_VECTOR;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
		virtq_reset(&q->vq);
		while (read(q->kick_fd, &drain, sizeof(drain)) > 0)
			;
	}
	d->driver_features = 0;
	__atomic_store_n(&d->status, 0, __ATOMIC_RELEASE);
	t->msix_config = VIRTIO_MSI_NO_VECTOR;
	t->dfselect = t->gfselect = 0;
	t->queue_select = 0;
	__atomic_store_n(&t->isr, 0, __ATOMIC_RELEASE);
	if (t->env.set_intx)
		t->env.set_intx(t->env.ctx, t->pci.intx_gsi, 0);
}

/* DRIVER_OK: check and map every enabled queue, then start the device. */
static int device_activate(struct virtio_pci *t)
{
	struct virtio_dev *d = t->dev;
	bool ev = virtio_has_feature(d, VIRTIO_RING_F_EVENT_IDX);
	bool ind = virtio_has_feature(d, VIRTIO_RING_F_INDIRECT_DESC);

	for (unsigned int i = 0; i < d->nr_queues; i++) {
		struct virtio_queue *q = &d->q[i];
		int err;

		if (!q->enabled)
			continue;
		err = virtq_init(&q->vq, d->mem, q->size, q->desc, q->driver, q->device, ev, ind);
		if (err) {
			log_guest("%s: queue %u: bad ring setup (size %u, desc 0x%llx)", d->name, i,
				  q->size, (unsigned long long)q->desc);
			return err;
		}
	}
	return d->ops->activate(d);
}

static void status_write(struct virtio_pci *t, uint8_t val)
{
	struct virtio_dev *d = t->dev;
	uint8_t old = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

	if (val == 0) {
		device_reset(t);
		return;
	}
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t offered = d->ops->features(d) | (1ULL << VIRTIO_F_VERSION_1);

		if ((d->driver_features & ~offered) ||
		    !(d->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
			val &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK; /* the driver reads it back */
	}
	__atomic_store_n(&d->status, (uint8_t)(val | (old & VIRTIO_CONFIG_S_NEEDS_RESET)),
			 __ATOMIC_RELEASE);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) && !d->active) {
		if (!(val & VIRTIO_CONFIG_S_FEATURES_OK) || device_activate(t) < 0) {
			virtio_set_needs_reset(d);
			return;
		}
		d->active = true;
	}
}

/* ---- common configuration ---- */

static struct virtio_queue *selq(struct virtio_pci *t)
{
	return t->queue_select < t->dev->nr_queues ? &t->dev->q[t->queue_select] : NULL;
}

static uint64_t common_read(struct virtio_pci *t, uint32_t off)
{
	struct virtio_dev *d = t->dev;
	struct virtio_queue *q = selq(t);
	uint64_t feat;

	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, device_feature_select):
		return t->dfselect;
	case offsetof(struct virtio_pci_common_cfg, device_feature):
		feat = d->ops->features(d) | (1ULL << VIRTIO_F_VERSION_1);
		return t->dfselect == 0 ? (uint32_t)feat : t->dfselect == 1 ? feat >> 32 : 0;
	case offsetof(struct virtio_pci_common_cfg, guest_feature_select):
		return t->gfselect;
	case offsetof(struct virtio_pci_common_cfg, guest_feature):
		return t->gfselect == 0 ? (uint32_t)d->driver_features
		       : t->gfselect == 1 ? d->driver_features >> 32 : 0;
	case offsetof(struct virtio_pci_common_cfg, msix_config):
		return t->msix_config;
	case offsetof(struct virtio_pci_common_cfg, num_queues):
		return d->nr_queues;
	case offsetof(struct virtio_pci_common_cfg, device_status):
		return __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);
	case offsetof(struct virtio_pci_common_cfg, config_generation):
		return __atomic_load_n(&d->config_generation, __ATOMIC_ACQUIRE);
	case offsetof(struct virtio_pci_common_cfg, queue_select):
		return t->queue_select;
	}
	if (!q)
		return 0; /* a queue that does not exist reads as size 0 */
	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, queue_size):
		return q->size;
	case offsetof(struct virtio_pci_common_cfg, queue_msix_vector):
		return q->msix_vector;
	case offsetof(struct virtio_pci_common_cfg, queue_enable):
		return q->enabled;
	case offsetof(struct virtio_pci_common_cfg, queue_notify_off):
		return t->queue_select;
	case offsetof(struct virtio_pci_common_cfg, queue_desc_lo):
		return (uint32_t)q->desc;
	case offsetof(struct virtio_pci_common_cfg, queue_desc_hi):
		return q->desc >> 32;
	case offsetof(struct virtio_pci_common_cfg, queue_avail_lo):
		return (uint32_t)q->driver;
	case offsetof(struct virtio_pci_common_cfg, queue_avail_hi):
		return q->driver >> 32;
	case offsetof(struct virtio_pci_common_cfg, queue_used_lo):
		return (uint32_t)q->device;
	case offsetof(struct virtio_pci_common_cfg, queue_used_hi):
		return q->device >> 32;
	}
	return 0;
}

static uint16_t valid_vector(struct virtio_pci *t, uint64_t v)
{
	return v < t->msix.nr ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void set_lo(uint64_t *r, uint64_t v)
{
	*r = (*r & ~0xffffffffULL) | (uint32_t)v;
}

static void set_hi(uint64_t *r, uint64_t v)
{
	*r = (*r & 0xffffffffULL) | (v << 32);
}

static void common_write(struct virtio_pci *t, uint32_t off, uint64_t v)
{
	struct virtio_dev *d = t->dev;
	struct virtio_queue *q = selq(t);
	bool driver_ok = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_DRIVER_OK;

	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, device_feature_select):
		t->dfselect = (uint32_t)v;
		return;
	case offsetof(struct virtio_pci_common_cfg, guest_feature_select):
		t->gfselect = (uint32_t)v;
		return;
	case offsetof(struct virtio_pci_common_cfg, guest_feature):
		if (__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_FEATURES_OK)
			return; /* frozen once FEATURES_OK is set */
		if (t->gfselect == 0)
			set_lo(&d->driver_features, v);
		else if (t->gfselect == 1)
			set_hi(&d->driver_features, v);
		return;
	case offsetof(struct virtio_pci_common_cfg, msix_config):
		__atomic_store_n(&t->msix_config, valid_vector(t, v), __ATOMIC_RELEASE);
		return;
	case offsetof(struct virtio_pci_common_cfg, device_status):
		status_write(t, (uint8_t)v);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_select):
		t->queue_select = (uint16_t)v;
		return;
	}
	/* queue registers: only before DRIVER_OK, only for a queue that exists */
	if (!q || driver_ok)
		return;
	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, queue_size):
		q->size = (uint16_t)v;
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_msix_vector):
		__atomic_store_n(&q->msix_vector, valid_vector(t, v), __ATOMIC_RELEASE);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_enable):
		q->enabled = v == 1;
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_desc_lo):
		set_lo(&q->desc, v);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_desc_hi):
		set_hi(&q->desc, v);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_avail_lo):
		set_lo(&q->driver, v);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_avail_hi):
		set_hi(&q->driver, v);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_used_lo):
		set_lo(&q->device, v);
		return;
	case offsetof(struct virtio_pci_common_cfg, queue_used_hi):
		set_hi(&q->device, v);
		return;
	}
}

/* Registers are 1, 2 or 4 bytes wide; an access of another width or offset is ignored. */
static unsigned int common_width(uint32_t off)
{
	switch (off) {
	case offsetof(struct virtio_pci_common_cfg, device_status):
	case offsetof(struct virtio_pci_common_cfg, config_generation):
		return 1;
	case offsetof(struct virtio_pci_common_cfg, msix_config):
	case offsetof(struct virtio_pci_common_cfg, num_queues):
	case offsetof(struct virtio_pci_common_cfg, queue_select):
	case offsetof(struct virtio_pci_common_cfg, queue_size):
	case offsetof(struct virtio_pci_common_cfg, queue_msix_vector):
	case offsetof(struct virtio_pci_common_cfg, queue_enable):
	case offsetof(struct virtio_pci_common_cfg, queue_notify_off):
		return 2;
	default:
		return off < sizeof(struct virtio_pci_common_cfg) && !(off & 3) ? 4 : 0;
	}
}

/* ---- BAR 0 ---- */

static void bar_read(struct pci_dev *p, int bar, uint64_t off, uint8_t *data, unsigned int size)
{
	struct virtio_pci *t = to_vpci(p);
	struct virtio_dev *d = t->dev;
	uint64_t v = 0;

	memset(data, 0, size);
	if (msix_bar_read(&t->msix, off, data, size))
		return;
	if (off < VPCI_ISR) {
		if (common_width((uint32_t)off) != size) {
			t->bad_accesses++;
			return;
		}
		pthread_mutex_lock(&t->lock);
		v = common_read(t, (uint32_t)off);
		pthread_mutex_unlock(&t->lock);
		memcpy(data, &v, size);
	} else if (off == VPCI_ISR) {
		data[0] = __atomic_exchange_n(&t->isr, 0, __ATOMIC_ACQ_REL); /* read clears */
		if (t->env.set_intx)
			t->env.set_intx(t->env.ctx, p->intx_gsi, 0);
	} else if (off >= VPCI_DEVICE && off - VPCI_DEVICE + size <= d->config_size) {
		d->ops->config_read(d, (uint32_t)(off - VPCI_DEVICE), data, size);
	}
}

static void bar_write(struct pci_dev *p, int bar, uint64_t off, const uint8_t *data,
		      unsigned int size)
{
	struct virtio_pci *t = to_vpci(p);
	struct virtio_dev *d = t->dev;
	uint64_t v = 0;

	if (msix_bar_write(&t->msix, off, data, size))
		return;
	if (off < VPCI_ISR) {
		if (common_width((uint32_t)off) != size) {
			t->bad_accesses++;
			return;
		}
		memcpy(&v, data, size);
		pthread_mutex_lock(&t->lock);
		common_write(t, (uint32_t)off, v);
		pthread_mutex_unlock(&t->lock);
	} else if (off >= VPCI_DEVICE && off < VPCI_NOTIFY) {
		if (off - VPCI_DEVICE + size <= d->config_size && d->ops->config_write)
			d->ops->config_write(d, (uint32_t)(off - VPCI_DEVICE), data, size);
	} else if (off >= VPCI_NOTIFY && off < VPCI_NOTIFY + d->nr_queues * VPCI_NOTIFY_MULT) {
		/* reached only without an ioeventfd */
		uint64_t one = 1;
		unsigned int qi = (unsigned int)(off - VPCI_NOTIFY) / VPCI_NOTIFY_MULT;

		if (write(d->q[qi].kick_fd, &one, sizeof(one)) < 0)
			t->bad_accesses++;
	}
}

/* ---- config space hooks ---- */

/* VIRTIO_PCI_CAP_PCI_CFG: a window into the BARs through config space */
static void cfg_window(struct virtio_pci *t, bool write)
{
	uint8_t *cap = t->pci.cfg + t->cfg_cap;
	struct virtio_pci_cap c;
	uint8_t buf[4];

	memcpy(&c, cap, sizeof(c));
	if (c.bar != VPCI_BAR || (c.length != 1 && c.length != 2 && c.length != 4) ||
	    c.offset % c.length || c.offset + c.length > VPCI_BAR_SIZE)
		return;
	if (write) {
		memcpy(buf, cap + sizeof(c), 4);
		bar_write(&t->pci, VPCI_BAR, c.offset, buf, c.length);
	} else {
		bar_read(&t->pci, VPCI_BAR, c.offset, buf, c.length);
		memcpy(cap + sizeof(c), buf, c.length);
	}
}

static bool in_cfg_data(struct virtio_pci *t, uint32_t off, unsigned int size)
{
	uint32_t data = t->cfg_cap + sizeof(struct virtio_pci_cap);

	return t->cfg_cap && off < data + 4 && off + size > data;
}

static void cfg_read_hook(struct pci_dev *p, uint32_t off, unsigned int size)
{
	struct virtio_pci *t = to_vpci(p);

	if (in_cfg_data(t, off, size))
		cfg_window(t, false);
}

static void cfg_written(struct pci_dev *p, uint32_t off, unsigned int size)
{
	struct virtio_pci *t = to_vpci(p);

	msix_cfg_written(&t->msix, off, size);
	if (in_cfg_data(t, off, size))
		cfg_window(t, true);
}

static void bar_moved(struct pci_dev *p, int bar, uint64_t old_addr, uint64_t new_addr)
{
	if (bar == VPCI_BAR)
		notify_bind(to_vpci(p), new_addr);
}

const struct pci_dev_ops virtio_pci_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.cfg_written = cfg_written,
	.cfg_read = cfg_read_hook,
	.bar_moved = bar_moved,
};

static void add_vcap(struct pci_dev *p, uint8_t type, uint32_t off, uint32_t len, uint8_t extra)
{
	uint8_t buf[20] = { 0 };
	struct virtio_pci_cap c = { .cap_len = (uint8_t)(sizeof(c) + extra), .cfg_type = type,
				    .bar = VPCI_BAR, .offset = off, .length = len };

	memcpy(buf, &c, sizeof(c));
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		uint32_t mult = VPCI_NOTIFY_MULT;

		memcpy(buf + sizeof(c), &mult, 4);
	}
	pci_dev_add_cap(p, PCI_CAP_ID_VNDR, buf, c.cap_len);
}

int virtio_pci_init(struct virtio_pci *t, struct virtio_dev *d, const struct guest_mem *mem,
		    const struct virtio_env *env)
{
	struct pci_dev *p = &t->pci;
	int err;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->dev = d;
	t->env = *env;
	d->transport = t;
	d->mem = mem;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		d->q[i].kick_fd = -1;
	pci_dev_init(p, PCI_VENDOR_VIRTIO, (uint16_t)(PCI_DEVICE_VIRTIO_MODERN + d->device_id),
		     d->pci_class | VIRTIO_PCI_REVISION, PCI_VENDOR_VIRTIO, 0x1100);
	p->ops = &virtio_pci_ops;
	p->priv = t;
	p->name = d->name;
	pci_dev_add_bar(p, VPCI_BAR, VPCI_BAR_SIZE, false, false, false);
	add_vcap(p, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON, sizeof(struct virtio_pci_common_cfg), 0);
	add_vcap(p, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR, 1, 0);
	add_vcap(p, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE, d->config_size ? d->config_size : 4, 0);
	add_vcap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY, d->nr_queues * VPCI_NOTIFY_MULT, 4);
	t->cfg_cap = p->cap_end + ((4 - p->cap_end % 4) % 4);
	add_vcap(p, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4);
	/* the window's bar/offset/length and data are the driver's to write */
	p->wmask[t->cfg_cap + offsetof(struct virtio_pci_cap, bar)] = 0xff;
	memset(p->wmask + t->cfg_cap + offsetof(struct virtio_pci_cap, offset), 0xff, 8);
	memset(p->wmask + t->cfg_cap + sizeof(struct virtio_pci_cap), 0xff, 4);
	err = msix_init(&t->msix, p, env->router, d->nr_queues + 1, VPCI_BAR, VPCI_MSIX_TABLE,
			VPCI_MSIX_PBA);
	if (err)
		return err;
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		d->q[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->q[i].kick_fd < 0)
			return -errno;
		d->q[i].size = d->q[i].max_size;
		d->q[i].msix_vector = VIRTIO_MSI_NO_VECTOR;
		virtq_reset(&d->q[i].vq);
	}
	t->msix_config = VIRTIO_MSI_NO_VECTOR;
	return 0;
}

void virtio_pci_destroy(struct virtio_pci *t)
{
	struct virtio_dev *d = t->dev;

	if (!d)
		return;
	pthread_mutex_lock(&t->lock);
	if (d->active) {
		d->ops->reset(d);
		d->active = false;
	}
	pthread_mutex_unlock(&t->lock);
	notify_bind(t, 0);
	for (unsigned int i = 0; i < d->nr_queues; i++)
		if (d->q[i].kick_fd >= 0)
			close(d->q[i].kick_fd);
	msix_destroy(&t->msix);
	pthread_mutex_destroy(&t->lock);
	t->dev = NULL;
}
