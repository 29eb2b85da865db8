/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A thread for a small virtio device: it waits on the kick eventfds of the
 * device's queues (and one extra fd the device may signal, e.g. new host
 * input) and calls the device's handler. Started from activate(), stopped and
 * joined from reset() through a stop eventfd.
 */
#ifndef KASOU_VIRTIO_WORKER_H
#define KASOU_VIRTIO_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "virtio/virtio.h"

struct vworker {
	struct virtio_dev *dev;
	/* called on the worker thread after any wakeup; `extra` tells if extra_fd fired */
	void (*run)(struct vworker *w, bool extra);
	int extra_fd; /* -1 if none; an eventfd the device writes */
	uint64_t queue_mask; /* the queues whose kicks wake this worker; 0 = all */
	int stop_fd;
	pthread_t thread;
	bool running;
};

int vworker_start(struct vworker *w);
void vworker_stop(struct vworker *w);

/* Pop/handle helper: put used buffers back and interrupt the guest if it wants one. */
void vworker_complete(struct virtio_dev *d, unsigned int q, struct virtq_elem *e, uint32_t len);

#endif
