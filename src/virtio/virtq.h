/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split virtqueue (virtio 1.2 §2.7), device side, checked.
 *
 * Owns the device's view of one queue: it reads chains the driver made
 * available and returns them through the used ring. Everything it reads
 * from the guest is hostile: every address goes through gpa_to_hva() with
 * its full length, a chain ends after at most `size` hops (an indirect
 * table after at most its own length), and any violation marks the queue
 * broken, counts it, logs once through log_guest() and returns -EINVAL —
 * the device then sets DEVICE_NEEDS_RESET. Nothing here exits or aborts on
 * guest input.
 *
 * A struct virtq belongs to ONE thread (the device's queue thread); no call
 * locks or blocks. Only `stats` may be read from other threads, with
 * relaxed atomic loads. The rings' host addresses are translated once by
 * virtq_init() (guest RAM is fixed after setup), buffer addresses on every
 * virtq_pop().
 */
#ifndef KASOU_VIRTIO_VIRTQ_H
#define KASOU_VIRTIO_VIRTQ_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/guest_mem.h"

#define VIRTQ_MAX_SIZE 32768 /* largest queue size a split ring may have */
/* Most iovecs one chain may produce; a chain with more segments is a guest
 * error. Devices advertise seg_max/queue sizes below this. */
#define VIRTQ_MAX_SEGS 1024
/* Most descriptors in one indirect table (len / 16); longer is a guest error. */
#define VIRTQ_MAX_INDIRECT VIRTQ_MAX_SIZE

struct virtq_stats {
	uint64_t popped;     /* chains handed to the device */
	uint64_t pushed;     /* chains returned through the used ring */
	uint64_t notifies;   /* virtq_should_notify() said yes */
	uint64_t suppressed; /* ... said no */
	uint64_t errors;     /* guest errors (at most one per broken period) */
};

struct virtq {
	const struct guest_mem *mem;
	uint16_t size; /* power of 2, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;  /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool ready;
	uint16_t last_avail;     /* next avail entry to consume */
	uint16_t used_idx;       /* our shadow of used->idx */
	uint16_t signalled_used; /* used idx at the last notify decision */
	bool signalled_used_valid;
	bool broken; /* guest error seen: device must go NEEDS_RESET */
	struct virtq_stats stats;

	/* host views of the rings, checked at init */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

struct virtq_elem {
	uint16_t head;                /* descriptor index for the used ring */
	unsigned int out_num, in_num; /* readable segments first, then writable */
	struct iovec *iov;            /* caller's array: out segments, then in segments */
	unsigned int iov_cap;         /* entries in iov */
	uint64_t out_len, in_len;     /* byte totals */
};

/*
 * Check and adopt the rings the driver configured: size a power of 2 in
 * 1..VIRTQ_MAX_SIZE, desc 16-aligned, avail 2-aligned, used 4-aligned, and
 * each ring (desc 16*size, avail 6+2*size, used 6+8*size bytes) inside one
 * RAM region. -EINVAL otherwise (q left not ready). Stats are kept.
 */
int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect);

/*
 * Take the next available chain. 1: `e` filled (head, iovecs, counts,
 * lengths); 0: nothing available (or queue not ready); -EINVAL: guest error,
 * q->broken set (and every later call returns -EINVAL until virtq_reset()).
 * -ENOBUFS: the chain is valid but needs more than e->iov_cap iovecs;
 * nothing is consumed, e->out_num/in_num hold the counts it needs, and a
 * retry with a larger array takes the same chain. A caller whose array has
 * VIRTQ_MAX_SEGS entries never sees -ENOBUFS.
 * Zero-length descriptors are accepted and produce no iovec.
 */
int virtq_pop(struct virtq *q, struct virtq_elem *e);

/*
 * Return a popped chain with `written` bytes written into its in segments
 * (written <= e->in_len: a device bug otherwise) and publish used->idx with
 * release ordering. Works on a broken queue too, so completions of requests
 * already in flight still reach the driver. -EINVAL if the queue is not ready.
 */
int virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t written);

/*
 * After one or more pushes: should the device interrupt the driver? With
 * EVENT_IDX, yes when used_event lies in the pushed range (vring_need_event),
 * and always the first time after init/reset; otherwise unless the driver
 * set VRING_AVAIL_F_NO_INTERRUPT. No when nothing was pushed since the last
 * call. Updates signalled_used and the notifies/suppressed counters.
 */
bool virtq_should_notify(struct virtq *q);

/*
 * Ask the driver for (enable) or to spare us (disable) kicks: used->flags
 * VRING_USED_F_NO_NOTIFY without EVENT_IDX, avail_event = last_avail with
 * it (disable then only stops moving avail_event). After enabling, buffers
 * the driver added meanwhile will not kick: re-check virtq_has_work().
 */
void virtq_notify_enable(struct virtq *q, bool enable);

/*
 * Give back the last `n` chains popped and not yet pushed, in reverse order
 * of popping (virtio-net: a frame that did not fit the buffers it took).
 */
void virtq_unpop(struct virtq *q, uint16_t n);

/* Are chains available that virtq_pop() has not taken? (false if not ready or broken) */
bool virtq_has_work(struct virtq *q);

/* Forget the rings and indices (device reset); stats and mem stay. */
void virtq_reset(struct virtq *q);

#endif
