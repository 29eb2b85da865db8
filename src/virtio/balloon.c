// SPDX-License-Identifier: GPL-2.0-only
#include "virtio/balloon.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/time.h"

#define PCI_CLASS_OTHERS 0xff0000U
#define VBALLOON_INFLATEQ 0
#define VBALLOON_DEFLATEQ 1
#define STAT_ENTRY_SIZE 10 /* le16 tag, le64 val, packed */
/* Entries read from one stats buffer: Linux sends 10-16; the rest is ignored. */
#define STATS_MAX_ENTRIES 64

/* What a handler did with a chain. */
enum { CHAIN_DONE = 0, CHAIN_HELD = 1 };

static struct vballoon *to_vballoon(struct virtio_dev *d)
{
	return d->priv;
}

/* ---- reading a chain's readable bytes in fixed-size records ---- */

struct iov_reader {
	const struct iovec *iov;
	unsigned int nr, i;
	size_t off;
};

/* Copy up to len bytes, crossing segment boundaries; returns how many. */
static size_t iov_read(struct iov_reader *r, void *dst, size_t len)
{
	size_t done = 0;

	while (done < len && r->i < r->nr) {
		const struct iovec *v = &r->iov[r->i];
		size_t n = v->iov_len - r->off;

		if (n > len - done)
			n = len - done;
		/* guest memory may change under us: each record is copied once, then used */
		memcpy((uint8_t *)dst + done, (const uint8_t *)v->iov_base + r->off, n);
		done += n;
		r->off += n;
		if (r->off == v->iov_len) {
			r->i++;
			r->off = 0;
		}
	}
	return done;
}

/* ---- giving memory back to the host ---- */

/* Adjacent page ranges merged into one madvise() call. */
struct discard_run {
	uint8_t *start;
	size_t len;
	uint64_t errors;
};

static void discard_flush(struct vballoon *b, struct discard_run *run)
{
	static struct log_ratelimit rl = { .burst_left = 10 };

	if (!run->len)
		return;
	/* private anonymous memory: freed now, zero-filled on the next touch */
	if (madvise(run->start, run->len, MADV_DONTNEED)) {
		run->errors++;
		if (log_ratelimit_ok(&rl))
			log_warn("%s: cannot discard %zu bytes of guest RAM: %s", b->vdev.name,
				 run->len, strerror(errno));
	}
	run->len = 0;
}

static void discard_add(struct vballoon *b, struct discard_run *run, uint8_t *hva, size_t len)
{
	if (run->len && run->start + run->len == hva) {
		run->len += len;
		return;
	}
	discard_flush(b, run);
	run->start = hva;
	run->len = len;
}

/* ---- queues ---- */

/* inflateq / deflateq: an array of le32 page frame numbers (4 KiB pages). */
static int pfns_handle(struct vballoon *b, struct virtq_elem *e, bool inflate)
{
	struct iov_reader r = { .iov = e->iov, .nr = e->out_num };
	struct discard_run run = { 0 };
	uint64_t good = 0, bad = 0;
	uint32_t le;
	size_t n;

	if (e->in_num) {
		log_guest("%s: %s buffer %u is device-writable", b->vdev.name,
			  inflate ? "inflate" : "deflate", e->head);
		return -EINVAL;
	}
	while ((n = iov_read(&r, &le, sizeof(le))) == sizeof(le)) {
		uint32_t pfn = le32toh(le);
		uint8_t *hva = gpa_to_hva(b->mem, (uint64_t)pfn * VBALLOON_PAGE_SIZE,
					  VBALLOON_PAGE_SIZE);

		if (!hva) {
			if (!bad++)
				log_guest("%s: %s PFN 0x%x is outside guest RAM", b->vdev.name,
					  inflate ? "inflate" : "deflate", pfn);
			continue;
		}
		good++;
		/* deflate needs nothing: a dropped page faults back in on first use */
		if (inflate)
			discard_add(b, &run, hva, VBALLOON_PAGE_SIZE);
	}
	discard_flush(b, &run);
	if (n) {
		bad++;
		log_guest("%s: %s buffer %u ends in a partial PFN", b->vdev.name,
			  inflate ? "inflate" : "deflate", e->head);
	}
	pthread_mutex_lock(&b->lock);
	if (inflate)
		b->st.inflated_pages += good;
	else
		b->st.deflated_pages += good;
	b->st.invalid_pfns += bad;
	b->st.discard_errors += run.errors;
	pthread_mutex_unlock(&b->lock);
	return CHAIN_DONE;
}

static int inflate_handle(struct vballoon *b, struct virtq_elem *e)
{
	return pfns_handle(b, e, true);
}

static int deflate_handle(struct vballoon *b, struct virtq_elem *e)
{
	return pfns_handle(b, e, false);
}

/*
 * reporting_vq: every segment is a free range of guest RAM (virtq_pop
 * checked it lies in RAM). Only whole 4 KiB pages inside it are dropped:
 * madvise() would round a partial page up and take bytes beyond the range.
 * Linux sends device-writable segments; the spec does not say, so both
 * directions are taken.
 */
static int report_handle(struct vballoon *b, struct virtq_elem *e)
{
	struct discard_run run = { 0 };
	uint64_t bytes = 0;

	for (unsigned int i = 0; i < e->out_num + e->in_num; i++) {
		uintptr_t s = (uintptr_t)e->iov[i].iov_base, end = s + e->iov[i].iov_len;

		s = (s + VBALLOON_PAGE_SIZE - 1) & ~(uintptr_t)(VBALLOON_PAGE_SIZE - 1);
		end &= ~(uintptr_t)(VBALLOON_PAGE_SIZE - 1);
		if (s < end)
			discard_add(b, &run, (uint8_t *)s, end - s);
		bytes += e->iov[i].iov_len;
	}
	discard_flush(b, &run);
	pthread_mutex_lock(&b->lock);
	b->st.reported_bytes += bytes;
	b->st.discard_errors += run.errors;
	pthread_mutex_unlock(&b->lock);
	return CHAIN_DONE;
}

static const size_t stat_field[VIRTIO_BALLOON_S_NR] = {
	[VIRTIO_BALLOON_S_SWAP_IN] = offsetof(struct vballoon_stats, swap_in),
	[VIRTIO_BALLOON_S_SWAP_OUT] = offsetof(struct vballoon_stats, swap_out),
	[VIRTIO_BALLOON_S_MAJFLT] = offsetof(struct vballoon_stats, major_faults),
	[VIRTIO_BALLOON_S_MINFLT] = offsetof(struct vballoon_stats, minor_faults),
	[VIRTIO_BALLOON_S_MEMFREE] = offsetof(struct vballoon_stats, free_memory),
	[VIRTIO_BALLOON_S_MEMTOT] = offsetof(struct vballoon_stats, total_memory),
	[VIRTIO_BALLOON_S_AVAIL] = offsetof(struct vballoon_stats, available_memory),
	[VIRTIO_BALLOON_S_CACHES] = offsetof(struct vballoon_stats, disk_caches),
	[VIRTIO_BALLOON_S_HTLB_PGALLOC] = offsetof(struct vballoon_stats, hugetlb_allocations),
	[VIRTIO_BALLOON_S_HTLB_PGFAIL] = offsetof(struct vballoon_stats, hugetlb_failures),
};

/* The device "uses" the buffer it holds to ask the guest for fresh values. */
static void stats_request(struct vballoon *b)
{
	if (!b->stats_held)
		return;
	b->stats_held = false;
	vworker_complete(&b->vdev, (unsigned int)b->statsq, &b->stats_elem, 0);
}

/* statsq: packed {le16 tag, le64 val} entries; the buffer is kept for the next request. */
static int stats_handle(struct vballoon *b, struct virtq_elem *e)
{
	struct iov_reader r = { .iov = e->iov, .nr = e->out_num };
	uint64_t val[VIRTIO_BALLOON_S_NR] = { 0 };
	uint8_t ent[STAT_ENTRY_SIZE];
	unsigned int seen = 0;

	if (e->in_num) {
		log_guest("%s: stats buffer %u is device-writable", b->vdev.name, e->head);
		return -EINVAL;
	}
	for (int i = 0; i < STATS_MAX_ENTRIES && iov_read(&r, ent, sizeof(ent)) == sizeof(ent);
	     i++) {
		uint16_t tag;
		uint64_t v;

		memcpy(&tag, ent, sizeof(tag));
		memcpy(&v, ent + sizeof(tag), sizeof(v));
		tag = le16toh(tag);
		if (tag >= VIRTIO_BALLOON_S_NR)
			continue; /* the spec: ignore tags we do not know */
		val[tag] = le64toh(v);
		seen |= 1U << tag;
	}
	if (seen) {
		pthread_mutex_lock(&b->lock);
		for (unsigned int t = 0; t < VIRTIO_BALLOON_S_NR; t++)
			if (seen & (1U << t))
				memcpy((uint8_t *)&b->st + stat_field[t], &val[t], sizeof(val[t]));
		b->st.guest_stats_valid = true;
		b->guest_stats_ns = mono_ns();
		pthread_mutex_unlock(&b->lock);
	}
	/* the driver keeps at most one buffer here; give back an older one rather than leak it */
	stats_request(b);
	b->stats_elem = (struct virtq_elem){ .head = e->head };
	b->stats_held = true;
	return CHAIN_HELD;
}

/* Pop and handle everything on one queue; -EINVAL on a guest error. */
static int queue_drain(struct vballoon *b, unsigned int qi,
		       int (*handle)(struct vballoon *b, struct virtq_elem *e))
{
	struct virtq *vq = &b->vdev.q[qi].vq;
	struct virtq_elem e = { .iov = b->iov, .iov_cap = VIRTQ_MAX_SEGS };
	int rc;

	do {
		virtq_notify_enable(vq, false);
		while ((rc = virtq_pop(vq, &e)) > 0) {
			int done = handle(b, &e);

			if (done < 0)
				return done;
			if (done == CHAIN_DONE)
				vworker_complete(&b->vdev, qi, &e, 0);
		}
		/* re-arm guest kicks, then catch what raced in before that */
		virtq_notify_enable(vq, true);
	} while (rc == 0 && virtq_has_work(vq));
	return rc < 0 ? rc : 0;
}

static void vballoon_run(struct vworker *w, bool timer)
{
	struct vballoon *b = to_vballoon(w->dev);
	struct virtio_dev *d = &b->vdev;

	if (__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return; /* the queues are the driver's to reset now */
	if (timer && b->statsq >= 0)
		stats_request(b);
	if (queue_drain(b, VBALLOON_INFLATEQ, inflate_handle) ||
	    queue_drain(b, VBALLOON_DEFLATEQ, deflate_handle) ||
	    (b->statsq >= 0 && queue_drain(b, (unsigned int)b->statsq, stats_handle)) ||
	    (b->reportq >= 0 && queue_drain(b, (unsigned int)b->reportq, report_handle)))
		virtio_set_needs_reset(d);
}

/* ---- transport hooks ---- */

static uint64_t vballoon_features(struct virtio_dev *d)
{
	struct vballoon *b = to_vballoon(d);
	uint64_t f = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
		     (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
		     (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST);

	if (b->cfg.stats_period)
		f |= 1ULL << VIRTIO_BALLOON_F_STATS_VQ;
	if (b->cfg.deflate_on_oom)
		f |= 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (b->cfg.free_page_reporting)
		f |= 1ULL << VIRTIO_BALLOON_F_REPORTING;
	return f;
}

static void vballoon_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data,
				 unsigned int size)
{
	struct vballoon *b = to_vballoon(d);
	struct virtio_balloon_config c = { 0 };

	c.num_pages = htole32(__atomic_load_n(&b->num_pages, __ATOMIC_ACQUIRE));
	c.actual = htole32(__atomic_load_n(&b->actual, __ATOMIC_ACQUIRE));
	memcpy(data, (uint8_t *)&c + off, size); /* the transport checked off + size */
}

/* Only `actual` is the driver's; byte-wise writes (legacy habit) are merged. */
static void vballoon_config_write(struct virtio_dev *d, uint32_t off, const uint8_t *data,
				  unsigned int size)
{
	struct vballoon *b = to_vballoon(d);
	const uint32_t lo = offsetof(struct virtio_balloon_config, actual), hi = lo + 4;
	uint32_t v = htole32(__atomic_load_n(&b->actual, __ATOMIC_ACQUIRE));

	for (unsigned int i = 0; i < size; i++)
		if (off + i >= lo && off + i < hi)
			((uint8_t *)&v)[off + i - lo] = data[i];
	__atomic_store_n(&b->actual, le32toh(v), __ATOMIC_RELEASE);
}

static void timer_set(struct vballoon *b, unsigned int period_s)
{
	struct itimerspec its = { .it_interval = { .tv_sec = period_s },
				  .it_value = { .tv_sec = period_s } };
	uint64_t stale;

	/* fails only with EINVAL/EBADF/EFAULT: a bug of ours */
	BUG_ON(timerfd_settime(b->timer_fd, 0, &its, NULL) != 0);
	while (read(b->timer_fd, &stale, sizeof(stale)) > 0)
		;
}

static int vballoon_activate(struct virtio_dev *d)
{
	struct vballoon *b = to_vballoon(d);
	unsigned int next = VBALLOON_DEFLATEQ + 1;
	int err;

	/* dense numbering over the accepted features, as Linux's find_vqs() does */
	b->statsq = b->reportq = -1;
	if (virtio_has_feature(d, VIRTIO_BALLOON_F_STATS_VQ))
		b->statsq = (int)next++;
	if (virtio_has_feature(d, VIRTIO_BALLOON_F_REPORTING))
		b->reportq = (int)next++;
	BUG_ON(next > d->nr_queues); /* the transport refuses features it did not offer */
	b->stats_held = false;
	if (b->statsq >= 0)
		timer_set(b, b->cfg.stats_period);
	err = vworker_start(&b->worker);
	if (err) {
		log_error("%s: cannot start worker: %s", d->name, strerror(-err));
		if (b->statsq >= 0)
			timer_set(b, 0);
	}
	return err;
}

static void vballoon_reset(struct virtio_dev *d)
{
	struct vballoon *b = to_vballoon(d);

	vworker_stop(&b->worker);
	if (b->timer_fd >= 0)
		timer_set(b, 0);
	/* a held stats buffer goes with the rings the transport is about to forget */
	b->stats_held = false;
	b->statsq = b->reportq = -1;
	/* the next driver starts with an empty balloon: what it gave is plain RAM again */
	__atomic_store_n(&b->actual, 0, __ATOMIC_RELEASE);
}

static const struct virtio_dev_ops vballoon_ops = {
	.features = vballoon_features,
	.config_read = vballoon_config_read,
	.config_write = vballoon_config_write,
	.activate = vballoon_activate,
	.reset = vballoon_reset,
};

/* ---- API ---- */

static int target_pages(const struct vballoon *b, uint64_t bytes, uint32_t *pages)
{
	uint64_t n = bytes / VBALLOON_PAGE_SIZE;

	if (bytes > b->mem->size || n > UINT32_MAX)
		return -EINVAL;
	*pages = (uint32_t)n;
	return 0;
}

int vballoon_create(struct vballoon *b, const struct balloon_config *cfg,
		    const struct guest_mem *mem, const struct virtio_env *env)
{
	struct virtio_dev *d = &b->vdev;
	int err;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->timer_fd = -1;
	b->statsq = b->reportq = -1;
	b->cfg = *cfg;
	b->mem = mem;
	d->ops = &vballoon_ops;
	d->priv = b;
	d->name = "balloon";
	d->device_id = VIRTIO_ID_BALLOON;
	d->pci_class = PCI_CLASS_OTHERS << 8;
	d->config_size = sizeof(struct virtio_balloon_config);
	d->nr_queues = 2 + !!cfg->stats_period + cfg->free_page_reporting;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		d->q[i].max_size = VBALLOON_QUEUE_SIZE;
	b->worker = (struct vworker){ .dev = d, .run = vballoon_run, .extra_fd = -1, .stop_fd = -1 };
	if (target_pages(b, cfg->size, &b->num_pages)) {
		log_error("balloon: size=%llu is more than guest RAM (%llu bytes)",
			  (unsigned long long)cfg->size, (unsigned long long)mem->size);
		return -EINVAL;
	}
	if (cfg->stats_period) {
		b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (b->timer_fd < 0) {
			err = -errno;
			log_error("balloon: stats timer: %s", strerror(-err));
			return err;
		}
		b->worker.extra_fd = b->timer_fd;
	}
	err = virtio_pci_init(&b->vpci, d, mem, env);
	if (err)
		log_error("balloon: cannot set up virtio-pci: %s", strerror(-err));
	return err;
}

void vballoon_destroy(struct vballoon *b)
{
	virtio_pci_destroy(&b->vpci); /* resets the device: the worker is joined */
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	b->timer_fd = -1;
	pthread_mutex_destroy(&b->lock);
}

int vballoon_set_target(struct vballoon *b, uint64_t bytes)
{
	uint32_t pages;

	if (target_pages(b, bytes, &pages))
		return -EINVAL;
	__atomic_store_n(&b->num_pages, pages, __ATOMIC_RELEASE);
	/* before DRIVER_OK the driver reads num_pages when it starts */
	if (__atomic_load_n(&b->vdev.status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_notify_config(&b->vdev);
	return 0;
}

void vballoon_get_stats(struct vballoon *b, struct vballoon_stats *out)
{
	uint64_t at;

	pthread_mutex_lock(&b->lock);
	*out = b->st;
	at = b->guest_stats_ns;
	out->target_bytes = __atomic_load_n(&b->num_pages, __ATOMIC_ACQUIRE) * VBALLOON_PAGE_SIZE;
	out->actual_bytes = __atomic_load_n(&b->actual, __ATOMIC_ACQUIRE) * VBALLOON_PAGE_SIZE;
	pthread_mutex_unlock(&b->lock);
	out->guest_stats_age_ms = out->guest_stats_valid ? (mono_ns() - at) / 1000000 : 0;
}
