/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User-mode networking (--net user): libslirp on a thread of its own, seen by
 * the device as a "frame fd" -- the device's end of an AF_UNIX SOCK_SEQPACKET
 * socketpair where one read() returns one whole Ethernet frame and one write()
 * sends one (a tap without IFF_VNET_HDR: no virtio-net header, no offloads).
 *
 * Guest network (QEMU's defaults): 10.0.2.0/24, gateway and host 10.0.2.2
 * (MAC 52:55:0a:00:02:02), DNS 10.0.2.3, DHCP leases from 10.0.2.15; IPv6
 * fec0::/64, host fec0::2, DNS fec0::3. 10.0.2.2 also reaches the host's
 * 127.0.0.1. libslirp learns the guest's MAC from its ARP and DHCP traffic.
 *
 * Threads: slirp_backend_start()/_stop() from the owner (the VM builder, main
 * thread). Every libslirp call happens on the backend's thread ("kasou-slirp"),
 * which polls libslirp's sockets, the frame socket, its timers and a stop
 * eventfd. It never blocks on the guest: a frame that does not fit in the
 * socket's buffer (the device is not reading) is dropped and counted, and TCP
 * retransmits. Counters are atomics readable from any thread.
 */
#ifndef KASOU_BACKEND_NET_SLIRP_H
#define KASOU_BACKEND_NET_SLIRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* The guest network, QEMU's defaults for -netdev user (host byte order) */
#define NET_USER_NET 0x0a000200u /* 10.0.2.0/24 */
#define NET_USER_MASK 0xffffff00u
#define NET_USER_HOST 0x0a000202u /* gateway, and the host's 127.0.0.1 */
#define NET_USER_DNS 0x0a000203u
#define NET_USER_DHCP_START 0x0a00020fu /* 10.0.2.15, the first lease */

#define NET_USER_MAX_HOSTFWD 16
#define NET_USER_WHY_LEN 256
/* The largest frame either way: Ethernet header + libslirp's largest MTU. */
#define NET_USER_MAX_FRAME (14 + 65521)

/* What --net user,... gives; the strings stay the caller's. */
struct net_user_config {
	char *hostfwd[NET_USER_MAX_HOSTFWD];
	unsigned int nr_hostfwd;
	unsigned int mtu; /* IP MTU libslirp sends and accepts; 0: 1500 (68..65521) */
};

/*
 * One forwarding rule, QEMU's syntax:
 *   [tcp|udp]:[HOSTADDR:]HOSTPORT-[GUESTADDR]:GUESTPORT
 * e.g. "tcp:8080-:80", "tcp::8080-:80", "udp:127.0.0.1:5353-10.0.2.15:53".
 * The protocol defaults to tcp, HOSTADDR to 0.0.0.0, GUESTADDR to 10.0.2.15.
 */
struct net_hostfwd {
	bool udp;
	struct in_addr host_addr; /* network order */
	uint16_t host_port;
	struct in_addr guest_addr; /* network order; inside 10.0.2.0/24 */
	uint16_t guest_port;
};

/* Validate (and decode into out, which may be NULL) one rule: 0, or -EINVAL with why
 * (NET_USER_WHY_LEN). net_hostfwd.c; pure, any thread. */
int net_user_parse_hostfwd(const char *s, struct net_hostfwd *out, char *why);

struct slirp_backend;

/*
 * Start libslirp and its thread, with every hostfwd rule listening before this
 * returns. *frame_fd gets the device's end of the socketpair (O_NONBLOCK,
 * O_CLOEXEC; the caller owns and closes it). guest_mac is informational (logs
 * only; libslirp needs no MAC up front) and may be NULL. On failure: -errno and
 * one line in why (NET_USER_WHY_LEN), e.g.
 *   "hostfwd tcp:8080-:80: cannot listen on 0.0.0.0:8080: Address already in use".
 */
int slirp_backend_start(struct slirp_backend **out, const struct net_user_config *cfg,
			const uint8_t guest_mac[6], int *frame_fd, char *why);
/* Stop the thread (eventfd), join it, free libslirp and close the backend's end. */
void slirp_backend_stop(struct slirp_backend *s);

/* rx: frames to the guest (libslirp -> frame fd); tx: frames from the guest. */
struct slirp_stats {
	uint64_t rx_frames, tx_frames, rx_bytes, tx_bytes;
	uint64_t dropped; /* to the guest: socket full or closed; from it: oversized */
};
void slirp_backend_stats(const struct slirp_backend *s, struct slirp_stats *out);

#endif
