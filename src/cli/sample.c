// SPDX-License-Identifier: GPL-2.0-only
/* /vm/stats samples: deltas, rates, formatting. */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "cli/remote.h"
#include "cli/sample.h"

void sample_clear(struct sample *s)
{
	json_decref(s->j);
	s->j = NULL;
}

int sample_take(struct client *c, struct sample *s)
{
	json_t *j;
	int rc = client_call(c, "GET", "/vm/stats", NULL, &j);

	if (rc)
		return rc;
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(c->err, sizeof(c->err), "GET /vm/stats: not a JSON object");
		return -EBADMSG;
	}
	sample_clear(s);
	s->j = j;
	s->mono = cli_remote_now();
	return 0;
}

double sample_dt(const struct sample *prev, const struct sample *cur)
{
	double up0, up1;

	if (!prev->j || !cur->j)
		return 0;
	if (client_num(prev->j, "boots", 0) != client_num(cur->j, "boots", 0))
		return 0;
	up0 = client_num(prev->j, "uptime_s", NAN);
	up1 = client_num(cur->j, "uptime_s", NAN);
	if (isfinite(up0) && isfinite(up1) && up1 > up0)
		return up1 - up0;
	return cur->mono > prev->mono ? cur->mono - prev->mono : 0;
}

double sample_delta(const json_t *prev, const json_t *cur, const char *key)
{
	const json_t *a = json_object_get(prev, key), *b = json_object_get(cur, key);

	if (!json_is_number(a) || !json_is_number(b))
		return NAN;
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);

		/* A counter that went down was reset: it counted from zero since. */
		return y >= x ? (double)((uint64_t)y - (uint64_t)x) : (double)y;
	}
	if (json_number_value(b) >= json_number_value(a))
		return json_number_value(b) - json_number_value(a);
	return json_number_value(b);
}

double sample_rate(const json_t *prev, const json_t *cur, const char *key, double dt)
{
	if (!prev || !(dt > 0))
		return NAN;
	return sample_delta(prev, cur, key) / dt;
}

const json_t *sample_match(const json_t *prev_arr, const json_t *cur, const char *idkey)
{
	const json_t *id = json_object_get(cur, idkey), *e;
	size_t i;

	if (!id)
		return NULL;
	json_array_foreach(prev_arr, i, e) {
		if (json_equal(json_object_get(e, idkey), (json_t *)id))
			return e;
	}
	return NULL;
}

double sample_sum_rate(const json_t *prev, const json_t *cur, const char *arr, const char *sub,
		       const char *key, double dt)
{
	const json_t *pa = json_object_get(prev, arr), *e;
	double sum = NAN;
	size_t i;

	if (!(dt > 0))
		return NAN;
	json_array_foreach(json_object_get(cur, arr), i, e) {
		const json_t *p = sample_match(pa, e, "id");
		double r;

		if (sub)
			r = sample_rate(json_object_get(p, sub), json_object_get(e, sub), key, dt);
		else
			r = sample_rate(p, e, key, dt);
		if (!isnan(r))
			sum = isnan(sum) ? r : sum + r;
	}
	return sum;
}

double sample_vm_cpu(const json_t *prev, const json_t *cur, double dt)
{
	const json_t *pt = json_object_get(prev, "threads"), *e;
	double ns = 0;
	size_t i;

	if (!prev || !(dt > 0) || !json_is_array(json_object_get(cur, "threads")))
		return NAN;
	json_array_foreach(json_object_get(cur, "threads"), i, e) {
		const json_t *p = sample_match(pt, e, "tid");
		double d;

		/* A thread born during the interval spent all its time in it. */
		d = p ? sample_delta(p, e, "cpu_ns") : client_num(e, "cpu_ns", NAN);
		if (!isnan(d))
			ns += d;
	}
	return ns / dt / 1e7;
}

const char *sample_fmt_num(char *buf, size_t len, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

const char *sample_fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	if (isnan(bytes)) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%.0f", bytes);
		return buf;
	}
	/* 1023.96K prints as 1.0M, not 1024.0K */
	while (bytes >= 1023.95 && u < 5) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", bytes, units[u]);
	return buf;
}

const char *sample_fmt_uptime(char *buf, size_t len, double s)
{
	unsigned long long t;

	if (isnan(s) || s < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = (unsigned long long)s;
	if (t < 60)
		snprintf(buf, len, "%llus", t);
	else if (t < 3600)
		snprintf(buf, len, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lluh%02llum", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh", t / 86400, t % 86400 / 3600);
	return buf;
}
