// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk request parsing: one popped chain -> a backend request or an
 * immediate status. Pure apart from writing GET_ID data into the chain and
 * bumping counters, so the fuzzer drives it without threads or a backend.
 */
#include <string.h>

#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/blk_queue.h"
#include "util/time.h"

#define SECTOR 512ULL


/* Copy up to n bytes out of the iovecs; returns bytes copied. */
static size_t iov_to_buf(const struct iovec *iov, unsigned int cnt, void *buf, size_t n)
{
	size_t done = 0;

	for (unsigned int i = 0; i < cnt && done < n; i++) {
		size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;

		memcpy((uint8_t *)buf + done, iov[i].iov_base, k);
		done += k;
	}
	return done;
}

static size_t iov_from_buf(struct iovec *iov, unsigned int cnt, const void *buf, size_t n)
{
	size_t done = 0;

	for (unsigned int i = 0; i < cnt && done < n; i++) {
		size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;

		memcpy(iov[i].iov_base, (const uint8_t *)buf + done, k);
		done += k;
	}
	return done;
}

/* Drop the first `n` bytes of an iovec array in place; returns the new start. */
static struct iovec *iov_skip(struct iovec *iov, unsigned int *cnt, size_t n)
{
	while (*cnt && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		(*cnt)--;
	}
	if (*cnt && n) {
		iov->iov_base = (uint8_t *)iov->iov_base + n;
		iov->iov_len -= n;
	}
	return iov;
}

/* Sector range inside the disk? */
static bool in_range(struct vblk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t cap = b->img.size;

	return sector <= cap / SECTOR && bytes <= cap - sector * SECTOR;
}

static uint8_t prepare_rw(struct vblk *b, struct vblk_req *r, uint64_t sector, bool write)
{

	if (r->data_len % SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (!in_range(b, sector, r->data_len))
		return VIRTIO_BLK_S_IOERR;
	if (write && b->cfg.readonly)
		return VIRTIO_BLK_S_IOERR;
	r->breq.op = write ? BLK_OP_WRITE : BLK_OP_READ;
	r->breq.offset = sector * SECTOR;
	r->breq.len = r->data_len;
	r->breq.iov = r->data;
	r->breq.iovcnt = r->ndata;
	r->sync_after = write && !__atomic_load_n(&b->wce, __ATOMIC_ACQUIRE) && !b->img.dsync &&
			b->img.cache != BLK_CACHE_UNSAFE;
	return VIRTIO_BLK_S_OK;
}

static uint8_t prepare_range(struct vblk *b, struct vblk_req *r, bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	bool unmap;

	if (b->cfg.readonly || (!zeroes && !b->cfg.discard))
		return VIRTIO_BLK_S_UNSUPP;
	if (r->data_len != sizeof(seg)) /* max_discard_seg = max_write_zeroes_seg = 1 */
		return VIRTIO_BLK_S_UNSUPP;
	iov_to_buf(r->data, r->ndata, &seg, sizeof(seg));
	unmap = seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	if ((seg.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) || (!zeroes && seg.flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (!in_range(b, seg.sector, (uint64_t)seg.num_sectors * SECTOR))
		return VIRTIO_BLK_S_IOERR;
	r->breq.op = zeroes ? BLK_OP_WRITE_ZEROES : BLK_OP_DISCARD;
	r->breq.offset = seg.sector * SECTOR;
	r->breq.len = (uint64_t)seg.num_sectors * SECTOR;
	r->breq.iov = NULL;
	r->breq.iovcnt = 0;
	r->breq.unmap = zeroes && unmap && b->cfg.discard;
	r->data_len = 0;
	r->sync_after = zeroes && !__atomic_load_n(&b->wce, __ATOMIC_ACQUIRE) && !b->img.dsync &&
			b->img.cache != BLK_CACHE_UNSAFE;
	return VIRTIO_BLK_S_OK;
}

uint8_t vblk_req_parse(struct vblk *b, struct vblk_req *r)
{
	struct virtio_blk_outhdr hdr;
	struct iovec *in;
	unsigned int nin = r->elem.in_num, nout = r->elem.out_num;
	uint8_t st = VIRTIO_BLK_S_OK;

	r->written = 0;
	r->status = NULL;
	r->breq.opaque = r;
	r->breq.unmap = false;
	r->sync_after = false;
	/* a header to read and a status byte to write, or the guest broke the protocol */
	if (r->elem.out_len < sizeof(hdr) || r->elem.in_len < 1) {
		stat_add(&b->stats.bad_requests, 1);
		log_guest("%s: request without header or status byte", b->name);
		r->type = UINT32_MAX;
		return VIRTIO_BLK_S_IOERR;
	}
	iov_to_buf(r->iov, nout, &hdr, sizeof(hdr));
	r->type = hdr.type;
	/* the status byte is the last byte of the last writable segment */
	in = &r->iov[nout];
	r->status = (uint8_t *)in[nin - 1].iov_base + in[nin - 1].iov_len - 1;
	if (--in[nin - 1].iov_len == 0)
		nin--;

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		r->data = in;
		r->ndata = nin;
		r->data_len = r->elem.in_len - 1;
		st = prepare_rw(b, r, hdr.sector, false);
		if (st == VIRTIO_BLK_S_OK)
			r->written = (uint32_t)r->data_len;
		break;
	case VIRTIO_BLK_T_OUT:
		r->ndata = nout;
		r->data = iov_skip(r->iov, &r->ndata, sizeof(hdr));
		r->data_len = r->elem.out_len - sizeof(hdr);
		st = prepare_rw(b, r, hdr.sector, true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		r->breq.op = BLK_OP_FLUSH;
		r->breq.offset = r->breq.len = 0;
		r->breq.iov = NULL;
		r->breq.iovcnt = 0;
		r->data_len = 0;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = { 0 };

		strncpy(id, b->cfg.serial ? b->cfg.serial : "", sizeof(id));
		r->written = (uint32_t)iov_from_buf(in, nin, id, sizeof(id));
		stat_add(&b->stats.id_reqs, 1);
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->ndata = nout;
		r->data = iov_skip(r->iov, &r->ndata, sizeof(hdr));
		r->data_len = r->elem.out_len - sizeof(hdr);
		st = prepare_range(b, r, hdr.type == VIRTIO_BLK_T_WRITE_ZEROES);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (st != VIRTIO_BLK_S_OK) {
		r->written = 0;
		return st;
	}
	return VBLK_SUBMIT;
}

