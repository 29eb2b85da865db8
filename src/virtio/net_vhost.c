// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/net_vhost.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/net.h"

/* ring features vhost implements; everything else is the device model's */
#define VHOST_RING_FEATURES                                                                   \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |                   \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_NET_F_MRG_RXBUF))

struct vhost_net {
	int fds[VNET_MAX_PAIRS];
	unsigned int nr;
	uint64_t features;
	bool started;
};

int vhost_net_open(struct vhost_net **out, struct vnet *n, char *why)
{
	struct vhost_net *v;

	if (n->cfg.rx_bps || n->cfg.tx_bps || n->cfg.rx_pps || n->cfg.tx_pps) {
		snprintf(why, 256, "rate limits are applied in userspace only");
		return -ENOTSUP;
	}
	if (!n->tap.nr || !n->tap.vnet_hdr) {
		snprintf(why, 256, "vhost needs a tap with virtio-net headers");
		return -ENOTSUP;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned int i = 0; i < VNET_MAX_PAIRS; i++)
		v->fds[i] = -1;
	for (unsigned int i = 0; i < n->tap.nr; i++) {
		int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC), err;

		if (fd < 0 || ioctl(fd, VHOST_SET_OWNER, NULL) < 0) {
			err = -errno;
			snprintf(why, 256, "/dev/vhost-net: %s%s", strerror(errno),
				 errno == ENOENT ? " (modprobe vhost_net)" : "");
			if (fd >= 0)
				close(fd);
			vhost_net_close(v);
			return err;
		}
		v->fds[v->nr++] = fd;
	}
	if (ioctl(v->fds[0], VHOST_GET_FEATURES, &v->features) < 0) {
		snprintf(why, 256, "VHOST_GET_FEATURES: %s", strerror(errno));
		vhost_net_close(v);
		return -EIO;
	}
	*out = v;
	return 0;
}

uint64_t vhost_net_features(struct vhost_net *v)
{
	return ~VHOST_RING_FEATURES | (v->features & VHOST_RING_FEATURES);
}

static int set_mem_table(int fd, const struct guest_mem *mem)
{
	struct vhost_memory *m = calloc(1, sizeof(*m) + mem->nr_regions * sizeof(m->regions[0]));
	int err = 0;

	if (!m)
		return -ENOMEM;
	m->nregions = mem->nr_regions;
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		m->regions[i].guest_phys_addr = mem->regions[i].gpa;
		m->regions[i].memory_size = mem->regions[i].size;
		m->regions[i].userspace_addr = (uint64_t)(uintptr_t)(mem->host + mem->regions[i].offset);
	}
	if (ioctl(fd, VHOST_SET_MEM_TABLE, m) < 0)
		err = -errno;
	free(m);
	return err;
}

/* One vring (0 = rx, 1 = tx of this pair) of queue `q`. */
static int setup_ring(struct vhost_net *v, struct vnet *n, unsigned int pair, unsigned int ring)
{
	int fd = v->fds[pair];
	struct virtio_queue *q = &n->vdev.q[2 * pair + ring];
	const struct guest_mem *mem = n->vdev.mem;
	struct vhost_vring_state num = { .index = ring, .num = q->size };
	struct vhost_vring_state base = { .index = ring, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = ring,
		.desc_user_addr = (uint64_t)(uintptr_t)gpa_to_hva(mem, q->desc, 16ULL * q->size),
		.avail_user_addr = (uint64_t)(uintptr_t)gpa_to_hva(mem, q->driver, 6 + 2ULL * q->size),
		.used_user_addr = (uint64_t)(uintptr_t)gpa_to_hva(mem, q->device, 6 + 8ULL * q->size),
	};
	struct vhost_vring_file kick = { .index = ring, .fd = q->kick_fd };
	struct vhost_vring_file call = { .index = ring, .fd = -1 };
	struct vhost_vring_file backend = { .index = ring, .fd = n->tap.fds[pair] };

	if (q->msix_vector >= n->vpci.msix.nr)
		return -ENOTSUP; /* INTx: interrupts would need kasou on the path */
	call.fd = n->vpci.msix.v[q->msix_vector].efd;
	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) < 0 || ioctl(fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_ADDR, &addr) < 0 || ioctl(fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &call) < 0 || ioctl(fd, VHOST_NET_SET_BACKEND, &backend) < 0)
		return -errno;
	return 0;
}

int vhost_net_start(struct vhost_net *v, struct vnet *n)
{
	uint64_t f = n->vdev.driver_features & VHOST_RING_FEATURES & v->features;
	int err = 0;

	for (unsigned int p = 0; p < v->nr && !err; p++) {
		if (!n->vdev.q[2 * p].enabled || !n->vdev.q[2 * p + 1].enabled)
			continue;
		if (ioctl(v->fds[p], VHOST_SET_FEATURES, &f) < 0) {
			err = -errno;
			break;
		}
		err = set_mem_table(v->fds[p], n->vdev.mem);
		for (unsigned int r = 0; r < 2 && !err; r++)
			err = setup_ring(v, n, p, r);
	}
	if (err) {
		log_error("%s: vhost-net setup failed: %s", n->name, strerror(-err));
		vhost_net_stop(v);
		return err;
	}
	v->started = true;
	return 0;
}

void vhost_net_stop(struct vhost_net *v)
{
	for (unsigned int p = 0; p < v->nr; p++) {
		for (unsigned int r = 0; r < 2; r++) {
			struct vhost_vring_file none = { .index = r, .fd = -1 };
			struct vhost_vring_state base = { .index = r };

			ioctl(v->fds[p], VHOST_NET_SET_BACKEND, &none);
			ioctl(v->fds[p], VHOST_GET_VRING_BASE, &base);
		}
	}
	v->started = false;
}

void vhost_net_close(struct vhost_net *v)
{
	if (!v)
		return;
	for (unsigned int i = 0; i < VNET_MAX_PAIRS; i++)
		if (v->fds[i] >= 0)
			close(v->fds[i]);
	free(v);
}
