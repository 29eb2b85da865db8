/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Samples of GET /vm/stats and the rates between two of them, shared by
 * `kasou stats` and `kasou top`. Pure functions over jansson objects (no I/O
 * apart from sample_take and the print helpers): unit tested with canned
 * samples.
 *
 * Time between samples is the server's uptime_s (read with the counters), so
 * rates do not depend on how long the request took; the client's clock is
 * the fallback when uptime did not advance. A counter that went down (the
 * guest rebooted and the VM was rebuilt) counts from zero; a changed "boots"
 * makes the interval unusable (rates print as "-").
 */
#ifndef KASOU_CLI_SAMPLE_H
#define KASOU_CLI_SAMPLE_H

#include <jansson.h>
#include <stdio.h>

#include "cli/client.h"

struct sample {
	json_t *j; /* the /vm/stats object, NULL when none */
	double mono; /* client CLOCK_MONOTONIC at the answer, seconds */
};

/* GET /vm/stats into s (replacing what it held). 0 or -errno with c->err. */
int sample_take(struct client *c, struct sample *s);
void sample_clear(struct sample *s);
/* Seconds covered by prev -> cur; 0 when the pair cannot give rates. */
double sample_dt(const struct sample *prev, const struct sample *cur);

/* Delta of counter `key` between two objects (NAN when either lacks it). */
double sample_delta(const json_t *prev, const json_t *cur, const char *key);
/* Per second: delta / dt; NAN without prev or dt. */
double sample_rate(const json_t *prev, const json_t *cur, const char *key, double dt);
/* The element of array `prev_arr` with the same `idkey` value as `cur`. */
const json_t *sample_match(const json_t *prev_arr, const json_t *cur, const char *idkey);
/* Sum over the elements of array `arr` (a key of the stats object) of the
 * rate of `key` ("exits" below vcpus[].exits when sub is set). */
double sample_sum_rate(const json_t *prev, const json_t *cur, const char *arr, const char *sub,
		       const char *key, double dt);
/* CPU% of all the VM's threads together (100 = one host CPU). */
double sample_vm_cpu(const json_t *prev, const json_t *cur, double dt);

/* Formatting: "-" for NAN. */
const char *sample_fmt_bytes(char *buf, size_t len, double bytes); /* 1.5G, 300.0M, 512 */
const char *sample_fmt_uptime(char *buf, size_t len, double s); /* 12s, 3m04s, 2h03m, 4d02h */
const char *sample_fmt_num(char *buf, size_t len, double v, int prec);

#endif
