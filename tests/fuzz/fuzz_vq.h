/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared layout for the virtio device fuzz targets (fuzz_virtq_net.c,
 * fuzz_virtq_console.c, fuzz_virtq_balloon.c): the real device and its
 * virtio-pci transport over FZ_MEM bytes of fake guest RAM, driven through the
 * BAR with tests/unit/vdriver.h.
 *
 * Input: [8 bytes: feature mask, le64][1 byte: log2 queue size][image...].
 * The driver accepts (offered & mask) | VERSION_1; every queue gets 2^(b % 7)
 * entries (1..64) at a fixed place: queue i's descriptor table at i * 0x800,
 * avail ring at + 0x400, used ring at + 0x500. The image is then copied over
 * guest RAM from address 0 (rings, descriptors and the data they point at)
 * while no device thread runs, and the target drives the device's handlers.
 */
#ifndef KASOU_TESTS_FUZZ_VQ_H
#define KASOU_TESTS_FUZZ_VQ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../unit/vdriver.h"
#include "util/log.h"

#define FZ_MEM (32 * 1024)
#define FZ_HDR 9
#define FZ_QSTRIDE 0x800

struct fz_input {
	uint64_t mask;
	uint16_t qsize;
	const uint8_t *image;
	size_t image_len;
};

static inline int fz_parse(const uint8_t *data, size_t size, struct fz_input *in)
{
	if (size < FZ_HDR)
		return -1;
	memcpy(&in->mask, data, 8);
	in->qsize = (uint16_t)(1u << (data[8] % 7));
	in->image = data + FZ_HDR;
	in->image_len = size - FZ_HDR < FZ_MEM ? size - FZ_HDR : FZ_MEM;
	return 0;
}

/* Guest RAM as guest_mem_create() makes it: private anonymous (the balloon madvise()s it). */
static inline void fz_mem_init(struct vdrv *d)
{
	memset(d, 0, sizeof(*d));
	guest_mem_layout(&d->mem, FZ_MEM);
	d->mem.host =
		mmap(NULL, FZ_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->mem.host == MAP_FAILED)
		abort();
}

static inline void fz_mem_free(struct vdrv *d)
{
	munmap(d->mem.host, FZ_MEM);
}

static inline void fz_queue(struct vdrv *d, unsigned int i, uint16_t size)
{
	uint64_t base = (uint64_t)i * FZ_QSTRIDE;

	vdrv_write(d, VCOMMON(queue_select), 2, i);
	vdrv_write(d, VCOMMON(queue_size), 2, size);
	vdrv_write(d, VCOMMON(queue_desc_lo), 4, (uint32_t)base);
	vdrv_write(d, VCOMMON(queue_desc_hi), 4, 0);
	vdrv_write(d, VCOMMON(queue_avail_lo), 4, (uint32_t)(base + 0x400));
	vdrv_write(d, VCOMMON(queue_avail_hi), 4, 0);
	vdrv_write(d, VCOMMON(queue_used_lo), 4, (uint32_t)(base + 0x500));
	vdrv_write(d, VCOMMON(queue_used_hi), 4, 0);
	vdrv_write(d, VCOMMON(queue_enable), 2, 1);
}

/* The features the driver will accept: what the device offers, filtered by the input. */
static inline uint64_t fz_features(struct vdrv *d, const struct fz_input *in)
{
	return (vdrv_device_features(d) & in->mask) | (1ULL << VIRTIO_F_VERSION_1);
}

/* Negotiate `f`, set up `nq` queues, DRIVER_OK; false when the device refused. */
static inline bool fz_start(struct vdrv *d, const struct fz_input *in, uint64_t f, unsigned int nq)
{
	if (!(vdrv_negotiate(d, f) & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	for (unsigned int i = 0; i < nq; i++)
		fz_queue(d, i, in->qsize);
	vdrv_driver_ok(d);
	return vdrv_get_status(d) & VIRTIO_CONFIG_S_DRIVER_OK;
}

/* The image over guest RAM, the rest zero; call with no device thread running. */
static inline void fz_load(struct vdrv *d, const struct fz_input *in)
{
	memcpy(d->mem.host, in->image, in->image_len);
	memset(d->mem.host + in->image_len, 0, FZ_MEM - in->image_len);
}

#endif
