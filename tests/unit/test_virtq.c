// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue, device side, driven by a tiny test "driver" over fake
 * guest RAM: chains (direct, indirect, mixed), used ring, index wraparound,
 * notification suppression both ways, and every malformed input the queue
 * must refuse without crashing or touching memory outside RAM.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>

#include "util/log.h"
#include "virtio/virtq.h"
#include "unit.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))

#define F_NEXT VRING_DESC_F_NEXT
#define F_WRITE VRING_DESC_F_WRITE
#define F_INDIRECT VRING_DESC_F_INDIRECT

/* The test driver: one queue in fake RAM (a single region at gpa 0). */
struct drv {
	struct guest_mem mem;
	uint64_t ram;
	uint16_t size;
	uint64_t desc, avail, used, data; /* gpas; data: free space for buffers/tables */
	uint16_t avail_idx;               /* driver's shadow of avail->idx */
	struct virtq q;
	struct iovec iov[VIRTQ_MAX_SEGS];
	struct virtq_elem e;
};

struct seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags; /* F_WRITE for device-writable */
};

static void *hva(struct drv *d, uint64_t gpa)
{
	return d->mem.host + gpa;
}

/* Lay out RAM and rings; returns virtq_init()'s result. */
static int drv_setup_at(struct drv *d, uint64_t ram, uint16_t size, bool event_idx,
			bool indirect)
{
	memset(d, 0, sizeof(*d));
	log_verbosity = LOG_ERROR; /* guest-error warnings are expected here */
	guest_mem_layout(&d->mem, ram);
	d->mem.fd = -1;
	d->mem.host = aligned_alloc(4096, ram);
	memset(d->mem.host, 0, ram);
	d->ram = ram;
	d->size = size;
	d->desc = 0x1000;
	d->avail = d->desc + 16ULL * size;
	d->used = ALIGN_UP(d->avail + 6 + 2ULL * size, 4096);
	d->data = ALIGN_UP(d->used + 6 + 8ULL * size, 4096);
	d->e.iov = d->iov;
	d->e.iov_cap = VIRTQ_MAX_SEGS;
	return virtq_init(&d->q, &d->mem, size, d->desc, d->avail, d->used, event_idx, indirect);
}

static int drv_setup(struct drv *d, uint16_t size, bool event_idx, bool indirect)
{
	return drv_setup_at(d, 1 * MiB, size, event_idx, indirect);
}

static void drv_free(struct drv *d)
{
	free(d->mem.host);
}

static void put_desc(struct drv *d, uint64_t table, uint32_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc v = { .addr = htole64(addr),
				.len = htole32(len),
				.flags = htole16(flags),
				.next = htole16(next) };

	memcpy(hva(d, table + 16ULL * i), &v, sizeof(v));
}

static void set_desc(struct drv *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	put_desc(d, d->desc, i, addr, len, flags, next);
}

/* Write segs as a linked chain at table indices first, first+1, ... */
static void put_chain(struct drv *d, uint64_t table, uint32_t first, const struct seg *s,
		      unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint16_t flags = (uint16_t)(s[i].flags | (i + 1 < n ? F_NEXT : 0));

		put_desc(d, table, first + i, s[i].gpa, s[i].len, flags, (uint16_t)(first + i + 1));
	}
}

static struct vring_avail *avail(struct drv *d)
{
	return hva(d, d->avail);
}

static struct vring_used *used(struct drv *d)
{
	return hva(d, d->used);
}

static void set_avail_idx(struct drv *d, uint16_t idx)
{
	d->avail_idx = idx;
	__atomic_store_n(&avail(d)->idx, htole16(idx), __ATOMIC_RELEASE);
}

/* Make the chain at `head` available. */
static void publish(struct drv *d, uint16_t head)
{
	avail(d)->ring[d->avail_idx & (d->size - 1)] = htole16(head);
	set_avail_idx(d, (uint16_t)(d->avail_idx + 1));
}

static uint16_t used_idx(struct drv *d)
{
	return le16toh(__atomic_load_n(&used(d)->idx, __ATOMIC_ACQUIRE));
}

static uint32_t used_id(struct drv *d, uint16_t slot)
{
	return le32toh(used(d)->ring[slot & (d->size - 1)].id);
}

static uint32_t used_len(struct drv *d, uint16_t slot)
{
	return le32toh(used(d)->ring[slot & (d->size - 1)].len);
}

static void set_used_event(struct drv *d, uint16_t v)
{
	avail(d)->ring[d->size] = htole16(v);
}

static uint16_t avail_event(struct drv *d)
{
	uint16_t v;

	memcpy(&v, &used(d)->ring[d->size], sizeof(v));
	return le16toh(v);
}

static int pop(struct drv *d)
{
	return virtq_pop(&d->q, &d->e);
}

/* Move both sides of an idle queue to index n (white box, for wraparound). */
static void drv_move_to(struct drv *d, uint16_t n)
{
	d->q.last_avail = d->q.used_idx = d->q.signalled_used = n;
	d->q.signalled_used_valid = true;
	set_avail_idx(d, n);
	used(d)->idx = htole16(n);
}

static bool iov_is(struct drv *d, unsigned int i, uint64_t gpa, uint32_t len)
{
	return d->iov[i].iov_base == hva(d, gpa) && d->iov[i].iov_len == len;
}

/* The queue refused the chain as a guest error, exactly once. */
static void expect_broken(struct drv *d)
{
	uint16_t last = d->q.last_avail;
	uint64_t popped = d->q.stats.popped;

	CHECK_EQ(pop(d), -EINVAL);
	CHECK(d->q.broken);
	CHECK_EQ(d->q.stats.errors, 1);
	CHECK_EQ(d->q.stats.popped, popped);
	/* stays broken, without counting or consuming again */
	CHECK_EQ(pop(d), -EINVAL);
	CHECK_EQ(d->q.stats.errors, 1);
	CHECK_EQ(d->q.last_avail, last);
	CHECK(!virtq_has_work(&d->q));
}

/* ---- init ---- */

TEST(init_ok)
{
	struct drv d;

	CHECK_EQ(drv_setup(&d, 256, true, true), 0);
	CHECK(d.q.ready);
	CHECK(!d.q.broken);
	CHECK_EQ(d.q.size, 256);
	CHECK(d.q.event_idx);
	CHECK(d.q.indirect);
	CHECK_EQ(d.q.desc_gpa, d.desc);
	CHECK_EQ(d.q.avail_gpa, d.avail);
	CHECK_EQ(d.q.used_gpa, d.used);
	CHECK_EQ(d.q.last_avail, 0);
	CHECK_EQ(d.q.used_idx, 0);
	CHECK_EQ(d.q.stats.errors, 0);
	CHECK_EQ(pop(&d), 0);
	CHECK(!virtq_has_work(&d.q));
	drv_free(&d);
}

TEST(init_clears_used_flags)
{
	struct drv d;

	drv_setup(&d, 16, false, false);
	virtq_notify_enable(&d.q, false);
	CHECK_EQ(le16toh(used(&d)->flags), VRING_USED_F_NO_NOTIFY);
	CHECK_EQ(virtq_init(&d.q, &d.mem, 16, d.desc, d.avail, d.used, true, false), 0);
	CHECK_EQ(used(&d)->flags, 0);
	drv_free(&d);
}

TEST(init_bad_size)
{
	static const uint16_t bad[] = { 0, 3, 6, 100, 255, 257, 32767, 65535 };
	struct drv d;

	drv_setup(&d, 16, false, false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(virtq_init(&d.q, &d.mem, bad[i], d.desc, d.avail, d.used, false, false),
			 -EINVAL);
		CHECK(!d.q.ready);
		CHECK_EQ(pop(&d), 0);
	}
	drv_free(&d);
}

TEST(init_misaligned)
{
	struct drv d;
	struct virtq *q = &d.q;

	drv_setup(&d, 16, false, false);
	CHECK_EQ(virtq_init(q, &d.mem, 16, d.desc + 8, d.avail, d.used, false, false), -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 16, d.desc + 1, d.avail, d.used, false, false), -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 16, d.desc, d.avail + 1, d.used, false, false), -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 16, d.desc, d.avail, d.used + 2, false, false), -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 16, d.desc, d.avail, d.used + 1, false, false), -EINVAL);
	CHECK(!q->ready);
	/* the minimum alignments are enough */
	CHECK_EQ(virtq_init(q, &d.mem, 16, d.desc + 16, d.avail + 2, d.used + 4, false, false), 0);
	CHECK(q->ready);
	drv_free(&d);
}

TEST(init_rings_outside_ram)
{
	struct drv d;
	struct virtq *q = &d.q;
	uint64_t ram = 1 * MiB;

	drv_setup(&d, 256, false, false);
	/* each ring just past the end, and straddling it by its last bytes */
	CHECK_EQ(virtq_init(q, &d.mem, 256, ram, d.avail, d.used, false, false), -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 256, ram - 16 * 255, d.avail, d.used, false, false),
		 -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, ram, d.used, false, false), -EINVAL);
	/* avail is 6 + 2*256 bytes long: the used_event field must fit too */
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, ram - (4 + 2 * 256), d.used, false, false),
		 -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, ram - (6 + 2 * 256), d.used, false, false),
		 0);
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, d.avail, ram, false, false), -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, d.avail, ram - (4 + 8 * 256), false, false),
		 -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, d.avail, ram - (8 + 8 * 256), false, false),
		 0);
	/* addresses that would wrap around */
	CHECK_EQ(virtq_init(q, &d.mem, 256, UINT64_MAX & ~15ULL, d.avail, d.used, false, false),
		 -EINVAL);
	CHECK_EQ(virtq_init(q, &d.mem, 256, d.desc, d.avail, UINT64_MAX & ~3ULL, false, false),
		 -EINVAL);
	CHECK(!q->ready);
	CHECK(!q->broken);
	drv_free(&d);
}

/* ---- chains ---- */

TEST(pop_empty)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	CHECK(!virtq_has_work(&d.q));
	CHECK_EQ(pop(&d), 0);
	CHECK_EQ(d.q.last_avail, 0);
	drv_free(&d);
}

TEST(single_segment)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	set_desc(&d, 5, d.data, 512, 0, 0);
	publish(&d, 5);
	CHECK(virtq_has_work(&d.q));
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.head, 5);
	CHECK_EQ(d.e.out_num, 1);
	CHECK_EQ(d.e.in_num, 0);
	CHECK_EQ(d.e.out_len, 512);
	CHECK_EQ(d.e.in_len, 0);
	CHECK(iov_is(&d, 0, d.data, 512));
	CHECK(!virtq_has_work(&d.q));
	CHECK_EQ(pop(&d), 0);

	CHECK_EQ(virtq_push(&d.q, &d.e, 0), 0);
	CHECK_EQ(used_idx(&d), 1);
	CHECK_EQ(used_id(&d, 0), 5);
	CHECK_EQ(used_len(&d, 0), 0);
	CHECK_EQ(d.q.stats.popped, 1);
	CHECK_EQ(d.q.stats.pushed, 1);
	drv_free(&d);
}

TEST(multi_segment_out_in)
{
	struct drv d;
	const struct seg s[] = {
		{ 0x80000, 16, 0 },     { 0x80100, 4096, 0 },    { 0x90000, 100, F_WRITE },
		{ 0x91000, 8192, F_WRITE },      { 0x95000, 1, F_WRITE },
	};

	drv_setup(&d, 16, false, false);
	put_chain(&d, d.desc, 3, s, 5);
	publish(&d, 3);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.head, 3);
	CHECK_EQ(d.e.out_num, 2);
	CHECK_EQ(d.e.in_num, 3);
	CHECK_EQ(d.e.out_len, 16 + 4096);
	CHECK_EQ(d.e.in_len, 100 + 8192 + 1);
	for (unsigned int i = 0; i < 5; i++)
		CHECK(iov_is(&d, i, s[i].gpa, s[i].len));
	CHECK_EQ(virtq_push(&d.q, &d.e, 8293), 0);
	CHECK_EQ(used_idx(&d), 1);
	CHECK_EQ(used_id(&d, 0), 3);
	CHECK_EQ(used_len(&d, 0), 8293);
	drv_free(&d);
}

TEST(in_only_chain)
{
	struct drv d;
	const struct seg s[] = { { 0x80000, 64, F_WRITE }, { 0x81000, 64, F_WRITE } };

	drv_setup(&d, 4, false, false);
	put_chain(&d, d.desc, 0, s, 2);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 0);
	CHECK_EQ(d.e.in_num, 2);
	CHECK_EQ(d.e.in_len, 128);
	drv_free(&d);
}

TEST(zero_length_descriptors)
{
	struct drv d;
	const struct seg s[] = {
		{ 0x80000, 0, 0 }, { 0x80000, 10, 0 }, { 0x81000, 0, F_WRITE },
		{ 0x82000, 20, F_WRITE }, { 0, 0, F_WRITE },
	};

	drv_setup(&d, 8, false, false);
	put_chain(&d, d.desc, 0, s, 5);
	publish(&d, 0);
	/* a zero-length descriptor with an address outside RAM is never translated */
	set_desc(&d, 4, 64 * GiB, 0, F_WRITE, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 1);
	CHECK_EQ(d.e.in_num, 1);
	CHECK(iov_is(&d, 0, 0x80000, 10));
	CHECK(iov_is(&d, 1, 0x82000, 20));
	/* a chain of nothing but zero-length descriptors is a valid empty element */
	set_desc(&d, 6, 0x80000, 0, 0, 0);
	publish(&d, 6);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num + d.e.in_num, 0);
	CHECK_EQ(d.e.out_len + d.e.in_len, 0);
	drv_free(&d);
}

TEST(used_ring_in_push_order)
{
	struct drv d;
	struct virtq_elem el[3];
	struct iovec iov[3][4];
	static const uint16_t heads[] = { 7, 2, 4 };

	drv_setup(&d, 8, false, false);
	for (int i = 0; i < 3; i++) {
		set_desc(&d, heads[i], d.data + 0x1000 * i, 100, F_WRITE, 0);
		publish(&d, heads[i]);
	}
	for (int i = 0; i < 3; i++) {
		el[i] = (struct virtq_elem){ .iov = iov[i], .iov_cap = 4 };
		CHECK_EQ(virtq_pop(&d.q, &el[i]), 1);
		CHECK_EQ(el[i].head, heads[i]);
	}
	/* completions out of order */
	CHECK_EQ(virtq_push(&d.q, &el[1], 11), 0);
	CHECK_EQ(virtq_push(&d.q, &el[2], 22), 0);
	CHECK_EQ(virtq_push(&d.q, &el[0], 0), 0);
	CHECK_EQ(used_idx(&d), 3);
	CHECK_EQ(used_id(&d, 0), 2);
	CHECK_EQ(used_len(&d, 0), 11);
	CHECK_EQ(used_id(&d, 1), 4);
	CHECK_EQ(used_len(&d, 1), 22);
	CHECK_EQ(used_id(&d, 2), 7);
	CHECK_EQ(used_len(&d, 2), 0);
	drv_free(&d);
}

TEST(wraparound_many_rounds)
{
	struct drv d;
	unsigned int bad = 0;

	drv_setup(&d, 4, false, false);
	for (uint16_t h = 0; h < 4; h++)
		set_desc(&d, h, d.data + 0x100 * h, 0x100, F_WRITE, 0);
	/* 70000 chains: every index passes 65535 -> 0 once */
	for (uint32_t n = 0; n < 70000; n++) {
		uint16_t h = (uint16_t)(n % 4);

		publish(&d, h);
		if (pop(&d) != 1 || d.e.head != h || virtq_push(&d.q, &d.e, n & 0xff))
			bad++;
		if (used_idx(&d) != (uint16_t)(n + 1) || used_id(&d, (uint16_t)n) != h ||
		    used_len(&d, (uint16_t)n) != (n & 0xff))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(d.q.last_avail, (uint16_t)70000);
	CHECK_EQ(d.q.used_idx, (uint16_t)70000);
	CHECK_EQ(d.q.stats.popped, 70000);
	CHECK(!d.q.broken);
	drv_free(&d);
}

TEST(wraparound_full_ring_across_65535)
{
	struct drv d;
	struct virtq_elem el[4];
	struct iovec iov[4];

	drv_setup(&d, 4, false, false);
	drv_move_to(&d, 65534);
	for (uint16_t h = 0; h < 4; h++) {
		set_desc(&d, h, d.data + 0x100 * h, 0x100, 0, 0);
		publish(&d, (uint16_t)(3 - h));
	}
	CHECK_EQ(le16toh(avail(&d)->idx), 2); /* 65534 + 4, wrapped; exactly size ahead */
	for (int i = 0; i < 4; i++) {
		el[i] = (struct virtq_elem){ .iov = &iov[i], .iov_cap = 1 };
		CHECK_EQ(virtq_pop(&d.q, &el[i]), 1);
		CHECK_EQ(el[i].head, 3 - i);
	}
	CHECK_EQ(pop(&d), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(virtq_push(&d.q, &el[i], 0), 0);
	CHECK_EQ(used_idx(&d), 2);
	/* slots 65534 & 3 = 2, 3, then 0, 1 */
	CHECK_EQ(le32toh(used(&d)->ring[2].id), 3);
	CHECK_EQ(le32toh(used(&d)->ring[3].id), 2);
	CHECK_EQ(le32toh(used(&d)->ring[0].id), 1);
	CHECK_EQ(le32toh(used(&d)->ring[1].id), 0);
	drv_free(&d);
}

/* ---- indirect ---- */

TEST(indirect_basic)
{
	struct drv d;
	uint64_t table = 0x70000;
	const struct seg s[] = { { 0x80000, 16, 0 }, { 0x81000, 4096, F_WRITE },
				 { 0x83000, 1, F_WRITE } };

	drv_setup(&d, 8, false, true);
	put_chain(&d, table, 0, s, 3);
	set_desc(&d, 2, table, 3 * 16, F_INDIRECT, 0);
	publish(&d, 2);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.head, 2);
	CHECK_EQ(d.e.out_num, 1);
	CHECK_EQ(d.e.in_num, 2);
	CHECK_EQ(d.e.out_len, 16);
	CHECK_EQ(d.e.in_len, 4097);
	for (unsigned int i = 0; i < 3; i++)
		CHECK(iov_is(&d, i, s[i].gpa, s[i].len));
	CHECK_EQ(virtq_push(&d.q, &d.e, 4097), 0);
	CHECK_EQ(used_id(&d, 0), 2);
	drv_free(&d);
}

TEST(indirect_after_direct)
{
	struct drv d;
	uint64_t table = 0x70000;
	const struct seg direct[] = { { 0x80000, 8, 0 }, { 0x80100, 8, 0 } };
	const struct seg tab[] = { { 0x81000, 32, 0 }, { 0x82000, 64, F_WRITE } };

	/* §2.7.5.3.2: normal descriptors followed by one indirect one */
	drv_setup(&d, 8, false, true);
	put_chain(&d, d.desc, 4, direct, 2);
	set_desc(&d, 5, 0x80100, 8, F_NEXT, 6);
	set_desc(&d, 6, table, 2 * 16, F_INDIRECT, 0);
	put_chain(&d, table, 0, tab, 2);
	publish(&d, 4);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 3);
	CHECK_EQ(d.e.in_num, 1);
	CHECK(iov_is(&d, 0, 0x80000, 8));
	CHECK(iov_is(&d, 1, 0x80100, 8));
	CHECK(iov_is(&d, 2, 0x81000, 32));
	CHECK(iov_is(&d, 3, 0x82000, 64));
	drv_free(&d);
}

TEST(indirect_write_flag_ignored)
{
	struct drv d;
	uint64_t table = 0x70000;
	const struct seg tab[] = { { 0x81000, 32, 0 }, { 0x82000, 64, F_WRITE } };

	drv_setup(&d, 8, false, true);
	put_chain(&d, table, 0, tab, 2);
	/* WRITE on the descriptor that points at the table says nothing about its contents */
	set_desc(&d, 0, table, 2 * 16, F_INDIRECT | F_WRITE, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 1);
	CHECK_EQ(d.e.in_num, 1);
	drv_free(&d);
}

TEST(indirect_unaligned_table_and_exact_length)
{
	struct drv d;
	uint64_t table = 0x70008; /* the spec asks no alignment of a table */
	struct seg tab[8];

	drv_setup(&d, 2, false, true);
	for (int i = 0; i < 8; i++)
		tab[i] = (struct seg){ 0x80000 + 0x100 * i, 0x10, i < 4 ? 0 : F_WRITE };
	put_chain(&d, table, 0, tab, 8);
	/* 8 hops in an 8-entry table (longer than the 2-entry queue) is fine */
	set_desc(&d, 1, table, 8 * 16, F_INDIRECT, 0);
	publish(&d, 1);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 4);
	CHECK_EQ(d.e.in_num, 4);
	CHECK(iov_is(&d, 7, 0x80700, 0x10));
	drv_free(&d);
}

/* ---- malformed chains: each is a guest error ---- */

TEST(bad_head_index)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	publish(&d, 8);
	expect_broken(&d);
	drv_free(&d);
	drv_setup(&d, 8, false, false);
	publish(&d, 0xffff);
	expect_broken(&d);
	drv_free(&d);
}

TEST(bad_next_index)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	set_desc(&d, 0, d.data, 16, F_NEXT, 8);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(loop_two_descriptors)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	set_desc(&d, 0, d.data, 16, F_NEXT, 1);
	set_desc(&d, 1, d.data, 16, F_NEXT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(loop_self_zero_length)
{
	struct drv d;

	/* zero-length descriptors make no iovecs: only the hop count ends this */
	drv_setup(&d, 8, false, false);
	set_desc(&d, 3, d.data, 0, F_NEXT, 3);
	publish(&d, 3);
	expect_broken(&d);
	drv_free(&d);
}

TEST(chain_of_exactly_queue_size)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	for (uint16_t i = 0; i < 8; i++)
		set_desc(&d, i, d.data + 0x10 * i, 0x10, i < 7 ? F_NEXT : 0, (uint16_t)(i + 1));
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 8);
	/* ... one more hop (7 -> 0) is a loop */
	set_desc(&d, 7, d.data + 0x70, 0x10, F_NEXT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(avail_idx_jumps_too_far)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	for (uint16_t i = 0; i < 8; i++)
		set_desc(&d, i, d.data, 16, 0, 0);
	/* exactly `size` ahead: a full ring, fine */
	set_avail_idx(&d, 8);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.q.last_avail, 1);
	/* size + 1 ahead of last_avail */
	set_avail_idx(&d, 1 + 9);
	expect_broken(&d);
	drv_free(&d);

	/* also from far away, across the wrap */
	drv_setup(&d, 8, false, false);
	drv_move_to(&d, 65530);
	set_avail_idx(&d, 100);
	expect_broken(&d);
	drv_free(&d);
}

TEST(readable_after_writable)
{
	struct drv d;
	const struct seg s[] = { { 0x80000, 16, 0 }, { 0x81000, 16, F_WRITE }, { 0x82000, 16, 0 } };

	drv_setup(&d, 8, false, false);
	put_chain(&d, d.desc, 0, s, 3);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(readable_after_writable_even_if_empty)
{
	struct drv d;
	const struct seg s[] = { { 0x81000, 0, F_WRITE }, { 0x82000, 16, 0 } };

	drv_setup(&d, 8, false, false);
	put_chain(&d, d.desc, 0, s, 2);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(buffer_outside_ram)
{
	static const struct {
		uint64_t gpa;
		uint32_t len;
	} bad[] = {
		{ 1 * MiB, 1 },              /* just past the end */
		{ 1 * MiB - 16, 17 },        /* straddles the end */
		{ 0, 2 * MiB },              /* longer than RAM */
		{ 4 * GiB, 16 },             /* above the hole, no RAM there */
		{ UINT64_MAX - 7, 16 },      /* gpa + len wraps */
		{ UINT64_MAX, 1 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drv d;

		drv_setup(&d, 8, false, false);
		set_desc(&d, 0, d.data, 16, F_NEXT, 1);
		set_desc(&d, 1, bad[i].gpa, bad[i].len, F_WRITE, 0);
		publish(&d, 0);
		expect_broken(&d);
		drv_free(&d);
	}
	/* the last byte of RAM is fine */
	struct drv d;

	drv_setup(&d, 8, false, false);
	set_desc(&d, 0, 1 * MiB - 16, 16, 0, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	drv_free(&d);
}

TEST(buffer_across_region_gap)
{
	struct drv d;

	/* two RAM regions with a hole between them, as around the MMIO hole */
	drv_setup(&d, 8, false, false);
	d.mem.host = realloc(d.mem.host, 2 * MiB);
	memset(d.mem.host + 1 * MiB, 0, 1 * MiB);
	d.mem.nr_regions = 2;
	d.mem.regions[1] =
		(struct guest_region){ .gpa = 4 * MiB, .size = 1 * MiB, .offset = 1 * MiB };
	d.mem.size = 2 * MiB;
	CHECK_EQ(virtq_init(&d.q, &d.mem, 8, d.desc, d.avail, d.used, false, false), 0);
	set_desc(&d, 0, 4 * MiB + 0x100, 0x100, 0, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK(d.iov[0].iov_base == d.mem.host + 1 * MiB + 0x100);
	/* last 16 bytes of region 0 plus 16 beyond: not one region */
	set_desc(&d, 1, 1 * MiB - 16, 32, 0, 0);
	publish(&d, 1);
	expect_broken(&d);
	free(d.mem.host);
}

TEST(chain_longer_than_4g)
{
	struct guest_mem m;
	struct virtq q = { 0 };
	struct iovec iov[4];
	struct virtq_elem e = { .iov = iov, .iov_cap = 4 };
	uint8_t *host;
	struct vring_desc *desc;
	struct vring_avail *av;

	/* 8 GiB of address space, only its first MiB usable: buffers are never touched */
	host = mmap(NULL, 8 * GiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		SKIP_TEST("no 8 GiB of address space");
	CHECK_EQ(mprotect(host, 1 * MiB, PROT_READ | PROT_WRITE), 0);
	log_verbosity = LOG_ERROR;
	guest_mem_layout(&m, 8 * GiB);
	m.fd = -1;
	m.host = host;
	desc = (struct vring_desc *)(host + 0x1000);
	av = (struct vring_avail *)(host + 0x2000);
	CHECK_EQ(virtq_init(&q, &m, 4, 0x1000, 0x2000, 0x3000, false, false), 0);

	/* 0xfffff000 + 0x1000 = exactly 2^32 bytes: allowed */
	desc[0] = (struct vring_desc){ htole64(4 * GiB), htole32(0xfffff000), htole16(F_NEXT), 1 };
	desc[1] = (struct vring_desc){ htole64(6 * GiB), htole32(0x1000), 0, 0 };
	av->ring[0] = 0;
	av->idx = htole16(1);
	CHECK_EQ(virtq_pop(&q, &e), 1);
	CHECK_EQ(e.out_len, 1ULL << 32);

	/* one byte more */
	desc[1].len = htole32(0x1001);
	av->ring[1] = 0;
	av->idx = htole16(2);
	CHECK_EQ(virtq_pop(&q, &e), -EINVAL);
	CHECK(q.broken);
	CHECK_EQ(q.stats.errors, 1);

	/* many big segments: the total is checked on every step, no u64 wrap */
	virtq_reset(&q);
	CHECK_EQ(virtq_init(&q, &m, 4, 0x1000, 0x2000, 0x3000, false, false), 0);
	for (int i = 0; i < 4; i++)
		desc[i] = (struct vring_desc){ htole64(4 * GiB), htole32(0xffffffff),
					       htole16(i < 3 ? F_NEXT | F_WRITE : F_WRITE),
					       (uint16_t)(i + 1) };
	av->ring[0] = 0;
	av->idx = htole16(1);
	CHECK_EQ(virtq_pop(&q, &e), -EINVAL);
	CHECK_EQ(q.stats.errors, 2);
	munmap(host, 8 * GiB);
}

TEST(too_many_segments)
{
	struct drv d;
	uint64_t table = 0x40000;
	static struct seg tab[VIRTQ_MAX_SEGS + 1];

	for (int i = 0; i < VIRTQ_MAX_SEGS + 1; i++)
		tab[i] = (struct seg){ 0x80000 + 16 * i, 16, 0 };
	/* VIRTQ_MAX_SEGS segments: fine */
	drv_setup(&d, 4, false, true);
	put_chain(&d, table, 0, tab, VIRTQ_MAX_SEGS);
	set_desc(&d, 0, table, VIRTQ_MAX_SEGS * 16, F_INDIRECT, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, VIRTQ_MAX_SEGS);
	/* one more: a guest error even with a big enough iov array */
	put_chain(&d, table, 0, tab, VIRTQ_MAX_SEGS + 1);
	set_desc(&d, 0, table, (VIRTQ_MAX_SEGS + 1) * 16, F_INDIRECT, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), -EINVAL);
	CHECK(d.q.broken);
	drv_free(&d);
}

TEST(iov_cap_too_small)
{
	struct drv d;
	struct iovec iov[3];
	const struct seg s[] = { { 0x80000, 16, 0 }, { 0x80100, 0, 0 }, { 0x81000, 32, F_WRITE },
				 { 0x82000, 64, F_WRITE } };

	/* -ENOBUFS: not a guest error; nothing consumed; counts say what is needed */
	drv_setup(&d, 8, false, false);
	put_chain(&d, d.desc, 0, s, 4);
	publish(&d, 0);
	d.e.iov = iov;
	d.e.iov_cap = 2;
	CHECK_EQ(pop(&d), -ENOBUFS);
	CHECK_EQ(d.e.out_num, 1);
	CHECK_EQ(d.e.in_num, 2);
	CHECK(!d.q.broken);
	CHECK_EQ(d.q.stats.errors, 0);
	CHECK_EQ(d.q.stats.popped, 0);
	CHECK_EQ(d.q.last_avail, 0);
	CHECK(virtq_has_work(&d.q));
	d.e.iov_cap = 0;
	d.e.iov = NULL;
	CHECK_EQ(pop(&d), -ENOBUFS);
	/* a retry with enough room takes the same chain */
	d.e.iov = iov;
	d.e.iov_cap = 3;
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.head, 0);
	CHECK(iov[2].iov_base == hva(&d, 0x82000));
	CHECK_EQ(d.q.stats.popped, 1);
	drv_free(&d);
}

TEST(iov_cap_too_small_then_malformed)
{
	struct drv d;
	struct iovec iov[1];
	const struct seg s[] = { { 0x80000, 16, 0 }, { 0x81000, 32, 0 }, { 2 * MiB, 64, F_WRITE } };

	/* a guest error later in the chain still wins over -ENOBUFS */
	drv_setup(&d, 8, false, false);
	put_chain(&d, d.desc, 0, s, 3);
	publish(&d, 0);
	d.e.iov = iov;
	d.e.iov_cap = 1;
	CHECK_EQ(pop(&d), -EINVAL);
	CHECK(d.q.broken);
	drv_free(&d);
}

TEST(indirect_not_negotiated)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	put_desc(&d, 0x70000, 0, 0x80000, 16, 0, 0);
	set_desc(&d, 0, 0x70000, 16, F_INDIRECT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(indirect_bad_length)
{
	static const uint32_t bad[] = { 0, 8, 17, 24, 0xffffffff, (VIRTQ_MAX_INDIRECT + 1) * 16 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drv d;

		drv_setup(&d, 8, false, true);
		put_desc(&d, 0x70000, 0, 0x80000, 16, 0, 0);
		set_desc(&d, 0, 0x70000, bad[i], F_INDIRECT, 0);
		publish(&d, 0);
		expect_broken(&d);
		drv_free(&d);
	}
}

TEST(indirect_outside_ram)
{
	static const uint64_t bad[] = { 1 * MiB, 1 * MiB - 16, 8 * GiB, UINT64_MAX - 15 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drv d;

		drv_setup(&d, 8, false, true);
		set_desc(&d, 0, bad[i], 32, F_INDIRECT, 0);
		publish(&d, 0);
		expect_broken(&d);
		drv_free(&d);
	}
}

TEST(indirect_nested)
{
	struct drv d;

	drv_setup(&d, 8, false, true);
	put_desc(&d, 0x70000, 0, 0x80000, 16, F_NEXT, 1);
	put_desc(&d, 0x70000, 1, 0x71000, 16, F_INDIRECT, 0);
	put_desc(&d, 0x71000, 0, 0x80000, 16, 0, 0);
	set_desc(&d, 0, 0x70000, 32, F_INDIRECT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(indirect_with_next)
{
	struct drv d;

	drv_setup(&d, 8, false, true);
	put_desc(&d, 0x70000, 0, 0x80000, 16, 0, 0);
	set_desc(&d, 0, 0x70000, 16, F_INDIRECT | F_NEXT, 1);
	set_desc(&d, 1, 0x81000, 16, F_WRITE, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(indirect_loop)
{
	struct drv d;

	drv_setup(&d, 8, false, true);
	put_desc(&d, 0x70000, 0, 0x80000, 16, F_NEXT, 1);
	put_desc(&d, 0x70000, 1, 0x80000, 0, F_NEXT, 2);
	put_desc(&d, 0x70000, 2, 0x80000, 16, F_NEXT, 1);
	set_desc(&d, 0, 0x70000, 3 * 16, F_INDIRECT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(indirect_next_beyond_table)
{
	struct drv d;

	/* next must be below the table's length, not the queue size */
	drv_setup(&d, 8, false, true);
	put_desc(&d, 0x70000, 0, 0x80000, 16, F_NEXT, 1);
	put_desc(&d, 0x70000, 1, 0x80000, 16, F_NEXT, 2);
	put_desc(&d, 0x70000, 2, 0x80000, 16, 0, 0); /* real memory, but past len */
	set_desc(&d, 0, 0x70000, 2 * 16, F_INDIRECT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(indirect_wrong_direction)
{
	struct drv d;

	/* inside the table */
	drv_setup(&d, 8, false, true);
	put_desc(&d, 0x70000, 0, 0x80000, 16, F_WRITE | F_NEXT, 1);
	put_desc(&d, 0x70000, 1, 0x81000, 16, 0, 0);
	set_desc(&d, 0, 0x70000, 2 * 16, F_INDIRECT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);

	/* a writable direct descriptor, then a readable one in the table */
	drv_setup(&d, 8, false, true);
	set_desc(&d, 0, 0x82000, 16, F_WRITE | F_NEXT, 1);
	set_desc(&d, 1, 0x70000, 16, F_INDIRECT, 0);
	put_desc(&d, 0x70000, 0, 0x80000, 16, 0, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(indirect_buffer_outside_ram)
{
	struct drv d;

	drv_setup(&d, 8, false, true);
	put_desc(&d, 0x70000, 0, 0x80000, 16, F_NEXT, 1);
	put_desc(&d, 0x70000, 1, 1 * MiB - 8, 16, F_WRITE, 0);
	set_desc(&d, 0, 0x70000, 2 * 16, F_INDIRECT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(push_after_broken_and_reset)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	set_desc(&d, 0, d.data, 16, F_WRITE, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	publish(&d, 9);
	CHECK_EQ(pop(&d), -EINVAL);
	/* the request already in flight still completes */
	CHECK_EQ(virtq_push(&d.q, &d.e, 16), 0);
	CHECK_EQ(used_idx(&d), 1);
	CHECK_EQ(used_len(&d, 0), 16);

	virtq_reset(&d.q);
	CHECK(!d.q.ready);
	CHECK(!d.q.broken);
	CHECK_EQ(d.q.last_avail, 0);
	CHECK_EQ(d.q.used_idx, 0);
	CHECK_EQ(pop(&d), 0);
	CHECK_EQ(virtq_push(&d.q, &d.e, 0), -EINVAL);
	CHECK(!virtq_should_notify(&d.q));
	CHECK(!virtq_has_work(&d.q));
	/* counters survive a reset */
	CHECK_EQ(d.q.stats.errors, 1);
	CHECK_EQ(d.q.stats.popped, 1);
	CHECK_EQ(d.q.stats.pushed, 1);

	/* the driver re-initialises its rings, the queue works again */
	memset(d.mem.host, 0, d.ram);
	d.avail_idx = 0;
	CHECK_EQ(virtq_init(&d.q, &d.mem, 8, d.desc, d.avail, d.used, false, false), 0);
	set_desc(&d, 3, d.data, 16, 0, 0);
	publish(&d, 3);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.head, 3);
	drv_free(&d);
}

/* ---- notifications ---- */

static struct virtq_elem fake_elem(uint16_t head)
{
	return (struct virtq_elem){ .head = head };
}

TEST(notify_no_interrupt_flag)
{
	struct drv d;
	struct virtq_elem e = fake_elem(0);

	drv_setup(&d, 8, false, false);
	virtq_push(&d.q, &e, 0);
	CHECK(virtq_should_notify(&d.q));
	/* nothing new since the last decision */
	CHECK(!virtq_should_notify(&d.q));
	avail(&d)->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	virtq_push(&d.q, &e, 0);
	CHECK(!virtq_should_notify(&d.q));
	avail(&d)->flags = 0;
	virtq_push(&d.q, &e, 0);
	virtq_push(&d.q, &e, 0);
	CHECK(virtq_should_notify(&d.q));
	CHECK_EQ(d.q.signalled_used, 4);
	CHECK_EQ(d.q.stats.notifies, 2);
	CHECK_EQ(d.q.stats.suppressed, 2);
	/* used_event is ignored without EVENT_IDX */
	set_used_event(&d, 100);
	virtq_push(&d.q, &e, 0);
	CHECK(virtq_should_notify(&d.q));
	drv_free(&d);
}

TEST(notify_event_idx_basic)
{
	struct drv d;
	struct virtq_elem e = fake_elem(1);

	drv_setup(&d, 8, true, false);
	/* the first decision after init always notifies */
	set_used_event(&d, 50);
	virtq_push(&d.q, &e, 0);
	CHECK(virtq_should_notify(&d.q));
	CHECK(d.q.signalled_used_valid);

	/* used_event = 2: interrupt once used idx passes 2, i.e. when entry 2 is used */
	set_used_event(&d, 2);
	virtq_push(&d.q, &e, 0); /* idx 2 */
	CHECK(!virtq_should_notify(&d.q));
	virtq_push(&d.q, &e, 0); /* idx 3: entry 2 used */
	CHECK(virtq_should_notify(&d.q));
	virtq_push(&d.q, &e, 0);
	CHECK(!virtq_should_notify(&d.q)); /* event already behind */

	/* a batch crossing the event notifies once */
	set_used_event(&d, 5);
	virtq_push(&d.q, &e, 0);
	virtq_push(&d.q, &e, 0);
	virtq_push(&d.q, &e, 0); /* 4 -> 7 */
	CHECK(virtq_should_notify(&d.q));
	CHECK(!virtq_should_notify(&d.q));

	/* NO_INTERRUPT is ignored with EVENT_IDX */
	avail(&d)->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	set_used_event(&d, 7);
	virtq_push(&d.q, &e, 0);
	CHECK(virtq_should_notify(&d.q));
	CHECK_EQ(d.q.stats.notifies, 4);
	CHECK_EQ(d.q.stats.suppressed, 3);
	drv_free(&d);
}

/* Is `ev` one of the n used indices old, old+1, ..., old+n-1 (mod 2^16)? */
static bool event_in_window(uint16_t ev, uint16_t old, unsigned int n)
{
	return (uint16_t)(ev - old) < n;
}

TEST(notify_event_idx_table)
{
	static const uint16_t olds[] = { 0, 1, 7, 32767, 32768, 65530, 65534, 65535 };
	struct drv d;
	struct virtq_elem e = fake_elem(0);
	unsigned int bad = 0, yes = 0;

	drv_setup(&d, 8, true, false);
	for (size_t i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		for (unsigned int n = 1; n <= 8; n++) {
			for (int off = -4; off <= 12; off++) {
				uint16_t old = olds[i], ev = (uint16_t)(old + off);
				bool want = event_in_window(ev, old, n);

				drv_move_to(&d, old);
				set_used_event(&d, ev);
				for (unsigned int k = 0; k < n; k++)
					virtq_push(&d.q, &e, 0);
				if (virtq_should_notify(&d.q) != want ||
				    want != !!vring_need_event(ev, (uint16_t)(old + n), old))
					bad++;
				yes += want;
			}
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(yes > 0);
	drv_free(&d);
}

TEST(notify_enable_flags)
{
	struct drv d;

	drv_setup(&d, 8, false, false);
	virtq_notify_enable(&d.q, false);
	CHECK_EQ(le16toh(used(&d)->flags), VRING_USED_F_NO_NOTIFY);
	virtq_notify_enable(&d.q, false);
	CHECK_EQ(le16toh(used(&d)->flags), VRING_USED_F_NO_NOTIFY);
	virtq_notify_enable(&d.q, true);
	CHECK_EQ(used(&d)->flags, 0);
	CHECK_EQ(avail_event(&d), 0); /* not touched without EVENT_IDX */
	drv_free(&d);
}

TEST(notify_enable_event_idx)
{
	struct drv d;

	drv_setup(&d, 8, true, false);
	for (uint16_t i = 0; i < 8; i++)
		set_desc(&d, i, d.data, 16, 0, 0);
	memset(&used(&d)->ring[8], 0xaa, 2);
	publish(&d, 0);
	publish(&d, 1);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(pop(&d), 1);
	virtq_notify_enable(&d.q, true);
	CHECK_EQ(avail_event(&d), 2); /* kick me when entry 2 is made available */
	CHECK_EQ(used(&d)->flags, 0);
	/* disabling leaves avail_event behind, flags stay 0 */
	virtq_notify_enable(&d.q, false);
	publish(&d, 2);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(avail_event(&d), 2);
	CHECK_EQ(used(&d)->flags, 0);
	/* a driver adding idx 3 -> 4 would not kick (avail_event 2 is behind it) */
	CHECK(!vring_need_event(avail_event(&d), 4, 3));
	virtq_notify_enable(&d.q, true);
	CHECK_EQ(avail_event(&d), 3);
	CHECK(vring_need_event(avail_event(&d), 4, 3));

	/* wraparound */
	drv_move_to(&d, 65535);
	virtq_notify_enable(&d.q, true);
	CHECK_EQ(avail_event(&d), 65535);
	drv_free(&d);
}

TEST(notify_enable_race_recheck)
{
	struct drv d;

	/* the usual loop: disable, drain, enable, re-check */
	drv_setup(&d, 8, false, false);
	set_desc(&d, 0, d.data, 16, 0, 0);
	virtq_notify_enable(&d.q, false);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK(!virtq_has_work(&d.q));
	/* the driver adds a buffer while kicks are off: no kick arrives */
	publish(&d, 0);
	virtq_notify_enable(&d.q, true);
	CHECK(virtq_has_work(&d.q));
	CHECK_EQ(pop(&d), 1);
	CHECK(!virtq_has_work(&d.q));
	drv_free(&d);
}

/* ---- queue sizes at the limits ---- */

TEST(size_1)
{
	struct drv d;

	CHECK_EQ(drv_setup(&d, 1, true, true), 0);
	set_desc(&d, 0, d.data, 64, F_WRITE, 0);
	for (uint32_t n = 0; n < 65540; n++) {
		publish(&d, 0);
		if (pop(&d) != 1 || d.e.head != 0 || virtq_push(&d.q, &d.e, 1) ||
		    pop(&d) != 0)
			break;
	}
	CHECK_EQ(d.q.stats.popped, 65540);
	CHECK_EQ(used_idx(&d), (uint16_t)65540);
	CHECK_EQ(used_id(&d, 0), 0);
	/* used_event lives at avail->ring[1], avail_event at used->ring[1] */
	set_used_event(&d, used_idx(&d));
	virtq_should_notify(&d.q);
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	virtq_push(&d.q, &d.e, 0);
	CHECK(virtq_should_notify(&d.q));
	virtq_notify_enable(&d.q, true);
	CHECK_EQ(avail_event(&d), d.q.last_avail);
	/* two ahead of a 1-entry ring */
	set_avail_idx(&d, (uint16_t)(d.avail_idx + 2));
	expect_broken(&d);
	drv_free(&d);

	/* a self loop in a 1-entry ring */
	drv_setup(&d, 1, false, false);
	set_desc(&d, 0, d.data, 64, F_NEXT, 0);
	publish(&d, 0);
	expect_broken(&d);
	drv_free(&d);
}

TEST(size_32768)
{
	struct drv d;
	unsigned int bad = 0;

	CHECK_EQ(drv_setup_at(&d, 2 * MiB, 32768, true, false), 0);
	for (uint32_t i = 0; i < 32768; i++) {
		set_desc(&d, (uint16_t)i, d.data + 16 * i, 16, F_WRITE, 0);
		publish(&d, (uint16_t)(32767 - i));
	}
	/* a completely full ring */
	for (uint32_t i = 0; i < 32768; i++) {
		if (pop(&d) != 1 || d.e.head != 32767 - i || d.e.in_len != 16 ||
		    virtq_push(&d.q, &d.e, 16))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(pop(&d), 0);
	CHECK_EQ(used_idx(&d), 32768);
	CHECK_EQ(used_id(&d, 32767), 0);
	CHECK(virtq_should_notify(&d.q));

	/* one chain through all 32768 descriptors (zero-length but the last) */
	for (uint32_t i = 0; i < 32768; i++)
		set_desc(&d, (uint16_t)i, d.data, i == 32767 ? 16 : 0,
			 i == 32767 ? 0 : F_NEXT, (uint16_t)(i + 1));
	publish(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.e.out_num, 1);
	/* and the same with the last pointing back to the first */
	set_desc(&d, 32767, d.data, 16, F_NEXT, 0);
	publish(&d, 0);
	CHECK_EQ(pop(&d), -EINVAL);
	CHECK(d.q.broken);
	drv_free(&d);
}

/* ---- two threads: driver and device, as with a real guest ---- */

#define STRESS_N 200000
#define STRESS_Q 64

struct stress {
	struct drv d;
	uint32_t device_bad;
};

static void *stress_device(void *arg)
{
	struct stress *s = arg;
	struct iovec iov[2];
	struct virtq_elem e = { .iov = iov, .iov_cap = 2 };

	for (uint32_t n = 0; n < STRESS_N;) {
		int r = virtq_pop(&s->d.q, &e);
		uint32_t seq;

		if (r == 0) {
			sched_yield();
			continue;
		}
		if (r != 1 || e.out_num != 1 || e.in_num != 1) {
			s->device_bad++;
			break;
		}
		memcpy(&seq, iov[0].iov_base, 4);
		if (seq != n)
			s->device_bad++;
		seq = ~seq;
		memcpy(iov[1].iov_base, &seq, 4);
		virtq_push(&s->d.q, &e, 4);
		n++;
	}
	return NULL;
}

TEST(two_threads)
{
	static struct stress s;
	struct drv *d = &s.d;
	pthread_t t;
	uint16_t seen_used = 0, free_heads = STRESS_Q / 2;
	uint32_t sent = 0, done = 0, bad = 0;

	drv_setup(d, STRESS_Q, true, false);
	s.device_bad = 0;
	/* chains of two: head 2k (out, 4 bytes) -> 2k+1 (in, 4 bytes) */
	for (uint16_t k = 0; k < STRESS_Q / 2; k++) {
		set_desc(d, (uint16_t)(2 * k), d->data + 64 * k, 4, F_NEXT, (uint16_t)(2 * k + 1));
		set_desc(d, (uint16_t)(2 * k + 1), d->data + 64 * k + 32, 4, F_WRITE, 0);
	}
	pthread_create(&t, NULL, stress_device, &s);
	while (done < STRESS_N) {
		uint16_t u = used_idx(d);

		/* reclaim */
		for (; seen_used != u; seen_used++, done++) {
			uint32_t id = used_id(d, seen_used), k = id / 2, v;

			memcpy(&v, hva(d, d->data + 64 * k + 32), 4);
			if (used_len(d, seen_used) != 4 || v != ~(done))
				bad++;
			free_heads++;
		}
		/* submit, in order: the slot of avail entry i is head 2*(i % 32) */
		if (free_heads && sent < STRESS_N) {
			uint32_t k = sent % (STRESS_Q / 2);

			memcpy(hva(d, d->data + 64 * k), &sent, 4);
			publish(d, (uint16_t)(2 * k));
			free_heads--;
			sent++;
		} else {
			sched_yield();
		}
	}
	pthread_join(t, NULL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(s.device_bad, 0);
	CHECK_EQ(d->q.stats.popped, STRESS_N);
	CHECK(!d->q.broken);
	drv_free(d);
}

UNIT_MAIN("virtq", T(init_ok), T(init_clears_used_flags), T(init_bad_size), T(init_misaligned),
	  T(init_rings_outside_ram), T(pop_empty), T(single_segment), T(multi_segment_out_in),
	  T(in_only_chain), T(zero_length_descriptors), T(used_ring_in_push_order),
	  T(wraparound_many_rounds), T(wraparound_full_ring_across_65535), T(indirect_basic),
	  T(indirect_after_direct), T(indirect_write_flag_ignored),
	  T(indirect_unaligned_table_and_exact_length), T(bad_head_index), T(bad_next_index),
	  T(loop_two_descriptors), T(loop_self_zero_length), T(chain_of_exactly_queue_size),
	  T(avail_idx_jumps_too_far), T(readable_after_writable),
	  T(readable_after_writable_even_if_empty), T(buffer_outside_ram),
	  T(buffer_across_region_gap), T(chain_longer_than_4g), T(too_many_segments),
	  T(iov_cap_too_small), T(iov_cap_too_small_then_malformed), T(indirect_not_negotiated),
	  T(indirect_bad_length), T(indirect_outside_ram), T(indirect_nested),
	  T(indirect_with_next), T(indirect_loop), T(indirect_next_beyond_table),
	  T(indirect_wrong_direction), T(indirect_buffer_outside_ram),
	  T(push_after_broken_and_reset), T(notify_no_interrupt_flag), T(notify_event_idx_basic),
	  T(notify_event_idx_table), T(notify_enable_flags), T(notify_enable_event_idx),
	  T(notify_enable_race_recheck), T(size_1), T(size_32768), T(two_threads))
