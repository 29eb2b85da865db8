// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/virtq.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

#define DESC_SIZE sizeof(struct vring_desc)
/* virtio 1.2 §2.7.4: a chain carries at most 2^32 bytes in total. */
#define VIRTQ_MAX_CHAIN_BYTES (1ULL << 32)

/* Single writer (the queue thread); readers elsewhere load relaxed. */
static void stat_inc(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* A guest error: break the queue (once), count it, log it rate-limited. */
__attribute__((format(printf, 2, 3))) static int virtq_fail(struct virtq *q, const char *fmt,
							     ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	q->broken = true;
	stat_inc(&q->stats.errors);
	log_guest("virtqueue (desc 0x%" PRIx64 ", size %u): %s", q->desc_gpa, q->size, why);
	return -EINVAL;
}

int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect)
{
	virtq_reset(q);
	q->mem = mem;
	q->size = size;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	q->event_idx = event_idx;
	q->indirect = indirect;

	if (!size || (size & (size - 1)) || size > VIRTQ_MAX_SIZE) {
		virtq_fail(q, "queue size %u is not a power of 2 up to %u", size, VIRTQ_MAX_SIZE);
		goto bad;
	}
	if ((desc & (VRING_DESC_ALIGN_SIZE - 1)) || (avail & (VRING_AVAIL_ALIGN_SIZE - 1)) ||
	    (used & (VRING_USED_ALIGN_SIZE - 1))) {
		virtq_fail(q, "misaligned rings: avail 0x%" PRIx64 ", used 0x%" PRIx64, avail,
			   used);
		goto bad;
	}
	/* The sizes include used_event/avail_event whether or not EVENT_IDX is
	 * negotiated: virtio 1.x rings always have them (§2.7). */
	q->desc = gpa_to_hva(mem, desc, DESC_SIZE * size);
	q->avail = gpa_to_hva(mem, avail, 6 + 2ULL * size);
	q->used = gpa_to_hva(mem, used, 6 + 8ULL * size);
	if (!q->desc || !q->avail || !q->used) {
		virtq_fail(q, "rings outside RAM: avail 0x%" PRIx64 ", used 0x%" PRIx64, avail,
			   used);
		goto bad;
	}
	/* Notifications start enabled; with EVENT_IDX the flags must stay 0. */
	__atomic_store_n(&q->used->flags, htole16(0), __ATOMIC_RELAXED);
	q->ready = true;
	return 0;
bad:
	/* a failed init is reported to the caller, not a broken live queue */
	q->broken = false;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	return -EINVAL;
}

void virtq_unpop(struct virtq *q, uint16_t n)
{
	q->last_avail = (uint16_t)(q->last_avail - n);
	q->stats.popped -= n;
}

void virtq_reset(struct virtq *q)
{
	/* field by field: stats are read concurrently and must not blink */
	q->size = 0;
	q->desc_gpa = q->avail_gpa = q->used_gpa = 0;
	q->event_idx = q->indirect = q->ready = false;
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->signalled_used_valid = false;
	q->broken = false;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
}

/* Add one non-empty segment to the element (counted even past iov_cap). */
static int virtq_add_seg(struct virtq *q, struct virtq_elem *e, uint64_t addr, uint32_t len,
			 bool write, unsigned int *nseg)
{
	void *p;

	if (len > VIRTQ_MAX_CHAIN_BYTES - (e->out_len + e->in_len))
		return virtq_fail(q, "chain %u longer than 4 GiB", e->head);
	p = gpa_to_hva(q->mem, addr, len);
	if (!p)
		return virtq_fail(q, "chain %u: buffer 0x%" PRIx64 "+0x%x outside RAM", e->head,
				  addr, len);
	if (*nseg >= VIRTQ_MAX_SEGS)
		return virtq_fail(q, "chain %u has more than %u segments", e->head,
				  VIRTQ_MAX_SEGS);
	if (*nseg < e->iov_cap)
		e->iov[*nseg] = (struct iovec){ .iov_base = p, .iov_len = len };
	(*nseg)++;
	if (write) {
		e->in_num++;
		e->in_len += len;
	} else {
		e->out_num++;
		e->out_len += len;
	}
	return 0;
}

/*
 * Walk the chain at `head`: direct descriptors, optionally ending in one
 * indirect table (virtio 1.2 §2.7.5.3.2). Each descriptor is copied out of
 * guest memory once and only the copy is checked and used, so a driver
 * rewriting it meanwhile cannot slip past the checks.
 */
static int virtq_walk(struct virtq *q, uint16_t head, struct virtq_elem *e)
{
	const uint8_t *table = (const uint8_t *)q->desc;
	uint32_t table_len = q->size, idx = head, hops = 0;
	bool in_table = false, seen_write = false;
	unsigned int nseg = 0;
	struct vring_desc d;
	int err;

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		uint16_t flags;
		uint32_t len;
		uint64_t addr;

		if (++hops > table_len)
			return virtq_fail(q, "chain %u: more than %u descriptors%s (a loop?)", head,
					  table_len, in_table ? " in its indirect table" : "");
		memcpy(&d, table + (size_t)idx * DESC_SIZE, DESC_SIZE);
		flags = le16toh(d.flags);
		len = le32toh(d.len);
		addr = le64toh(d.addr);

		if (flags & VRING_DESC_F_INDIRECT) {
			if (in_table)
				return virtq_fail(q, "chain %u: nested indirect table", head);
			if (!q->indirect)
				return virtq_fail(q, "chain %u: indirect descriptor not negotiated",
						  head);
			if (flags & VRING_DESC_F_NEXT)
				return virtq_fail(q, "chain %u: descriptor %u: INDIRECT with NEXT",
						  head, idx);
			if (!len || len % DESC_SIZE || len / DESC_SIZE > VIRTQ_MAX_INDIRECT)
				return virtq_fail(q, "chain %u: indirect table length %u", head,
						  len);
			/* The table's WRITE flag is ignored (§2.7.5.3.2). */
			table = gpa_to_hva(q->mem, addr, len);
			if (!table)
				return virtq_fail(q,
						  "chain %u: indirect table 0x%" PRIx64
						  "+0x%x outside RAM",
						  head, addr, len);
			table_len = len / DESC_SIZE;
			idx = 0;
			hops = 0;
			in_table = true;
			continue;
		}

		if (flags & VRING_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return virtq_fail(q, "chain %u: readable descriptor after a writable one",
					  head);
		if (len) {
			err = virtq_add_seg(q, e, addr, len, flags & VRING_DESC_F_WRITE, &nseg);
			if (err)
				return err;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = le16toh(d.next);
		if (idx >= table_len)
			return virtq_fail(q, "chain %u: next index %u beyond %s of %u", head, idx,
					  in_table ? "indirect table" : "queue", table_len);
	}
	return nseg > e->iov_cap ? -ENOBUFS : 0;
}

int virtq_pop(struct virtq *q, struct virtq_elem *e)
{
	uint16_t avail_idx, pending, head;
	int err;

	if (q->broken)
		return -EINVAL;
	if (!q->ready)
		return 0;
	/* Acquire: the ring entry and descriptors are read after the index. */
	avail_idx = le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (!pending)
		return 0;
	if (pending > q->size)
		return virtq_fail(q, "avail idx %u is %u entries ahead of %u", avail_idx, pending,
				  q->last_avail);
	head = le16toh(__atomic_load_n(&q->avail->ring[q->last_avail & (q->size - 1)],
				       __ATOMIC_RELAXED));
	if (head >= q->size)
		return virtq_fail(q, "avail entry %u: head %u beyond queue", q->last_avail, head);
	err = virtq_walk(q, head, e);
	if (err)
		return err;
	q->last_avail++;
	stat_inc(&q->stats.popped);
	return 1;
}

int virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t written)
{
	vring_used_elem_t *u;

	if (!q->ready)
		return -EINVAL;
	BUG_ON(e->head >= q->size);
	BUG_ON(written > e->in_len);
	u = &q->used->ring[q->used_idx & (q->size - 1)];
	__atomic_store_n(&u->id, htole32(e->head), __ATOMIC_RELAXED);
	__atomic_store_n(&u->len, htole32(written), __ATOMIC_RELAXED);
	q->used_idx++;
	/* Release: the element is visible before the index that publishes it. */
	__atomic_store_n(&q->used->idx, htole16(q->used_idx), __ATOMIC_RELEASE);
	stat_inc(&q->stats.pushed);
	return 0;
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx;
	bool valid = q->signalled_used_valid, notify;

	if (!q->ready)
		return false;
	/*
	 * Full fence: our used->idx store must be visible before we read the
	 * driver's used_event/flags, or we and the driver (which updates them,
	 * fences, then re-reads used->idx) could each miss the other's update
	 * and the interrupt would be lost. Same as the kernel's virtio_ring.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = new;
	q->signalled_used_valid = true;
	if (valid && new == old) {
		notify = false;
	} else if (q->event_idx) {
		/* used_event sits after the avail ring: avail->ring[size] */
		uint16_t ev = le16toh(__atomic_load_n(&q->avail->ring[q->size], __ATOMIC_RELAXED));

		/* Without a previous decision, old is meaningless: notify. */
		notify = !valid || vring_need_event(ev, new, old);
	} else {
		notify = !(le16toh(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED)) &
			   VRING_AVAIL_F_NO_INTERRUPT);
	}
	stat_inc(notify ? &q->stats.notifies : &q->stats.suppressed);
	return notify;
}

void virtq_notify_enable(struct virtq *q, bool enable)
{
	if (!q->ready)
		return;
	if (q->event_idx) {
		/* avail_event sits after the used ring: used->ring[size] */
		uint16_t *avail_event = (uint16_t *)&q->used->ring[q->size];

		/* "kick when entry last_avail becomes available"; no way to
		 * disable outright: leaving it behind lets kicks die out. */
		if (enable)
			__atomic_store_n(avail_event, htole16(q->last_avail), __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&q->used->flags, htole16(enable ? 0 : VRING_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
	}
	/* The store must be visible before the caller re-reads avail->idx
	 * (virtq_has_work), pairing with the driver's fence between writing
	 * avail->idx and reading flags/avail_event. */
	if (enable)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_has_work(struct virtq *q)
{
	if (!q->ready || q->broken)
		return false;
	return le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE)) != q->last_avail;
}
