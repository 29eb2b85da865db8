/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-balloon (virtio 1.2 §5.5): the host asks the guest to give memory
 * back (target, in 4 KiB pages), the guest hands pages over through the
 * inflate queue and kasou drops them from guest RAM with MADV_DONTNEED (they
 * fault back in as zeros when the guest uses them again). Optional: a stats
 * queue (guest memory statistics, refreshed every stats_period seconds) and
 * free page reporting (the guest hands over free ranges on its own).
 *
 * Queues are numbered densely over the features the driver accepted, as
 * Linux does: 0 inflateq, 1 deflateq, then statsq if STATS_VQ, then
 * reporting_vq if REPORTING (free page hinting is not offered). The device
 * offers 2 + stats + reporting queues.
 *
 * Threads: one vworker owns every queue (and the stats timer) between
 * activate() and reset(). vballoon_set_target() and vballoon_get_stats() may
 * be called from any thread; neither blocks on the guest.
 *
 * Guest RAM must be private anonymous memory (what guest_mem_create() maps):
 * MADV_DONTNEED frees it. Memory pinned for DMA (VFIO) must not be
 * ballooned: the owner leaves the balloon out in that case.
 */
#ifndef KASOU_VIRTIO_BALLOON_H
#define KASOU_VIRTIO_BALLOON_H

#include <linux/virtio_balloon.h>
#include <pthread.h>

#include "config/config.h"
#include "virtio/pci.h"
#include "virtio/worker.h"

#define VBALLOON_PAGE_SIZE 4096ULL /* the protocol's page, whatever the guest's */
#define VBALLOON_QUEUE_SIZE 128
#define VBALLOON_MAX_QUEUES 4 /* inflate, deflate, stats, reporting */

struct vballoon_stats {
	uint64_t target_bytes, actual_bytes; /* num_pages, actual in bytes */
	uint64_t inflated_pages, deflated_pages; /* PFNs the guest sent (valid ones) */
	uint64_t reported_bytes; /* free page reporting */
	bool guest_stats_valid; /* the guest sent statistics at least once */
	/* the guest's latest VIRTIO_BALLOON_S_* values (bytes or counts, as sent) */
	uint64_t swap_in, swap_out, major_faults, minor_faults, free_memory, total_memory,
		available_memory, disk_caches, hugetlb_allocations, hugetlb_failures;
	uint64_t guest_stats_age_ms; /* since they arrived; 0 when not valid */
	/* guest and host errors (added to the requested API) */
	uint64_t invalid_pfns; /* PFNs outside guest RAM, partial entries */
	uint64_t discard_errors; /* madvise() failed (host side: mlock, hugetlbfs) */
};

struct vballoon {
	struct virtio_dev vdev;
	struct virtio_pci vpci;
	struct vworker worker;
	struct balloon_config cfg;
	const struct guest_mem *mem;
	int timer_fd; /* stats period (timerfd), -1 without the stats queue */
	uint32_t num_pages; /* atomic: the target, written by vballoon_set_target() */
	uint32_t actual; /* atomic: written by the driver */

	/* worker state, fixed between activate() and reset() */
	int statsq, reportq; /* queue index, -1 if the driver did not accept it */
	bool stats_held; /* the device holds the guest's stats buffer */
	struct virtq_elem stats_elem; /* the held buffer (head only) */
	struct iovec iov[VIRTQ_MAX_SEGS];

	pthread_mutex_t lock; /* guards `st`: one consistent snapshot for readers */
	struct vballoon_stats st; /* counters, guest values; target/actual/age filled on read */
	uint64_t guest_stats_ns; /* when the guest's values arrived */
};

/*
 * Set up the device with cfg->size as its first target (rounded down to
 * 4 KiB pages). -EINVAL if that is more than guest RAM, -errno on host
 * failures (with a log line). vballoon_destroy() is safe after a failure.
 */
int vballoon_create(struct vballoon *b, const struct balloon_config *cfg,
		    const struct guest_mem *mem, const struct virtio_env *env);
/* Stop the worker (a device reset) and free everything; before guest RAM goes. */
void vballoon_destroy(struct vballoon *b);
/*
 * Any thread: set the target balloon size in bytes (rounded down to 4 KiB
 * pages) and, once the driver is running, notify it (config change).
 * 0, or -EINVAL when bigger than guest RAM.
 */
int vballoon_set_target(struct vballoon *b, uint64_t bytes);
/* Any thread: a consistent snapshot. */
void vballoon_get_stats(struct vballoon *b, struct vballoon_stats *out);

#endif
