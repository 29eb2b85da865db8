// SPDX-License-Identifier: GPL-2.0-only
/*
 * Block backend: opening an image with its cache mode's flags, the generic
 * queue (depth, the completion list and its eventfd, reap, drain on destroy)
 * and the helpers both engines share (request checks, iovec walking, bounce
 * buffers). The engines are block_threads.c and block_uring.c.
 */
#include "backend/block.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/block_int.h"
#include "util/log.h"

static const char *const cache_names[] = {
	[BLK_CACHE_WRITEBACK] = "writeback",
	[BLK_CACHE_NONE] = "none",
	[BLK_CACHE_WRITETHROUGH] = "writethrough",
	[BLK_CACHE_DIRECTSYNC] = "directsync",
	[BLK_CACHE_UNSAFE] = "unsafe",
};

int blk_cache_parse(const char *s, enum blk_cache *out)
{
	for (size_t i = 0; i < sizeof(cache_names) / sizeof(cache_names[0]); i++) {
		if (s && !strcmp(s, cache_names[i])) {
			*out = (enum blk_cache)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *blk_cache_name(enum blk_cache c)
{
	return (unsigned int)c < sizeof(cache_names) / sizeof(cache_names[0]) ? cache_names[c]
									      : "?";
}

bool blk_cache_writeback(enum blk_cache c)
{
	return c == BLK_CACHE_WRITEBACK || c == BLK_CACHE_NONE || c == BLK_CACHE_UNSAFE;
}

/*
 * Files under O_DIRECT: 512-byte alignment unless the file system wants more;
 * one aligned read at offset 0 tells (EINVAL means misaligned).
 */
static int probe_direct_align(int fd, uint64_t size, uint32_t *align)
{
	static const uint32_t sizes[] = { 512, 4096 };
	void *buf;
	int err = -EINVAL;

	*align = 512;
	if (!size)
		return 0;
	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (pread(fd, buf, sizes[i], 0) >= 0) {
			*align = sizes[i];
			err = 0;
			break;
		}
		err = -errno;
		if (err != -EINVAL)
			break;
	}
	free(buf);
	return err;
}

static int open_error(const char *path, bool readonly, bool direct, int flags, int err, char *why)
{
	if (err == EINVAL && direct) {
		int fd = open(path, flags & ~O_DIRECT);

		if (fd >= 0) {
			close(fd);
			snprintf(
				why, BLK_WHY_LEN,
				"disk '%s': cache=none needs O_DIRECT, which this file system does "
				"not support (tmpfs?); use cache=writeback",
				path);
			return -EINVAL;
		}
		err = errno;
	}
	if ((err == EACCES || err == EROFS || err == ETXTBSY) && !readonly) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			snprintf(why, BLK_WHY_LEN,
				 "disk '%s': cannot open it for writing (%s); use readonly=on",
				 path, strerror(err));
			return -err;
		}
	}
	snprintf(why, BLK_WHY_LEN, "disk '%s': %s", path, strerror(err));
	return -err;
}

int blk_image_open(struct blk_image *img, const char *path, bool readonly, enum blk_cache cache,
		   char *why)
{
	bool direct = cache == BLK_CACHE_NONE || cache == BLK_CACHE_DIRECTSYNC;
	bool dsync = cache == BLK_CACHE_WRITETHROUGH || cache == BLK_CACHE_DIRECTSYNC;
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0) |
		    (dsync ? O_DSYNC : 0);
	struct stat st;
	int err;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	if ((unsigned int)cache >= sizeof(cache_names) / sizeof(cache_names[0])) {
		snprintf(why, BLK_WHY_LEN, "disk '%s': unknown cache mode %d", path, (int)cache);
		return -EINVAL;
	}
	img->fd = open(path, flags);
	if (img->fd < 0)
		return open_error(path, readonly, direct, flags, errno, why);
	if (fstat(img->fd, &st) < 0) {
		err = -errno;
		snprintf(why, BLK_WHY_LEN, "disk '%s': %s", path, strerror(-err));
		goto fail;
	}
	img->align = 512;
	if (S_ISBLK(st.st_mode)) {
		int ssz = 0;

		img->is_blockdev = true;
		if (ioctl(img->fd, BLKGETSIZE64, &img->size) < 0) {
			err = -errno;
			snprintf(why, BLK_WHY_LEN, "disk '%s': cannot read the device size: %s",
				 path, strerror(-err));
			goto fail;
		}
		if (ioctl(img->fd, BLKSSZGET, &ssz) == 0 && ssz >= 512 && !(ssz & (ssz - 1)))
			img->align = (uint32_t)ssz;
	} else if (S_ISREG(st.st_mode)) {
		img->size = (uint64_t)st.st_size;
	} else {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(why, BLK_WHY_LEN, "disk '%s': %s", path,
			 err == -EISDIR ? strerror(EISDIR) : "not a regular file or block device");
		goto fail;
	}
	if (img->size % 512) {
		err = -EINVAL;
		snprintf(why, BLK_WHY_LEN, "disk '%s': size %llu is not a multiple of 512 bytes",
			 path, (unsigned long long)img->size);
		goto fail;
	}
	if (direct && !img->is_blockdev) {
		err = probe_direct_align(img->fd, img->size, &img->align);
		if (err) {
			snprintf(why, BLK_WHY_LEN,
				 "disk '%s': O_DIRECT read failed: %s; use cache=writeback", path,
				 strerror(-err));
			goto fail;
		}
	}
	if (direct && img->size % img->align) {
		/* O_DIRECT cannot write the last partial block without growing the file */
		err = -EINVAL;
		snprintf(
			why, BLK_WHY_LEN,
			"disk '%s': size %llu is not a multiple of the %u-byte block that cache=%s "
			"needs here; use cache=writeback",
			path, (unsigned long long)img->size, img->align, cache_names[cache]);
		goto fail;
	}
	img->path = strdup(path);
	if (!img->path) {
		err = -ENOMEM;
		snprintf(why, BLK_WHY_LEN, "disk '%s': out of memory", path);
		goto fail;
	}
	img->readonly = readonly;
	img->direct = direct;
	img->dsync = dsync;
	img->cache = cache;
	return 0;
fail:
	close(img->fd);
	img->fd = -1;
	return err;
}

void blk_image_close(struct blk_image *img)
{
	blk_pool_stop(img);
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	free(img->path);
	img->path = NULL;
}

/* ---- helpers shared by the engines ---- */

static bool is_aligned(uint64_t v, uint32_t align)
{
	return !(v & (align - 1));
}

bool blk_req_range_aligned(const struct blk_image *img, const struct blk_req *r)
{
	return is_aligned(r->offset, img->align) && is_aligned(r->len, img->align);
}

bool blk_req_needs_bounce(const struct blk_image *img, const struct blk_req *r)
{
	if (!img->direct || (r->op != BLK_OP_READ && r->op != BLK_OP_WRITE))
		return false;
	if (!blk_req_range_aligned(img, r))
		return true;
	for (unsigned int i = 0; i < r->iovcnt; i++) {
		if (!is_aligned((uintptr_t)r->iov[i].iov_base, img->align) ||
		    !is_aligned(r->iov[i].iov_len, img->align))
			return true;
	}
	return false;
}

unsigned int blk_iov_rest(const struct iovec *iov, unsigned int cnt, uint64_t done,
			  struct iovec *one, const struct iovec **out)
{
	unsigned int i = 0;

	while (i < cnt && done >= iov[i].iov_len)
		done -= iov[i++].iov_len;
	if (i == cnt) {
		*out = NULL;
		return 0;
	}
	if (done) {
		one->iov_base = (uint8_t *)iov[i].iov_base + done;
		one->iov_len = iov[i].iov_len - done;
		*out = one;
		return 1;
	}
	*out = &iov[i];
	return cnt - i < IOV_MAX ? cnt - i : IOV_MAX;
}

void blk_iov_to_buf(const struct iovec *iov, unsigned int cnt, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	for (unsigned int i = 0; i < cnt && len; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(p, iov[i].iov_base, n);
		p += n;
		len -= n;
	}
}

void blk_buf_to_iov(const void *buf, const struct iovec *iov, unsigned int cnt, uint64_t len)
{
	const uint8_t *p = buf;

	for (unsigned int i = 0; i < cnt && len; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(iov[i].iov_base, p, n);
		p += n;
		len -= n;
	}
}

void blk_iov_zero(const struct iovec *iov, unsigned int cnt, uint64_t from, uint64_t len)
{
	for (unsigned int i = 0; i < cnt && from < len; i++) {
		uint64_t n = iov[i].iov_len;

		if (from >= n) {
			from -= n;
			len -= n;
			continue;
		}
		if (n > len)
			n = len;
		memset((uint8_t *)iov[i].iov_base + from, 0, n - from);
		len -= n;
		from = 0;
	}
}

void *blk_bounce_alloc(const struct blk_image *img, uint64_t len)
{
	void *p;

	if (len > SIZE_MAX || posix_memalign(&p, img->align, len ? (size_t)len : img->align))
		return NULL;
	return p;
}

/* ---- the generic queue ---- */

int blk_queue_base_init(struct blk_queue *q, struct blk_image *img, const struct blk_queue_ops *ops,
			unsigned int depth, char *why)
{
	int err;

	q->ops = ops;
	q->img = img;
	q->depth = depth;
	q->done_tail = &q->done_head;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		err = -errno;
		snprintf(why, BLK_WHY_LEN, "eventfd: %s", strerror(-err));
		return err;
	}
	err = -pthread_mutex_init(&q->lock, NULL);
	if (err) {
		snprintf(why, BLK_WHY_LEN, "pthread_mutex_init: %s", strerror(-err));
		close(q->efd);
		q->efd = -1;
	}
	return err;
}

void blk_queue_base_fini(struct blk_queue *q)
{
	pthread_mutex_destroy(&q->lock);
	close(q->efd);
	q->efd = -1;
}

static void efd_write(int efd)
{
	uint64_t one = 1;

	/* only EAGAIN (counter at its maximum: already readable) can fail here */
	if (write(efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("block: eventfd write: %s", strerror(errno));
}

void blk_queue_complete(struct blk_queue *q, struct blk_req *r, int64_t result)
{
	r->result = result;
	r->next = NULL;
	pthread_mutex_lock(&q->lock);
	*q->done_tail = r;
	q->done_tail = &r->next;
	/* one write per batch: the reaper clears `signalled` when it clears the fd */
	if (!q->signalled) {
		q->signalled = true;
		efd_write(q->efd);
	}
	pthread_mutex_unlock(&q->lock);
}

void blk_queue_kick(struct blk_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->signalled = true;
	efd_write(q->efd);
	pthread_mutex_unlock(&q->lock);
}

static unsigned int take_done(struct blk_queue *q, struct blk_req **done, unsigned int max)
{
	unsigned int n = 0;

	if (!max)
		return 0;
	pthread_mutex_lock(&q->lock);
	while (n < max && q->done_head) {
		struct blk_req *r = q->done_head;

		q->done_head = r->next;
		r->next = NULL;
		done[n++] = r;
	}
	if (!q->done_head)
		q->done_tail = &q->done_head;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static unsigned int take_all(struct blk_queue *q, struct blk_req **done, unsigned int max)
{
	unsigned int n = take_done(q, done, max);

	if (q->ops->harvest && n < max)
		n += q->ops->harvest(q, done + n, max - n);
	return n;
}

/* Zero the eventfd; everything completed after this writes it again. */
static void clear_fd(struct blk_queue *q)
{
	uint64_t v;

	pthread_mutex_lock(&q->lock);
	q->signalled = false;
	if (read(q->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_error("block: eventfd read: %s", strerror(errno));
	pthread_mutex_unlock(&q->lock);
}

int blk_queue_fd(struct blk_queue *q)
{
	return q->efd;
}

unsigned int blk_queue_inflight(const struct blk_queue *q)
{
	return q->inflight;
}

/*
 * Level semantics with one eventfd read per batch: the fd is cleared only by
 * a call that finds nothing, and then the sources are looked at once more,
 * since a completion may have landed (and written the fd) just before the
 * clear. A late write (the kernel signals after posting the CQE) can leave
 * the fd readable with nothing waiting: that costs one wake-up and one empty
 * reap, which clears it, never a busy loop.
 */
unsigned int blk_queue_reap(struct blk_queue *q, struct blk_req **done, unsigned int max)
{
	unsigned int n;

	if (!max)
		return 0;
	n = take_all(q, done, max);
	if (!n) {
		clear_fd(q);
		n = take_all(q, done, max);
		if (n == max) /* there may be more: stay readable */
			blk_queue_kick(q);
	}
	BUG_ON(n > q->inflight);
	q->inflight -= n;
	return n;
}

/* What every engine refuses or finishes at once; true if r is done (result set). */
static bool blk_req_check(struct blk_queue *q, struct blk_req *r)
{
	struct blk_image *img = q->img;
	uint64_t total = 0;

	switch (r->op) {
	case BLK_OP_FLUSH:
		if (img->cache == BLK_CACHE_UNSAFE) {
			r->result = 0;
			return true;
		}
		return false;
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if (r->iovcnt && !r->iov)
			goto invalid;
		for (unsigned int i = 0; i < r->iovcnt; i++)
			total += r->iov[i].iov_len;
		if (total != r->len)
			goto invalid;
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		break;
	default:
		goto invalid;
	}
	if (r->op != BLK_OP_READ && img->readonly) {
		r->result = -EROFS; /* the file is never touched */
		return true;
	}
	if (r->offset > img->size || r->len > img->size - r->offset)
		goto invalid;
	if (!r->len) {
		r->result = 0;
		return true;
	}
	return false;
invalid:
	r->result = -EINVAL;
	return true;
}

struct blk_queue *blk_queue_create(struct blk_image *img, enum blk_aio aio, unsigned int depth,
				   char *why)
{
	if (!depth || depth > 32768) {
		snprintf(why, BLK_WHY_LEN, "queue depth %u is out of range (1..32768)", depth);
		errno = EINVAL;
		return NULL;
	}
	switch (aio) {
	case BLK_AIO_THREADS:
		return blk_threads_queue_create(img, depth, why);
	case BLK_AIO_IO_URING:
		return blk_uring_queue_create(img, depth, why);
	}
	snprintf(why, BLK_WHY_LEN, "unknown aio engine %d", (int)aio);
	errno = EINVAL;
	return NULL;
}

int blk_queue_submit(struct blk_queue *q, struct blk_req *r)
{
	if (q->inflight >= q->depth)
		return -EAGAIN;
	q->inflight++;
	r->q = q;
	r->next = NULL;
	r->bounce = NULL;
	r->result = 0;
	if (blk_req_check(q, r))
		blk_queue_complete(q, r, r->result);
	else
		q->ops->submit(q, r);
	return 0;
}

void blk_queue_destroy(struct blk_queue *q, void (*done)(struct blk_req *r, void *ctx), void *ctx)
{
	struct pollfd pfd = { .events = POLLIN };
	struct blk_req *batch[64];
	unsigned int n;

	if (!q)
		return;
	for (;;) {
		while ((n = blk_queue_reap(q, batch, 64)) > 0) {
			for (unsigned int i = 0; i < n; i++) {
				if (done)
					done(batch[i], ctx);
			}
		}
		if (!q->inflight)
			break;
		pfd.fd = q->efd;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			log_error("block: waiting for in-flight requests: %s", strerror(errno));
			usleep(1000); /* cannot free what the kernel or a worker still uses */
		}
	}
	q->ops->free(q);
}
