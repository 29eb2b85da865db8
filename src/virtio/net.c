// SPDX-License-Identifier: GPL-2.0-only
/* virtio-net: device setup, features, config space, activate/reset. */
#include "virtio/net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend/net_slirp.h"
#include "util/log.h"
#include "virtio/net_vhost.h"
#include "util/time.h"

#define PCI_CLASS_NETWORK_ETHERNET 0x020000

#define OFFLOAD_FEATURES                                                                         \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                       \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |                 \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |                   \
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) |                    \
	 (1ULL << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))

static struct vnet *to_vnet(struct virtio_dev *d)
{
	return d->priv;
}


static uint64_t vnet_features(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);
	uint64_t f = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) |
		     (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
		     (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_CTRL_RX) |
		     (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
		     (1ULL << VIRTIO_RING_F_INDIRECT_DESC);

	if (n->vnet_hdr)
		f |= OFFLOAD_FEATURES;
	if (n->max_pairs > 1)
		f |= 1ULL << VIRTIO_NET_F_MQ;
	if (n->cfg.mtu)
		f |= 1ULL << VIRTIO_NET_F_MTU;
	if (n->vhost)
		f &= vhost_net_features(n->vhost);
	return f;
}

static void vnet_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, unsigned int size)
{
	struct vnet *n = to_vnet(d);
	struct virtio_net_config c = n->config;

	c.status = __atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE) ? VIRTIO_NET_S_LINK_UP : 0;
	memcpy(data, (uint8_t *)&c + off, size);
}

/* Guest offload features -> what the tap may hand us (TUN_F_*). */
unsigned int vnet_tun_offloads(uint64_t guest)
{
	unsigned int f = 0;

	if (guest & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		f |= TUN_F_CSUM;
		if (guest & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			f |= TUN_F_TSO4;
		if (guest & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
			f |= TUN_F_TSO6;
		if ((f & (TUN_F_TSO4 | TUN_F_TSO6)) && (guest & (1ULL << VIRTIO_NET_F_GUEST_ECN)))
			f |= TUN_F_TSO_ECN;
	}
	return f;
}

static int vnet_activate(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);
	int err;

	if (n->vnet_hdr && n->tap.nr) {
		err = tap_set_offload(&n->tap, vnet_tun_offloads(d->driver_features));
		if (err)
			log_warn("%s: TUNSETOFFLOAD: %s", n->name, strerror(-err));
	}
	n->active_pairs = 1; /* until the driver asks for more (VIRTIO_NET_CTRL_MQ) */
	for (unsigned int i = 0; i < n->tap.nr; i++)
		tap_queue_enable(&n->tap, i, i < n->active_pairs);
	if (n->vhost) {
		err = vhost_net_start(n->vhost, n);
		if (err)
			return err;
	} else {
		for (unsigned int i = 0; i < n->max_pairs; i++) {
			if (!d->q[2 * i].enabled || !d->q[2 * i + 1].enabled)
				continue;
			err = vnet_pair_start(&n->pairs[i]);
			if (err)
				goto fail;
		}
	}
	if (d->q[2 * n->max_pairs].enabled) {
		err = vworker_start(&n->ctrl);
		if (err)
			goto fail;
	}
	return 0;
fail:
	d->ops->reset(d);
	return err;
}

static void vnet_reset(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	vworker_stop(&n->ctrl);
	if (n->vhost)
		vhost_net_stop(n->vhost);
	for (unsigned int i = 0; i < n->max_pairs; i++)
		vnet_pair_stop(&n->pairs[i]);
	n->promisc = n->allmulti = false;
	memcpy(n->config.mac, n->cfg.mac, 6);
}

static const struct virtio_dev_ops vnet_ops = {
	.features = vnet_features,
	.config_read = vnet_config_read,
	.activate = vnet_activate,
	.reset = vnet_reset,
};

void vnet_set_rate(struct vnet *n, const struct net_config *l)
{
	uint64_t now = mono_ns();

	rl_set(&n->rx_rl, (struct rl_bucket_cfg){ l->rx_bps, l->rx_bps_max },
	       (struct rl_bucket_cfg){ l->rx_pps, l->rx_pps_max }, now);
	rl_set(&n->tx_rl, (struct rl_bucket_cfg){ l->tx_bps, l->tx_bps_max },
	       (struct rl_bucket_cfg){ l->tx_pps, l->tx_pps_max }, now);
	n->cfg.rx_bps = l->rx_bps;
	n->cfg.tx_bps = l->tx_bps;
	n->cfg.rx_pps = l->rx_pps;
	n->cfg.tx_pps = l->tx_pps;
}

void vnet_link_down(struct vnet *n, const char *why)
{
	if (!__atomic_exchange_n(&n->link_up, false, __ATOMIC_ACQ_REL))
		return;
	log_warn("%s: link down: %s", n->name, why);
	virtio_notify_config(&n->vdev);
}

static void vnet_ctrl_run(struct vworker *w, bool extra)
{
	vnet_ctrl_process(to_vnet(w->dev));
}

static int open_backend(struct vnet *n, char *why)
{
	const struct net_config *c = &n->cfg;

	switch (c->kind) {
	case NET_TAP:
		return tap_open(&n->tap, c->ifname, c->queues, why);
	case NET_FD:
		return tap_adopt_fd(&n->tap, c->fd, why);
	case NET_USER: {
		struct net_user_config u = { .mtu = c->mtu };

		for (unsigned int i = 0; i < c->nr_hostfwd; i++)
			u.hostfwd[u.nr_hostfwd++] = c->hostfwd[i];
		return slirp_backend_start(&n->slirp, &u, c->mac, &n->user_fd, why);
	}
	}
	return -EINVAL;
}

/* Everything after the backend is open: queues, config, transport. */
static int vnet_setup(struct vnet *n, const struct guest_mem *mem, const struct virtio_env *env)
{
	const struct net_config *cfg = &n->cfg;
	char why[256];
	struct rl_bucket_cfg none = { 0, 0 };
	int err;

	for (unsigned int i = 0; i < n->max_pairs; i++) {
		n->pairs[i] = (struct vnet_pair){ .net = n, .index = i, .stop_fd = -1, .timer_fd = -1,
						  .fd = n->user_fd >= 0 ? n->user_fd : n->tap.fds[i] };
	}
	rl_init(&n->rx_rl, none, none);
	rl_init(&n->tx_rl, none, none);
	n->rl_ready = true;
	vnet_set_rate(n, cfg);
	n->link_up = true;
	memcpy(n->config.mac, cfg->mac, 6);
	n->config.max_virtqueue_pairs = (uint16_t)n->max_pairs;
	n->config.mtu = (uint16_t)cfg->mtu;
	if (cfg->vhost) {
		err = vhost_net_open(&n->vhost, n, why);
		if (err) {
			log_warn("%s: vhost=on unavailable (%s); using the userspace data path", n->name,
				 why);
			n->vhost = NULL;
		}
	}

	n->vdev.ops = &vnet_ops;
	n->vdev.priv = n;
	n->vdev.name = n->name;
	n->vdev.device_id = VIRTIO_ID_NET;
	n->vdev.pci_class = PCI_CLASS_NETWORK_ETHERNET << 8;
	n->vdev.config_size = offsetof(struct virtio_net_config, speed);
	n->vdev.nr_queues = 2 * n->max_pairs + 1;
	for (unsigned int i = 0; i < n->vdev.nr_queues; i++)
		n->vdev.q[i].max_size = (uint16_t)(i == 2 * n->max_pairs ? 64 : cfg->queue_size);
	n->ctrl = (struct vworker){ .dev = &n->vdev, .run = vnet_ctrl_run, .extra_fd = -1,
				    .stop_fd = -1, .queue_mask = 1ULL << (2 * n->max_pairs) };
	err = virtio_pci_init(&n->vpci, &n->vdev, mem, env);
	if (err) {
		log_error("%s: cannot set up virtio-pci: %s", n->name, strerror(-err));
		vnet_destroy(n);
	}
	return err;
}

static void vnet_init(struct vnet *n, const struct net_config *cfg)
{
	memset(n, 0, sizeof(*n));
	n->cfg = *cfg;
	n->user_fd = -1;
	for (unsigned int i = 0; i < TAP_MAX_QUEUES; i++)
		n->tap.fds[i] = -1;
	snprintf(n->name, sizeof(n->name), "net '%s'", cfg->id);
}

int vnet_create(struct vnet *n, const struct net_config *cfg, const struct guest_mem *mem,
		const struct virtio_env *env)
{
	char why[TAP_WHY_LEN > 256 ? TAP_WHY_LEN : 256] = "";
	int err;

	vnet_init(n, cfg);
	err = open_backend(n, why);
	if (err) {
		log_error("%s: %s", n->name, why);
		return err;
	}
	n->vnet_hdr = cfg->kind != NET_USER && n->tap.vnet_hdr;
	n->max_pairs = cfg->kind == NET_USER ? 1 : n->tap.nr;
	return vnet_setup(n, mem, env);
}

int vnet_create_fd(struct vnet *n, const struct net_config *cfg, int fd, bool vnet_hdr,
		   const struct guest_mem *mem, const struct virtio_env *env)
{
	vnet_init(n, cfg);
	n->user_fd = fd;
	n->vnet_hdr = vnet_hdr;
	n->max_pairs = 1;
	return vnet_setup(n, mem, env);
}

void vnet_log_stats(struct vnet *n)
{
	struct vnet_stats *s = &n->stats;
	char per[256] = "";
	size_t o = 0;

	for (unsigned int i = 0; i < n->max_pairs && o < sizeof(per); i++)
		o += (size_t)snprintf(per + o, sizeof(per) - o, "%s%llu/%llu", i ? "," : "",
				      (unsigned long long)n->pairs[i].rx_packets,
				      (unsigned long long)n->pairs[i].tx_packets);
	log_debug("%s: rx %llu pkts %llu B drop %llu err %llu, tx %llu pkts %llu B drop %llu "
		  "err %llu, throttled rx %llu ms tx %llu ms, ctrl %llu (err %llu); per queue "
		  "rx/tx [%s]",
		  n->name, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		  (unsigned long long)s->rx_drops, (unsigned long long)s->rx_errors,
		  (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		  (unsigned long long)s->tx_drops, (unsigned long long)s->tx_errors,
		  (unsigned long long)(s->rx_throttled_ns / 1000000),
		  (unsigned long long)(s->tx_throttled_ns / 1000000),
		  (unsigned long long)s->ctrl_cmds, (unsigned long long)s->ctrl_errors, per);
}

void vnet_destroy(struct vnet *n)
{
	virtio_pci_destroy(&n->vpci); /* stops the threads through reset */
	vnet_log_stats(n);
	if (n->vhost)
		vhost_net_close(n->vhost);
	n->vhost = NULL;
	if (n->slirp)
		slirp_backend_stop(n->slirp);
	n->slirp = NULL;
	if (n->user_fd >= 0)
		close(n->user_fd);
	n->user_fd = -1;
	tap_close(&n->tap);
	if (n->rl_ready) {
		rl_destroy(&n->rx_rl);
		rl_destroy(&n->tx_rl);
		n->rl_ready = false;
	}
}
