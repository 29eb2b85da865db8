// SPDX-License-Identifier: GPL-2.0-only
#include "config/kv.h"

#include "config/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kv_parse(struct kv *kv, const char *s)
{
	char *w, *start;
	const char *r;
	int depth = 0; /* inside [...] commas belong to the value: affinity=[0@[2,3],1@[4]] */

	memset(kv, 0, sizeof(*kv));
	kv->buf = malloc(strlen(s) + 1);
	if (!kv->buf)
		return -ENOMEM;
	/* unescape ",," and split on single commas, writing in place */
	w = start = kv->buf;
	for (r = s;; r++) {
		if (*r == ',' && r[1] == ',' && !depth) {
			*w++ = ',';
			r++;
			continue;
		}
		if (*r == '[')
			depth++;
		else if (*r == ']' && depth)
			depth--;
		if ((*r != ',' || depth) && *r) {
			*w++ = *r;
			continue;
		}
		if (depth)
			return -EINVAL; /* an unclosed '[' */
		*w = 0;
		if (w != start) {
			struct kv_pair *p;
			char *eq;

			if (kv->nr == KV_MAX)
				return -E2BIG;
			p = &kv->pairs[kv->nr++];
			/* the key never contains an escaped comma: split at the first '=' */
			eq = strchr(start, '=');
			p->key = start;
			if (eq) {
				*eq = 0;
				p->value = eq + 1;
			} else {
				p->value = w; /* "" */
				p->bare = true;
			}
			if (!*p->key)
				return -EINVAL;
		}
		if (!*r)
			break;
		start = ++w;
	}
	return 0;
}

void kv_free(struct kv *kv)
{
	free(kv->buf);
	kv->buf = NULL;
	kv->nr = 0;
}

int config_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CONFIG_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int config_onoff(const char *key, const char *v, bool *out, char *err)
{
	if (!strcmp(v, "on") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false"))
		*out = false;
	else
		return config_err(err, "%s='%s': use on or off", key, v);
	return 0;
}

int config_parse_seccomp(const char *s, int *mode)
{
	static const char *const names[] = { "on", "log", "off" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*mode = i;
			return 0;
		}
	return -EINVAL;
}
