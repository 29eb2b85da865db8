// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostfwd rules for user networking, QEMU's syntax:
 *   [tcp|udp]:[HOSTADDR:]HOSTPORT-[GUESTADDR]:GUESTPORT
 * Used by the --net option parser to validate and by the slirp backend to
 * decode; pure, any thread.
 */
#include "backend/net_slirp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fwd_err(char *why, const char *s, const char *what)
{
	if (why)
		snprintf(why, NET_USER_WHY_LEN, "hostfwd %.80s: %s", s, what);
	return -EINVAL;
}

static bool parse_port(const char *p, size_t n, uint16_t *port)
{
	unsigned int v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned int)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "[ADDR]:PORT" or "PORT"; an empty or absent ADDR gives 0. */
static bool parse_endpoint(const char *p, size_t n, struct in_addr *addr, uint16_t *port)
{
	const char *colon = memrchr(p, ':', n);
	char tmp[INET_ADDRSTRLEN];
	size_t alen;

	addr->s_addr = 0;
	if (!colon)
		return parse_port(p, n, port);
	alen = (size_t)(colon - p);
	if (alen) {
		if (alen >= sizeof(tmp))
			return false;
		memcpy(tmp, p, alen);
		tmp[alen] = 0;
		if (inet_pton(AF_INET, tmp, addr) != 1)
			return false;
	}
	return parse_port(colon + 1, n - alen - 1, port);
}

int net_user_parse_hostfwd(const char *s, struct net_hostfwd *out, char *why)
{
	struct net_hostfwd f = { 0 };
	const char *p = s, *dash, *colon;
	uint32_t g;

	if (!s || !*s) {
		if (why)
			snprintf(why, NET_USER_WHY_LEN, "hostfwd: empty rule");
		return -EINVAL;
	}
	if (!strncmp(p, "tcp:", 4)) {
		p += 4;
	} else if (!strncmp(p, "udp:", 4)) {
		f.udp = true;
		p += 4;
	} else if (*p == ':') {
		p++; /* QEMU's "::8080-:80": the protocol left out means tcp */
	} else if ((colon = strchr(p, ':')) && isalpha((unsigned char)*p)) {
		char msg[64];

		snprintf(msg, sizeof(msg), "unknown protocol '%.*s': use tcp or udp",
			 (int)(colon - p > 16 ? 16 : colon - p), p);
		return fwd_err(why, s, msg);
	}
	dash = strchr(p, '-');
	if (!dash || strchr(dash + 1, '-'))
		return fwd_err(why, s, "use [tcp|udp]:[HOSTADDR:]HOSTPORT-[GUESTADDR]:GUESTPORT");
	if (!parse_endpoint(p, (size_t)(dash - p), &f.host_addr, &f.host_port))
		return fwd_err(why, s, "bad host address or port (ports are 1-65535)");
	if (!parse_endpoint(dash + 1, strlen(dash + 1), &f.guest_addr, &f.guest_port))
		return fwd_err(why, s, "bad guest address or port (ports are 1-65535)");
	if (!f.guest_addr.s_addr)
		f.guest_addr.s_addr = htonl(NET_USER_DHCP_START);
	g = ntohl(f.guest_addr.s_addr);
	if ((g & NET_USER_MASK) != NET_USER_NET || g == NET_USER_NET || g == (NET_USER_NET | ~NET_USER_MASK) ||
	    g == NET_USER_HOST || g == NET_USER_DNS)
		return fwd_err(why, s, "the guest address must be a guest's in 10.0.2.0/24");
	if (out)
		*out = f;
	return 0;
}
