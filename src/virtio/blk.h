/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-blk (virtio 1.2 §5.2) over a block backend. One thread per
 * virtqueue pops requests, applies the disk's token buckets, submits to its
 * own blk_queue and completes them; queues share nothing but the image and
 * the atomic counters, so there is no global lock on the I/O path.
 * Guest mistakes fail the request (IOERR/UNSUPP) or, for a broken ring, put
 * the device in NEEDS_RESET; they never stop kasou.
 */
#ifndef KASOU_VIRTIO_BLK_H
#define KASOU_VIRTIO_BLK_H

#include <linux/virtio_blk.h>
#include <pthread.h>

#include "backend/block.h"
#include "config/config.h"
#include "ratelimit/ratelimit.h"
#include "virtio/pci.h"

struct vblk_stats {
	uint64_t rd_reqs, wr_reqs, fl_reqs, discard_reqs, wz_reqs, id_reqs;
	uint64_t rd_bytes, wr_bytes;
	uint64_t rd_ns, wr_ns, fl_ns; /* total service time */
	uint64_t errors; /* requests completed with IOERR */
	uint64_t unsupported; /* UNSUPP */
	uint64_t bad_requests; /* malformed by the guest */
	uint64_t throttled, throttled_ns;
	uint64_t inflight;
};

struct vblk_queue;

struct vblk {
	struct virtio_dev vdev;
	struct virtio_pci vpci;
	struct disk_config cfg; /* borrowed from the vm_config */
	struct blk_image img;
	struct virtio_blk_config config;
	uint8_t wce; /* guest-visible write cache state */
	struct rl_group throttle;
	struct vblk_stats stats; /* atomics, written by queue threads */
	struct vblk_queue *queues;
	char name[40];
};

/* Open the image and set up the device (not yet on a PCI bus). -errno after one log line. */
int vblk_create(struct vblk *b, const struct disk_config *cfg, const struct guest_mem *mem,
		const struct virtio_env *env);
void vblk_destroy(struct vblk *b);
/* One log line of counters (kasou --verbose prints it at exit). */
void vblk_log_stats(struct vblk *b);
/* Change the limits at run time (the control API's entry point). */
void vblk_set_throttle(struct vblk *b, const struct disk_throttle *t);

#endif
