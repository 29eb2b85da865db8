/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost-net: the host kernel moves frames between a tap queue and the guest's
 * rings; kasou keeps feature negotiation, the control queue and setup. Each
 * queue pair gets its own /dev/vhost-net instance; kicks come from the queue's
 * ioeventfd eventfd and interrupts go straight to the MSI-X vector's irqfd.
 * Setup and teardown run on the vCPU thread that wrote DRIVER_OK or reset.
 */
#ifndef KASOU_VIRTIO_NET_VHOST_H
#define KASOU_VIRTIO_NET_VHOST_H

#include <stdint.h>

struct vnet;
struct vhost_net;

/* -errno with `why` (256 bytes) when vhost-net cannot be used here. */
int vhost_net_open(struct vhost_net **out, struct vnet *n, char *why);
/* Feature bits the device may offer with vhost serving the data path. */
uint64_t vhost_net_features(struct vhost_net *v);
int vhost_net_start(struct vhost_net *v, struct vnet *n);
void vhost_net_stop(struct vhost_net *v);
void vhost_net_close(struct vhost_net *v);

#endif
