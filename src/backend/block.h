/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Block backend: a disk image (raw file or host block device) opened with the
 * cache mode's flags, and per-virtqueue I/O engines that run requests
 * asynchronously and report completions on a pollable fd.
 *
 *   cache=       open flags          flush          guest sees write cache
 *   writeback    -                   fdatasync      yes
 *   none         O_DIRECT            fdatasync      yes
 *   writethrough O_DSYNC             fdatasync      no
 *   directsync   O_DIRECT|O_DSYNC    fdatasync      no
 *   unsafe       -                   ignored        yes
 *
 * Engines: aio=threads (a worker pool per image, preadv/pwritev) and
 * aio=io_uring (one ring per queue, liburing, completions signalled on an
 * eventfd). With O_DIRECT, requests whose buffers or offsets are not aligned
 * to the image's logical block size go through an aligned bounce buffer, so
 * a guest never gets EINVAL for alignment.
 *
 * Threads: blk_image_* on the main thread; a blk_queue is used by exactly
 * one thread (the virtqueue's), which submits, polls blk_queue_fd() and reaps.
 * blk_queue_destroy() waits for every in-flight request: nothing acknowledged
 * is lost and no request touches guest memory after it returns.
 */
#ifndef KASOU_BACKEND_BLOCK_H
#define KASOU_BACKEND_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_WHY_LEN 256

enum blk_cache {
	BLK_CACHE_WRITEBACK,
	BLK_CACHE_NONE,
	BLK_CACHE_WRITETHROUGH,
	BLK_CACHE_DIRECTSYNC,
	BLK_CACHE_UNSAFE,
};

enum blk_aio { BLK_AIO_THREADS, BLK_AIO_IO_URING };

enum blk_op { BLK_OP_READ, BLK_OP_WRITE, BLK_OP_FLUSH, BLK_OP_DISCARD, BLK_OP_WRITE_ZEROES };

struct blk_pool;

struct blk_image {
	int fd;
	char *path;
	uint64_t size; /* bytes, a multiple of 512 */
	uint32_t align; /* logical block size for O_DIRECT (512 if unknown) */
	bool readonly, direct, dsync, is_blockdev;
	enum blk_cache cache;
	struct blk_pool *pool; /* aio=threads workers, created on first use */
};

struct blk_req {
	enum blk_op op;
	uint64_t offset, len; /* bytes; len is the iovec total for READ/WRITE */
	const struct iovec *iov;
	unsigned int iovcnt;
	bool unmap; /* WRITE_ZEROES may deallocate */
	int64_t result; /* bytes transferred (or 0) on success, -errno on failure */
	void *opaque; /* the caller's */
	/* engine-private */
	struct blk_req *next;
	void *bounce;
	struct blk_queue *q;
};

struct blk_queue;

/* Open and validate; -errno with `why` (one line, names the path) on failure. */
int blk_image_open(struct blk_image *img, const char *path, bool readonly, enum blk_cache cache,
		   char *why);
void blk_image_close(struct blk_image *img);

/* Does the guest see a volatile write cache (and so send flushes)? */
bool blk_cache_writeback(enum blk_cache c);
/* "none" -> BLK_CACHE_NONE etc.; -EINVAL for unknown names. */
int blk_cache_parse(const char *s, enum blk_cache *out);
const char *blk_cache_name(enum blk_cache c);

struct blk_queue *blk_queue_create(struct blk_image *img, enum blk_aio aio, unsigned int depth,
				   char *why);
/* Readable when completions are waiting (level: reap until it returns 0). */
int blk_queue_fd(struct blk_queue *q);
/* Start a request; 0, or -EAGAIN when `depth` requests are already in flight. */
int blk_queue_submit(struct blk_queue *q, struct blk_req *r);
/* Up to `max` completed requests into done[]; returns how many. Clears the fd when empty. */
unsigned int blk_queue_reap(struct blk_queue *q, struct blk_req **done, unsigned int max);
unsigned int blk_queue_inflight(const struct blk_queue *q);
/* Wait for all in-flight requests (they complete normally and can be reaped), then free. */
void blk_queue_destroy(struct blk_queue *q, void (*done)(struct blk_req *r, void *ctx), void *ctx);

#endif
