// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-mode networking on libslirp. One thread per backend runs a poll()
 * loop over: a stop eventfd, the backend's end of the frame socketpair
 * (frames from the guest -> slirp_input), and the sockets libslirp asks for
 * (slirp_pollfds_fill/_poll). libslirp's timers (only the IPv6 router
 * advertisement one in 4.7) are a short list whose earliest deadline bounds
 * the poll timeout; its TCP timers ride on the timeout slirp_pollfds_fill
 * gives back. libslirp is not thread-safe: everything slirp_* runs on this
 * thread, including slirp_new, the hostfwd listeners and slirp_cleanup.
 */
#include "backend/net_slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "sandbox/seccomp.h"

#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 64
#define FRAMES_PER_ROUND 64 /* from the guest, before libslirp's sockets get a turn */
#define SOCKBUF_WANT (4 << 20) /* the kernel caps it at net.core.wmem_max */
#define PFDS_FIXED 2 /* [0] stop eventfd, [1] frame socket */
#define SLIRP_MTU_MIN 68
#define SLIRP_MTU_MAX 65521

/*
 * libslirp 4.7 keeps process globals (its clock "curtime", the host DNS
 * cache) that every instance writes, so two --net user backends on two
 * threads would race on them: one lock serializes the library. Never held
 * across poll().
 */
static pthread_mutex_t slirp_lib_lock = PTHREAD_MUTEX_INITIALIZER;

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb; /* set by timer_new; NULL: timer_new_opaque's id */
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;
	bool armed;
};

struct slirp_backend {
	Slirp *slirp;
	int fd; /* the backend's end of the socketpair */
	int stop_fd;
	bool peer_gone; /* the device closed its end: stop reading */
	pthread_t thread;

	/* start: read by the thread while the caller waits on `started` */
	struct net_hostfwd fwd[NET_USER_MAX_HOSTFWD];
	const char *fwd_str[NET_USER_MAX_HOSTFWD];
	unsigned int nr_fwd, mtu;
	sem_t started;
	int start_err;
	char *why;

	struct pollfd *pfds;
	unsigned int nr_pfds, cap_pfds;
	struct slirp_timer *timers;
	uint8_t *buf; /* one frame from the guest, +1 to see oversize ones */

	struct slirp_stats stats; /* written by the thread only */
};

static void stat_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

void slirp_backend_stats(const struct slirp_backend *s, struct slirp_stats *out)
{
	out->rx_frames = __atomic_load_n(&s->stats.rx_frames, __ATOMIC_RELAXED);
	out->tx_frames = __atomic_load_n(&s->stats.tx_frames, __ATOMIC_RELAXED);
	out->rx_bytes = __atomic_load_n(&s->stats.rx_bytes, __ATOMIC_RELAXED);
	out->tx_bytes = __atomic_load_n(&s->stats.tx_bytes, __ATOMIC_RELAXED);
	out->dropped = __atomic_load_n(&s->stats.dropped, __ATOMIC_RELAXED);
}

/* ---- libslirp callbacks (all on the backend's thread) ------------------ */

static int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return clock_ns();
}

/*
 * Never blocks: libslirp's contract allows dropping a frame the guest is not
 * ready for (TCP retransmits), and a stuck guest must not stall the other
 * connections. Returning less than len would make libslirp log, so a drop
 * still "sends" everything.
 */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_backend *s = opaque;
	ssize_t n = -1;

	if (!s->peer_gone)
		n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len) {
		stat_add(&s->stats.rx_frames, 1);
		stat_add(&s->stats.rx_bytes, len);
	} else {
		stat_add(&s->stats.dropped, 1);
	}
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	log_guest("net user: guest error: %s", msg);
}

static struct slirp_timer *timer_add(struct slirp_backend *s, SlirpTimerCb cb, SlirpTimerId id,
				     void *cb_opaque)
{
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL; /* libslirp copes with a NULL timer by never firing it */
	t->cb = cb;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, cb, 0, cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, NULL, id, cb_opaque);
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_backend *s = opaque;

	for (struct slirp_timer **pp = &s->timers; *pp; pp = &(*pp)->next) {
		if (*pp == timer) {
			*pp = (*pp)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	if (t) {
		t->expire_ms = expire_ms;
		t->armed = true;
	}
}

static void cb_init_completed(Slirp *slirp, void *opaque)
{
	((struct slirp_backend *)opaque)->slirp = slirp;
}

/* Every descriptor is re-listed by slirp_pollfds_fill each round. */
static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

/* Asks to wake the thread: libslirp only calls it from this thread, which
 * refills its poll set before sleeping again. */
static void cb_notify(void *opaque)
{
}

static const SlirpCb slirp_cbs = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.init_completed = cb_init_completed,
	.timer_new_opaque = cb_timer_new_opaque,
};

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct slirp_backend *s = opaque;
	short ev = 0;

	if (s->nr_pfds == s->cap_pfds) {
		unsigned int cap = s->cap_pfds * 2;
		struct pollfd *p = realloc(s->pfds, cap * sizeof(*p));

		if (!p) {
			log_error("net user: out of memory for the poll set");
			return -1; /* libslirp skips a socket with no index this round */
		}
		s->pfds = p;
		s->cap_pfds = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfds[s->nr_pfds] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)s->nr_pfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct slirp_backend *s = opaque;
	short rev;
	int ev = 0;

	if (idx < PFDS_FIXED || (unsigned int)idx >= s->nr_pfds)
		return 0;
	rev = s->pfds[idx].revents;
	if (rev & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (rev & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* ---- the thread -------------------------------------------------------- */

/* Milliseconds to the earliest armed timer; UINT32_MAX when none is. */
static uint32_t timers_timeout(struct slirp_backend *s)
{
	int64_t now = clock_ns() / 1000000, best = INT64_MAX;

	for (struct slirp_timer *t = s->timers; t; t = t->next)
		if (t->armed && t->expire_ms < best)
			best = t->expire_ms;
	if (best == INT64_MAX)
		return UINT32_MAX;
	if (best <= now)
		return 0;
	return best - now > INT32_MAX ? INT32_MAX : (uint32_t)(best - now);
}

/* Fire expired timers. A callback may re-arm or free timers, so rescan after each. */
static void timers_run(struct slirp_backend *s)
{
	int64_t now = clock_ns() / 1000000;

	for (int fired = 0; fired < 64; fired++) {
		struct slirp_timer *t = s->timers;

		while (t && !(t->armed && t->expire_ms <= now))
			t = t->next;
		if (!t)
			return;
		t->armed = false;
		if (t->cb)
			t->cb(t->cb_opaque);
		else
			slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
	}
}

/* recv() gives 0 both for an empty record and for a closed peer. */
static bool peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

static void frames_from_guest(struct slirp_backend *s)
{
	for (int i = 0; i < FRAMES_PER_ROUND; i++) {
		ssize_t n = recv(s->fd, s->buf, NET_USER_MAX_FRAME + 1, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_error("net user: frame socket: %s", strerror(errno));
			s->peer_gone = true;
			return;
		}
		if (n == 0 && peer_closed(s->fd)) {
			s->peer_gone = true; /* the device closed its end */
			return;
		}
		if (n < ETH_HDR_LEN || n > NET_USER_MAX_FRAME) {
			stat_add(&s->stats.dropped, 1);
			log_guest("net user: dropped a %zd-byte frame from the guest", n);
			continue;
		}
		stat_add(&s->stats.tx_frames, 1);
		stat_add(&s->stats.tx_bytes, (uint64_t)n);
		/* libslirp trusts some header lengths (an ARP body, say) without
		 * checking them against the frame: whatever it over-reads is inside
		 * buf, and zero rather than the previous frame for short ones */
		if (n < ETH_MIN_FRAME)
			memset(s->buf + n, 0, ETH_MIN_FRAME - n);
		slirp_input(s->slirp, s->buf, (int)n);
	}
}

static void slirp_loop(struct slirp_backend *s)
{
	for (;;) {
		uint32_t timeout;
		int ret;

		s->pfds[0] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
		s->pfds[1] = (struct pollfd){ .fd = s->peer_gone ? -1 : s->fd, .events = POLLIN };
		s->nr_pfds = PFDS_FIXED;

		pthread_mutex_lock(&slirp_lib_lock);
		timeout = timers_timeout(s);
		slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
		pthread_mutex_unlock(&slirp_lib_lock);

		ret = poll(s->pfds, s->nr_pfds, timeout > INT_MAX ? -1 : (int)timeout);
		if (ret < 0 && errno != EINTR) {
			log_error("net user: poll: %s", strerror(errno));
			usleep(10000); /* poll cannot fail twice in a row for long; don't spin */
		}
		if (ret > 0 && s->pfds[0].revents)
			return;

		pthread_mutex_lock(&slirp_lib_lock);
		/* frames first: slirp_pollfds_poll ends with if_start, which sends
		 * what waited on an ARP answer that may be among them */
		if (ret > 0 && s->pfds[1].revents)
			frames_from_guest(s);
		slirp_pollfds_poll(s->slirp, ret < 0, cb_get_revents, s);
		timers_run(s);
		pthread_mutex_unlock(&slirp_lib_lock);
	}
}

static void addr_str(struct in_addr a, char *buf)
{
	if (!inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN))
		snprintf(buf, INET_ADDRSTRLEN, "?");
}

/* libslirp up and every hostfwd listening; 0 or -errno with s->why. */
static int slirp_thread_init(struct slirp_backend *s)
{
	SlirpConfig c = {
		.version = 4,
		.in_enabled = true,
		.vnetwork.s_addr = htonl(NET_USER_NET),
		.vnetmask.s_addr = htonl(NET_USER_MASK),
		.vhost.s_addr = htonl(NET_USER_HOST),
		.in6_enabled = true,
		.vprefix_len = 64,
		.vdhcp_start.s_addr = htonl(NET_USER_DHCP_START),
		.vnameserver.s_addr = htonl(NET_USER_DNS),
		.if_mtu = s->mtu,
		.if_mru = s->mtu,
		.disable_host_loopback = false, /* 10.0.2.2 reaches the host's 127.0.0.1 */
	};
	int err = 0;

	inet_pton(AF_INET6, "fec0::", &c.vprefix_addr6);
	inet_pton(AF_INET6, "fec0::2", &c.vhost6);
	inet_pton(AF_INET6, "fec0::3", &c.vnameserver6);

	pthread_mutex_lock(&slirp_lib_lock);
	s->slirp = slirp_new(&c, &slirp_cbs, s);
	if (!s->slirp) {
		snprintf(s->why, NET_USER_WHY_LEN, "libslirp refused its configuration");
		err = -EINVAL;
	}
	for (unsigned int i = 0; !err && i < s->nr_fwd; i++) {
		const struct net_hostfwd *f = &s->fwd[i];
		char addr[INET_ADDRSTRLEN];

		errno = 0;
		if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
				      f->guest_port) == 0)
			continue;
		err = errno ? -errno : -EINVAL;
		addr_str(f->host_addr, addr);
		snprintf(s->why, NET_USER_WHY_LEN, "hostfwd %.80s: cannot listen on %s:%u: %s",
			 s->fwd_str[i], addr, f->host_port, strerror(-err));
	}
	if (err && s->slirp) {
		slirp_cleanup(s->slirp); /* closes the listeners already open */
		s->slirp = NULL;
	}
	pthread_mutex_unlock(&slirp_lib_lock);
	return err;
}

static void timers_free_all(struct slirp_backend *s)
{
	while (s->timers) {
		struct slirp_timer *t = s->timers;

		s->timers = t->next;
		free(t);
	}
}

static void *slirp_thread(void *arg)
{
	struct slirp_backend *s = arg;
	int err = slirp_thread_init(s);

	s->start_err = err;
	sem_post(&s->started); /* the caller joins before it frees s */
	if (!err) {
		sandbox_thread_enter(SANDBOX_NET);
		slirp_loop(s);
		pthread_mutex_lock(&slirp_lib_lock);
		slirp_cleanup(s->slirp);
		pthread_mutex_unlock(&slirp_lib_lock);
		s->slirp = NULL;
	}
	timers_free_all(s);
	return NULL;
}

/* ---- owner side -------------------------------------------------------- */

static void backend_free(struct slirp_backend *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s->pfds);
	free(s->buf);
	free(s);
}

static void set_sndbuf(int fd)
{
	int v = SOCKBUF_WANT;

	/* best effort: the default (~200 KiB) still holds ~90 full frames */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

int slirp_backend_start(struct slirp_backend **out, const struct net_user_config *cfg,
			const uint8_t guest_mac[6], int *frame_fd, char *why)
{
	struct slirp_backend *s;
	sigset_t all, old;
	int sv[2], err;

	*out = NULL;
	*frame_fd = -1;
	if (cfg->nr_hostfwd > NET_USER_MAX_HOSTFWD) {
		snprintf(why, NET_USER_WHY_LEN, "at most %d hostfwd rules", NET_USER_MAX_HOSTFWD);
		return -EINVAL;
	}
	if (cfg->mtu && (cfg->mtu < SLIRP_MTU_MIN || cfg->mtu > SLIRP_MTU_MAX)) {
		snprintf(why, NET_USER_WHY_LEN, "user networking: mtu %u: between %d and %d",
			 cfg->mtu, SLIRP_MTU_MIN, SLIRP_MTU_MAX);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, NET_USER_WHY_LEN, "out of memory for user networking");
		return -ENOMEM;
	}
	s->fd = s->stop_fd = -1;
	s->why = why;
	s->mtu = cfg->mtu;
	s->cap_pfds = 32;
	s->pfds = calloc(s->cap_pfds, sizeof(*s->pfds));
	s->buf = malloc(NET_USER_MAX_FRAME + 1);
	if (!s->pfds || !s->buf) {
		snprintf(why, NET_USER_WHY_LEN, "out of memory for user networking");
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->nr_hostfwd; i++) {
		err = net_user_parse_hostfwd(cfg->hostfwd[i], &s->fwd[i], why);
		if (err)
			goto fail;
		s->fwd_str[i] = cfg->hostfwd[i];
	}
	s->nr_fwd = cfg->nr_hostfwd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		snprintf(why, NET_USER_WHY_LEN, "user networking: socketpair: %s", strerror(errno));
		goto fail;
	}
	s->fd = sv[0];
	set_sndbuf(sv[0]);
	set_sndbuf(sv[1]);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		err = -errno;
		snprintf(why, NET_USER_WHY_LEN, "user networking: eventfd: %s", strerror(errno));
		goto fail_sv;
	}
	sem_init(&s->started, 0, 0);

	/* the thread takes no signals: they belong to the main thread's handlers */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&s->thread, NULL, slirp_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		snprintf(why, NET_USER_WHY_LEN, "user networking: cannot start its thread: %s",
			 strerror(-err));
		goto fail_sem;
	}
	pthread_setname_np(s->thread, "kasou-slirp");
	while (sem_wait(&s->started) < 0 && errno == EINTR)
		;
	if (s->start_err) {
		err = s->start_err;
		pthread_join(s->thread, NULL);
		goto fail_sem;
	}
	if (guest_mac)
		log_debug("net user: guest %02x:%02x:%02x:%02x:%02x:%02x on 10.0.2.0/24, %u hostfwd",
			  guest_mac[0], guest_mac[1], guest_mac[2], guest_mac[3], guest_mac[4],
			  guest_mac[5], s->nr_fwd);
	s->why = NULL;
	*frame_fd = sv[1];
	*out = s;
	return 0;

fail_sem:
	sem_destroy(&s->started);
fail_sv:
	close(sv[1]);
fail:
	backend_free(s);
	return err;
}

void slirp_backend_stop(struct slirp_backend *s)
{
	uint64_t one = 1;
	ssize_t n;

	if (!s)
		return;
	/* an eventfd write fails only on counter overflow, which one write cannot reach */
	n = write(s->stop_fd, &one, sizeof(one));
	BUG_ON(n != sizeof(one));
	pthread_join(s->thread, NULL);
	sem_destroy(&s->started);
	backend_free(s);
}
