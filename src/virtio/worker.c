// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/worker.h"

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "resources/affinity.h"
#include "util/log.h"
#include "sandbox/seccomp.h"

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

static void *worker_thread(void *arg)
{
	struct vworker *w = arg;
	struct virtio_dev *d = w->dev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	char name[16];

	snprintf(name, sizeof(name), "io-%s", d->name);
	pthread_setname_np(pthread_self(), name);
	affinity_io_thread();
	sandbox_thread_enter(SANDBOX_IO);
	if (ep < 0)
		return NULL;
	ev.data.fd = w->stop_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, w->stop_fd, &ev);
	if (w->extra_fd >= 0) {
		ev.data.fd = w->extra_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, w->extra_fd, &ev);
	}
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		if (w->queue_mask && !(w->queue_mask & (1ULL << i)))
			continue; /* another thread owns that queue's kicks */
		ev.data.fd = d->q[i].kick_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, d->q[i].kick_fd, &ev);
	}
	w->run(w, true); /* buffers queued before DRIVER_OK, input pending from before */
	for (;;) {
		struct epoll_event out[8];
		bool extra = false;
		int n = epoll_wait(ep, out, 8, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (out[i].data.fd == w->stop_fd)
				goto done;
			if (out[i].data.fd == w->extra_fd)
				extra = true;
			drain(out[i].data.fd);
		}
		w->run(w, extra);
	}
done:
	close(ep);
	return NULL;
}

int vworker_start(struct vworker *w)
{
	int err;

	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0)
		return -errno;
	err = pthread_create(&w->thread, NULL, worker_thread, w);
	if (err) {
		close(w->stop_fd);
		w->stop_fd = -1;
		return -err;
	}
	w->running = true;
	return 0;
}

void vworker_stop(struct vworker *w)
{
	uint64_t one = 1;

	if (!w->running)
		return;
	if (write(w->stop_fd, &one, sizeof(one)) < 0)
		log_error("%s: cannot stop worker", w->dev->name);
	pthread_join(w->thread, NULL);
	close(w->stop_fd);
	w->stop_fd = -1;
	w->running = false;
}

void vworker_complete(struct virtio_dev *d, unsigned int q, struct virtq_elem *e, uint32_t len)
{
	struct virtq *vq = &d->q[q].vq;

	virtq_push(vq, e, len);
	if (virtq_should_notify(vq))
		virtio_notify_queue(d, q);
}
