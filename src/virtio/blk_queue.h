/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One virtio-blk virtqueue and the thread that serves it. The thread waits
 * on the queue's kick eventfd, its backend's completion fd, a throttle timer
 * and a stop eventfd. vblk_queue_stop() (transport reset, VM stop) signals
 * it, and after the join every request has finished on the host.
 */
#ifndef KASOU_VIRTIO_BLK_QUEUE_H
#define KASOU_VIRTIO_BLK_QUEUE_H

#include <pthread.h>
#include <stdbool.h>

#include "backend/block.h"
#include "virtio/virtq.h"

#define VBLK_MAX_SEGS 128 /* segments per request, header and status included */

struct vblk;

struct vblk_req {
	struct vblk_queue *q;
	struct virtq_elem elem;
	struct iovec iov[VBLK_MAX_SEGS];
	struct iovec *data; /* points into iov */
	unsigned int ndata;
	uint64_t data_len;
	uint8_t *status;
	uint32_t type;
	uint32_t written; /* bytes written into guest buffers, status included */
	uint64_t start_ns;
	bool sync_after; /* guest turned the write cache off: flush before completing */
	struct blk_req breq;
	struct vblk_req *next; /* free list / throttled FIFO */
};

struct vblk_queue {
	struct vblk *blk;
	unsigned int index;
	pthread_t thread;
	bool running;
	int stop_fd, timer_fd;
	struct blk_queue *bq;
	struct vblk_req *reqs; /* queue-size pool */
	struct vblk_req *free;
	struct vblk_req *throttled_head, *throttled_tail;
	uint64_t throttle_since;
	bool need_notify;
	uint64_t completed; /* requests this queue completed (atomic: read by stats) */
};

/* vblk_req_parse() result: the request is ready for the backend */
#define VBLK_SUBMIT 0xff
/* Parse a popped chain (r->elem, r->iov): VBLK_SUBMIT with r->breq set up, or
 * the status to complete it with now (r->written set). blk_req.c. */
uint8_t vblk_req_parse(struct vblk *b, struct vblk_req *r);

void vblk_queue_init(struct vblk_queue *q, struct vblk *b, unsigned int index);
int vblk_queue_start(struct vblk_queue *q);
void vblk_queue_stop(struct vblk_queue *q);

#endif
