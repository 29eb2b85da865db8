// SPDX-License-Identifier: GPL-2.0-only
/*
 * aio=io_uring: one ring per queue with room for `depth` requests, its
 * completions signalled on the queue's eventfd (io_uring_register_eventfd).
 * Each request owns one slot and has at most one SQE in the kernel, so the
 * SQ never fills and the CQ (twice the SQ) never overflows.
 *
 * In the ring: READV/WRITEV (short transfers go round again for the rest;
 * O_DIRECT with misaligned buffers through an aligned bounce buffer), FSYNC
 * with DATASYNC, FALLOCATE for discard and write-zeroes on files. What one
 * SQE cannot do goes to the image's worker pool (block_threads.c): misaligned
 * O_DIRECT ranges (read-modify-write), block-device discard and zero-out
 * (ioctls), and write-zeroes where the file system lacks the fallocate mode.
 *
 * Syscalls: blk_queue_submit() calls io_uring_enter once per request (no
 * batching across submits yet: a plug/unplug pair would let the device start
 * a whole ring's worth at once); reaping costs one eventfd read per batch
 * (the kernel writes the eventfd itself). Measured with 4 KiB O_DIRECT reads:
 * 3 per request at queue depth 1 (enter, epoll_wait, read), 1.07 at depth 32.
 */
#include <errno.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/block_int.h"
#include "util/log.h"

#define URING_RETRIES 16 /* for -EAGAIN/-EINTR from the kernel, which should not persist */

struct uring_slot {
	struct blk_req *r;
	uint64_t done; /* READ/WRITE bytes transferred so far */
	struct iovec one; /* the part-entry or bounce iovec in the SQE */
	unsigned int retries;
	bool syncing; /* WRITE_ZEROES on an O_DSYNC image: the fdatasync after it */
	struct uring_slot *next_free;
};

struct blk_uring_queue {
	struct blk_queue base;
	struct io_uring ring;
	struct uring_slot *slots, *free_slots;
	bool unsubmitted; /* SQEs are waiting in the SQ after a failed submit */
};

enum uring_step { STEP_DONE, STEP_AGAIN, STEP_GONE };

static struct blk_uring_queue *uq_of(struct blk_queue *q)
{
	return (struct blk_uring_queue *)q;
}

static void uring_do_submit(struct blk_uring_queue *q)
{
	int ret = io_uring_submit(&q->ring);

	q->unsubmitted = io_uring_sq_ready(&q->ring) > 0;
	if (q->unsubmitted) {
		/* have the reaper retry: the queue's thread polls our fd */
		log_guest("disk '%s': io_uring_submit: %s; retrying", q->base.img->path,
			  strerror(ret < 0 ? -ret : EAGAIN));
		blk_queue_kick(&q->base);
	}
}

/* Queue the SQE for a slot's request (its next part, for READ/WRITE). */
static void uring_prep(struct blk_uring_queue *q, struct uring_slot *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
	struct blk_req *r = s->r;
	int fd = q->base.img->fd;
	off_t off = (off_t)r->offset, len = (off_t)r->len;
	const struct iovec *v;
	unsigned int n;

	BUG_ON(!sqe); /* one SQE per slot at most, and the SQ holds depth of them */
	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if (r->bounce) {
			s->one.iov_base = (uint8_t *)r->bounce + s->done;
			s->one.iov_len = r->len - s->done;
			v = &s->one;
			n = 1;
		} else {
			n = blk_iov_rest(r->iov, r->iovcnt, s->done, &s->one, &v);
		}
		if (r->op == BLK_OP_READ)
			io_uring_prep_readv(sqe, fd, v, n, (uint64_t)r->offset + s->done);
		else
			io_uring_prep_writev(sqe, fd, v, n, (uint64_t)r->offset + s->done);
		break;
	case BLK_OP_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BLK_OP_DISCARD:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
					len);
		break;
	case BLK_OP_WRITE_ZEROES:
		if (s->syncing) {
			io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
			break;
		}
		io_uring_prep_fallocate(sqe, fd,
					(r->unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
						FALLOC_FL_KEEP_SIZE,
					off, len);
		break;
	}
	io_uring_sqe_set_data(sqe, s);
}

/* Hand r to the image's workers, starting them on first need. */
static void uring_to_pool(struct blk_uring_queue *q, struct blk_req *r)
{
	char why[BLK_WHY_LEN];
	int err;

	if (!q->base.uses_pool) {
		err = blk_pool_get(q->base.img, why);
		if (err) {
			log_guest("disk '%s': %s", q->base.img->path, why);
			blk_queue_complete(&q->base, r, err);
			return;
		}
		q->base.uses_pool = true;
	}
	blk_pool_push(q->base.img, r);
}

static void uring_submit(struct blk_queue *bq, struct blk_req *r)
{
	struct blk_uring_queue *q = uq_of(bq);
	struct blk_image *img = bq->img;
	struct uring_slot *s;

	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if (!blk_req_needs_bounce(img, r))
			break;
		if (!blk_req_range_aligned(img, r)) {
			uring_to_pool(q, r); /* read-modify-write */
			return;
		}
		r->bounce = blk_bounce_alloc(img, r->len);
		if (!r->bounce) {
			blk_queue_complete(bq, r, -ENOMEM);
			return;
		}
		if (r->op == BLK_OP_WRITE)
			blk_iov_to_buf(r->iov, r->iovcnt, r->bounce, r->len);
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		if (img->is_blockdev) {
			uring_to_pool(q, r); /* BLKDISCARD / BLKZEROOUT */
			return;
		}
		break;
	default:
		break;
	}
	s = q->free_slots;
	BUG_ON(!s); /* as many slots as depth, and blk_queue_submit checked depth */
	q->free_slots = s->next_free;
	s->r = r;
	s->done = 0;
	s->retries = 0;
	s->syncing = false;
	uring_prep(q, s);
	uring_do_submit(q);
}

static void slot_put(struct blk_uring_queue *q, struct uring_slot *s)
{
	s->r = NULL;
	s->next_free = q->free_slots;
	q->free_slots = s;
}

static enum uring_step finish(struct blk_req *r, int64_t res)
{
	r->result = res;
	free(r->bounce);
	r->bounce = NULL;
	return STEP_DONE;
}

/* One CQE for slot s: is its request done, going round again, or handed on? */
static enum uring_step uring_step(struct blk_uring_queue *q, struct uring_slot *s, int res)
{
	struct blk_req *r = s->r;

	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if ((res == -EAGAIN || res == -EINTR) && s->retries++ < URING_RETRIES)
			break;
		if (res < 0)
			return finish(r, res);
		if (!res) {
			if (r->op == BLK_OP_WRITE)
				return finish(r, -EIO);
			/* the file shrank under us: past its end reads as zeros */
			if (r->bounce)
				memset((uint8_t *)r->bounce + s->done, 0, r->len - s->done);
			else
				blk_iov_zero(r->iov, r->iovcnt, s->done, r->len);
			s->done = r->len;
		}
		s->done += (uint64_t)res;
		if (s->done < r->len)
			break; /* short transfer: the rest */
		if (r->op == BLK_OP_READ && r->bounce)
			blk_buf_to_iov(r->bounce, r->iov, r->iovcnt, r->len);
		return finish(r, (int64_t)r->len);
	case BLK_OP_FLUSH:
		return finish(r, res);
	case BLK_OP_DISCARD:
		/* advisory: a file system without hole punching has done its part */
		return finish(r, res == -EOPNOTSUPP ? 0 : res);
	case BLK_OP_WRITE_ZEROES:
		if (res == -EOPNOTSUPP && !s->syncing) {
			uring_to_pool(q, r); /* ZERO_RANGE, then zero buffers */
			return STEP_GONE;
		}
		if (!res && q->base.img->dsync && !s->syncing) {
			/* O_DSYNC does not cover fallocate: the guest sees no write cache */
			s->syncing = true;
			break;
		}
		return finish(r, res);
	}
	uring_prep(q, s);
	return STEP_AGAIN;
}

static unsigned int uring_harvest(struct blk_queue *bq, struct blk_req **done, unsigned int max)
{
	struct blk_uring_queue *q = uq_of(bq);
	struct io_uring_cqe *cqe;
	unsigned int n = 0;
	bool again = q->unsubmitted;

	while (n < max && !io_uring_peek_cqe(&q->ring, &cqe)) {
		struct uring_slot *s = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&q->ring, cqe);
		switch (uring_step(q, s, res)) {
		case STEP_DONE:
			done[n++] = s->r;
			slot_put(q, s);
			break;
		case STEP_GONE:
			slot_put(q, s);
			break;
		case STEP_AGAIN:
			again = true;
			break;
		}
	}
	if (again)
		uring_do_submit(q);
	return n;
}

static void uring_free(struct blk_queue *bq)
{
	struct blk_uring_queue *q = uq_of(bq);

	io_uring_queue_exit(&q->ring);
	if (bq->uses_pool)
		blk_pool_put(bq->img);
	free(q->slots);
	blk_queue_base_fini(bq);
	free(q);
}

static const struct blk_queue_ops uring_ops = {
	.submit = uring_submit,
	.harvest = uring_harvest,
	.free = uring_free,
};

static int uring_check_ops(struct io_uring *ring, char *why)
{
	static const struct {
		int op;
		const char *name;
	} need[] = { { IORING_OP_READV, "READV" },
		     { IORING_OP_WRITEV, "WRITEV" },
		     { IORING_OP_FSYNC, "FSYNC" },
		     { IORING_OP_FALLOCATE, "FALLOCATE" } };
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);

	if (!p) {
		snprintf(why, BLK_WHY_LEN,
			 "the kernel's io_uring is too old to probe (5.6 needed)");
		return -ENOSYS;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!io_uring_opcode_supported(p, need[i].op)) {
			snprintf(why, BLK_WHY_LEN, "the kernel's io_uring lacks IORING_OP_%s",
				 need[i].name);
			io_uring_free_probe(p);
			return -ENOSYS;
		}
	}
	io_uring_free_probe(p);
	return 0;
}

struct blk_queue *blk_uring_queue_create(struct blk_image *img, unsigned int depth, char *why)
{
	struct blk_uring_queue *q = calloc(1, sizeof(*q));
	int err;

	if (!q) {
		snprintf(why, BLK_WHY_LEN, "out of memory for a queue");
		errno = ENOMEM;
		return NULL;
	}
	err = blk_queue_base_init(&q->base, img, &uring_ops, depth, why);
	if (err)
		goto fail_free;
	err = io_uring_queue_init(depth, &q->ring, 0);
	if (err < 0) {
		snprintf(why, BLK_WHY_LEN,
			 "io_uring_queue_init: %s (the kernel, a seccomp filter or a container "
			 "refuses io_uring)",
			 strerror(-err));
		goto fail_base;
	}
	err = uring_check_ops(&q->ring, why);
	if (err)
		goto fail_ring;
	err = io_uring_register_eventfd(&q->ring, q->base.efd);
	if (err < 0) {
		snprintf(why, BLK_WHY_LEN, "io_uring_register_eventfd: %s", strerror(-err));
		goto fail_ring;
	}
	q->slots = calloc(depth, sizeof(*q->slots));
	if (!q->slots) {
		err = -ENOMEM;
		snprintf(why, BLK_WHY_LEN, "out of memory for %u io_uring slots", depth);
		goto fail_ring;
	}
	for (unsigned int i = depth; i-- > 0;)
		slot_put(q, &q->slots[i]);
	return &q->base;
fail_ring:
	io_uring_queue_exit(&q->ring);
fail_base:
	blk_queue_base_fini(&q->base);
fail_free:
	free(q);
	errno = -err;
	return NULL;
}
