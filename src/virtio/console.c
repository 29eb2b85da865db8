// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/console.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/log.h"

#define CONS_QUEUE_SIZE 128
#define Q_RX 0
#define Q_TX 1
#define PCI_CLASS_COMM_OTHER 0x078000

static struct vcons *to_vcons(struct virtio_dev *d)
{
	return d->priv;
}

static uint64_t vcons_features(struct virtio_dev *d)
{
	return (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
	       (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
}

static void vcons_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, unsigned int size)
{
	memset(data, 0, size); /* no size, no multiport: nothing to report */
}

static void vcons_tx(struct vcons *c)
{
	struct virtio_dev *d = &c->vdev;
	struct iovec iov[64];
	struct virtq_elem e = { .iov = iov, .iov_cap = 64 };
	int rc;

	do {
		virtq_notify_enable(&d->q[Q_TX].vq, false);
		while ((rc = virtq_pop(&d->q[Q_TX].vq, &e)) > 0) {
			if (c->out_fd >= 0 && e.out_num) {
				ssize_t n = writev(c->out_fd, iov, (int)e.out_num);

				if (n > 0)
					c->tx_bytes += (uint64_t)n;
			}
			vworker_complete(d, Q_TX, &e, 0);
		}
		/* re-arm guest kicks, then catch what raced in before that */
		virtq_notify_enable(&d->q[Q_TX].vq, true);
	} while (rc == 0 && virtq_has_work(&d->q[Q_TX].vq));
	if (rc < 0)
		virtio_set_needs_reset(d);
}

static void vcons_rx(struct vcons *c)
{
	struct virtio_dev *d = &c->vdev;
	struct iovec iov[16];
	struct virtq_elem e = { .iov = iov, .iov_cap = 16 };
	int rc = 1;

	pthread_mutex_lock(&c->lock);
	while (c->in_len && (rc = virtq_pop(&d->q[Q_RX].vq, &e)) > 0) {
		size_t done = 0;

		for (unsigned int i = e.out_num; i < e.out_num + e.in_num && done < c->in_len; i++) {
			size_t k = iov[i].iov_len < c->in_len - done ? iov[i].iov_len : c->in_len - done;

			memcpy(iov[i].iov_base, c->inbuf + done, k);
			done += k;
		}
		memmove(c->inbuf, c->inbuf + done, c->in_len - done);
		c->in_len -= done;
		c->rx_bytes += done;
		vworker_complete(d, Q_RX, &e, (uint32_t)done);
	}
	/* new receive buffers must wake us while input waits for them */
	virtq_notify_enable(&d->q[Q_RX].vq, true);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		virtio_set_needs_reset(d);
}

static void vcons_run(struct vworker *w, bool extra)
{
	struct vcons *c = to_vcons(w->dev);

	if (w->dev->q[Q_TX].enabled)
		vcons_tx(c);
	if (w->dev->q[Q_RX].enabled)
		vcons_rx(c);
}

void vcons_push_input(struct vcons *c, const uint8_t *buf, size_t n)
{
	uint64_t one = 1;

	pthread_mutex_lock(&c->lock);
	if (n > VCONS_INBUF - c->in_len) {
		c->rx_dropped += n - (VCONS_INBUF - c->in_len);
		n = VCONS_INBUF - c->in_len;
	}
	memcpy(c->inbuf + c->in_len, buf, n);
	c->in_len += n;
	pthread_mutex_unlock(&c->lock);
	if (write(c->in_efd, &one, sizeof(one)) < 0)
		log_guest("console: cannot signal input");
}

static int vcons_activate(struct virtio_dev *d)
{
	return vworker_start(&to_vcons(d)->worker);
}

static void vcons_reset(struct virtio_dev *d)
{
	vworker_stop(&to_vcons(d)->worker);
}

static const struct virtio_dev_ops vcons_ops = {
	.features = vcons_features,
	.config_read = vcons_config_read,
	.activate = vcons_activate,
	.reset = vcons_reset,
};

int vcons_create(struct vcons *c, int out_fd, const struct guest_mem *mem,
		 const struct virtio_env *env)
{
	int err;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->out_fd = out_fd;
	c->in_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->in_efd < 0)
		return -errno;
	c->vdev.ops = &vcons_ops;
	c->vdev.priv = c;
	c->vdev.name = "console";
	c->vdev.device_id = VIRTIO_ID_CONSOLE;
	c->vdev.pci_class = PCI_CLASS_COMM_OTHER << 8;
	c->vdev.config_size = sizeof(struct virtio_console_config);
	c->vdev.nr_queues = 2;
	c->vdev.q[Q_RX].max_size = CONS_QUEUE_SIZE;
	c->vdev.q[Q_TX].max_size = CONS_QUEUE_SIZE;
	c->worker = (struct vworker){ .dev = &c->vdev, .run = vcons_run, .extra_fd = c->in_efd,
				      .stop_fd = -1 };
	err = virtio_pci_init(&c->vpci, &c->vdev, mem, env);
	if (err)
		log_error("console: cannot set up virtio-pci: %s", strerror(-err));
	return err;
}

void vcons_destroy(struct vcons *c)
{
	virtio_pci_destroy(&c->vpci);
	log_debug("console: tx %llu B, rx %llu B, rx dropped %llu B, input waiting %zu B",
		  (unsigned long long)c->tx_bytes, (unsigned long long)c->rx_bytes,
		  (unsigned long long)c->rx_dropped, c->in_len);
	if (c->in_efd >= 0)
		close(c->in_efd);
	c->in_efd = -1;
	pthread_mutex_destroy(&c->lock);
}
