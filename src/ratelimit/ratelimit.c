// SPDX-License-Identifier: GPL-2.0-only
#include "ratelimit/ratelimit.h"

#include <string.h>

#include "util/log.h"

/*
 * Levels are kept in nano-tokens: a bucket gains rate * dt_ns of them per
 * interval, exactly, so no rounding ever leaks or creates tokens. The
 * largest level is burst * 1e9 < 2^94 and the deepest debt a request of
 * 2^64 tokens, both far inside a signed 128-bit integer; rate * dt_ns
 * (< 2^128) is computed unsigned before it is compared.
 */
#define NSEC_PER_SEC 1000000000ULL

typedef unsigned __int128 u128;
typedef __int128 s128;

static void stat_add(uint64_t *c, uint64_t v)
{
	/* written under the lock, read lock-free */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static s128 nano(uint64_t tokens)
{
	return (s128)tokens * NSEC_PER_SEC;
}

static void bucket_config(struct rl_bucket *b, struct rl_bucket_cfg cfg)
{
	bool was_unlimited = !b->rate;

	b->rate = cfg.rate;
	b->burst = cfg.burst ? cfg.burst : cfg.rate;
	if (!b->rate)
		b->level = 0;
	else if (was_unlimited || b->level > nano(b->burst))
		b->level = nano(b->burst);
}

static void bucket_refill(struct rl_bucket *b, uint64_t dt_ns)
{
	s128 cap;
	u128 room;

	if (!b->rate)
		return;
	cap = nano(b->burst);
	if (b->level >= cap) {
		b->level = cap;
		return;
	}
	room = (u128)(cap - b->level);
	if ((u128)b->rate * dt_ns >= room)
		b->level = cap;
	else
		b->level += (s128)((u128)b->rate * dt_ns);
}

/* ns until `cost` tokens may be taken; 0 now. */
static uint64_t bucket_wait(const struct rl_bucket *b, uint64_t cost)
{
	s128 want = nano(cost), cap;
	u128 deficit, wait;

	if (!b->rate || b->level >= want)
		return 0;
	cap = nano(b->burst);
	/* more than a full bucket: allowed once full, into debt */
	if (want > cap)
		want = cap;
	if (b->level >= want)
		return 0;
	deficit = (u128)(want - b->level);
	wait = (deficit + b->rate - 1) / b->rate;
	return wait > UINT64_MAX ? UINT64_MAX : (uint64_t)wait;
}

static void bucket_take(struct rl_bucket *b, uint64_t cost)
{
	if (b->rate)
		b->level -= nano(cost);
}

static void rl_refill_locked(struct ratelimit *rl, uint64_t now_ns)
{
	uint64_t dt;

	/* A clock read before another thread's later update: no time passed. */
	if (now_ns <= rl->last_ns)
		return;
	dt = now_ns - rl->last_ns;
	rl->last_ns = now_ns;
	bucket_refill(&rl->bytes, dt);
	bucket_refill(&rl->ops, dt);
}

static uint64_t rl_wait_locked(struct ratelimit *rl, uint64_t bytes, uint64_t now_ns)
{
	uint64_t wb, wo;

	rl_refill_locked(rl, now_ns);
	wb = bucket_wait(&rl->bytes, bytes);
	wo = bucket_wait(&rl->ops, 1);
	return wb > wo ? wb : wo;
}

static void rl_take_locked(struct ratelimit *rl, uint64_t bytes)
{
	bucket_take(&rl->bytes, bytes);
	bucket_take(&rl->ops, 1);
}

/* Throttle episodes: from the first refusal to the next allowed request. */
static void rl_episode_locked(struct ratelimit *rl, bool refused, uint64_t now_ns)
{
	if (refused && !rl->throttled) {
		rl->throttled = true;
		rl->throttled_since = now_ns;
		stat_add(&rl->stats.throttled_count, 1);
	} else if (!refused && rl->throttled) {
		rl->throttled = false;
		if (now_ns > rl->throttled_since)
			stat_add(&rl->stats.throttled_ns, now_ns - rl->throttled_since);
	}
}

static bool rl_cfg_unlimited(const struct ratelimit *rl)
{
	return !rl->bytes.rate && !rl->ops.rate;
}

void rl_init(struct ratelimit *rl, struct rl_bucket_cfg bytes, struct rl_bucket_cfg ops)
{
	int err;

	memset(rl, 0, sizeof(*rl));
	err = pthread_mutex_init(&rl->lock, NULL);
	BUG_ON(err);
	bucket_config(&rl->bytes, bytes);
	bucket_config(&rl->ops, ops);
	rl->unlimited = rl_cfg_unlimited(rl);
}

void rl_destroy(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

void rl_set(struct ratelimit *rl, struct rl_bucket_cfg bytes, struct rl_bucket_cfg ops,
	    uint64_t now_ns)
{
	pthread_mutex_lock(&rl->lock);
	rl_refill_locked(rl, now_ns);
	bucket_config(&rl->bytes, bytes);
	bucket_config(&rl->ops, ops);
	if (rl_cfg_unlimited(rl))
		rl_episode_locked(rl, false, now_ns);
	__atomic_store_n(&rl->unlimited, rl_cfg_unlimited(rl), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&rl->lock);
}

uint64_t rl_consume(struct ratelimit *rl, uint64_t bytes, uint64_t now_ns)
{
	uint64_t wait;

	if (rl_unlimited(rl))
		return 0;
	pthread_mutex_lock(&rl->lock);
	wait = rl_wait_locked(rl, bytes, now_ns);
	if (!wait)
		rl_take_locked(rl, bytes);
	rl_episode_locked(rl, wait != 0, now_ns);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

bool rl_unlimited(const struct ratelimit *rl)
{
	return __atomic_load_n(&rl->unlimited, __ATOMIC_RELAXED);
}

void rl_get_stats(const struct ratelimit *rl, struct rl_stats *out)
{
	out->throttled_count = __atomic_load_n(&rl->stats.throttled_count, __ATOMIC_RELAXED);
	out->throttled_ns = __atomic_load_n(&rl->stats.throttled_ns, __ATOMIC_RELAXED);
}

void rl_group_init(struct rl_group *g)
{
	const struct rl_bucket_cfg none = { 0, 0 };

	rl_init(&g->total, none, none);
	rl_init(&g->read, none, none);
	rl_init(&g->write, none, none);
}

void rl_group_destroy(struct rl_group *g)
{
	rl_destroy(&g->total);
	rl_destroy(&g->read);
	rl_destroy(&g->write);
}

bool rl_group_unlimited(const struct rl_group *g)
{
	return rl_unlimited(&g->total) && rl_unlimited(&g->read) && rl_unlimited(&g->write);
}

uint64_t rl_group_consume(struct rl_group *g, bool is_write, uint64_t bytes, uint64_t now_ns)
{
	struct ratelimit *rw = is_write ? &g->write : &g->read;
	struct ratelimit *lim[2];
	uint64_t wait[2] = { 0, 0 }, max = 0;
	unsigned int n = 0;

	/* lock order: total, then read/write */
	if (!rl_unlimited(&g->total))
		lim[n++] = &g->total;
	if (!rl_unlimited(rw))
		lim[n++] = rw;
	for (unsigned int i = 0; i < n; i++) {
		pthread_mutex_lock(&lim[i]->lock);
		wait[i] = rl_wait_locked(lim[i], bytes, now_ns);
		if (wait[i] > max)
			max = wait[i];
	}
	/* all or nothing: take only when every limiter allows */
	for (unsigned int i = n; i-- > 0;) {
		if (!max)
			rl_take_locked(lim[i], bytes);
		rl_episode_locked(lim[i], wait[i] != 0, now_ns);
		pthread_mutex_unlock(&lim[i]->lock);
	}
	return max;
}
