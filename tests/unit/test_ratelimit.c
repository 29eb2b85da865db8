// SPDX-License-Identifier: GPL-2.0-only
/*
 * Token buckets against a fake clock: steady rates, bursts, ops limits,
 * unlimited, live changes, requests larger than the burst, exact waits,
 * 64-bit extremes, disk groups (total + read/write, all or nothing), stats,
 * and a consumer racing a control thread.
 */
#include <pthread.h>
#include <stdint.h>

#include "ratelimit/ratelimit.h"
#include "unit.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define MB 1000000ULL

static const struct rl_bucket_cfg none = { 0, 0 };

static struct rl_bucket_cfg lim(uint64_t rate, uint64_t burst)
{
	return (struct rl_bucket_cfg){ rate, burst };
}

/*
 * Push requests of `req` bytes through `rl` from *now until `end`, waiting
 * what it says after each refusal; returns the bytes let through.
 */
static uint64_t run_for(struct ratelimit *rl, uint64_t req, uint64_t *now, uint64_t end)
{
	uint64_t done = 0;

	while (*now < end) {
		uint64_t w = rl_consume(rl, req, *now);

		if (w)
			*now += w;
		else
			done += req;
	}
	return done;
}

/* Take whole requests at `now` until refused; returns how many. */
static uint64_t drain(struct ratelimit *rl, uint64_t req, uint64_t now)
{
	uint64_t n = 0;

	while (!rl_consume(rl, req, now))
		n++;
	return n;
}

static bool within(double got, double want, double frac)
{
	return got >= want * (1 - frac) && got <= want * (1 + frac);
}

TEST(unlimited)
{
	struct ratelimit rl;

	rl_init(&rl, none, none);
	CHECK(rl_unlimited(&rl));
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(rl_consume(&rl, UINT64_MAX, 0), 0);
	/* a burst without a rate is still unlimited */
	rl_set(&rl, lim(0, 100), lim(0, 5), 0);
	CHECK(rl_unlimited(&rl));
	CHECK_EQ(rl_consume(&rl, 1000, 0), 0);
	rl_destroy(&rl);
}

TEST(one_bucket_unlimited)
{
	struct ratelimit rl;

	/* bytes limited, ops not: a thousand 1-byte requests at once */
	rl_init(&rl, lim(1000, 0), none);
	CHECK(!rl_unlimited(&rl));
	CHECK_EQ(drain(&rl, 1, 0), 1000);
	CHECK_EQ(rl_consume(&rl, 1, 0), 1 * MS);
	/* and a request of no bytes still counts as an op only */
	CHECK_EQ(rl_consume(&rl, 0, 0), 0);
	rl_destroy(&rl);

	/* ops limited, bytes not */
	rl_init(&rl, none, lim(10, 0));
	CHECK(!rl_unlimited(&rl));
	CHECK_EQ(drain(&rl, UINT64_MAX, 0), 10);
	CHECK_EQ(rl_consume(&rl, 0, 0), 100 * MS);
	rl_destroy(&rl);
}

TEST(steady_rate_10mb)
{
	struct ratelimit rl;
	uint64_t now = 5 * SEC, got;

	rl_init(&rl, lim(10 * MB, 0), none);
	/* the bucket starts full: one second's worth at once */
	CHECK_EQ(drain(&rl, 65536, now), 10 * MB / 65536);
	got = run_for(&rl, 65536, &now, 15 * SEC);
	CHECK(within((double)got, 100.0 * MB, 0.01));
	rl_destroy(&rl);
}

TEST(steady_rate_odd_numbers)
{
	struct ratelimit rl;
	uint64_t now = 0, got;

	/* a rate that divides nothing evenly, small requests */
	rl_init(&rl, lim(7777777, 1), none);
	got = run_for(&rl, 4096, &now, 10 * SEC);
	CHECK(within((double)got, 77777770.0, 0.01));
	rl_destroy(&rl);
}

TEST(exact_wait)
{
	struct ratelimit rl;
	uint64_t now = 0, seed = 42;
	unsigned int bad = 0;

	rl_init(&rl, lim(3 * MB, 2 * MB), lim(333, 7));
	for (int i = 0; i < 5000; i++) {
		uint64_t req, w;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		req = (seed >> 33) % (3 * MB);
		w = rl_consume(&rl, req, now);
		if (!w)
			continue;
		/* one ns early: still refused; on time: allowed */
		if (w > 1 && !rl_consume(&rl, req, now + w - 1))
			bad++;
		if (rl_consume(&rl, req, now + w))
			bad++;
		now += w;
	}
	CHECK_EQ(bad, 0);
	rl_destroy(&rl);
}

TEST(burst_above_rate)
{
	struct ratelimit rl;

	rl_init(&rl, lim(1 * MB, 5 * MB), none);
	/* five seconds' worth at once */
	CHECK_EQ(drain(&rl, 1 * MB, 0), 5);
	CHECK_EQ(rl_consume(&rl, 1 * MB, 0), 1 * SEC);
	/* idle for a long time: still only a full bucket */
	CHECK_EQ(drain(&rl, 1 * MB, 100 * SEC), 5);
	/* half refilled */
	CHECK_EQ(drain(&rl, 1 * MB, 100 * SEC + 2500 * MS), 2);
	rl_destroy(&rl);
}

TEST(burst_below_rate)
{
	struct ratelimit rl;

	/* 1000 ops/s, bucket of one: strict 1 ms pacing */
	rl_init(&rl, none, lim(1000, 1));
	CHECK_EQ(rl_consume(&rl, 0, 0), 0);
	CHECK_EQ(rl_consume(&rl, 0, 0), 1 * MS);
	CHECK_EQ(rl_consume(&rl, 0, 400000), 600000);
	CHECK_EQ(rl_consume(&rl, 0, 1 * MS), 0);
	CHECK_EQ(drain(&rl, 0, 10 * SEC), 1);
	rl_destroy(&rl);
}

TEST(ops_limit)
{
	struct ratelimit rl;
	uint64_t now = 0, got;

	rl_init(&rl, none, lim(100, 0));
	CHECK_EQ(drain(&rl, 1 * MB, 0), 100);
	CHECK_EQ(rl_consume(&rl, 1, 0), 10 * MS);
	/* request size does not matter to an ops bucket */
	got = run_for(&rl, 1 * MB, &now, 10 * SEC);
	CHECK(within((double)got, 1000.0 * MB, 0.01));
	rl_destroy(&rl);
}

TEST(both_buckets_all_or_nothing)
{
	struct ratelimit rl;

	rl_init(&rl, lim(1000, 0), lim(10, 2));
	CHECK_EQ(rl_consume(&rl, 100, 0), 0);
	CHECK_EQ(rl_consume(&rl, 100, 0), 0);
	/* ops empty (100 ms to the next), bytes still at 800 */
	CHECK_EQ(rl_consume(&rl, 100, 0), 100 * MS);
	CHECK_EQ(rl_consume(&rl, 100, 0), 100 * MS);
	/* the refused requests took no bytes: 800 + 100 refilled */
	CHECK_EQ(rl_consume(&rl, 900, 100 * MS), 0);
	/* now bytes are the bottleneck: 1 byte per ms; wait is the larger one */
	CHECK_EQ(rl_consume(&rl, 500, 100 * MS), 500 * MS);
	rl_destroy(&rl);
}

TEST(large_request_not_starved)
{
	struct ratelimit rl;

	rl_init(&rl, lim(1 * MB, 0), none);
	/* ten times the burst: allowed from a full bucket, leaving a debt of 9 MB */
	CHECK_EQ(rl_consume(&rl, 10 * MB, 0), 0);
	CHECK_EQ(rl_consume(&rl, 1, 0), 9 * SEC + 1000);
	CHECK_EQ(rl_consume(&rl, 10 * MB, 0), 10 * SEC);
	/* paid off and full again: the next big one goes through */
	CHECK_EQ(rl_consume(&rl, 10 * MB, 10 * SEC), 0);
	/* from a partly filled bucket it waits for a full one, not forever */
	CHECK_EQ(rl_consume(&rl, 10 * MB, 19 * SEC + 500 * MS), 500 * MS);
	CHECK_EQ(rl_consume(&rl, 10 * MB, 20 * SEC), 0);
	/* mixed with small requests it still gets through each time the bucket fills */
	uint64_t now = 30 * SEC, big = 0;

	for (int i = 0; i < 20; i++) {
		uint64_t w = rl_consume(&rl, 10 * MB, now);

		if (!w) {
			big++;
			continue;
		}
		CHECK(w <= 10 * SEC);
		now += w / 2;
		rl_consume(&rl, 1000, now); /* a small one in the middle, maybe refused */
		now += w / 2 + 1;
	}
	CHECK(big >= 5);
	rl_destroy(&rl);
}

TEST(live_change_up_and_down)
{
	struct ratelimit rl;
	uint64_t now, got;

	rl_init(&rl, lim(1 * MB, 0), none);
	CHECK_EQ(rl_consume(&rl, 1 * MB, 0), 0);
	/* up: the first half second is credited at the old rate */
	rl_set(&rl, lim(100 * MB, 0), none, 500 * MS);
	CHECK_EQ(rl_consume(&rl, 500000, 500 * MS), 0);
	CHECK_EQ(rl_consume(&rl, 1, 500 * MS), 10);
	now = 500 * MS;
	got = run_for(&rl, 65536, &now, 10500 * MS);
	CHECK(within((double)got, 1000.0 * MB, 0.01));

	/* down: a full 100 MB bucket is clamped to the new 1 MB burst */
	rl_set(&rl, lim(1 * MB, 0), none, 20 * SEC);
	CHECK_EQ(rl_consume(&rl, 1 * MB, 20 * SEC), 0);
	CHECK_EQ(rl_consume(&rl, 1, 20 * SEC), 1000);
	now = 20 * SEC;
	got = run_for(&rl, 4096, &now, 30 * SEC);
	CHECK(within((double)got, 10.0 * MB, 0.01));

	/* a larger burst keeps the current fill: no free tokens */
	now = 40 * SEC;
	drain(&rl, 1000, now);
	rl_set(&rl, lim(1 * MB, 50 * MB), none, now);
	CHECK(rl_consume(&rl, 2 * MB, now) > 1 * SEC);

	/* debt survives a change */
	CHECK_EQ(rl_consume(&rl, 100 * MB, 200 * SEC), 0); /* full 50 MB -> -50 MB */
	rl_set(&rl, lim(10 * MB, 0), none, 200 * SEC);
	CHECK_EQ(rl_consume(&rl, 1, 200 * SEC), 5 * SEC + 100);
	rl_destroy(&rl);
}

TEST(live_change_unlimited_and_back)
{
	struct ratelimit rl;

	rl_init(&rl, lim(1000, 0), lim(10, 0));
	CHECK_EQ(drain(&rl, 100, 0), 10);
	rl_set(&rl, none, none, 1 * MS);
	CHECK(rl_unlimited(&rl));
	for (int i = 0; i < 100; i++)
		CHECK_EQ(rl_consume(&rl, UINT64_MAX, 1 * MS), 0);
	/* limited again: starts with a full bucket, not the old debt */
	rl_set(&rl, lim(1000, 0), lim(10, 0), 2 * MS);
	CHECK(!rl_unlimited(&rl));
	CHECK_EQ(drain(&rl, 100, 2 * MS), 10);
	CHECK_EQ(rl_consume(&rl, 100, 2 * MS), 100 * MS);
	/* only one bucket lifted */
	rl_set(&rl, none, lim(10, 0), 2 * MS);
	CHECK(!rl_unlimited(&rl));
	CHECK_EQ(rl_consume(&rl, 100, 2 * MS), 100 * MS);
	rl_destroy(&rl);
}

TEST(huge_values_no_overflow)
{
	struct ratelimit rl;

	/* u64 max everything */
	rl_init(&rl, lim(UINT64_MAX, UINT64_MAX), lim(UINT64_MAX, 0));
	CHECK_EQ(rl_consume(&rl, UINT64_MAX, 0), 0);
	CHECK_EQ(rl_consume(&rl, UINT64_MAX, 0), 1 * SEC);
	CHECK_EQ(rl_consume(&rl, UINT64_MAX, UINT64_MAX), 0);
	CHECK_EQ(rl_consume(&rl, 1, UINT64_MAX), 1); /* 1e9 nano-tokens at 1.8e19/s */
	rl_destroy(&rl);

	/* 1 byte/s and a request of 2^64-1: allowed once, then a wait too long for u64 */
	rl_init(&rl, lim(1, 1), none);
	CHECK_EQ(rl_consume(&rl, UINT64_MAX, 0), 0);
	CHECK_EQ(rl_consume(&rl, 1, 0), UINT64_MAX);
	CHECK_EQ(rl_consume(&rl, 1, UINT64_MAX), UINT64_MAX);
	rl_destroy(&rl);

	/* a huge rate with a tiny burst, and a long gap */
	rl_init(&rl, lim(UINT64_MAX, 1), lim(UINT64_MAX / 3, 1));
	CHECK_EQ(rl_consume(&rl, 1, 0), 0);
	CHECK_EQ(rl_consume(&rl, 1, 0), 1);
	CHECK_EQ(rl_consume(&rl, 1, UINT64_MAX - 5), 0);
	rl_destroy(&rl);
}

TEST(clock_going_backwards)
{
	struct ratelimit rl;

	rl_init(&rl, lim(1000, 0), none);
	CHECK_EQ(rl_consume(&rl, 1000, 10 * SEC), 0);
	/* an older timestamp (another thread read the clock earlier): no refill */
	CHECK_EQ(rl_consume(&rl, 500, 5 * SEC), 500 * MS);
	CHECK_EQ(rl_consume(&rl, 500, 10 * SEC + 500 * MS), 0);
	rl_destroy(&rl);
}

TEST(stats_episodes)
{
	struct ratelimit rl;
	struct rl_stats st;
	uint64_t w;

	rl_init(&rl, lim(1000, 0), none);
	rl_get_stats(&rl, &st);
	CHECK_EQ(st.throttled_count, 0);
	CHECK_EQ(rl_consume(&rl, 1000, 0), 0);
	w = rl_consume(&rl, 1000, 0);
	CHECK_EQ(w, 1 * SEC);
	CHECK(rl_consume(&rl, 1000, 300 * MS)); /* still the same episode */
	rl_get_stats(&rl, &st);
	CHECK_EQ(st.throttled_count, 1);
	CHECK_EQ(st.throttled_ns, 0);
	CHECK_EQ(rl_consume(&rl, 1000, w), 0);
	rl_get_stats(&rl, &st);
	CHECK_EQ(st.throttled_count, 1);
	CHECK_EQ(st.throttled_ns, 1 * SEC);
	/* a second episode */
	CHECK(rl_consume(&rl, 1000, 1 * SEC));
	CHECK_EQ(rl_consume(&rl, 1000, 2 * SEC), 0);
	rl_get_stats(&rl, &st);
	CHECK_EQ(st.throttled_count, 2);
	CHECK_EQ(st.throttled_ns, 2 * SEC);
	/* lifting the limit ends a running episode */
	CHECK(rl_consume(&rl, 1000, 2 * SEC));
	rl_set(&rl, none, none, 2 * SEC + 250 * MS);
	rl_get_stats(&rl, &st);
	CHECK_EQ(st.throttled_count, 3);
	CHECK_EQ(st.throttled_ns, 2 * SEC + 250 * MS);
	rl_destroy(&rl);
}

/* ---- groups ---- */

TEST(group_unlimited)
{
	struct rl_group g;

	rl_group_init(&g);
	CHECK(rl_group_unlimited(&g));
	for (int i = 0; i < 100; i++) {
		CHECK_EQ(rl_group_consume(&g, false, UINT64_MAX, 0), 0);
		CHECK_EQ(rl_group_consume(&g, true, UINT64_MAX, 0), 0);
	}
	rl_set(&g.write, lim(1, 0), none, 0);
	CHECK(!rl_group_unlimited(&g));
	rl_group_destroy(&g);
}

TEST(group_read_takes_total_and_read_only)
{
	struct rl_group g;

	rl_group_init(&g);
	rl_set(&g.total, lim(3 * MB, 0), none, 0);
	rl_set(&g.read, lim(2 * MB, 0), none, 0);
	rl_set(&g.write, lim(2 * MB, 0), none, 0);
	/* a read of 2 MB: total 3 -> 1, read 2 -> 0, write untouched */
	CHECK_EQ(rl_group_consume(&g, false, 2 * MB, 0), 0);
	/* probe each member directly */
	CHECK_EQ(rl_consume(&g.read, 1, 0), 500);          /* empty: 1 byte at 2 MB/s */
	CHECK_EQ(rl_consume(&g.total, 1 * MB + 1, 0), 334); /* 1 MB left, 1 byte short */
	CHECK_EQ(rl_consume(&g.write, 2 * MB, 0), 0);       /* still full */
	rl_group_destroy(&g);

	/* the same through the group: a write waits only for total */
	rl_group_init(&g);
	rl_set(&g.total, lim(3 * MB, 0), none, 0);
	rl_set(&g.read, lim(2 * MB, 0), none, 0);
	rl_set(&g.write, lim(2 * MB, 0), none, 0);
	CHECK_EQ(rl_group_consume(&g, false, 2 * MB, 0), 0);
	CHECK_EQ(rl_group_consume(&g, true, 1 * MB, 0), 0);
	CHECK_EQ(rl_group_consume(&g, true, 1, 0), 334);
	CHECK_EQ(rl_group_consume(&g, false, 1, 0), 500);
	rl_group_destroy(&g);
}

TEST(group_no_partial_take)
{
	struct rl_group g;

	rl_group_init(&g);
	rl_set(&g.total, lim(1000, 0), none, 0);
	rl_set(&g.read, lim(100, 0), none, 0);
	CHECK_EQ(rl_group_consume(&g, false, 50, 0), 0); /* total 950, read 50 */
	/* read refuses 100 (50 short: 0.5 s); total would allow but must not pay */
	CHECK_EQ(rl_group_consume(&g, false, 100, 0), 500 * MS);
	CHECK_EQ(rl_group_consume(&g, false, 100, 0), 500 * MS);
	CHECK_EQ(rl_consume(&g.total, 951, 0), 1 * MS); /* still 950 */
	rl_group_destroy(&g);

	/* total refuses, read would allow: read keeps its tokens */
	rl_group_init(&g);
	rl_set(&g.total, lim(100, 0), none, 0);
	rl_set(&g.read, lim(1000, 0), none, 0);
	CHECK_EQ(rl_group_consume(&g, false, 100, 0), 0); /* total 0, read 900 */
	CHECK_EQ(rl_group_consume(&g, false, 100, 0), 1 * SEC);
	CHECK_EQ(rl_consume(&g.read, 901, 0), 1 * MS); /* still 900 */
	/* ops buckets follow the same rule */
	rl_set(&g.total, none, lim(1, 0), 0);
	rl_set(&g.read, none, lim(1, 2), 0);
	CHECK_EQ(rl_group_consume(&g, false, 0, 0), 0);       /* total 0 ops, read 1 */
	CHECK_EQ(rl_group_consume(&g, false, 0, 0), 1 * SEC); /* total out of ops */
	CHECK_EQ(rl_consume(&g.read, 0, 0), 0);           /* read's op was not taken */
	rl_group_destroy(&g);
}

TEST(group_wait_is_the_larger)
{
	struct rl_group g;

	rl_group_init(&g);
	rl_set(&g.total, lim(1000, 0), none, 0);
	rl_set(&g.write, lim(100, 0), none, 0);
	CHECK_EQ(rl_group_consume(&g, true, 100, 0), 0);
	/* total has 900 (wait 0 for 100), write 0 (wait 1 s) */
	CHECK_EQ(rl_group_consume(&g, true, 100, 0), 1 * SEC);
	CHECK_EQ(rl_group_consume(&g, true, 100, 1 * SEC), 0);
	rl_group_destroy(&g);
}

TEST(group_ops)
{
	struct rl_group g;

	/* iops total 2 (burst 2), reads and writes share it */
	rl_group_init(&g);
	rl_set(&g.total, none, lim(2, 0), 0);
	rl_set(&g.read, none, lim(10, 0), 0);
	CHECK_EQ(rl_group_consume(&g, false, 4096, 0), 0);
	CHECK_EQ(rl_group_consume(&g, true, 4096, 0), 0);
	CHECK_EQ(rl_group_consume(&g, true, 4096, 0), 500 * MS);
	CHECK_EQ(rl_group_consume(&g, false, 4096, 0), 500 * MS);
	rl_group_destroy(&g);
}

TEST(group_steady_total)
{
	struct rl_group g;
	uint64_t now = 0, done = 0, rd = 0;
	int i = 0;

	rl_group_init(&g);
	rl_set(&g.total, lim(10 * MB, 1), none, 0);
	rl_set(&g.read, lim(4 * MB, 1), none, 0);
	/* alternate reads and writes; reads capped at 4 MB/s, all at 10 MB/s */
	while (now < 10 * SEC) {
		bool w = i & 1;
		uint64_t wait = rl_group_consume(&g, w, 65536, now);

		if (wait) {
			now += wait;
			continue;
		}
		done += 65536;
		if (!w)
			rd += 65536;
		i++;
	}
	/* strict alternation: the read limit paces both, 4 + 4 MB/s */
	CHECK(within((double)rd, 40.0 * MB, 0.01));
	CHECK(within((double)done, 80.0 * MB, 0.01));
	rl_group_destroy(&g);
}

TEST(group_stats_per_member)
{
	struct rl_group g;
	struct rl_stats t, r;

	rl_group_init(&g);
	rl_set(&g.total, lim(1000, 0), none, 0);
	rl_set(&g.read, lim(100, 0), none, 0);
	CHECK_EQ(rl_group_consume(&g, false, 100, 0), 0);
	CHECK(rl_group_consume(&g, false, 100, 0)); /* read refuses, total does not */
	rl_get_stats(&g.total, &t);
	rl_get_stats(&g.read, &r);
	CHECK_EQ(t.throttled_count, 0);
	CHECK_EQ(r.throttled_count, 1);
	CHECK_EQ(rl_group_consume(&g, false, 100, 1 * SEC), 0);
	rl_get_stats(&g.read, &r);
	CHECK_EQ(r.throttled_ns, 1 * SEC);
	rl_group_destroy(&g);
}

/* ---- threads: a queue thread consumes while the control thread retunes ---- */

struct race {
	struct rl_group g;
	uint64_t clock; /* shared fake clock, ns */
	int stop;
	uint64_t bytes;
};

static void *race_consumer(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 200000; i++) {
		uint64_t now = __atomic_add_fetch(&r->clock, 1000, __ATOMIC_RELAXED);

		if (!rl_group_consume(&r->g, i & 1, 4096, now))
			r->bytes += 4096;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST(concurrent_set_and_consume)
{
	static struct race r;
	pthread_t t;
	uint64_t k = 0;

	memset(&r, 0, sizeof(r));
	rl_group_init(&r.g);
	rl_set(&r.g.total, lim(100 * MB, 0), lim(50000, 0), 0);
	pthread_create(&t, NULL, race_consumer, &r);
	while (!__atomic_load_n(&r.stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = __atomic_load_n(&r.clock, __ATOMIC_RELAXED);
		uint64_t rate = (k % 3) ? 10 * MB * (k % 7 + 1) : 0;

		rl_set(&r.g.total, lim(rate, rate / 2), lim(k % 5 ? 50000 : 0, 0), now);
		rl_set(&r.g.write, lim(k & 1 ? 0 : 20 * MB, 0), none, now);
		k++;
	}
	pthread_join(t, NULL);
	CHECK(k > 0);
	/* 0.2 s of fake time; never more than unlimited could give */
	CHECK(r.bytes <= 200000ULL * 4096);
	CHECK(r.bytes > 0);
	rl_group_destroy(&r.g);
}

UNIT_MAIN("ratelimit", T(unlimited), T(one_bucket_unlimited), T(steady_rate_10mb),
	  T(steady_rate_odd_numbers), T(exact_wait), T(burst_above_rate), T(burst_below_rate),
	  T(ops_limit), T(both_buckets_all_or_nothing), T(large_request_not_starved),
	  T(live_change_up_and_down), T(live_change_unlimited_and_back),
	  T(huge_values_no_overflow), T(clock_going_backwards), T(stats_episodes),
	  T(group_unlimited), T(group_read_takes_total_and_read_only), T(group_no_partial_take),
	  T(group_wait_is_the_larger), T(group_ops), T(group_steady_total),
	  T(group_stats_per_member), T(concurrent_set_and_consume))
