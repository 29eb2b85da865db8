/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap backend: open (or create, with CAP_NET_ADMIN) a tap interface with one
 * fd per queue pair (IFF_MULTI_QUEUE), with virtio-net headers (IFF_VNET_HDR,
 * 12-byte v1 header) so offloads pass straight through, or adopt an inherited
 * fd. Each fd is non-blocking; one read() is one frame. Main thread at VM
 * build; tap_set_offload()/tap_queue_enable() from the device's ctrl path.
 */
#ifndef KASOU_BACKEND_TAP_H
#define KASOU_BACKEND_TAP_H

#include <net/if.h>
#include <stdbool.h>

#define TAP_MAX_QUEUES 16
#define TAP_WHY_LEN 256

struct tap {
	int fds[TAP_MAX_QUEUES];
	unsigned int nr;
	char ifname[IFNAMSIZ];
	bool vnet_hdr; /* frames carry a struct virtio_net_hdr_v1 */
	bool inherited;
};

int tap_open(struct tap *t, const char *ifname, unsigned int queues, char *why);
int tap_adopt_fd(struct tap *t, int fd, char *why);
/* TUN_F_* offload flags (what the guest can receive); 0 or -errno. */
int tap_set_offload(struct tap *t, unsigned int tun_flags);
/* Attach/detach queue i (multiqueue taps), so the kernel steers only to active ones. */
int tap_queue_enable(struct tap *t, unsigned int i, bool on);
void tap_close(struct tap *t);

#endif
