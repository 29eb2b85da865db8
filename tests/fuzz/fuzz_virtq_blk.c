// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the virtqueue walker + the virtio-blk request parser.
 * Input: [flags][log2 queue size][guest memory image...]. The image lands at
 * guest address 0: descriptor table at 0, avail ring at 0x1000, used ring at
 * 0x2000, anything else is data the descriptors may point at (or not).
 * Every popped chain is parsed as a block request and completed at once, as
 * the device would, with reads filling their buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/blk_queue.h"

#define MEM_SIZE (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vblk b;
	static struct vblk_req r;
	static uint8_t *ram;
	struct guest_mem mem;
	struct virtq q;
	uint16_t qsize;
	uint8_t flags;

	if (size < 2)
		return 0;
	log_verbosity = -1; /* guest errors are expected here */
	if (!ram)
		ram = malloc(MEM_SIZE);
	flags = data[0];
	qsize = (uint16_t)(1u << (data[1] % 9)); /* 1..256 */
	memset(ram, 0, MEM_SIZE);
	memcpy(ram, data + 2, size - 2 < MEM_SIZE ? size - 2 : MEM_SIZE);
	memset(&mem, 0, sizeof(mem));
	guest_mem_layout(&mem, MEM_SIZE);
	mem.host = ram;

	memset(&b, 0, sizeof(b));
	b.img.size = 64 * 1024 * 1024;
	b.img.cache = BLK_CACHE_WRITEBACK;
	b.cfg.readonly = flags & 4;
	b.cfg.discard = flags & 8;
	b.cfg.serial = "fuzz-serial";
	b.wce = flags & 16 ? 1 : 0;
	strcpy(b.name, "fuzz");

	memset(&q, 0, sizeof(q));
	if (virtq_init(&q, &mem, qsize, 0, 0x1000, 0x2000, flags & 1, flags & 2))
		return 0;
	for (int n = 0; n < 2 * qsize; n++) {
		uint8_t st;
		int rc;

		r.elem.iov = r.iov;
		r.elem.iov_cap = VBLK_MAX_SEGS;
		rc = virtq_pop(&q, &r.elem);
		if (rc <= 0)
			break;
		st = vblk_req_parse(&b, &r);
		if (st == VBLK_SUBMIT) {
			if (r.breq.op == BLK_OP_READ)
				for (unsigned int i = 0; i < r.ndata; i++)
					memset(r.data[i].iov_base, 0xa5, r.data[i].iov_len);
			st = VIRTIO_BLK_S_OK;
		}
		if (r.status)
			*r.status = st;
		virtq_push(&q, &r.elem, r.written + (r.status ? 1 : 0));
	}
	virtq_should_notify(&q);
	return 0;
}
