// SPDX-License-Identifier: GPL-2.0-only
/* virtio-net control queue: RX mode, MAC, multiqueue pairs, guest offloads. */
#include <string.h>

#include "util/log.h"
#include "virtio/net.h"

#define Q_CTRL(n) (2 * (n)->max_pairs)

uint8_t vnet_ctrl_command(struct vnet *n, uint8_t cls, uint8_t cmd, const uint8_t *data,
			  size_t len)
{
	uint16_t pairs;
	uint64_t offloads;

	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		if (len != 1 || (cmd != VIRTIO_NET_CTRL_RX_PROMISC && cmd != VIRTIO_NET_CTRL_RX_ALLMULTI))
			return VIRTIO_NET_ERR;
		if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
			n->promisc = data[0];
		else
			n->allmulti = data[0];
		return VIRTIO_NET_OK; /* the tap delivers everything; the guest filters */
	case VIRTIO_NET_CTRL_MAC:
		if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET && len == 6) {
			memcpy(n->config.mac, data, 6);
			return VIRTIO_NET_OK;
		}
		/* two tables, each a le32 count then 6-byte entries: accept any valid layout */
		if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET && len >= 8) {
			uint32_t uni, multi;

			memcpy(&uni, data, 4);
			if (uni > (len - 8) / 6)
				return VIRTIO_NET_ERR;
			memcpy(&multi, data + 4 + 6 * (size_t)uni, 4);
			if (multi != (len - 8 - 6 * (size_t)uni) / 6 ||
			    (len - 8 - 6 * (size_t)uni) % 6)
				return VIRTIO_NET_ERR;
			return VIRTIO_NET_OK;
		}
		return VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MQ:
		if (cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len != 2 ||
		    !virtio_has_feature(&n->vdev, VIRTIO_NET_F_MQ))
			return VIRTIO_NET_ERR;
		memcpy(&pairs, data, 2);
		if (pairs < 1 || pairs > n->max_pairs)
			return VIRTIO_NET_ERR;
		n->active_pairs = pairs;
		for (unsigned int i = 0; i < n->tap.nr; i++)
			tap_queue_enable(&n->tap, i, i < pairs);
		log_debug("%s: %u queue pairs active", n->name, pairs);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		if (cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET || len != 8 ||
		    !virtio_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
			return VIRTIO_NET_ERR;
		memcpy(&offloads, data, 8);
		/* only what was negotiated may be turned on */
		if (offloads & ~n->vdev.driver_features)
			return VIRTIO_NET_ERR;
		if (n->tap.nr && tap_set_offload(&n->tap, vnet_tun_offloads(offloads)))
			return VIRTIO_NET_ERR;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return cmd == VIRTIO_NET_CTRL_ANNOUNCE_ACK ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* Control queue worker: each chain is class, command, data (out) and one ack byte (in). */
void vnet_ctrl_process(struct vnet *n)
{
	struct virtio_dev *d = &n->vdev;
	struct virtq *vq = &d->q[Q_CTRL(n)].vq;
	struct iovec iov[16];
	struct virtq_elem e = { .iov = iov, .iov_cap = 16 };
	uint8_t buf[2 + 8 + 6 * 64 + 8];
	int rc;

	do {
		virtq_notify_enable(vq, false);
		while ((rc = virtq_pop(vq, &e)) > 0) {
			uint8_t ack = VIRTIO_NET_ERR;
			size_t len = 0;

			for (unsigned int i = 0; i < e.out_num && len < sizeof(buf); i++) {
				size_t k = iov[i].iov_len < sizeof(buf) - len ? iov[i].iov_len
									     : sizeof(buf) - len;

				memcpy(buf + len, iov[i].iov_base, k);
				len += k;
			}
			__atomic_add_fetch(&n->stats.ctrl_cmds, 1, __ATOMIC_RELAXED);
			if (e.in_num < 1 || len < 2 || e.out_len > sizeof(buf)) {
				log_guest("%s: malformed control command", n->name);
			} else {
				ack = vnet_ctrl_command(n, buf[0], buf[1], buf + 2, len - 2);
			}
			if (ack != VIRTIO_NET_OK)
				__atomic_add_fetch(&n->stats.ctrl_errors, 1, __ATOMIC_RELAXED);
			if (e.in_num >= 1) {
				struct iovec *last = &iov[e.out_num + e.in_num - 1];

				((uint8_t *)last->iov_base)[last->iov_len - 1] = ack;
			}
			vworker_complete(d, Q_CTRL(n), &e, e.in_num >= 1 ? 1 : 0);
		}
		virtq_notify_enable(vq, true);
	} while (rc == 0 && virtq_has_work(vq));
	if (rc < 0)
		virtio_set_needs_reset(d);
}
