/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Block backend internals, shared by block.c (images, the generic queue),
 * block_threads.c (the worker pool and the synchronous request code it runs)
 * and block_uring.c (io_uring queues). Not for use outside src/backend/.
 *
 * Every engine embeds struct blk_queue first. The generic part owns the
 * eventfd and a mutex-protected list of requests completed outside the
 * engine's own completion path: at submit (read-only image, cache=unsafe
 * flush, bad request) or by a pool worker. An engine adds its own source of
 * completions through ops->harvest (io_uring's CQ); the threads engine has
 * none, all its requests finish on the list.
 *
 * In flight = submitted and not yet reaped; only the queue's thread changes it.
 */
#ifndef KASOU_BACKEND_BLOCK_INT_H
#define KASOU_BACKEND_BLOCK_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/block.h"

#define BLK_POOL_THREADS 4

struct blk_queue_ops {
	/* Start a request that passed blk_req_check(); report failures as completions. */
	void (*submit)(struct blk_queue *q, struct blk_req *r);
	/* Completions from the engine's own path, up to max; NULL if none. */
	unsigned int (*harvest)(struct blk_queue *q, struct blk_req **done, unsigned int max);
	/* Free the engine's part; nothing is in flight any more. */
	void (*free)(struct blk_queue *q);
};

struct blk_queue {
	const struct blk_queue_ops *ops;
	struct blk_image *img;
	unsigned int depth, inflight;
	int efd; /* EFD_NONBLOCK; written by completers, read (cleared) by reap */
	bool uses_pool; /* holds a reference on img->pool */
	pthread_mutex_t lock; /* protects done_*, signalled */
	struct blk_req *done_head, **done_tail;
	bool signalled; /* the list side wrote efd since it was last cleared */
};

/* block.c */
int blk_queue_base_init(struct blk_queue *q, struct blk_image *img, const struct blk_queue_ops *ops,
			unsigned int depth, char *why);
void blk_queue_base_fini(struct blk_queue *q);
/* Put a finished request on q's list and wake the queue's thread. Any thread. */
void blk_queue_complete(struct blk_queue *q, struct blk_req *r, int64_t result);
/* Signal the fd without a completion (an engine needs its reap to run). */
void blk_queue_kick(struct blk_queue *q);

/* Do O_DIRECT's alignment rules force a bounce buffer for this READ/WRITE? */
bool blk_req_needs_bounce(const struct blk_image *img, const struct blk_req *r);
/* Do offset and length sit on logical block boundaries (no read-modify-write)? */
bool blk_req_range_aligned(const struct blk_image *img, const struct blk_req *r);
/*
 * The rest of iov[] after `done` bytes: whole entries from *out (returns how
 * many, at most IOV_MAX), or mid-entry just that entry's tail in *one.
 */
unsigned int blk_iov_rest(const struct iovec *iov, unsigned int cnt, uint64_t done,
			  struct iovec *one, const struct iovec **out);
void blk_iov_to_buf(const struct iovec *iov, unsigned int cnt, void *buf, uint64_t len);
void blk_buf_to_iov(const void *buf, const struct iovec *iov, unsigned int cnt, uint64_t len);
/* Zero iov[] from byte `from` to `len` (a read that met end of file). */
void blk_iov_zero(const struct iovec *iov, unsigned int cnt, uint64_t from, uint64_t len);
/* An aligned buffer of `len` bytes for O_DIRECT; NULL when out of memory. */
void *blk_bounce_alloc(const struct blk_image *img, uint64_t len);

/* block_threads.c */
/* Take a reference on img's worker pool, starting it on first use. Any thread. */
int blk_pool_get(struct blk_image *img, char *why);
void blk_pool_put(struct blk_image *img);
/* Run r on a worker; it completes through blk_queue_complete(r->q, ...). */
void blk_pool_push(struct blk_image *img, struct blk_req *r);
/* Stop and join the workers whatever the count (blk_image_close). */
void blk_pool_stop(struct blk_image *img);
/* Run one request to its end on the calling thread; the request's result. */
int64_t blk_exec_sync(struct blk_image *img, struct blk_req *r);

struct blk_queue *blk_threads_queue_create(struct blk_image *img, unsigned int depth, char *why);
/* block_uring.c */
struct blk_queue *blk_uring_queue_create(struct blk_image *img, unsigned int depth, char *why);

#endif
