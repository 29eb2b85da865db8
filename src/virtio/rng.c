// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "util/log.h"

#define RNG_QUEUE_SIZE 64
#define PCI_CLASS_OTHERS 0xff0000U

static struct vrng *to_vrng(struct virtio_dev *d)
{
	return d->priv;
}

static uint64_t vrng_features(struct virtio_dev *d)
{
	return (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
	       (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
}

static void vrng_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, unsigned int size)
{
	memset(data, 0, size); /* no device config */
}

static void vrng_run(struct vworker *w, bool extra)
{
	struct virtio_dev *d = w->dev;
	struct vrng *r = to_vrng(d);
	struct virtq *vq = &d->q[0].vq;
	struct iovec iov[16];
	struct virtq_elem e = { .iov = iov, .iov_cap = 16 };
	int rc;

	do {
		virtq_notify_enable(vq, false);
		while ((rc = virtq_pop(vq, &e)) > 0) {
			uint32_t done = 0;

		for (unsigned int i = e.out_num; i < e.out_num + e.in_num; i++) {
			ssize_t n = getrandom(iov[i].iov_base, iov[i].iov_len, 0);

			if (n < 0)
				break;
			done += (uint32_t)n;
			if ((size_t)n < iov[i].iov_len)
				break;
		}
			r->bytes += done;
			r->requests++;
			vworker_complete(d, 0, &e, done);
		}
		/* re-arm guest kicks, then catch what raced in before that */
		virtq_notify_enable(vq, true);
	} while (rc == 0 && virtq_has_work(vq));
	if (rc < 0)
		virtio_set_needs_reset(d);
}

static int vrng_activate(struct virtio_dev *d)
{
	return vworker_start(&to_vrng(d)->worker);
}

static void vrng_reset(struct virtio_dev *d)
{
	vworker_stop(&to_vrng(d)->worker);
}

static const struct virtio_dev_ops vrng_ops = {
	.features = vrng_features,
	.config_read = vrng_config_read,
	.activate = vrng_activate,
	.reset = vrng_reset,
};

int vrng_create(struct vrng *r, const struct guest_mem *mem, const struct virtio_env *env)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->vdev.ops = &vrng_ops;
	r->vdev.priv = r;
	r->vdev.name = "rng";
	r->vdev.device_id = VIRTIO_ID_RNG;
	r->vdev.pci_class = PCI_CLASS_OTHERS << 8;
	r->vdev.config_size = 0;
	r->vdev.nr_queues = 1;
	r->vdev.q[0].max_size = RNG_QUEUE_SIZE;
	r->worker = (struct vworker){ .dev = &r->vdev, .run = vrng_run, .extra_fd = -1, .stop_fd = -1 };
	err = virtio_pci_init(&r->vpci, &r->vdev, mem, env);
	if (err)
		log_error("rng: cannot set up virtio-pci: %s", strerror(-err));
	return err;
}

void vrng_destroy(struct vrng *r)
{
	virtio_pci_destroy(&r->vpci);
}
