// SPDX-License-Identifier: GPL-2.0-only
/* --balloon [size=SIZE][,deflate_on_oom=on][,free_page_reporting=on][,stats_period=S] */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

#define BALLOON_MAX_STATS_PERIOD 86400 /* a day: longer is a typo, not a plan */

static int parse_pair(struct balloon_config *b, const struct kv_pair *p, char *err)
{
	const char *k = p->key, *v = p->value;
	uint64_t x;

	if (p->bare)
		return config_err(err, "'%s': expected key=value", k);
	if (!strcmp(k, "size")) {
		if (config_parse_size(v, &x))
			return config_err(err, "size='%s': not a size (e.g. 512M, 2G)", v);
		b->size = x;
	} else if (!strcmp(k, "deflate_on_oom")) {
		return config_onoff(k, v, &b->deflate_on_oom, err);
	} else if (!strcmp(k, "free_page_reporting")) {
		return config_onoff(k, v, &b->free_page_reporting, err);
	} else if (!strcmp(k, "stats_period")) {
		if (config_parse_uint(v, 0, BALLOON_MAX_STATS_PERIOD, &x))
			return config_err(err, "stats_period='%s': seconds, 0 (off) to %d", v,
					   BALLOON_MAX_STATS_PERIOD);
		b->stats_period = (unsigned int)x;
	} else {
		return config_err(err,
				   "unknown key '%s' (size, deflate_on_oom, free_page_reporting, "
				   "stats_period)",
				   k);
	}
	return 0;
}

/*
 * The target is checked against guest RAM when the device is created: the
 * memory size may come from another option parsed after this one.
 */
int config_parse_balloon(const char *s, struct balloon_config *b, char *err)
{
	struct kv kv;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = kv_parse(&kv, s);
	if (rc) {
		kv_free(&kv);
		return config_err(err, rc == -E2BIG ? "too many keys" : "malformed option string");
	}
	for (unsigned int i = 0; i < kv.nr && !rc; i++)
		rc = parse_pair(b, &kv.pairs[i], err);
	kv_free(&kv);
	if (rc) {
		memset(b, 0, sizeof(*b));
		return rc;
	}
	b->enabled = true;
	return 0;
}
