// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net queue pairs in userspace: one thread per pair moves frames
 * between the backend fd and the guest's rx/tx rings, with the interface's
 * token buckets in the way. rx copies each frame (header first) into as many
 * mergeable buffers as it needs; tx hands the guest's chain to writev().
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "resources/affinity.h"
#include "util/log.h"
#include "virtio/net.h"
#include "util/time.h"
#include "sandbox/seccomp.h"

#define RX_MAX_CHAINS 64
#define RX_IOV_PER_CHAIN 16
#define TX_BATCH 64
#define RX_BATCH 64



static struct virtq *rxq(struct vnet_pair *p)
{
	return &p->net->vdev.q[2 * p->index].vq;
}

static struct virtq *txq(struct vnet_pair *p)
{
	return &p->net->vdev.q[2 * p->index + 1].vq;
}

static void arm_timer(struct vnet_pair *p, uint64_t ns)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
						 .tv_nsec = (long)(ns % 1000000000ULL) } };

	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	timerfd_settime(p->timer_fd, 0, &its, NULL);
	p->throttle_since = mono_ns();
}

static bool backend_gone(int err)
{
	return err == EBADFD || err == EIO || err == ENODEV || err == ENXIO || err == EPIPE ||
	       err == ECONNRESET;
}

/* ---- transmit ---- */

/* Send one chain; false when the backend is full (the chain stays pending). */
static bool tx_send(struct vnet_pair *p, struct virtq_elem *e)
{
	struct vnet *n = p->net;
	struct iovec *iov = e->iov;
	unsigned int cnt = e->out_num;
	size_t skip = n->vnet_hdr ? 0 : VNET_HDR_LEN;
	ssize_t w;

	if (e->out_len < VNET_HDR_LEN || e->out_len > VNET_MAX_FRAME || e->in_num) {
		stat_add(&n->stats.tx_errors, 1);
		log_guest("%s: tx chain of %llu bytes dropped (header %u, at most %u)", n->name,
			  (unsigned long long)e->out_len, VNET_HDR_LEN, VNET_MAX_FRAME);
		return true;
	}
	/* a backend without vnet headers gets the bare frame */
	while (skip && cnt) {
		size_t k = iov->iov_len < skip ? iov->iov_len : skip;

		iov->iov_base = (uint8_t *)iov->iov_base + k;
		iov->iov_len -= k;
		skip -= k;
		if (!iov->iov_len) {
			iov++;
			cnt--;
		}
	}
	w = writev(p->fd, iov, (int)cnt);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	if (w < 0) {
		stat_add(&n->stats.tx_drops, 1);
		if (backend_gone(errno))
			vnet_link_down(n, strerror(errno));
		else
			stat_add(&n->stats.tx_errors, 1);
		return true;
	}
	stat_add(&n->stats.tx_packets, 1);
	stat_add(&n->stats.tx_bytes, e->out_len - VNET_HDR_LEN);
	stat_add(&p->tx_packets, 1);
	return true;
}

static void tx_process(struct vnet_pair *p)
{
	struct vnet *n = p->net;
	struct virtq *vq = txq(p);
	struct virtq_elem *e = &p->tx_pending;
	bool pushed = false;
	int rc = 0;

	if (vq->broken || p->tx_blocked || p->tx_throttled)
		return;
	for (int budget = TX_BATCH;; budget = TX_BATCH) {
		virtq_notify_enable(vq, false);
		while (budget--) {
			if (!p->tx_has_pending) {
				e->iov = p->tx_iov;
				e->iov_cap = VIRTQ_MAX_SEGS;
				rc = virtq_pop(vq, e);
				if (rc <= 0)
					break;
				p->tx_has_pending = true;
			}
			if (!__atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE)) {
				stat_add(&n->stats.tx_drops, 1);
			} else {
				uint64_t wait = rl_consume(&n->tx_rl, e->out_len - VNET_HDR_LEN, mono_ns());

				if (wait) {
					p->tx_throttled = true;
					arm_timer(p, wait);
					goto out;
				}
				if (!tx_send(p, e)) {
					p->tx_blocked = true; /* EPOLLOUT will bring us back */
					goto out;
				}
			}
			virtq_push(vq, e, 0);
			p->tx_has_pending = false;
			pushed = true;
		}
		if (rc < 0) {
			virtio_set_needs_reset(&n->vdev);
			goto out;
		}
		virtq_notify_enable(vq, true);
		if (!virtq_has_work(vq))
			break;
	}
out:
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(&n->vdev, 2 * p->index + 1);
}

/* ---- receive ---- */

/* Copy the waiting frame into guest buffers. False if the buffers ran out. */
static bool rx_deliver(struct vnet_pair *p)
{
	struct vnet *n = p->net;
	struct virtq *vq = rxq(p);
	bool mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	static __thread struct iovec iov[RX_MAX_CHAINS][RX_IOV_PER_CHAIN];
	struct virtq_elem e[RX_MAX_CHAINS];
	uint32_t len[RX_MAX_CHAINS];
	size_t done = 0;
	uint16_t chains = 0;
	int rc;

	while (done < p->rx_len) {
		if (chains == RX_MAX_CHAINS || (chains && !mrg))
			goto drop; /* the frame does not fit what the guest offers */
		e[chains] = (struct virtq_elem){ .iov = iov[chains], .iov_cap = RX_IOV_PER_CHAIN };
		rc = virtq_pop(vq, &e[chains]);
		if (rc == 0) {
			virtq_unpop(vq, chains);
			return false;
		}
		if (rc < 0 || e[chains].out_num) {
			if (rc > 0)
				virtq_unpop(vq, (uint16_t)(chains + 1));
			virtio_set_needs_reset(&n->vdev);
			p->rx_len = 0;
			return true;
		}
		if (!e[chains].in_num)
			goto bad_chain; /* only empty descriptors: no room for the header or the data */
		len[chains] = 0;
		for (unsigned int i = 0; i < e[chains].in_num && done < p->rx_len; i++) {
			size_t k = iov[chains][i].iov_len < p->rx_len - done ? iov[chains][i].iov_len
									      : p->rx_len - done;

			if (!done && k < VNET_HDR_LEN && iov[chains][i].iov_len < VNET_HDR_LEN)
				goto bad_chain; /* the header must sit in the first buffer */
			memcpy(iov[chains][i].iov_base, p->rx_buf + done, k);
			done += k;
			len[chains] += (uint32_t)k;
		}
		chains++;
	}
	/* num_buffers, in the header at the start of the first buffer: the guest's alignment */
	{
		uint16_t nb = htole16(chains);
		uint8_t *h = iov[0][0].iov_base;

		memcpy(h + offsetof(struct virtio_net_hdr_v1, num_buffers), &nb, sizeof(nb));
	}
	for (uint16_t i = 0; i < chains; i++)
		virtq_push(vq, &e[i], len[i]);
	stat_add(&n->stats.rx_packets, 1);
	stat_add(&n->stats.rx_bytes, p->rx_len - VNET_HDR_LEN);
	stat_add(&p->rx_packets, 1);
	p->rx_len = 0;
	return true;
bad_chain:
	chains++;
drop:
	/* give the buffers back untouched rather than complete them short */
	virtq_unpop(vq, chains);
	stat_add(&n->stats.rx_drops, 1);
	log_guest("%s: rx buffers too small for a %zu-byte frame", n->name, p->rx_len);
	p->rx_len = 0;
	return true;
}

static void rx_process(struct vnet_pair *p)
{
	struct vnet *n = p->net;
	struct virtq *vq = rxq(p);
	size_t hdr = n->vnet_hdr ? 0 : VNET_HDR_LEN;
	bool pushed = false;

	if (vq->broken || p->rx_throttled)
		return;
	for (int budget = RX_BATCH; budget--;) {
		if (!p->rx_len) {
			ssize_t r = read(p->fd, p->rx_buf + hdr, VNET_MAX_FRAME - hdr);

			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				break;
			if (r <= 0) {
				vnet_link_down(n, r == 0 ? "backend closed" : strerror(errno));
				break;
			}
			if (hdr)
				memset(p->rx_buf, 0, VNET_HDR_LEN);
			p->rx_len = (size_t)r + hdr;
			if (p->rx_len < VNET_HDR_LEN + 14) {
				stat_add(&n->stats.rx_errors, 1);
				p->rx_len = 0;
				continue;
			}
		}
		if (!__atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE)) {
			stat_add(&n->stats.rx_drops, 1);
			p->rx_len = 0;
			continue;
		}
		{
			uint64_t wait = rl_consume(&n->rx_rl, p->rx_len - VNET_HDR_LEN, mono_ns());

			if (wait) {
				p->rx_throttled = true;
				arm_timer(p, wait);
				break;
			}
		}
		if (!rx_deliver(p)) {
			/* out of buffers: a kick on the rx queue brings us back */
			virtq_notify_enable(vq, true);
			if (!virtq_has_work(vq)) {
				p->rx_waiting_buffers = true;
				break;
			}
			continue;
		}
		pushed = true;
	}
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(&n->vdev, 2 * p->index);
}

/* ---- the pair's thread ---- */

static void set_events(int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

static void *pair_thread(void *arg)
{
	struct vnet_pair *p = arg;
	struct vnet *n = p->net;
	int rx_kick = n->vdev.q[2 * p->index].kick_fd, tx_kick = n->vdev.q[2 * p->index + 1].kick_fd;
	int fds[5] = { p->stop_fd, p->timer_fd, rx_kick, tx_kick, p->fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint32_t want = EPOLLIN;
	char name[16];

	snprintf(name, sizeof(name), "io-%s-%u", n->cfg.id, p->index);
	pthread_setname_np(pthread_self(), name);
	affinity_io_thread();
	sandbox_thread_enter(SANDBOX_IO);
	if (ep < 0)
		return NULL;
	for (int i = 0; i < 5; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };

		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	virtq_notify_enable(rxq(p), true);
	tx_process(p);
	rx_process(p);
	for (;;) {
		struct epoll_event ev[8];
		uint32_t now_want;
		int nev = epoll_wait(ep, ev, 8, -1);

		for (int i = 0; i < nev; i++) {
			int fd = ev[i].data.fd;

			if (fd == p->stop_fd)
				goto out;
			if (fd == p->timer_fd) {
				drain(fd);
				stat_add(p->rx_throttled ? &n->stats.rx_throttled_ns
							 : &n->stats.tx_throttled_ns,
					 mono_ns() - p->throttle_since);
				p->rx_throttled = p->tx_throttled = false;
			} else if (fd == rx_kick) {
				drain(fd);
				p->rx_waiting_buffers = false;
			} else if (fd == tx_kick) {
				drain(fd);
			} else if (fd == p->fd && (ev[i].events & EPOLLOUT)) {
				p->tx_blocked = false;
			}
		}
		tx_process(p);
		if (!p->rx_waiting_buffers)
			rx_process(p);
		/* read the backend only when frames can go somewhere; EPOLLOUT only when blocked */
		now_want = (p->rx_waiting_buffers || p->rx_throttled ||
				    !__atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE)
			    ? 0
			    : EPOLLIN) |
			   (p->tx_blocked ? EPOLLOUT : 0);
		if (now_want != want) {
			set_events(ep, p->fd, now_want);
			want = now_want;
		}
	}
out:
	close(ep);
	return NULL;
}

int vnet_pair_start(struct vnet_pair *p)
{
	int err;

	p->rx_buf = malloc(VNET_MAX_FRAME);
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!p->rx_buf || p->stop_fd < 0 || p->timer_fd < 0) {
		err = -ENOMEM;
		goto fail;
	}
	p->rx_len = 0;
	p->rx_waiting_buffers = p->tx_blocked = p->rx_throttled = p->tx_throttled = false;
	p->tx_has_pending = false;
	err = pthread_create(&p->thread, NULL, pair_thread, p);
	if (err) {
		err = -err;
		goto fail;
	}
	p->running = true;
	return 0;
fail:
	vnet_pair_stop(p);
	return err;
}

void vnet_pair_stop(struct vnet_pair *p)
{
	uint64_t one = 1;

	if (p->running) {
		if (write(p->stop_fd, &one, sizeof(one)) < 0)
			log_error("%s: cannot stop queue pair %u", p->net->name, p->index);
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	if (p->timer_fd >= 0)
		close(p->timer_fd);
	p->stop_fd = p->timer_fd = -1;
	free(p->rx_buf);
	p->rx_buf = NULL;
}
