// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-mode networking without KVM: the test plays the guest on the frame fd
 * with hand-built Ethernet frames. ARP for the gateway, a DHCP offer, a TCP
 * exchange with a host listener on 127.0.0.1 reached through 10.0.2.2, a
 * hostfwd connection arriving as a SYN for the guest, rule parsing and its
 * errors, a port in use, runt/oversized frames, the device closing its end,
 * and no fds left behind after 50 start/stop cycles.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend/net_slirp.h"
#include "unit.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define GUEST_IP 0x0a00020fu
#define GW_IP 0x0a000202u
#define DNS_IP 0x0a000203u

/* ---- frame building and parsing ----------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
	return 14;
}

static size_t arp_request(uint8_t *f, uint32_t sip, uint32_t tip)
{
	uint8_t *a = f + eth(f, bcast_mac, 0x0806);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, guest_mac, 6);
	put32(a + 14, sip);
	memset(a + 18, 0, 6);
	put32(a + 24, tip);
	return 14 + 28;
}

/* IPv4 header at f+14 for a payload of len bytes; returns the payload's offset. */
static size_t ipv4(uint8_t *f, const uint8_t *dst_mac, uint8_t proto, uint32_t src, uint32_t dst,
		   size_t len)
{
	uint8_t *ip = f + eth(f, dst_mac, 0x0800);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + len));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	return 34;
}

static uint16_t l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *p, size_t n)
{
	uint8_t ph[12];

	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)n);
	return fold(sum16(p, n, sum16(ph, 12, 0)));
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

static size_t tcp(uint8_t *f, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
		  uint32_t ack, uint8_t flags, const void *data, size_t dlen)
{
	size_t off = ipv4(f, gw_mac, 6, GUEST_IP, dst, 20 + dlen);
	uint8_t *t = f + off;

	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	if (dlen)
		memcpy(t + 20, data, dlen);
	put16(t + 16, l4_csum(GUEST_IP, dst, 6, t, 20 + dlen));
	return off + 20 + dlen;
}

/* A parsed TCP/IPv4 frame to the guest. */
struct seg {
	uint32_t src, dst, seq, ack;
	uint16_t sport, dport;
	uint8_t flags;
	const uint8_t *data;
	size_t dlen;
};

static bool parse_tcp(const uint8_t *f, size_t n, struct seg *sg)
{
	const uint8_t *ip = f + 14, *t;
	size_t ihl, tot, thl;

	if (n < 34 || get16(f + 12) != 0x0800 || ip[9] != 6)
		return false;
	ihl = (ip[0] & 15) * 4u;
	tot = get16(ip + 2);
	if (tot + 14 > n || ihl + 20 > tot)
		return false;
	t = ip + ihl;
	thl = (t[12] >> 4) * 4u;
	if (ihl + thl > tot)
		return false;
	sg->src = get32(ip + 12);
	sg->dst = get32(ip + 16);
	sg->sport = get16(t);
	sg->dport = get16(t + 2);
	sg->seq = get32(t + 4);
	sg->ack = get32(t + 8);
	sg->flags = t[13];
	sg->data = t + thl;
	sg->dlen = tot - ihl - thl;
	return true;
}

/* ---- the fake guest ---------------------------------------------------- */

struct guest {
	struct slirp_backend *s;
	int fd;
	bool answered_arp; /* libslirp asked who 10.0.2.15 is, and we said */
};

static int guest_start(struct guest *g, struct net_user_config *cfg)
{
	char why[NET_USER_WHY_LEN] = "";
	struct net_user_config none = { 0 };
	int err;

	memset(g, 0, sizeof(*g));
	err = slirp_backend_start(&g->s, cfg ? cfg : &none, guest_mac, &g->fd, why);
	if (err)
		fprintf(stderr, "slirp_backend_start: %s\n", why);
	return err;
}

static void guest_stop(struct guest *g)
{
	slirp_backend_stop(g->s);
	close(g->fd);
}

static void guest_send(struct guest *g, const uint8_t *f, size_t n)
{
	CHECK_EQ(write(g->fd, f, n), n);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef bool (*match_fn)(const uint8_t *f, size_t n, void *arg);

/*
 * Read frames until one matches (its length) or timeout_ms passes (-1).
 * Answers libslirp's ARP requests for the guest's address on the way, as a
 * guest's stack would.
 */
static ssize_t guest_wait(struct guest *g, match_fn match, void *arg, uint8_t *f, size_t cap,
			  int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		int64_t left = end - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = read(g->fd, f, cap);
		if (n <= 0)
			return -1;
		if (n >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 1 &&
		    get32(f + 38) == GUEST_IP) {
			uint8_t r[42];

			memcpy(r, f + 6, 6);
			memcpy(r + 6, guest_mac, 6);
			put16(r + 12, 0x0806);
			memcpy(r + 14, f + 14, 6);
			put16(r + 20, 2);
			memcpy(r + 22, guest_mac, 6);
			put32(r + 28, GUEST_IP);
			memcpy(r + 32, f + 22, 10); /* requester's MAC and IP */
			guest_send(g, r, sizeof(r));
			g->answered_arp = true;
		}
		if (match(f, (size_t)n, arg))
			return n;
	}
}

static bool is_arp_reply(const uint8_t *f, size_t n, void *arg)
{
	return n >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 &&
	       get32(f + 28) == *(uint32_t *)arg;
}

/* ---- hostfwd rules ------------------------------------------------------ */

TEST(parse_hostfwd_forms)
{
	char why[NET_USER_WHY_LEN];
	struct net_hostfwd f;

	CHECK_EQ(net_user_parse_hostfwd("tcp:8080-:80", &f, why), 0);
	CHECK(!f.udp);
	CHECK_EQ(f.host_addr.s_addr, 0);
	CHECK_EQ(f.host_port, 8080);
	CHECK_EQ(ntohl(f.guest_addr.s_addr), GUEST_IP);
	CHECK_EQ(f.guest_port, 80);

	CHECK_EQ(net_user_parse_hostfwd("tcp::2222-:22", &f, why), 0);
	CHECK_EQ(f.host_port, 2222);
	CHECK_EQ(f.guest_port, 22);

	CHECK_EQ(net_user_parse_hostfwd("udp:127.0.0.1:5353-10.0.2.20:53", &f, why), 0);
	CHECK(f.udp);
	CHECK_EQ(ntohl(f.host_addr.s_addr), 0x7f000001);
	CHECK_EQ(f.host_port, 5353);
	CHECK_EQ(ntohl(f.guest_addr.s_addr), 0x0a000214);
	CHECK_EQ(f.guest_port, 53);

	CHECK_EQ(net_user_parse_hostfwd("::65535-:1", &f, why), 0); /* QEMU: tcp by default */
	CHECK(!f.udp);
	CHECK_EQ(f.host_port, 65535);
	CHECK_EQ(net_user_parse_hostfwd("tcp:8080-:80", NULL, why), 0);
}

TEST(parse_hostfwd_errors)
{
	static const char *const bad[] = {
		"",
		"tcp",
		"tcp:8080",
		"tcp:8080:80",
		"sctp:1-:2",
		"tcp:0-:80",
		"tcp:8080-:0",
		"tcp:65536-:80",
		"tcp:80a-:80",
		"tcp:-:80",
		"tcp:8080-:",
		"tcp:8080-:80-:90",
		"tcp:1.2.3:8080-:80",
		"tcp:8080-10.0.3.15:80",
		"tcp:8080-10.0.2.2:80",
		"tcp:8080-10.0.2.3:80",
		"tcp:8080-10.0.2.255:80",
		"tcp:8080-:80 ",
	};
	char why[NET_USER_WHY_LEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		CHECK_EQ(net_user_parse_hostfwd(bad[i], NULL, why), -EINVAL);
		CHECK(!strncmp(why, "hostfwd", 7));
		if (bad[i][0])
			CHECK(strstr(why, bad[i]) != NULL);
	}
	net_user_parse_hostfwd("sctp:1-:2", NULL, why);
	CHECK_STR(why, "hostfwd sctp:1-:2: unknown protocol 'sctp': use tcp or udp");
}

TEST(start_bad_hostfwd)
{
	char why[NET_USER_WHY_LEN] = "";
	struct net_user_config cfg = { .hostfwd = { "tcp:8080-:80", "tcp:nope-:80" },
				       .nr_hostfwd = 2 };
	struct slirp_backend *s = (void *)1;
	int fd = 1234;

	CHECK_EQ(slirp_backend_start(&s, &cfg, guest_mac, &fd, why), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(fd, -1);
	CHECK(!strncmp(why, "hostfwd tcp:nope-:80: ", 22));
}

static int listener(uint32_t addr, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

TEST(hostfwd_port_in_use)
{
	char why[NET_USER_WHY_LEN] = "", rule[64], want[160];
	struct net_user_config cfg = { .nr_hostfwd = 1 };
	struct slirp_backend *s;
	uint16_t port;
	int busy = listener(INADDR_ANY, &port), fd;

	CHECK(busy >= 0);
	snprintf(rule, sizeof(rule), "tcp:%u-:80", port);
	cfg.hostfwd[0] = rule;
	CHECK_EQ(slirp_backend_start(&s, &cfg, guest_mac, &fd, why), -EADDRINUSE);
	snprintf(want, sizeof(want), "hostfwd tcp:%u-:80: cannot listen on 0.0.0.0:%u: %s", port,
		 port, strerror(EADDRINUSE));
	CHECK_STR(why, want);
	CHECK(s == NULL);
	close(busy);
}

/* ---- ARP, DHCP ---------------------------------------------------------- */

TEST(arp_gateway_and_dns)
{
	uint8_t f[2048];
	struct guest g;
	uint32_t want = GW_IP;
	ssize_t n;

	if (guest_start(&g, NULL)) {
		CHECK(!"slirp_backend_start");
		return;
	}
	guest_send(&g, f, arp_request(f, GUEST_IP, GW_IP));
	n = guest_wait(&g, is_arp_reply, &want, f, sizeof(f), 2000);
	CHECK_EQ(n >= 42, 1);
	if (n >= 42) {
		CHECK(!memcmp(f, guest_mac, 6)); /* to us */
		CHECK(!memcmp(f + 6, gw_mac, 6));
		CHECK(!memcmp(f + 22, gw_mac, 6)); /* sender MAC: the gateway's */
		CHECK_EQ(get32(f + 28), GW_IP);
		CHECK(!memcmp(f + 32, guest_mac, 6));
		CHECK_EQ(get32(f + 38), GUEST_IP);
	}
	want = DNS_IP;
	guest_send(&g, f, arp_request(f, GUEST_IP, DNS_IP));
	n = guest_wait(&g, is_arp_reply, &want, f, sizeof(f), 2000);
	CHECK_EQ(n >= 42, 1);
	if (n >= 42)
		CHECK_EQ(f[22 + 5], 0x03); /* 52:55:0a:00:02:03 */
	guest_stop(&g);
}

static bool is_dhcp_reply(const uint8_t *f, size_t n, void *arg)
{
	return n >= 14 + 20 + 8 + 240 && get16(f + 12) == 0x0800 && f[23] == 17 &&
	       get16(f + 34) == 67 && get16(f + 36) == 68 && f[42] == 2 &&
	       get32(f + 46) == *(uint32_t *)arg;
}

/* Option `code` in a BOOTP reply's options (4-byte values only); -1 when absent. */
static int64_t dhcp_opt(const uint8_t *bootp, size_t len, uint8_t code)
{
	size_t i = 240;

	while (i + 2 <= len && bootp[i] != 255) {
		if (bootp[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 + bootp[i + 1] > len)
			break;
		if (bootp[i] == code)
			return bootp[i + 1] == 1 ? bootp[i + 2] : (int64_t)get32(bootp + i + 2);
		i += 2 + bootp[i + 1];
	}
	return -1;
}

TEST(dhcp_discover_offer)
{
	uint8_t f[2048], *b;
	uint32_t xid = 0x4b415355;
	struct guest g;
	size_t off;
	ssize_t n;

	if (guest_start(&g, NULL)) {
		CHECK(!"slirp_backend_start");
		return;
	}
	off = ipv4(f, bcast_mac, 17, 0, 0xffffffffu, 8 + 548);
	put16(f + off, 68);
	put16(f + off + 2, 67);
	put16(f + off + 4, 8 + 548);
	put16(f + off + 6, 0); /* no UDP checksum */
	b = f + off + 8;
	memset(b, 0, 548);
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, xid);
	put16(b + 10, 0x8000); /* broadcast */
	memcpy(b + 28, guest_mac, 6);
	put32(b + 236, 0x63825363);
	b[240] = 53; /* DHCPDISCOVER */
	b[241] = 1;
	b[242] = 1;
	b[243] = 255;
	guest_send(&g, f, off + 8 + 548);

	n = guest_wait(&g, is_dhcp_reply, &xid, f, sizeof(f), 2000);
	CHECK(n > 0);
	if (n > 0) {
		b = f + 42;
		CHECK_EQ(get32(b + 16), GUEST_IP); /* yiaddr */
		CHECK_EQ(dhcp_opt(b, (size_t)n - 42, 53), 2); /* DHCPOFFER */
		CHECK_EQ(dhcp_opt(b, (size_t)n - 42, 1), 0xffffff00u);
		CHECK_EQ(dhcp_opt(b, (size_t)n - 42, 3), GW_IP); /* router */
		CHECK_EQ(dhcp_opt(b, (size_t)n - 42, 6), DNS_IP);
		CHECK_EQ(dhcp_opt(b, (size_t)n - 42, 54), GW_IP); /* server id */
		CHECK(!memcmp(f + 6, gw_mac, 6));
	}
	guest_stop(&g);
}

/* IPv6: a router solicitation gets an advertisement of fec0::/64. */
static bool is_ra(const uint8_t *f, size_t n, void *arg)
{
	return n >= 14 + 40 + 16 && get16(f + 12) == 0x86dd && f[14 + 6] == 58 && f[54] == 134;
}

TEST(ipv6_router_solicitation)
{
	static const uint8_t all_routers_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	uint8_t f[2048], *ip = f + 14, *icmp = f + 54, want[16] = { 0xfe, 0xc0 };
	uint32_t sum;
	struct guest g;
	bool prefix = false;
	ssize_t n;

	if (guest_start(&g, NULL)) {
		CHECK(!"slirp_backend_start");
		return;
	}
	eth(f, all_routers_mac, 0x86dd);
	memset(ip, 0, 40 + 16);
	ip[0] = 0x60;
	put16(ip + 4, 16); /* RS + source link-layer address option */
	ip[6] = 58;
	ip[7] = 255;
	ip[8] = 0xfe; /* fe80::5054:ff:fe12:3456 */
	ip[9] = 0x80;
	memcpy(ip + 16 + 2, (const uint8_t[]){ 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 }, 8);
	ip[24] = 0xff; /* ff02::2 */
	ip[25] = 0x02;
	ip[39] = 2;
	icmp[0] = 133;
	icmp[8] = 1; /* source link-layer address */
	icmp[9] = 1;
	memcpy(icmp + 10, guest_mac, 6);
	sum = sum16(ip + 8, 32, 16 + 58); /* pseudo header: addresses, length, next header */
	put16(icmp + 2, fold(sum16(icmp, 16, sum)));
	guest_send(&g, f, 14 + 40 + 16);

	n = guest_wait(&g, is_ra, NULL, f, sizeof(f), 2000);
	CHECK(n > 0);
	for (ssize_t i = 54 + 16; n > 0 && i + 8 <= n && f[i + 1]; i += f[i + 1] * 8)
		if (f[i] == 3 && f[i + 1] == 4 && i + 32 <= n && f[i + 2] == 64 &&
		    !memcmp(f + i + 16, want, 16))
			prefix = true;
	CHECK(prefix);
	guest_stop(&g);
}

/* ---- TCP ---------------------------------------------------------------- */

struct want_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t flags, mask;
	bool data; /* carries a payload */
	struct seg got;
};

static bool is_seg(const uint8_t *f, size_t n, void *arg)
{
	struct want_seg *w = arg;
	struct seg s;

	if (!parse_tcp(f, n, &s) || s.src != w->src || s.dst != w->dst ||
	    (w->sport && s.sport != w->sport) || s.dport != w->dport ||
	    (s.flags & w->mask) != w->flags || (w->data && !s.dlen))
		return false;
	w->got = s;
	return true;
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

TEST(tcp_to_host_loopback)
{
	uint8_t f[2048];
	struct slirp_stats st;
	struct guest g;
	uint16_t port;
	uint32_t iss = 1000, peer;
	char buf[16];
	int lfd = listener(INADDR_LOOPBACK, &port), cfd = -1;
	struct want_seg w = { .src = GW_IP, .dst = GUEST_IP, .dport = 40000 };

	CHECK(lfd >= 0);
	if (guest_start(&g, NULL)) {
		CHECK(!"slirp_backend_start");
		return;
	}
	w.sport = port;

	/* SYN to 10.0.2.2:port, which libslirp connects to 127.0.0.1:port */
	guest_send(&g, f, tcp(f, GW_IP, 40000, port, iss, 0, TH_SYN, NULL, 0));
	w.flags = w.mask = TH_SYN | TH_ACK;
	CHECK(guest_wait(&g, is_seg, &w, f, sizeof(f), 3000) > 0);
	CHECK_EQ(w.got.ack, iss + 1);
	peer = w.got.seq + 1;
	CHECK(g.answered_arp); /* the guest never ARPed: libslirp asked */

	CHECK(wait_readable(lfd, 2000));
	cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);

	/* guest -> host */
	guest_send(&g, f, tcp(f, GW_IP, 40000, port, iss + 1, peer, TH_ACK, NULL, 0));
	guest_send(&g, f, tcp(f, GW_IP, 40000, port, iss + 1, peer, TH_ACK | TH_PSH, "ping", 4));
	CHECK(cfd >= 0 && wait_readable(cfd, 2000));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(cfd >= 0 ? read(cfd, buf, sizeof(buf)) : -1, 4);
	CHECK_STR(buf, "ping");

	/* host -> guest */
	CHECK_EQ(cfd >= 0 ? write(cfd, "pong", 4) : -1, 4);
	w.flags = TH_ACK;
	w.mask = TH_ACK | TH_SYN;
	w.data = true;
	CHECK(guest_wait(&g, is_seg, &w, f, sizeof(f), 3000) > 0);
	CHECK_EQ(w.got.dlen, 4);
	CHECK(w.got.dlen == 4 && !memcmp(w.got.data, "pong", 4));
	CHECK_EQ(w.got.seq, peer);

	slirp_backend_stats(g.s, &st);
	CHECK(st.tx_frames >= 3);
	CHECK(st.rx_frames >= 3);
	CHECK(st.tx_bytes >= 3 * 54);
	CHECK(st.rx_bytes >= 3 * 42);
	CHECK_EQ(st.dropped, 0);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	guest_stop(&g);
}

TEST(hostfwd_syn_to_guest)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct net_user_config cfg = { .nr_hostfwd = 1 };
	struct want_seg w = { .src = GW_IP, .dst = GUEST_IP, .dport = 2222 };
	uint8_t f[2048];
	char rule[64];
	struct guest g;
	uint16_t port;
	int fd = listener(INADDR_LOOPBACK, &port), c;

	CHECK(fd >= 0);
	close(fd); /* a port that was free a moment ago */
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u-:2222", port);
	cfg.hostfwd[0] = rule;
	if (guest_start(&g, &cfg)) {
		CHECK(!"slirp_backend_start");
		return;
	}

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_port = htons(port);
	CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	/* libslirp accepts, ARPs for 10.0.2.15 (answered by guest_wait) and sends a SYN */
	w.flags = TH_SYN;
	w.mask = TH_SYN | TH_ACK;
	CHECK(guest_wait(&g, is_seg, &w, f, sizeof(f), 3000) > 0);
	CHECK(g.answered_arp);
	CHECK(!memcmp(f, guest_mac, 6));
	close(c);
	guest_stop(&g);
}

/* ---- hostile input, lifetime -------------------------------------------- */

TEST(bad_frames_dropped)
{
	uint8_t *big = calloc(1, NET_USER_MAX_FRAME + 100), f[2048];
	struct slirp_stats st;
	uint32_t want = GW_IP;
	struct guest g;
	size_t n;

	if (guest_start(&g, NULL)) {
		free(big);
		CHECK(!"slirp_backend_start");
		return;
	}
	memset(f, 0, sizeof(f));
	guest_send(&g, f, 5); /* runt */
	if (big) {
		eth(big, gw_mac, 0x0800);
		guest_send(&g, big, NET_USER_MAX_FRAME + 100);
	}
	/* IPv4 with a lying length, a truncated ARP, IPv6 junk, unknown ethertype */
	n = ipv4(f, gw_mac, 6, GUEST_IP, GW_IP, 1400);
	guest_send(&g, f, n + 3);
	guest_send(&g, f, arp_request(f, GUEST_IP, GW_IP) - 20);
	eth(f, gw_mac, 0x86dd);
	memset(f + 14, 0x60, 60);
	guest_send(&g, f, 74);
	eth(f, gw_mac, 0x1234);
	guest_send(&g, f, 60);

	/* still alive */
	guest_send(&g, f, arp_request(f, GUEST_IP, GW_IP));
	CHECK(guest_wait(&g, is_arp_reply, &want, f, sizeof(f), 2000) > 0);
	slirp_backend_stats(g.s, &st);
	CHECK_EQ(st.dropped, 2);
	guest_stop(&g);
	free(big);
}

TEST(device_closes_its_end)
{
	struct rusage r0, r1;
	struct guest g;
	int64_t cpu;

	if (guest_start(&g, NULL)) {
		CHECK(!"slirp_backend_start");
		return;
	}
	close(g.fd);
	g.fd = -1;
	getrusage(RUSAGE_SELF, &r0);
	usleep(300000);
	getrusage(RUSAGE_SELF, &r1);
	cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
	       r0.ru_stime.tv_sec) * 1000000LL +
	      (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
	CHECK(cpu < 100000); /* the thread sleeps instead of spinning on the hang-up */
	slirp_backend_stop(g.s);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

TEST(start_stop_no_leaks)
{
	struct net_user_config cfg = { .hostfwd = { NULL }, .nr_hostfwd = 2 };
	char tcp_rule[64], udp_rule[64];
	uint16_t port;
	int fd = listener(INADDR_LOOPBACK, &port), before;

	CHECK(fd >= 0);
	close(fd);
	snprintf(tcp_rule, sizeof(tcp_rule), "tcp:127.0.0.1:%u-:22", port);
	snprintf(udp_rule, sizeof(udp_rule), "udp:127.0.0.1:%u-:53", port);
	cfg.hostfwd[0] = tcp_rule;
	cfg.hostfwd[1] = udp_rule;
	before = count_fds();
	for (int i = 0; i < 50; i++) {
		struct guest g;

		if (guest_start(&g, &cfg)) {
			CHECK(!"start failed");
			break;
		}
		guest_stop(&g);
	}
	CHECK_EQ(count_fds(), before);
}

UNIT_MAIN("net_slirp", T(parse_hostfwd_forms), T(parse_hostfwd_errors), T(start_bad_hostfwd),
	  T(hostfwd_port_in_use), T(arp_gateway_and_dns), T(dhcp_discover_offer), T(ipv6_router_solicitation),
	  T(tcp_to_host_loopback), T(hostfwd_syn_to_guest), T(bad_frames_dropped),
	  T(device_closes_its_end), T(start_stop_no_leaks))
