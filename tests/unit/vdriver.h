/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny virtio-pci "driver" for device-level tests (like QEMU's libqos):
 * fake guest RAM, the transport driven through its BAR and config space, and
 * split rings laid out and filled by hand. No KVM involved.
 */
#ifndef KASOU_TESTS_VDRIVER_H
#define KASOU_TESTS_VDRIVER_H

#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "virtio/pci.h"
#include "vmm/guest_mem.h"

struct vdrv_queue {
	unsigned int index;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx, last_used, next_desc;
};

struct vdrv {
	struct guest_mem mem;
	struct virtio_pci *t;
	uint64_t next; /* bump allocator (guest-physical) */
};

struct vdrv_seg {
	uint64_t gpa;
	uint32_t len;
	int write; /* device-writable */
};

static inline void vdrv_init(struct vdrv *d, uint64_t mem_size)
{
	memset(d, 0, sizeof(*d));
	guest_mem_layout(&d->mem, mem_size);
	d->mem.host = calloc(1, mem_size);
	d->next = 0x10000;
}

static inline void vdrv_free(struct vdrv *d)
{
	free(d->mem.host);
}

static inline uint64_t vdrv_alloc(struct vdrv *d, uint64_t len, uint64_t align)
{
	uint64_t a = (d->next + align - 1) & ~(align - 1);

	d->next = a + len;
	return a;
}

static inline void *vdrv_ptr(struct vdrv *d, uint64_t gpa)
{
	return d->mem.host + gpa;
}

static inline uint64_t vdrv_read(struct vdrv *d, uint32_t off, unsigned int size)
{
	uint64_t v = 0;

	virtio_pci_ops.bar_read(&d->t->pci, VPCI_BAR, off, (uint8_t *)&v, size);
	return v;
}

static inline void vdrv_write(struct vdrv *d, uint32_t off, unsigned int size, uint64_t v)
{
	virtio_pci_ops.bar_write(&d->t->pci, VPCI_BAR, off, (uint8_t *)&v, size);
}

#define VCOMMON(field) offsetof(struct virtio_pci_common_cfg, field)

static inline void vdrv_status(struct vdrv *d, uint8_t s)
{
	vdrv_write(d, VCOMMON(device_status), 1, s);
}

static inline uint8_t vdrv_get_status(struct vdrv *d)
{
	return (uint8_t)vdrv_read(d, VCOMMON(device_status), 1);
}

static inline uint64_t vdrv_device_features(struct vdrv *d)
{
	uint64_t f;

	vdrv_write(d, VCOMMON(device_feature_select), 4, 0);
	f = vdrv_read(d, VCOMMON(device_feature), 4);
	vdrv_write(d, VCOMMON(device_feature_select), 4, 1);
	return f | vdrv_read(d, VCOMMON(device_feature), 4) << 32;
}

/* Reset, ACK, DRIVER, features; returns the status after FEATURES_OK. */
static inline uint8_t vdrv_negotiate(struct vdrv *d, uint64_t features)
{
	vdrv_status(d, 0);
	vdrv_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vdrv_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vdrv_write(d, VCOMMON(guest_feature_select), 4, 0);
	vdrv_write(d, VCOMMON(guest_feature), 4, (uint32_t)features);
	vdrv_write(d, VCOMMON(guest_feature_select), 4, 1);
	vdrv_write(d, VCOMMON(guest_feature), 4, features >> 32);
	vdrv_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_FEATURES_OK);
	return vdrv_get_status(d);
}

static inline void vdrv_queue_setup(struct vdrv *d, struct vdrv_queue *q, unsigned int index,
				    uint16_t size)
{
	memset(q, 0, sizeof(*q));
	q->index = index;
	q->size = size;
	q->desc = vdrv_alloc(d, 16ULL * size, 4096);
	q->avail = vdrv_alloc(d, 6 + 2ULL * size, 4096);
	q->used = vdrv_alloc(d, 6 + 8ULL * size, 4096);
	vdrv_write(d, VCOMMON(queue_select), 2, index);
	vdrv_write(d, VCOMMON(queue_size), 2, size);
	vdrv_write(d, VCOMMON(queue_desc_lo), 4, (uint32_t)q->desc);
	vdrv_write(d, VCOMMON(queue_desc_hi), 4, q->desc >> 32);
	vdrv_write(d, VCOMMON(queue_avail_lo), 4, (uint32_t)q->avail);
	vdrv_write(d, VCOMMON(queue_avail_hi), 4, q->avail >> 32);
	vdrv_write(d, VCOMMON(queue_used_lo), 4, (uint32_t)q->used);
	vdrv_write(d, VCOMMON(queue_used_hi), 4, q->used >> 32);
	vdrv_write(d, VCOMMON(queue_enable), 2, 1);
}

static inline void vdrv_driver_ok(struct vdrv *d)
{
	vdrv_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Chain `n` segments into the ring (descriptors in order) and publish; returns the head. */
static inline uint16_t vdrv_add(struct vdrv *d, struct vdrv_queue *q, const struct vdrv_seg *s,
				unsigned int n)
{
	struct vring_desc *desc = vdrv_ptr(d, q->desc);
	struct vring_avail *avail = vdrv_ptr(d, q->avail);
	uint16_t head = q->next_desc % q->size;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->size);

		desc[idx].addr = s[i].gpa;
		desc[idx].len = s[i].len;
		desc[idx].flags = (uint16_t)((s[i].write ? VRING_DESC_F_WRITE : 0) |
					     (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		desc[idx].next = (uint16_t)((idx + 1) % q->size);
	}
	q->next_desc = (uint16_t)(q->next_desc + n);
	avail->ring[q->avail_idx % q->size] = head;
	__atomic_store_n(&avail->idx, (uint16_t)(q->avail_idx + 1), __ATOMIC_RELEASE);
	q->avail_idx++;
	return head;
}

static inline void vdrv_kick(struct vdrv *d, struct vdrv_queue *q)
{
	vdrv_write(d, VPCI_NOTIFY + q->index * VPCI_NOTIFY_MULT, 2, q->index);
}

static inline uint64_t vdrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for the next used element; 0 with id/len, or -1 after timeout_ms. */
static inline int vdrv_wait_used(struct vdrv *d, struct vdrv_queue *q, int timeout_ms,
				 uint32_t *id, uint32_t *len)
{
	struct vring_used *used = vdrv_ptr(d, q->used);
	uint64_t end = vdrv_now_ms() + (uint64_t)timeout_ms;

	while (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == q->last_used) {
		if (vdrv_now_ms() > end)
			return -1;
		usleep(200);
	}
	*id = used->ring[q->last_used % q->size].id;
	*len = used->ring[q->last_used % q->size].len;
	q->last_used++;
	return 0;
}

#endif
