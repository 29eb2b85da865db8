/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * "key=value,key=value" option strings (Cloud Hypervisor style). A literal
 * comma inside a value is written ",," (as in QEMU); commas inside [...] stay
 * in the value (affinity=[0@[2,3],1@[4]]). A bare word without '='
 * is returned with an empty value and `bare` set (e.g. "path" shorthands).
 * Pure; the parsed strings point into the caller-owned copy in `buf`.
 */
#ifndef KASOU_CONFIG_KV_H
#define KASOU_CONFIG_KV_H

#include <stdbool.h>
#include <stddef.h>

#define KV_MAX 48

struct kv_pair {
	char *key, *value;
	bool bare;
};

struct kv {
	char *buf;
	unsigned int nr;
	struct kv_pair pairs[KV_MAX];
};

/* 0, -EINVAL (empty key, "=v") or -E2BIG (too many pairs). Free with kv_free(). */
int kv_parse(struct kv *kv, const char *s);
void kv_free(struct kv *kv);

/* Fill err (CONFIG_ERR_LEN bytes) and return -EINVAL: every option parser's one error line. */
int config_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* KEY=on|off (also true/false) into *out; else config_err naming the key. */
int config_onoff(const char *key, const char *v, bool *out, char *err);

#endif
