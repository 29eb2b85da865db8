/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Token-bucket rate limiters for device I/O (QEMU throttle / libvirt
 * blkdeviotune, Firecracker's rate limiter).
 *
 * A struct ratelimit has two buckets, bytes and ops. Each refills at `rate`
 * tokens per second up to `burst` tokens (0 = one second's worth; any burst
 * >= 1 is allowed, above or below the rate); rate 0 means unlimited. A
 * bucket starts full. A request takes its bytes and one op when both
 * buckets allow it; a request larger than a bucket's burst is allowed when
 * that bucket is full and drives it into debt, so big requests are never
 * starved. A refused request takes nothing; the caller waits the returned
 * time and retries — requests are delayed, never dropped.
 *
 * Time is the caller's: monotonic nanoseconds passed in (tests use a fake
 * clock). Token arithmetic is exact, in 128-bit nano-tokens, for any u64
 * rate, burst and request.
 *
 * Thread safety: each limiter has a mutex. Queue threads consume while the
 * control thread changes limits with rl_set(); rl_unlimited() and the
 * stats are read lock-free. Nothing blocks except on that mutex.
 */
#ifndef KASOU_RATELIMIT_RATELIMIT_H
#define KASOU_RATELIMIT_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct rl_bucket_cfg {
	uint64_t rate;  /* tokens per second; 0 = unlimited */
	uint64_t burst; /* capacity in tokens; 0 = rate */
};

/* Counters; each a u64 read with relaxed atomic loads. */
struct rl_stats {
	/* An episode runs from this limiter's first refusal to the next time it
	 * allows a request (the request may still wait on another limiter). */
	uint64_t throttled_count; /* episodes started */
	uint64_t throttled_ns;    /* time spent in ended episodes */
};

struct rl_bucket {
	uint64_t rate, burst;
	__int128 level; /* nano-tokens (1e-9 token); below 0 while in debt */
};

struct ratelimit {
	pthread_mutex_t lock;
	struct rl_bucket bytes, ops;
	uint64_t last_ns;     /* time of the last refill */
	bool unlimited;       /* both rates 0; read without the lock */
	bool throttled;       /* an episode is running since throttled_since */
	uint64_t throttled_since;
	struct rl_stats stats;
};

void rl_init(struct ratelimit *rl, struct rl_bucket_cfg bytes, struct rl_bucket_cfg ops);
void rl_destroy(struct ratelimit *rl);
/*
 * Change the limits live. Buckets are refilled at the old rates up to
 * now_ns, then take the new configuration keeping their fill (debt too),
 * clamped to the new burst; a bucket that was unlimited starts full.
 */
void rl_set(struct ratelimit *rl, struct rl_bucket_cfg bytes, struct rl_bucket_cfg ops,
	    uint64_t now_ns);
/*
 * Take `bytes` and one op at now_ns. 0: allowed, tokens taken. Otherwise
 * nothing is taken and the result is how many ns until the same request
 * would be allowed (assuming nobody else consumes meanwhile; saturates at
 * UINT64_MAX).
 */
uint64_t rl_consume(struct ratelimit *rl, uint64_t bytes, uint64_t now_ns);
bool rl_unlimited(const struct ratelimit *rl);
void rl_get_stats(const struct ratelimit *rl, struct rl_stats *out);

/*
 * A disk's limits (QEMU bps/bps_rd/bps_wr/iops/iops_rd/iops_wr, each with
 * _max): a request passes `total` and `read` or `write`, and takes from
 * both only when both allow it. Each member is a ratelimit of its own: set
 * it with rl_set(&g->read, ...), read its stats with rl_get_stats().
 * Lock order: total before read/write.
 */
struct rl_group {
	struct ratelimit total, read, write;
};

void rl_group_init(struct rl_group *g); /* all unlimited */
void rl_group_destroy(struct rl_group *g);
uint64_t rl_group_consume(struct rl_group *g, bool is_write, uint64_t bytes, uint64_t now_ns);
bool rl_group_unlimited(const struct rl_group *g);

#endif
