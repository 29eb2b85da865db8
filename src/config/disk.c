// SPDX-License-Identifier: GPL-2.0-only
/* --disk path=FILE[,id=..][,readonly=on][,cache=..][,aio=..][,queues=N]... */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/block.h"
#include "config/config.h"
#include "config/kv.h"

#define DISK_MAX_QUEUES 32
#define DISK_MAX_QUEUE_SIZE 1024

static int parse_onoff(const char *key, const char *v, bool *out, char *err)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return config_err(err, "%s='%s': use on or off", key, v);
	return 0;
}

/* The limit keys: bytes take sizes (10M), ops take plain numbers. */
static const struct {
	const char *key;
	size_t off;
	bool bytes;
} limits[] = {
#define L(k, b) { #k, offsetof(struct disk_throttle, k), b }
	L(bps, true),	     L(bps_rd, true),	   L(bps_wr, true),	  L(iops, false),
	L(iops_rd, false),   L(iops_wr, false),	   L(bps_max, true),	  L(bps_rd_max, true),
	L(bps_wr_max, true), L(iops_max, false),   L(iops_rd_max, false), L(iops_wr_max, false),
#undef L
};

static int parse_limit(struct disk_throttle *t, const char *key, const char *v, char *err,
		       bool *matched)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		uint64_t *dst = (uint64_t *)((char *)t + limits[i].off);
		int rc;

		if (strcmp(key, limits[i].key))
			continue;
		*matched = true;
		rc = limits[i].bytes ? config_parse_size(v, dst)
				     : config_parse_uint(v, 0, UINT64_MAX, dst);
		if (rc)
			return config_err(err, "%s='%s': not a %s", key, v,
					limits[i].bytes ? "byte rate (e.g. 10M)" : "number");
		return 0;
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

static int parse_pair(struct disk_config *d, const struct kv_pair *p, char *err)
{
	const char *k = p->key, *v = p->value;
	uint64_t n;
	bool matched = false;
	int rc;

	if (p->bare)
		return config_err(err, "'%s': expected key=value", k);
	if (!strcmp(k, "path")) {
		if (!*v)
			return config_err(err, "path is empty");
		set(&d->path, v);
	} else if (!strcmp(k, "id")) {
		if (!*v || strlen(v) > 32 || strpbrk(v, "/ \t\"'"))
			return config_err(err, "id='%s': use 1-32 characters, no '/', quotes or spaces", v);
		set(&d->id, v);
	} else if (!strcmp(k, "serial")) {
		if (strlen(v) > 20)
			return config_err(err, "serial='%s': at most 20 characters", v);
		set(&d->serial, v);
	} else if (!strcmp(k, "readonly")) {
		return parse_onoff(k, v, &d->readonly, err);
	} else if (!strcmp(k, "discard")) {
		return parse_onoff(k, v, &d->discard, err);
	} else if (!strcmp(k, "cache")) {
		enum blk_cache c;

		if (blk_cache_parse(v, &c))
			return config_err(err, "cache='%s': use none, writeback, writethrough, "
					     "directsync or unsafe", v);
		d->cache = (int)c;
	} else if (!strcmp(k, "aio")) {
		if (!strcmp(v, "threads"))
			d->aio = BLK_AIO_THREADS;
		else if (!strcmp(v, "io_uring"))
			d->aio = BLK_AIO_IO_URING;
		else
			return config_err(err, "aio='%s': use threads or io_uring", v);
	} else if (!strcmp(k, "queues") || !strcmp(k, "num_queues")) {
		if (config_parse_uint(v, 1, DISK_MAX_QUEUES, &n))
			return config_err(err, "queues='%s': between 1 and %d", v, DISK_MAX_QUEUES);
		d->queues = (unsigned int)n;
	} else if (!strcmp(k, "queue_size")) {
		if (config_parse_uint(v, 2, DISK_MAX_QUEUE_SIZE, &n) || (n & (n - 1)))
			return config_err(err, "queue_size='%s': a power of 2 from 2 to %d", v,
					DISK_MAX_QUEUE_SIZE);
		d->queue_size = (unsigned int)n;
	} else {
		rc = parse_limit(&d->throttle, k, v, err, &matched);
		if (rc)
			return rc;
		if (!matched)
			return config_err(err, "unknown key '%s'", k);
	}
	return 0;
}

void config_disk_init(struct disk_config *d)
{
	memset(d, 0, sizeof(*d));
	d->cache = BLK_CACHE_WRITEBACK;
	d->aio = BLK_AIO_THREADS; /* like QEMU; io_uring on request */
	d->queues = 1;
	d->queue_size = 256;
}

int config_disk_set(struct disk_config *d, const char *key, const char *value, char *err)
{
	struct kv_pair p = { .key = (char *)key, .value = (char *)value, .bare = false };

	return parse_pair(d, &p, err);
}

int config_disk_finish(struct disk_config *d, unsigned int index, char *err)
{
	char idbuf[16];

	if (!d->path)
		return config_err(err, "path= is required");
	if (!d->id) {
		snprintf(idbuf, sizeof(idbuf), "disk%u", index);
		set(&d->id, idbuf);
	}
	if (!d->serial) {
		char serial[21];

		snprintf(serial, sizeof(serial), "%s", d->id); /* virtio-blk serials are 20 bytes */
		set(&d->serial, serial);
	}
	return 0;
}

int config_parse_disk(const char *s, unsigned int index, struct disk_config *d, char *err)
{
	struct kv kv;
	int rc;

	config_disk_init(d);
	rc = kv_parse(&kv, s);
	if (rc) {
		kv_free(&kv);
		return config_err(err, rc == -E2BIG ? "too many keys" : "malformed option string");
	}
	for (unsigned int i = 0; i < kv.nr && !rc; i++) {
		/* "--disk FILE" is "--disk path=FILE" */
		if (i == 0 && kv.pairs[0].bare) {
			set(&d->path, kv.pairs[0].key);
			continue;
		}
		rc = parse_pair(d, &kv.pairs[i], err);
	}
	kv_free(&kv);
	if (!rc)
		rc = config_disk_finish(d, index, err);
	if (rc)
		config_free_disk(d);
	return rc;
}

void config_free_disk(struct disk_config *d)
{
	free(d->path);
	free(d->id);
	free(d->serial);
	memset(d, 0, sizeof(*d));
}
