// SPDX-License-Identifier: GPL-2.0-only
/* --net tap=NAME|fd=N|user[,id=..][,mac=..][,queues=N][,vhost=on][,mtu=N][,hostfwd=..][,rx_bps=..] */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "backend/net_slirp.h"
#include "config/kv.h"

#define NET_MAX_QUEUES 16
#define NET_MAX_QUEUE_SIZE 1024

int config_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	if (!*dst)
		abort();
}

static const struct {
	const char *key;
	size_t off;
	bool bytes;
} limits[] = {
#define L(k, b) { #k, offsetof(struct net_config, k), b }
	L(rx_bps, true),      L(tx_bps, true),	     L(rx_pps, false),	   L(tx_pps, false),
	L(rx_bps_max, true),  L(tx_bps_max, true),   L(rx_pps_max, false), L(tx_pps_max, false),
#undef L
};

static int parse_pair(struct net_config *n, const struct kv_pair *p, char *err)
{
	const char *k = p->key, *v = p->value;
	uint64_t x;

	if (!strcmp(k, "tap")) {
		if (!*v || strlen(v) > 15 || strchr(v, '/'))
			return config_err(err, "tap='%s': an interface name of 1-15 characters", v);
		n->kind = NET_TAP;
		set(&n->ifname, v);
	} else if (!strcmp(k, "fd")) {
		if (config_parse_uint(v, 0, 65535, &x))
			return config_err(err, "fd='%s': not a file descriptor number", v);
		n->kind = NET_FD;
		n->fd = (int)x;
	} else if (!strcmp(k, "user") && p->bare) {
		n->kind = NET_USER;
	} else if (p->bare) {
		return config_err(err, "'%s': expected key=value (or tap=, fd=, user)", k);
	} else if (!strcmp(k, "id")) {
		if (!*v || strlen(v) > 32 || strpbrk(v, "/ \t\"'"))
			return config_err(err, "id='%s': use 1-32 characters, no '/', quotes or spaces", v);
		set(&n->id, v);
	} else if (!strcmp(k, "mac")) {
		if (config_parse_mac(v, n->mac) || (n->mac[0] & 1))
			return config_err(err, "mac='%s': a unicast address like 52:54:00:12:34:56", v);
		n->mac_set = true;
	} else if (!strcmp(k, "queues") || !strcmp(k, "num_queues")) {
		if (config_parse_uint(v, 1, NET_MAX_QUEUES, &x))
			return config_err(err, "queues='%s': between 1 and %d", v, NET_MAX_QUEUES);
		n->queues = (unsigned int)x;
	} else if (!strcmp(k, "queue_size")) {
		if (config_parse_uint(v, 64, NET_MAX_QUEUE_SIZE, &x) || (x & (x - 1)))
			return config_err(err, "queue_size='%s': a power of 2 from 64 to %d", v,
				       NET_MAX_QUEUE_SIZE);
		n->queue_size = (unsigned int)x;
	} else if (!strcmp(k, "vhost")) {
		if (!strcmp(v, "on"))
			n->vhost = true;
		else if (!strcmp(v, "off"))
			n->vhost = false;
		else
			return config_err(err, "vhost='%s': use on or off", v);
	} else if (!strcmp(k, "mtu")) {
		if (config_parse_uint(v, 68, 65535, &x))
			return config_err(err, "mtu='%s': between 68 and 65535", v);
		n->mtu = (unsigned int)x;
	} else if (!strcmp(k, "hostfwd")) {
		char why[NET_USER_WHY_LEN];

		if (n->nr_hostfwd == CONFIG_MAX_HOSTFWD)
			return config_err(err, "at most %d hostfwd rules", CONFIG_MAX_HOSTFWD);
		if (net_user_parse_hostfwd(v, NULL, why))
			return config_err(err, "%s", why);
		set(&n->hostfwd[n->nr_hostfwd++], v);
	} else {
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			uint64_t *dst = (uint64_t *)((char *)n + limits[i].off);

			if (strcmp(k, limits[i].key))
				continue;
			if (limits[i].bytes ? config_parse_size(v, dst)
					    : config_parse_uint(v, 0, UINT64_MAX, dst))
				return config_err(err, "%s='%s': not a %s", k, v,
					       limits[i].bytes ? "byte rate (e.g. 10M)" : "number");
			return 0;
		}
		return config_err(err, "unknown key '%s'", k);
	}
	return 0;
}

void config_net_init(struct net_config *n)
{
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->queues = 1;
	n->queue_size = 256;
	n->kind = (enum net_kind)-1; /* until tap=, fd= or user */
}

static bool is_kind_key(const char *k)
{
	return !strcmp(k, "tap") || !strcmp(k, "fd") || !strcmp(k, "user");
}

int config_net_set(struct net_config *n, const char *key, const char *value, bool bare, char *err)
{
	struct kv_pair p = { .key = (char *)key, .value = (char *)value, .bare = bare };

	if (is_kind_key(key) && (int)n->kind != -1)
		return config_err(err, "'%s': give only one of tap=, fd= or user", key);
	return parse_pair(n, &p, err);
}

int config_net_finish(struct net_config *n, unsigned int index, char *err)
{
	char idbuf[16];

	if ((int)n->kind == -1)
		return config_err(err, "say which backend: tap=NAME, fd=N or user");
	if (n->nr_hostfwd && n->kind != NET_USER)
		return config_err(err, "hostfwd= works with user networking only");
	if (n->vhost && n->kind == NET_USER)
		return config_err(err, "vhost=on needs a tap backend, not user");
	if (n->queues > 1 && n->kind == NET_USER)
		return config_err(err, "queues= needs a tap backend, not user");
	if (n->kind == NET_USER && n->mtu > 65521)
		return config_err(err, "mtu=%u: user networking carries at most 65521", n->mtu);
	if (!n->id) {
		snprintf(idbuf, sizeof(idbuf), "net%u", index);
		set(&n->id, idbuf);
	}
	if (!n->mac_set) {
		/* locally administered, stable per id: 52:54:00 + a hash of the id */
		uint32_t h = 2166136261u;

		for (const char *c = n->id; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619u;
		n->mac[0] = 0x52;
		n->mac[1] = 0x54;
		n->mac[2] = 0x00;
		n->mac[3] = (uint8_t)(h >> 16);
		n->mac[4] = (uint8_t)(h >> 8);
		n->mac[5] = (uint8_t)h;
	}
	return 0;
}

int config_parse_net(const char *s, unsigned int index, struct net_config *n, char *err)
{
	struct kv kv;
	int rc;

	config_net_init(n);
	rc = kv_parse(&kv, s);
	if (rc) {
		kv_free(&kv);
		return config_err(err, rc == -E2BIG ? "too many keys" : "malformed option string");
	}
	for (unsigned int i = 0; i < kv.nr && !rc; i++)
		rc = config_net_set(n, kv.pairs[i].key, kv.pairs[i].value, kv.pairs[i].bare, err);
	kv_free(&kv);
	if (!rc)
		rc = config_net_finish(n, index, err);
	if (rc)
		config_free_net(n);
	return rc;
}

void config_free_net(struct net_config *n)
{
	free(n->ifname);
	free(n->id);
	for (unsigned int i = 0; i < n->nr_hostfwd; i++)
		free(n->hostfwd[i]);
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}
