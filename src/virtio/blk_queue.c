// SPDX-License-Identifier: GPL-2.0-only
/* virtio-blk queue threads: parse, throttle, submit, complete. */
#include "virtio/blk_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "resources/affinity.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "util/time.h"
#include "sandbox/seccomp.h"

#define REAP_BATCH 64



static struct virtq *vq_of(struct vblk_queue *q)
{
	return &q->blk->vdev.q[q->index].vq;
}

/* ---- completion ---- */

static void req_free(struct vblk_queue *q, struct vblk_req *r)
{
	r->next = q->free;
	q->free = r;
}

static void req_complete(struct vblk_queue *q, struct vblk_req *r, uint8_t status)
{
	struct vblk *b = q->blk;
	uint64_t ns = mono_ns() - r->start_ns;

	if (r->status)
		*r->status = status;
	if (status == VIRTIO_BLK_S_IOERR)
		stat_add(&b->stats.errors, 1);
	else if (status == VIRTIO_BLK_S_UNSUPP)
		stat_add(&b->stats.unsupported, 1);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		stat_add(&b->stats.rd_reqs, 1);
		stat_add(&b->stats.rd_ns, ns);
		if (status == VIRTIO_BLK_S_OK)
			stat_add(&b->stats.rd_bytes, r->data_len);
		break;
	case VIRTIO_BLK_T_OUT:
		stat_add(&b->stats.wr_reqs, 1);
		stat_add(&b->stats.wr_ns, ns);
		if (status == VIRTIO_BLK_S_OK)
			stat_add(&b->stats.wr_bytes, r->data_len);
		break;
	case VIRTIO_BLK_T_FLUSH:
		stat_add(&b->stats.fl_reqs, 1);
		stat_add(&b->stats.fl_ns, ns);
		break;
	case VIRTIO_BLK_T_DISCARD:
		stat_add(&b->stats.discard_reqs, 1);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		stat_add(&b->stats.wz_reqs, 1);
		break;
	default:
		break;
	}
	virtq_push(vq_of(q), &r->elem, r->written + (r->status ? 1 : 0));
	stat_add(&q->completed, 1);
	q->need_notify = true;
	req_free(q, r);
}

/* A request the host failed (EIO, ENOSPC, ...): the guest gets IOERR, the log says why. */
static void req_failed(struct vblk_queue *q, struct vblk_req *r, int err)
{
	static const char *const ops[] = { "read", "write", "flush", "discard", "write-zeroes" };
	unsigned int op = (unsigned int)r->breq.op;

	log_guest("disk '%s': %s of %llu bytes at offset %llu failed: %s; the guest gets an I/O "
		  "error", q->blk->img.path, op < 5 ? ops[op] : "request",
		  (unsigned long long)r->breq.len, (unsigned long long)r->breq.offset,
		  strerror(err < 0 ? -err : err));
	req_complete(q, r, VIRTIO_BLK_S_IOERR);
}

/* ---- submission ---- */

static void req_submit(struct vblk_queue *q, struct vblk_req *r)
{
	int err;

	stat_add(&q->blk->stats.inflight, 1);
	err = blk_queue_submit(q->bq, &r->breq);
	if (err) {
		stat_add(&q->blk->stats.inflight, (uint64_t)-1);
		req_failed(q, r, err);
	}
}

/* Take tokens, or queue behind earlier throttled requests. True if submitted. */
static bool req_throttle_or_submit(struct vblk_queue *q, struct vblk_req *r)
{
	bool is_rw = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT;
	uint64_t wait;

	if (is_rw && !q->throttled_head) {
		wait = rl_group_consume(&q->blk->throttle, r->type == VIRTIO_BLK_T_OUT, r->data_len,
					mono_ns());
		if (wait) {
			struct itimerspec its = { .it_value = { .tv_sec = (time_t)(wait / 1000000000ULL),
								 .tv_nsec = (long)(wait % 1000000000ULL) } };

			q->throttled_head = q->throttled_tail = r;
			r->next = NULL;
			q->throttle_since = mono_ns();
			stat_add(&q->blk->stats.throttled, 1);
			timerfd_settime(q->timer_fd, 0, &its, NULL);
			return false;
		}
	} else if (is_rw) {
		r->next = NULL;
		q->throttled_tail->next = r;
		q->throttled_tail = r;
		return false;
	}
	req_submit(q, r);
	return true;
}

/* The timer fired: submit throttled requests while tokens last. */
static void throttle_resume(struct vblk_queue *q)
{
	while (q->throttled_head) {
		struct vblk_req *r = q->throttled_head;
		uint64_t wait = rl_group_consume(&q->blk->throttle, r->type == VIRTIO_BLK_T_OUT,
						 r->data_len, mono_ns());

		if (wait) {
			struct itimerspec its = { .it_value = { .tv_sec = (time_t)(wait / 1000000000ULL),
								 .tv_nsec = (long)(wait % 1000000000ULL) } };

			timerfd_settime(q->timer_fd, 0, &its, NULL);
			return;
		}
		q->throttled_head = r->next;
		req_submit(q, r);
	}
	q->throttled_tail = NULL;
	stat_add(&q->blk->stats.throttled_ns, mono_ns() - q->throttle_since);
}

/* Parse one popped chain and start it. */
static void req_handle(struct vblk_queue *q, struct vblk_req *r)
{
	uint8_t st;

	r->start_ns = mono_ns();
	st = vblk_req_parse(q->blk, r);
	if (st == VBLK_SUBMIT)
		req_throttle_or_submit(q, r);
	else
		req_complete(q, r, st);
}

/* Pop and start requests until the ring is empty (or requests wait for tokens). */
static void process_ring(struct vblk_queue *q)
{
	struct virtq *vq = vq_of(q);

	if (vq->broken)
		return;
	for (;;) {
		virtq_notify_enable(vq, false);
		while (!q->throttled_head && q->free) {
			struct vblk_req *r = q->free;
			int rc;

			r->elem.iov = r->iov;
			r->elem.iov_cap = VBLK_MAX_SEGS;
			rc = virtq_pop(vq, &r->elem);
			if (rc == 0)
				break;
			if (rc < 0) {
				virtio_set_needs_reset(&q->blk->vdev);
				return;
			}
			q->free = r->next;
			req_handle(q, r);
		}
		virtq_notify_enable(vq, true);
		if (q->throttled_head || !q->free || !virtq_has_work(vq))
			break;
	}
}

static void reap(struct vblk_queue *q)
{
	struct blk_req *done[REAP_BATCH];
	unsigned int n;

	while ((n = blk_queue_reap(q->bq, done, REAP_BATCH)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			struct vblk_req *r = done[i]->opaque;

			stat_add(&q->blk->stats.inflight, (uint64_t)-1);
			if (r->breq.result < 0) {
				req_failed(q, r, (int)r->breq.result);
				continue;
			}
			if (r->sync_after) {
				/* write-through by the guest's choice: flush, then complete */
				r->sync_after = false;
				r->breq.op = BLK_OP_FLUSH;
				r->breq.iov = NULL;
				r->breq.iovcnt = 0;
				req_submit(q, r);
				continue;
			}
			req_complete(q, r, VIRTIO_BLK_S_OK);
		}
	}
}

static void drain_fd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

static void flush_notify(struct vblk_queue *q)
{
	if (q->need_notify) {
		q->need_notify = false;
		if (virtq_should_notify(vq_of(q)))
			virtio_notify_queue(&q->blk->vdev, q->index);
	}
}

/* blk_queue_destroy() hands back requests still in flight at stop */
static void drop_inflight(struct blk_req *br, void *ctx)
{
	struct vblk_queue *q = ctx;

	stat_add(&q->blk->stats.inflight, (uint64_t)-1);
}

static void *queue_thread(void *arg)
{
	struct vblk_queue *q = arg;
	struct vblk *b = q->blk;
	int kick = b->vdev.q[q->index].kick_fd;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int fds[4] = { kick, q->stop_fd, blk_queue_fd(q->bq), q->timer_fd };
	bool stop = false;
	char name[16];

	snprintf(name, sizeof(name), "io-%s-%u", b->cfg.id, q->index);
	pthread_setname_np(pthread_self(), name);
	affinity_io_thread();
	sandbox_thread_enter(SANDBOX_IO);

	for (int i = 0; i < 4 && ep >= 0; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };

		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	/* requests the driver queued before DRIVER_OK */
	process_ring(q);
	flush_notify(q);
	while (!stop && ep >= 0) {
		struct epoll_event ev[4];
		int n = epoll_wait(ep, ev, 4, -1);

		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == q->stop_fd) {
				stop = true;
			} else if (fd == q->timer_fd) {
				drain_fd(fd);
				throttle_resume(q);
			} else if (fd == kick) {
				drain_fd(fd);
			}
		}
		if (stop)
			break;
		reap(q);
		process_ring(q);
		flush_notify(q);
	}
	if (ep >= 0)
		close(ep);
	return NULL;
}

void vblk_queue_init(struct vblk_queue *q, struct vblk *b, unsigned int index)
{
	memset(q, 0, sizeof(*q));
	q->blk = b;
	q->index = index;
	q->stop_fd = q->timer_fd = -1;
}

int vblk_queue_start(struct vblk_queue *q)
{
	struct vblk *b = q->blk;
	unsigned int size = b->vdev.q[q->index].size;
	char why[BLK_WHY_LEN];
	int err;

	q->reqs = calloc(size, sizeof(*q->reqs));
	q->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	q->bq = blk_queue_create(&b->img, (enum blk_aio)b->cfg.aio, size, why);
	if (!q->reqs || q->stop_fd < 0 || q->timer_fd < 0 || !q->bq) {
		log_error("%s: queue %u: %s", b->name, q->index, q->bq ? strerror(errno) : why);
		err = -ENOMEM;
		goto fail;
	}
	q->free = NULL;
	for (unsigned int i = 0; i < size; i++) {
		q->reqs[i].q = q;
		req_free(q, &q->reqs[i]);
	}
	q->throttled_head = q->throttled_tail = NULL;
	err = pthread_create(&q->thread, NULL, queue_thread, q);
	if (err) {
		err = -err;
		goto fail;
	}
	q->running = true;
	return 0;
fail:
	vblk_queue_stop(q);
	return err;
}

void vblk_queue_stop(struct vblk_queue *q)
{
	uint64_t one = 1;

	if (q->running) {
		if (write(q->stop_fd, &one, sizeof(one)) < 0)
			log_error("%s: cannot stop queue %u", q->blk->name, q->index);
		pthread_join(q->thread, NULL);
		q->running = false;
	}
	if (q->bq) {
		blk_queue_destroy(q->bq, drop_inflight, q); /* waits for the host I/O */
		q->bq = NULL;
	}
	if (q->stop_fd >= 0)
		close(q->stop_fd);
	if (q->timer_fd >= 0)
		close(q->timer_fd);
	q->stop_fd = q->timer_fd = -1;
	free(q->reqs);
	q->reqs = NULL;
	q->free = NULL;
}
