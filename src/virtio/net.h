/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-net (virtio 1.2 §5.1) over a frame backend: a tap (one fd per queue
 * pair, virtio-net headers passed through, offloads negotiated with
 * TUNSETOFFLOAD), an inherited tap fd, or user networking (libslirp behind a
 * socketpair, no offloads). With vhost=on the host kernel's vhost-net moves
 * the frames and kasou keeps the control path (net_vhost.c).
 *
 * Threads: one per active queue pair (rx + tx; pair 0 also serves the control
 * queue); counters are atomics read lock-free by stats. Guest mistakes drop
 * the frame and count it; a tap that goes away takes the link down.
 */
#ifndef KASOU_VIRTIO_NET_H
#define KASOU_VIRTIO_NET_H

#include <linux/virtio_net.h>
#include <pthread.h>

#include "backend/tap.h"
#include "config/config.h"
#include "ratelimit/ratelimit.h"
#include "virtio/pci.h"
#include "virtio/worker.h"

#define VNET_MAX_PAIRS TAP_MAX_QUEUES
#define VNET_HDR_LEN ((unsigned int)sizeof(struct virtio_net_hdr_v1))
#define VNET_MAX_FRAME (65536 + VNET_HDR_LEN)

struct vnet_stats {
	uint64_t rx_packets, rx_bytes, rx_drops, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_drops, tx_errors;
	uint64_t rx_throttled_ns, tx_throttled_ns;
	uint64_t ctrl_cmds, ctrl_errors;
};

struct vnet;
struct vhost_net;
struct slirp_backend;

struct vnet_pair {
	struct vnet *net;
	unsigned int index;
	int fd; /* frames to/from the backend */
	pthread_t thread;
	bool running;
	int stop_fd, timer_fd;
	uint8_t *rx_buf; /* one frame read from the backend, header first */
	size_t rx_len; /* bytes of a frame waiting for buffers or tokens, 0 = none */
	bool rx_waiting_buffers;
	bool tx_blocked; /* backend full: waiting for EPOLLOUT */
	bool rx_throttled, tx_throttled;
	uint64_t throttle_since;
	struct virtq_elem tx_pending; /* a popped tx chain not yet sent */
	bool tx_has_pending;
	struct iovec tx_iov[VIRTQ_MAX_SEGS];
	uint64_t rx_packets, tx_packets; /* per queue, atomics */
};

struct vnet {
	struct virtio_dev vdev;
	struct virtio_pci vpci;
	struct net_config cfg; /* borrowed from the vm_config */
	char name[48];
	struct tap tap;
	struct slirp_backend *slirp;
	int user_fd; /* user networking: the device end of the socketpair */
	bool vnet_hdr; /* backend frames carry the v1 header */
	struct virtio_net_config config;
	unsigned int max_pairs, active_pairs;
	bool link_up;
	bool promisc, allmulti;
	struct ratelimit rx_rl, tx_rl;
	bool rl_ready;
	struct vnet_stats stats;
	struct vnet_pair pairs[VNET_MAX_PAIRS];
	struct vworker ctrl; /* the control queue's thread */
	struct vhost_net *vhost; /* vhost=on */
};

int vnet_create(struct vnet *n, const struct net_config *cfg, const struct guest_mem *mem,
		const struct virtio_env *env);
/* Device tests and other frame sources: one queue pair over an open frame fd (taken over). */
int vnet_create_fd(struct vnet *n, const struct net_config *cfg, int fd, bool vnet_hdr,
		   const struct guest_mem *mem, const struct virtio_env *env);
void vnet_destroy(struct vnet *n);
void vnet_set_rate(struct vnet *n, const struct net_config *limits);
void vnet_log_stats(struct vnet *n);

/* Guest offload features -> the TUN_F_* flags the tap may use towards the guest. */
unsigned int vnet_tun_offloads(uint64_t guest_features);

/* net_queue.c */
int vnet_pair_start(struct vnet_pair *p);
void vnet_pair_stop(struct vnet_pair *p);
void vnet_link_down(struct vnet *n, const char *why);
/* net_ctrl.c: one control command; returns VIRTIO_NET_OK or VIRTIO_NET_ERR */
uint8_t vnet_ctrl_command(struct vnet *n, uint8_t cls, uint8_t cmd, const uint8_t *data,
			  size_t len);
void vnet_ctrl_process(struct vnet *n);

#endif
