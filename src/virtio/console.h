/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-console (virtio 1.2 §5.3), one port: the guest's hvc0. Transmit
 * buffers go to `out_fd`; host input (the main thread's stdin) is queued by
 * vcons_push_input() and handed to the guest's receive buffers by the
 * device's worker thread.
 */
#ifndef KASOU_VIRTIO_CONSOLE_H
#define KASOU_VIRTIO_CONSOLE_H

#include <linux/virtio_console.h>
#include <pthread.h>

#include "virtio/pci.h"
#include "virtio/worker.h"

#define VCONS_INBUF 4096

struct vcons {
	struct virtio_dev vdev;
	struct virtio_pci vpci;
	struct vworker worker;
	int out_fd;
	int in_efd;
	pthread_mutex_t lock;
	uint8_t inbuf[VCONS_INBUF];
	size_t in_len;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
};

int vcons_create(struct vcons *c, int out_fd, const struct guest_mem *mem,
		 const struct virtio_env *env);
void vcons_destroy(struct vcons *c);
/* Any thread: queue input for the guest (dropped and counted when the buffer is full). */
void vcons_push_input(struct vcons *c, const uint8_t *buf, size_t n);

#endif
