/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-rng (virtio 1.2 §5.4): fills the guest's buffers from getrandom(). */
#ifndef KASOU_VIRTIO_RNG_H
#define KASOU_VIRTIO_RNG_H

#include "virtio/pci.h"
#include "virtio/worker.h"

struct vrng {
	struct virtio_dev vdev;
	struct virtio_pci vpci;
	struct vworker worker;
	uint64_t bytes, requests;
};

int vrng_create(struct vrng *r, const struct guest_mem *mem, const struct virtio_env *env);
void vrng_destroy(struct vrng *r);

#endif
