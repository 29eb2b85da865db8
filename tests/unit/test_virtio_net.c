// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net at device level: the real device and transport over a
 * SOCK_SEQPACKET socketpair standing in for the tap, driven through fake
 * guest memory by tests/unit/vdriver.h. No KVM, no tap.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_net.h>
#include <sys/socket.h>

#include "unit.h"
#include "vdriver.h"
#include "virtio/net.h"

#define MEM (8ULL << 20)
#define HDR 12
#define BASE_FEATURES                                                                         \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MAC) |                          \
	 (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |                     \
	 (1ULL << VIRTIO_NET_F_CTRL_RX) | (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR) |              \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX))

struct fixture {
	struct vdrv d;
	struct vnet n;
	struct vdrv_queue rx, tx, ctrl;
	int peer; /* the "network" side */
	bool ok;
};

static void setup(struct fixture *f, const char *opts, uint64_t features, bool vnet_hdr)
{
	struct virtio_env env = { 0 };
	struct net_config c;
	char buf[256], err[CONFIG_ERR_LEN] = "";
	int sv[2];

	memset(f, 0, sizeof(*f));
	snprintf(buf, sizeof(buf), "user%s%s", *opts ? "," : "", opts);
	CHECK(config_parse_net(buf, 0, &c, err) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	f->peer = sv[1];
	vdrv_init(&f->d, MEM);
	f->ok = vnet_create_fd(&f->n, &c, sv[0], vnet_hdr, &f->d.mem, &env) == 0;
	CHECK(f->ok);
	if (!f->ok)
		return;
	f->d.t = &f->n.vpci;
	CHECK(vdrv_negotiate(&f->d, features) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_queue_setup(&f->d, &f->rx, 0, 64);
	vdrv_queue_setup(&f->d, &f->tx, 1, 64);
	vdrv_queue_setup(&f->d, &f->ctrl, 2, 64);
	vdrv_driver_ok(&f->d);
	CHECK(vdrv_get_status(&f->d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void teardown(struct fixture *f)
{
	struct net_config c = f->n.cfg;

	if (f->ok) {
		vnet_destroy(&f->n);
		config_free_net(&c);
	}
	if (f->peer >= 0)
		close(f->peer);
	vdrv_free(&f->d);
}

/* Post `n` rx buffers of `size` bytes and kick. */
static uint64_t post_rx(struct fixture *f, unsigned int n, uint32_t size)
{
	uint64_t base = vdrv_alloc(&f->d, (uint64_t)n * size, 64);

	for (unsigned int i = 0; i < n; i++) {
		struct vdrv_seg s = { base + (uint64_t)i * size, size, 1 };

		vdrv_add(&f->d, &f->rx, &s, 1);
	}
	vdrv_kick(&f->d, &f->rx);
	return base;
}

static ssize_t peer_recv(struct fixture *f, uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = f->peer, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recv(f->peer, buf, len, 0);
}

static void frame(uint8_t *b, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 13);
}

TEST(identity_and_config)
{
	struct fixture f;
	uint8_t mac[6];

	setup(&f, "mac=52:54:00:aa:bb:cc", BASE_FEATURES, false);
	if (f.ok) {
		CHECK_EQ(pci_cfg_get16(&f.n.vpci.pci, PCI_DEVICE_ID), 0x1041);
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)vdrv_read(&f.d, VPCI_DEVICE + i, 1);
		CHECK(!memcmp(mac, "\x52\x54\x00\xaa\xbb\xcc", 6));
		CHECK_EQ(vdrv_read(&f.d, VPCI_DEVICE + offsetof(struct virtio_net_config, status), 2),
			 VIRTIO_NET_S_LINK_UP);
		/* no vnet headers on the backend: no offloads offered */
		CHECK(!(vdrv_device_features(&f.d) & (1ULL << VIRTIO_NET_F_GUEST_TSO4)));
	}
	teardown(&f);
}

TEST(tx_strips_header_for_plain_backend)
{
	struct fixture f;
	uint64_t buf;
	uint8_t got[2000], *g;
	uint32_t id = 0, len = 0;
	struct vdrv_seg s[2];

	setup(&f, "", BASE_FEATURES, false);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, HDR + 1000, 64);
	g = vdrv_ptr(&f.d, buf);
	memset(g, 0, HDR);
	frame(g + HDR, 1000, 7);
	/* header and frame in separate descriptors, as Linux sends them */
	s[0] = (struct vdrv_seg){ buf, HDR, 0 };
	s[1] = (struct vdrv_seg){ buf + HDR, 1000, 0 };
	vdrv_add(&f.d, &f.tx, s, 2);
	vdrv_kick(&f.d, &f.tx);
	CHECK_EQ(peer_recv(&f, got, sizeof(got), 2000), 1000);
	CHECK(!memcmp(got, g + HDR, 1000));
	CHECK(vdrv_wait_used(&f.d, &f.tx, 2000, &id, &len) == 0);
	CHECK_EQ(f.n.stats.tx_packets, 1);
	CHECK_EQ(f.n.stats.tx_bytes, 1000);
	teardown(&f);
}

TEST(tx_passes_header_for_vnet_backend)
{
	struct fixture f;
	uint64_t buf;
	uint8_t got[2000];
	struct vdrv_seg s;

	setup(&f, "", BASE_FEATURES, true);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, HDR + 60, 64);
	frame(vdrv_ptr(&f.d, buf), HDR + 60, 1);
	s = (struct vdrv_seg){ buf, HDR + 60, 0 };
	vdrv_add(&f.d, &f.tx, &s, 1);
	vdrv_kick(&f.d, &f.tx);
	CHECK_EQ(peer_recv(&f, got, sizeof(got), 2000), HDR + 60);
	CHECK(!memcmp(got, vdrv_ptr(&f.d, buf), HDR + 60));
	teardown(&f);
}

TEST(rx_mergeable_buffers)
{
	struct fixture f;
	uint64_t base;
	uint8_t out[5000], in[5000 + HDR];
	uint32_t id = 0, len = 0, total = 0;
	struct virtio_net_hdr_v1 *h;

	setup(&f, "", BASE_FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	if (!f.ok)
		return teardown(&f);
	base = post_rx(&f, 8, 1024);
	frame(out, sizeof(out), 42);
	CHECK(send(f.peer, out, sizeof(out), 0) == (ssize_t)sizeof(out));
	/* 5012 bytes with the header: 5 buffers of 1024 */
	for (int i = 0; i < 5; i++) {
		CHECK(vdrv_wait_used(&f.d, &f.rx, 2000, &id, &len) == 0);
		total += len;
	}
	CHECK_EQ(total, sizeof(out) + HDR);
	memcpy(in, vdrv_ptr(&f.d, base), sizeof(in));
	h = (struct virtio_net_hdr_v1 *)in;
	CHECK_EQ(h->num_buffers, 5);
	CHECK_EQ(h->flags, 0);
	CHECK(!memcmp(in + HDR, out, sizeof(out)));
	CHECK_EQ(f.n.stats.rx_packets, 1);
	teardown(&f);
}

/* The guest may place a receive buffer at any byte: num_buffers is stored unaligned. */
TEST(rx_buffer_at_odd_address)
{
	struct fixture f;
	uint64_t buf;
	uint8_t out[100];
	uint16_t nb;
	uint32_t id = 0, len = 0;
	struct vdrv_seg s;

	setup(&f, "", BASE_FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 2048, 64) + 1;
	s = (struct vdrv_seg){ buf, 1024, 1 };
	vdrv_add(&f.d, &f.rx, &s, 1);
	vdrv_kick(&f.d, &f.rx);
	frame(out, sizeof(out), 5);
	CHECK(send(f.peer, out, sizeof(out), 0) == (ssize_t)sizeof(out));
	CHECK(vdrv_wait_used(&f.d, &f.rx, 2000, &id, &len) == 0);
	CHECK_EQ(len, sizeof(out) + HDR);
	memcpy(&nb, (uint8_t *)vdrv_ptr(&f.d, buf) + offsetof(struct virtio_net_hdr_v1, num_buffers),
	       sizeof(nb));
	CHECK_EQ(nb, 1);
	CHECK(!memcmp((uint8_t *)vdrv_ptr(&f.d, buf) + HDR, out, sizeof(out)));
	teardown(&f);
}

/* A receive chain of empty descriptors has no room, not even for the header: a drop. */
TEST(rx_empty_chain_is_dropped)
{
	struct fixture f;
	uint8_t out[100];
	uint64_t deadline;
	struct vdrv_seg s;

	setup(&f, "", BASE_FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	if (!f.ok)
		return teardown(&f);
	s = (struct vdrv_seg){ vdrv_alloc(&f.d, 64, 64), 0, 1 };
	vdrv_add(&f.d, &f.rx, &s, 1);
	post_rx(&f, 1, 2048);
	frame(out, sizeof(out), 11);
	CHECK(send(f.peer, out, sizeof(out), 0) == (ssize_t)sizeof(out));
	deadline = vdrv_now_ms() + 2000;
	while (!f.n.stats.rx_drops && vdrv_now_ms() < deadline)
		usleep(1000);
	CHECK_EQ(f.n.stats.rx_drops, 1);
	CHECK_EQ(f.n.stats.rx_packets, 0);
	CHECK(!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown(&f);
}

TEST(rx_waits_for_buffers)
{
	struct fixture f;
	uint8_t out[300];
	uint32_t id = 0, len = 0;

	setup(&f, "", BASE_FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	if (!f.ok)
		return teardown(&f);
	frame(out, sizeof(out), 3);
	CHECK(send(f.peer, out, sizeof(out), 0) == (ssize_t)sizeof(out));
	usleep(50000); /* no buffers yet: the frame waits, nothing is dropped */
	CHECK_EQ(f.n.stats.rx_drops, 0);
	post_rx(&f, 2, 2048);
	CHECK(vdrv_wait_used(&f.d, &f.rx, 2000, &id, &len) == 0);
	CHECK_EQ(len, sizeof(out) + HDR);
	teardown(&f);
}

TEST(rx_too_small_without_mergeable)
{
	struct fixture f;
	uint8_t out[3000];
	uint64_t deadline;

	setup(&f, "", BASE_FEATURES, false);
	if (!f.ok)
		return teardown(&f);
	post_rx(&f, 4, 1500); /* single-buffer frames only, and this one needs 3012 bytes */
	frame(out, sizeof(out), 9);
	CHECK(send(f.peer, out, sizeof(out), 0) == (ssize_t)sizeof(out));
	deadline = vdrv_now_ms() + 2000;
	while (!f.n.stats.rx_drops && vdrv_now_ms() < deadline)
		usleep(1000);
	CHECK_EQ(f.n.stats.rx_drops, 1);
	CHECK(!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown(&f);
}

TEST(tx_malformed_is_counted)
{
	struct fixture f;
	uint64_t buf;
	uint32_t id = 0, len = 0;
	struct vdrv_seg s;

	setup(&f, "", BASE_FEATURES, false);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 8, 8);
	s = (struct vdrv_seg){ buf, 8, 0 }; /* shorter than the header */
	vdrv_add(&f.d, &f.tx, &s, 1);
	vdrv_kick(&f.d, &f.tx);
	CHECK(vdrv_wait_used(&f.d, &f.tx, 2000, &id, &len) == 0);
	CHECK_EQ(f.n.stats.tx_errors, 1);
	CHECK_EQ(f.n.stats.tx_packets, 0);
	teardown(&f);
}

static uint8_t ctrl(struct fixture *f, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	uint64_t hdr = vdrv_alloc(&f->d, 2, 2), d = vdrv_alloc(&f->d, len ? len : 1, 8);
	uint64_t ack = vdrv_alloc(&f->d, 1, 1);
	struct vdrv_seg s[3];
	unsigned int n = 0;
	uint32_t id, l;

	((uint8_t *)vdrv_ptr(&f->d, hdr))[0] = cls;
	((uint8_t *)vdrv_ptr(&f->d, hdr))[1] = cmd;
	if (len)
		memcpy(vdrv_ptr(&f->d, d), data, len);
	*(uint8_t *)vdrv_ptr(&f->d, ack) = 0xee;
	s[n++] = (struct vdrv_seg){ hdr, 2, 0 };
	if (len)
		s[n++] = (struct vdrv_seg){ d, len, 0 };
	s[n++] = (struct vdrv_seg){ ack, 1, 1 };
	vdrv_add(&f->d, &f->ctrl, s, n);
	vdrv_kick(&f->d, &f->ctrl);
	if (vdrv_wait_used(&f->d, &f->ctrl, 2000, &id, &l))
		return 0xff;
	return *(uint8_t *)vdrv_ptr(&f->d, ack);
}

TEST(control_queue)
{
	struct fixture f;
	uint8_t on = 1, mac[6] = { 0x52, 0x54, 0, 1, 2, 3 }, table[8 + 6] = { 1, 0, 0, 0 };
	uint16_t pairs = 2;

	setup(&f, "", BASE_FEATURES, false);
	if (!f.ok)
		return teardown(&f);
	CHECK_EQ(ctrl(&f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1), VIRTIO_NET_OK);
	CHECK(f.n.promisc);
	CHECK_EQ(ctrl(&f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, &on, 1), VIRTIO_NET_ERR);
	CHECK_EQ(ctrl(&f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6), VIRTIO_NET_OK);
	CHECK_EQ(vdrv_read(&f.d, VPCI_DEVICE + 5, 1), 3);
	/* one unicast entry, then a multicast count of 0 */
	memcpy(table + 4, mac, 6);
	CHECK_EQ(ctrl(&f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table, 14),
		 VIRTIO_NET_OK);
	table[0] = 5; /* claims more entries than it carries */
	CHECK_EQ(ctrl(&f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table, 14),
		 VIRTIO_NET_ERR);
	/* MQ was not negotiated (one pair): refused */
	CHECK_EQ(ctrl(&f, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
		 VIRTIO_NET_ERR);
	CHECK_EQ(ctrl(&f, 99, 0, NULL, 0), VIRTIO_NET_ERR);
	CHECK_EQ(f.n.stats.ctrl_cmds, 7);
	teardown(&f);
}

TEST(tx_rate_limit_delays_not_drops)
{
	struct fixture f;
	uint64_t buf;
	uint8_t got[200];
	struct vdrv_seg s;
	int received = 0;

	/* 100 packets/s with a burst of 2: 8 frames take ~60 ms and all arrive */
	setup(&f, "tx_pps=100,tx_pps_max=2", BASE_FEATURES, false);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, HDR + 64, 64);
	memset(vdrv_ptr(&f.d, buf), 0, HDR + 64);
	for (int i = 0; i < 8; i++) {
		s = (struct vdrv_seg){ buf, HDR + 64, 0 };
		vdrv_add(&f.d, &f.tx, &s, 1);
	}
	vdrv_kick(&f.d, &f.tx);
	while (received < 8 && peer_recv(&f, got, sizeof(got), 2000) == 64)
		received++;
	CHECK_EQ(received, 8);
	CHECK_EQ(f.n.stats.tx_drops, 0);
	CHECK(f.n.stats.tx_throttled_ns > 0);
	teardown(&f);
}

TEST(backend_gone_takes_link_down)
{
	struct fixture f;
	uint64_t deadline;

	setup(&f, "", BASE_FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF), false);
	if (!f.ok)
		return teardown(&f);
	post_rx(&f, 2, 2048);
	close(f.peer); /* the network side goes away */
	f.peer = -1;
	deadline = vdrv_now_ms() + 2000;
	while (f.n.link_up && vdrv_now_ms() < deadline)
		usleep(1000);
	CHECK(!f.n.link_up);
	CHECK_EQ(vdrv_read(&f.d, VPCI_DEVICE + offsetof(struct virtio_net_config, status), 2), 0);
	CHECK(!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown(&f);
}

UNIT_MAIN("virtio_net", T(rx_waits_for_buffers), T(identity_and_config), T(tx_strips_header_for_plain_backend),
	  T(tx_passes_header_for_vnet_backend), T(rx_mergeable_buffers),
	  T(rx_buffer_at_odd_address), T(rx_empty_chain_is_dropped), T(rx_waits_for_buffers),
	  T(rx_too_small_without_mergeable), T(tx_malformed_is_counted), T(control_queue),
	  T(tx_rate_limit_delays_not_drops), T(backend_gone_takes_link_down))
