// SPDX-License-Identifier: GPL-2.0-only
/* virtio-blk: device setup, config space, queue threads. Requests: blk_req.c. */
#include "virtio/blk.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/blk_queue.h"

#define PCI_CLASS_STORAGE_OTHER 0x018000

static struct vblk *to_vblk(struct virtio_dev *d)
{
	return d->priv;
}

static uint64_t vblk_features(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);
	uint64_t f = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_CONFIG_WCE) |
		     (1ULL << VIRTIO_BLK_F_TOPOLOGY) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |
		     (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_VERSION_1);

	if (b->cfg.readonly)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	if (b->cfg.discard && !b->cfg.readonly)
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	if (b->cfg.queues > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	return f;
}

static void vblk_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, unsigned int size)
{
	struct vblk *b = to_vblk(d);
	struct virtio_blk_config c = b->config;

	c.wce = __atomic_load_n(&b->wce, __ATOMIC_ACQUIRE);
	memcpy(data, (uint8_t *)&c + off, size); /* transport checked off + size */
}

static void vblk_config_write(struct virtio_dev *d, uint32_t off, const uint8_t *data,
			      unsigned int size)
{
	struct vblk *b = to_vblk(d);

	/* only the write-cache toggle is writable (VIRTIO_BLK_F_CONFIG_WCE) */
	if (off == offsetof(struct virtio_blk_config, wce) && size == 1 &&
	    virtio_has_feature(d, VIRTIO_BLK_F_CONFIG_WCE))
		__atomic_store_n(&b->wce, data[0] ? 1 : 0, __ATOMIC_RELEASE);
}

static void vblk_reset(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	for (unsigned int i = 0; i < b->cfg.queues; i++)
		vblk_queue_stop(&b->queues[i]);
	__atomic_store_n(&b->wce, blk_cache_writeback(b->img.cache) ? 1 : 0, __ATOMIC_RELEASE);
}

static int vblk_activate(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	for (unsigned int i = 0; i < b->cfg.queues; i++) {
		int err;

		if (!d->q[i].enabled)
			continue;
		err = vblk_queue_start(&b->queues[i]);
		if (err) {
			vblk_reset(d);
			return err;
		}
	}
	return 0;
}

static const struct virtio_dev_ops vblk_ops = {
	.features = vblk_features,
	.config_read = vblk_config_read,
	.config_write = vblk_config_write,
	.activate = vblk_activate,
	.reset = vblk_reset,
};

static void vblk_fill_config(struct vblk *b)
{
	struct virtio_blk_config *c = &b->config;
	uint32_t bs = b->img.align > 512 ? b->img.align : 512;

	memset(c, 0, sizeof(*c));
	c->capacity = b->img.size / 512;
	c->seg_max = VBLK_MAX_SEGS - 2;
	c->blk_size = bs;
	c->min_io_size = (uint16_t)(bs / 512);
	c->opt_io_size = 0;
	c->num_queues = (uint16_t)b->cfg.queues;
	c->max_discard_sectors = 0x3fffff; /* 2 GiB per request */
	c->max_discard_seg = 1;
	c->discard_sector_alignment = bs / 512;
	c->max_write_zeroes_sectors = 0x3fffff;
	c->max_write_zeroes_seg = 1;
	c->write_zeroes_may_unmap = b->cfg.discard ? 1 : 0;
}

void vblk_set_throttle(struct vblk *b, const struct disk_throttle *t)
{
	struct rl_bucket_cfg tb = { t->bps, t->bps_max }, to = { t->iops, t->iops_max };
	struct rl_bucket_cfg rb = { t->bps_rd, t->bps_rd_max }, ro = { t->iops_rd, t->iops_rd_max };
	struct rl_bucket_cfg wb = { t->bps_wr, t->bps_wr_max }, wo = { t->iops_wr, t->iops_wr_max };

	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	rl_set(&b->throttle.total, tb, to, now);
	rl_set(&b->throttle.read, rb, ro, now);
	rl_set(&b->throttle.write, wb, wo, now);
	b->cfg.throttle = *t;
}

int vblk_create(struct vblk *b, const struct disk_config *cfg, const struct guest_mem *mem,
		const struct virtio_env *env)
{
	char why[BLK_WHY_LEN];
	int err;

	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	snprintf(b->name, sizeof(b->name), "disk '%s'", cfg->id);
	err = blk_image_open(&b->img, cfg->path, cfg->readonly, (enum blk_cache)cfg->cache, why);
	if (err) {
		log_error("%s", why);
		return err;
	}
	if (cfg->aio == BLK_AIO_IO_URING) {
		struct blk_queue *probe = blk_queue_create(&b->img, BLK_AIO_IO_URING, 4, why);

		if (!probe) {
			log_error("%s: aio=io_uring is not available here: %s; use aio=threads",
				  b->name, why);
			blk_image_close(&b->img);
			return -ENOTSUP;
		}
		blk_queue_destroy(probe, NULL, NULL);
	}
	rl_group_init(&b->throttle);
	vblk_set_throttle(b, &cfg->throttle);
	b->wce = blk_cache_writeback(b->img.cache) ? 1 : 0;
	vblk_fill_config(b);

	b->vdev.ops = &vblk_ops;
	b->vdev.priv = b;
	b->vdev.name = b->name;
	b->vdev.device_id = VIRTIO_ID_BLOCK;
	b->vdev.pci_class = PCI_CLASS_STORAGE_OTHER << 8;
	b->vdev.config_size = sizeof(struct virtio_blk_config);
	b->vdev.nr_queues = cfg->queues;
	for (unsigned int i = 0; i < cfg->queues; i++)
		b->vdev.q[i].max_size = (uint16_t)cfg->queue_size;
	b->queues = calloc(cfg->queues, sizeof(*b->queues));
	if (!b->queues) {
		blk_image_close(&b->img);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < cfg->queues; i++)
		vblk_queue_init(&b->queues[i], b, i);
	err = virtio_pci_init(&b->vpci, &b->vdev, mem, env);
	if (err) {
		log_error("%s: cannot set up virtio-pci: %s", b->name, strerror(-err));
		vblk_destroy(b);
	}
	return err;
}

void vblk_log_stats(struct vblk *b)
{
	char per_queue[256] = "";
	size_t n = 0;
	struct vblk_stats *s = &b->stats;

	for (unsigned int i = 0; b->queues && i < b->cfg.queues && n < sizeof(per_queue); i++)
		n += (size_t)snprintf(per_queue + n, sizeof(per_queue) - n, "%s%llu", i ? "," : "",
				      (unsigned long long)__atomic_load_n(&b->queues[i].completed,
									  __ATOMIC_RELAXED));
	log_debug("%s: rd %llu req %llu B, wr %llu req %llu B, flush %llu, discard %llu, "
		  "write-zeroes %llu, errors %llu, unsupported %llu, bad %llu, throttled %llu; "
		  "per queue [%s]",
		  b->name, (unsigned long long)s->rd_reqs, (unsigned long long)s->rd_bytes,
		  (unsigned long long)s->wr_reqs, (unsigned long long)s->wr_bytes,
		  (unsigned long long)s->fl_reqs, (unsigned long long)s->discard_reqs,
		  (unsigned long long)s->wz_reqs, (unsigned long long)s->errors,
		  (unsigned long long)s->unsupported, (unsigned long long)s->bad_requests,
		  (unsigned long long)s->throttled, per_queue);
}

void vblk_destroy(struct vblk *b)
{
	virtio_pci_destroy(&b->vpci); /* resets the device: queue threads stop and drain */
	vblk_log_stats(b);
	/* What the guest wrote reaches the disk before kasou exits, as the
	 * cache mode promises; unsafe promises nothing. */
	if (b->img.fd >= 0 && !b->img.readonly && b->img.cache != BLK_CACHE_UNSAFE &&
	    fdatasync(b->img.fd) < 0)
		log_error("%s: flush at shutdown: %s", b->name, strerror(errno));
	free(b->queues);
	b->queues = NULL;
	rl_group_destroy(&b->throttle);
	blk_image_close(&b->img);
}
