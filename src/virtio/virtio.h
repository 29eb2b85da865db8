/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A virtio device as its transport sees it: feature bits, device config,
 * queues, status. A device (blk, net, ...) fills struct virtio_dev_ops; the
 * transport (virtio/pci.c) owns the common configuration and calls:
 *   activate() when the driver sets DRIVER_OK (queues are set up in q[].vq),
 *   reset()    when the driver writes status 0 or the VM stops; it must return
 *              only when no device thread touches guest memory any more.
 * Device threads wait on q[i].kick_fd for guest notifications and raise
 * interrupts with virtio_notify_queue(); a guest error on a queue calls
 * virtio_set_needs_reset(). Both are safe from any thread.
 */
#ifndef KASOU_VIRTIO_VIRTIO_H
#define KASOU_VIRTIO_VIRTIO_H

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtq.h"
#include "vmm/guest_mem.h"

#define VIRTIO_MAX_QUEUES 64

struct virtio_dev;
struct virtio_pci;

struct virtio_queue {
	uint16_t max_size; /* what the device offers */
	uint16_t size; /* what the driver chose */
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	int kick_fd; /* eventfd: the guest notified this queue */
	struct virtq vq;
};

struct virtio_dev_ops {
	uint64_t (*features)(struct virtio_dev *d);
	void (*config_read)(struct virtio_dev *d, uint32_t off, uint8_t *data, unsigned int size);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const uint8_t *data,
			     unsigned int size);
	int (*activate)(struct virtio_dev *d);
	void (*reset)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	const char *name; /* "blk0": used in log lines */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint32_t pci_class; /* class code << 8 */
	uint32_t config_size;
	unsigned int nr_queues;
	struct virtio_queue q[VIRTIO_MAX_QUEUES];
	uint64_t driver_features;
	uint8_t status; /* atomic: device threads set NEEDS_RESET */
	uint8_t config_generation;
	bool active; /* activate() succeeded and reset() not yet called */
	const struct guest_mem *mem;
	struct virtio_pci *transport;
	uint64_t needs_reset_count;
};

static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned int bit)
{
	return d->driver_features & (1ULL << bit);
}

void virtio_notify_queue(struct virtio_dev *d, unsigned int q);
void virtio_notify_config(struct virtio_dev *d);
/* Guest error: NEEDS_RESET + config interrupt; the device stops using its queues. */
void virtio_set_needs_reset(struct virtio_dev *d);

#endif
