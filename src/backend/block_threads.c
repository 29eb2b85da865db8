// SPDX-License-Identifier: GPL-2.0-only
/*
 * aio=threads: a pool of BLK_POOL_THREADS workers per image, started when the
 * first queue needs it and stopped (flag + broadcast, then joined) when the
 * last one lets go. Jobs are blk_reqs on one list under a mutex and condvar;
 * a worker runs a request with plain syscalls (blk_exec_sync) and finishes it
 * on its queue's completion list. The io_uring engine sends the pool what one
 * SQE cannot do (read-modify-write, ioctls, zero-buffer fallbacks).
 *
 * Syscalls per request (perf, 4 KiB reads): about 7-8 at queue depth 1 -- the
 * I/O, 3-4 futex calls for the hand-over (the submitter's wake, the worker's
 * wait, and its unlock after pthread_cond_wait took the mutex back marked
 * contended), one eventfd write, the reaper's epoll_wait and eventfd read --
 * and 2-4 at depth 32, where one eventfd write and read cover a batch and
 * busy workers take the next job without sleeping.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend/block_int.h"
#include "util/log.h"
#include "sandbox/seccomp.h"

struct blk_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct blk_req *head, **tail; /* jobs, linked through r->next */
	bool stop;
	unsigned int users, nthreads, idle;
	pthread_t threads[BLK_POOL_THREADS];
	struct blk_image *img;
	/*
	 * Misaligned O_DIRECT writes read and rewrite whole blocks; two of them
	 * in the same block must not interleave or one loses the other's bytes.
	 */
	pthread_mutex_t rmw_lock;
};

/* Guards img->pool and users: queues come and go on different threads. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;

#define ZERO_CHUNK (64u * 1024)
#define ZERO_IOVS 16
static const uint8_t zero_buf[ZERO_CHUNK] __attribute__((aligned(4096)));

/* ---- synchronous execution (runs on workers) ---- */

static int64_t rw_loop(int fd, bool write, const struct iovec *iov, unsigned int cnt, uint64_t off,
		       uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		struct iovec one;
		const struct iovec *v;
		unsigned int n = blk_iov_rest(iov, cnt, done, &one, &v);
		ssize_t got;

		if (!n)
			return -EIO; /* len is more than the iovecs hold: checked at submit */
		if (write)
			got = pwritev(fd, v, (int)n, (off_t)(off + done));
		else
			got = preadv(fd, v, (int)n, (off_t)(off + done));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!got) {
			if (write)
				return -EIO;
			/* the file shrank under us: past its end reads as zeros */
			blk_iov_zero(iov, cnt, done, len);
			return (int64_t)len;
		}
		done += (uint64_t)got;
	}
	return (int64_t)len;
}

static int64_t rw_block(int fd, bool write, void *buf, uint64_t len, uint64_t off)
{
	struct iovec v = { buf, len };

	return rw_loop(fd, write, &v, 1, off, len);
}

/* O_DIRECT with misaligned buffers or range: through an aligned buffer. */
static int64_t rw_bounce(struct blk_image *img, const struct blk_req *r)
{
	uint64_t a = img->align, start = r->offset & ~(a - 1);
	uint64_t end = (r->offset + r->len + a - 1) & ~(a - 1), blen = end - start;
	bool head = r->offset != start, tail = r->offset + r->len != end;
	uint8_t *buf = blk_bounce_alloc(img, blen);
	int64_t res = 0;

	if (!buf)
		return -ENOMEM;
	if (r->op == BLK_OP_READ) {
		res = rw_block(img->fd, false, buf, blen, start);
		if (res >= 0) {
			blk_buf_to_iov(buf + (r->offset - start), r->iov, r->iovcnt, r->len);
			res = (int64_t)r->len;
		}
		free(buf);
		return res;
	}
	if (head || tail)
		pthread_mutex_lock(&img->pool->rmw_lock);
	if (head)
		res = rw_block(img->fd, false, buf, a, start);
	if (res >= 0 && tail && !(head && blen == a))
		res = rw_block(img->fd, false, buf + blen - a, a, end - a);
	if (res >= 0) {
		blk_iov_to_buf(r->iov, r->iovcnt, buf + (r->offset - start), r->len);
		res = rw_block(img->fd, true, buf, blen, start);
		if (res >= 0)
			res = (int64_t)r->len;
	}
	if (head || tail)
		pthread_mutex_unlock(&img->pool->rmw_lock);
	free(buf);
	return res;
}

static int64_t rw_req(struct blk_image *img, const struct blk_req *r)
{
	if (blk_req_needs_bounce(img, r))
		return rw_bounce(img, r);
	return rw_loop(img->fd, r->op == BLK_OP_WRITE, r->iov, r->iovcnt, r->offset, r->len);
}

static bool unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS || err == ENOTTY;
}

/* The last resort for WRITE_ZEROES: write zeros, 1 MiB at a time, aligned. */
static int64_t write_zero_buffers(struct blk_image *img, const struct blk_req *r)
{
	const uint64_t chunk = (uint64_t)ZERO_CHUNK * ZERO_IOVS;
	struct iovec iov[ZERO_IOVS];
	uint64_t off = r->offset, left = r->len;

	for (unsigned int i = 0; i < ZERO_IOVS; i++)
		iov[i] = (struct iovec){ (void *)zero_buf, ZERO_CHUNK };
	while (left) {
		/* the first piece ends on a chunk boundary so later ones are aligned */
		uint64_t n = chunk - off % chunk;
		struct blk_req w = { .op = BLK_OP_WRITE, .offset = off, .iov = iov };
		int64_t res;

		if (n > left)
			n = left;
		w.len = n;
		w.iovcnt = (unsigned int)((n + ZERO_CHUNK - 1) / ZERO_CHUNK);
		iov[w.iovcnt - 1].iov_len = n - (uint64_t)(w.iovcnt - 1) * ZERO_CHUNK;
		res = rw_req(img, &w);
		iov[w.iovcnt - 1].iov_len = ZERO_CHUNK;
		if (res < 0)
			return res;
		off += n;
		left -= n;
	}
	return 0;
}

/* O_DSYNC does not cover fallocate or BLKZEROOUT: the guest sees no write cache. */
static int64_t dsync_after(struct blk_image *img)
{
	return img->dsync && fdatasync(img->fd) ? -errno : 0;
}

static int64_t write_zeroes(struct blk_image *img, const struct blk_req *r)
{
	int fd = img->fd;
	off_t off = (off_t)r->offset, len = (off_t)r->len;

	if (r->unmap) {
		/* on a block device this too guarantees zeros (discard + zero-out) */
		if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
			return dsync_after(img);
		if (!unsupported(errno))
			return -errno;
	}
	if (img->is_blockdev) {
		uint64_t range[2] = { r->offset, r->len };

		if (!ioctl(fd, BLKZEROOUT, range))
			return dsync_after(img);
		if (!unsupported(errno) && errno != EINVAL) /* EINVAL: range not on sectors */
			return -errno;
	} else {
		if (!fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len))
			return dsync_after(img);
		if (!unsupported(errno))
			return -errno;
	}
	return write_zero_buffers(img, r); /* written through the O_DSYNC fd */
}

static int64_t discard(struct blk_image *img, const struct blk_req *r)
{
	int err;

	if (img->is_blockdev) {
		uint64_t range[2] = { r->offset, r->len };

		err = ioctl(img->fd, BLKDISCARD, range);
	} else {
		err = fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				(off_t)r->offset, (off_t)r->len);
	}
	if (err && !unsupported(errno))
		return -errno;
	return 0; /* discard is advisory: unsupported is not a failure */
}

int64_t blk_exec_sync(struct blk_image *img, struct blk_req *r)
{
	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		return rw_req(img, r);
	case BLK_OP_FLUSH:
		return fdatasync(img->fd) ? -errno : 0;
	case BLK_OP_DISCARD:
		return discard(img, r);
	case BLK_OP_WRITE_ZEROES:
		return write_zeroes(img, r);
	}
	return -EINVAL;
}

/* ---- the pool ---- */

static void *pool_worker(void *arg)
{
	struct blk_pool *p = arg;

	sandbox_thread_enter(SANDBOX_IO);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct blk_req *r;
		int64_t res;

		while (!p->head && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cond, &p->lock);
			p->idle--;
		}
		if (!p->head)
			break; /* stop, and nothing left to run */
		r = p->head;
		p->head = r->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->lock);
		res = blk_exec_sync(p->img, r);
		blk_queue_complete(r->q, r, res); /* r belongs to its queue from here */
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pool_free(struct blk_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->rmw_lock);
	free(p);
}

static int pool_start(struct blk_image *img, char *why)
{
	struct blk_pool *p = calloc(1, sizeof(*p));
	sigset_t all, old;
	int err;

	if (!p) {
		snprintf(why, BLK_WHY_LEN, "out of memory for the I/O worker pool");
		return -ENOMEM;
	}
	p->img = img;
	p->tail = &p->head;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->rmw_lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	/* workers take no signals: they belong to the main thread's handlers */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (err = 0; p->nthreads < BLK_POOL_THREADS; p->nthreads++) {
		err = pthread_create(&p->threads[p->nthreads], NULL, pool_worker, p);
		if (err)
			break;
		pthread_setname_np(p->threads[p->nthreads], "kasou-blk");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!p->nthreads) {
		snprintf(why, BLK_WHY_LEN, "cannot start I/O worker threads: %s", strerror(err));
		pool_free(p);
		return -err;
	}
	if (err)
		log_warn("disk '%s': %u of %u I/O worker threads started: %s", img->path,
			 p->nthreads, BLK_POOL_THREADS, strerror(err));
	img->pool = p;
	return 0;
}

int blk_pool_get(struct blk_image *img, char *why)
{
	int err = 0;

	pthread_mutex_lock(&pools_lock);
	if (!img->pool)
		err = pool_start(img, why);
	if (!err)
		img->pool->users++;
	pthread_mutex_unlock(&pools_lock);
	return err;
}

void blk_pool_put(struct blk_image *img)
{
	pthread_mutex_lock(&pools_lock);
	BUG_ON(!img->pool || !img->pool->users);
	if (!--img->pool->users) {
		pool_free(img->pool);
		img->pool = NULL;
	}
	pthread_mutex_unlock(&pools_lock);
}

void blk_pool_stop(struct blk_image *img)
{
	pthread_mutex_lock(&pools_lock);
	if (img->pool) {
		/* a queue still holding it would have requests running on freed memory */
		BUG_ON(img->pool->users);
		pool_free(img->pool);
		img->pool = NULL;
	}
	pthread_mutex_unlock(&pools_lock);
}

void blk_pool_push(struct blk_image *img, struct blk_req *r)
{
	struct blk_pool *p = img->pool;
	bool wake;

	r->next = NULL;
	pthread_mutex_lock(&p->lock);
	*p->tail = r;
	p->tail = &r->next;
	/* busy workers look at the list before they sleep: no wake-up needed */
	wake = p->idle > 0;
	pthread_mutex_unlock(&p->lock);
	/* after the unlock, so the woken worker does not block on the mutex at once */
	if (wake)
		pthread_cond_signal(&p->cond);
}

/* ---- the threads engine: every request goes to the pool ---- */

static void threads_submit(struct blk_queue *q, struct blk_req *r)
{
	blk_pool_push(q->img, r);
}

static void threads_free(struct blk_queue *q)
{
	blk_pool_put(q->img);
	blk_queue_base_fini(q);
	free(q);
}

static const struct blk_queue_ops threads_ops = {
	.submit = threads_submit,
	.free = threads_free,
};

struct blk_queue *blk_threads_queue_create(struct blk_image *img, unsigned int depth, char *why)
{
	struct blk_queue *q = calloc(1, sizeof(*q));
	int err;

	if (!q) {
		snprintf(why, BLK_WHY_LEN, "out of memory for a queue");
		errno = ENOMEM;
		return NULL;
	}
	err = blk_queue_base_init(q, img, &threads_ops, depth, why);
	if (!err) {
		err = blk_pool_get(img, why);
		if (err)
			blk_queue_base_fini(q);
	}
	if (err) {
		free(q);
		errno = -err;
		return NULL;
	}
	q->uses_pool = true;
	return q;
}
