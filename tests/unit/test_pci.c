// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI config space (BAR sizing and moves, read-only and write-1-to-clear
 * registers, the capability list) and the host bridge (BAR assignment, INTx,
 * ECAM and 0xcf8/0xcfc config cycles, BAR window routing).
 */
#include <errno.h>

#include "arch/x86/layout.h"
#include "pci/host.h"
#include "pci/pci.h"
#include "unit.h"

#define ECAM_BASE 0xe0000000ULL
#define ECAM_SIZE 0x100000ULL
#define W32_BASE 0xc0000000ULL
#define W32_SIZE 0x20000000ULL
#define W64_BASE 0x1000000000ULL
#define W64_SIZE (64ULL << 30)

/* What the device's ops saw. */
struct rec {
	int moves;
	int mbar[32];
	uint64_t mold[32], mnew[32];
	int reads, writes;
	int bar;
	uint64_t off;
	unsigned int size;
	uint8_t wdata[8];
	int cfg_written;
};

static void rec_bar_read(struct pci_dev *d, int bar, uint64_t off, uint8_t *data, unsigned int size)
{
	struct rec *r = d->priv;

	r->reads++;
	r->bar = bar;
	r->off = off;
	r->size = size;
	for (unsigned int i = 0; i < size; i++)
		data[i] = (uint8_t)(0x10 * bar + i + 1);
}

static void rec_bar_write(struct pci_dev *d, int bar, uint64_t off, const uint8_t *data,
			  unsigned int size)
{
	struct rec *r = d->priv;

	r->writes++;
	r->bar = bar;
	r->off = off;
	r->size = size;
	memcpy(r->wdata, data, size);
}

static void rec_bar_moved(struct pci_dev *d, int bar, uint64_t old_addr, uint64_t new_addr)
{
	struct rec *r = d->priv;

	if (r->moves < 32) {
		r->mbar[r->moves] = bar;
		r->mold[r->moves] = old_addr;
		r->mnew[r->moves] = new_addr;
	}
	r->moves++;
}

static void rec_cfg_written(struct pci_dev *d, uint32_t off, unsigned int size)
{
	struct rec *r = d->priv;

	r->cfg_written++;
}

static const struct pci_dev_ops rec_ops = {
	.bar_read = rec_bar_read,
	.bar_write = rec_bar_write,
	.cfg_written = rec_cfg_written,
	.bar_moved = rec_bar_moved,
};

static void dev_init(struct pci_dev *d, struct rec *r, uint16_t device)
{
	memset(d, 0, sizeof(*d));
	memset(r, 0, sizeof(*r));
	pci_dev_init(d, 0x1af4, device, 0x01000002, 0x1af4, 0x0002);
	d->ops = &rec_ops;
	d->priv = r;
}

/* Index of the bar_moved call for `bar`, or -1. */
static int moved(const struct rec *r, int bar)
{
	for (int i = 0; i < r->moves && i < 32; i++)
		if (r->mbar[i] == bar)
			return i;
	return -1;
}

static uint32_t rd32(struct pci_dev *d, uint32_t off)
{
	uint8_t b[4];

	pci_cfg_read(d, off, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t rd16(struct pci_dev *d, uint32_t off)
{
	uint8_t b[2];

	pci_cfg_read(d, off, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint8_t rd8(struct pci_dev *d, uint32_t off)
{
	uint8_t b;

	pci_cfg_read(d, off, &b, 1);
	return b;
}

static void wr32(struct pci_dev *d, uint32_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	pci_cfg_write(d, off, b, 4);
}

static void wr16(struct pci_dev *d, uint32_t off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	pci_cfg_write(d, off, b, 2);
}

static void wr8(struct pci_dev *d, uint32_t off, uint8_t v)
{
	pci_cfg_write(d, off, &v, 1);
}

#define BAR(i) (PCI_BASE_ADDRESS_0 + 4 * (i))

TEST(bar_sizing)
{
	static struct pci_dev d;
	static struct rec r;

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x1000, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 1, 0x100000, false, false, true), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 2, 0x200000000ULL, false, true, true), 0); /* 8 GiB */
	CHECK_EQ(pci_dev_add_bar(&d, 4, 0x20, true, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 5, 4, true, false, false), 0);

	/* the flag bits read back before any write */
	CHECK_EQ(rd32(&d, BAR(0)), 0);
	CHECK_EQ(rd32(&d, BAR(1)), PCI_BASE_ADDRESS_MEM_PREFETCH);
	CHECK_EQ(rd32(&d, BAR(2)), PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	CHECK_EQ(rd32(&d, BAR(4)), PCI_BASE_ADDRESS_SPACE_IO);

	for (int i = 0; i < PCI_NUM_BARS; i++)
		wr32(&d, BAR(i), 0xffffffff);
	CHECK_EQ(rd32(&d, BAR(0)), 0xfffff000);
	CHECK_EQ(rd32(&d, BAR(1)), 0xfff00000 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	/* 8 GiB: no address bit of the low dword is writable */
	CHECK_EQ(rd32(&d, BAR(2)), PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	CHECK_EQ(rd32(&d, BAR(3)), 0xfffffffe);
	CHECK_EQ(rd32(&d, BAR(4)), 0xffffffe0 | PCI_BASE_ADDRESS_SPACE_IO);
	CHECK_EQ(rd32(&d, BAR(5)), 0xfffffffc | PCI_BASE_ADDRESS_SPACE_IO);
	/* sizing with decoding off moves nothing */
	CHECK_EQ(r.moves, 0);
	for (int i = 0; i < PCI_NUM_BARS; i++)
		CHECK_EQ(pci_bar_address(&d, i), 0);

	/* writing zero cannot clear the flag bits */
	for (int i = 0; i < PCI_NUM_BARS; i++)
		wr32(&d, BAR(i), 0);
	CHECK_EQ(rd32(&d, BAR(0)), 0);
	CHECK_EQ(rd32(&d, BAR(1)), PCI_BASE_ADDRESS_MEM_PREFETCH);
	CHECK_EQ(rd32(&d, BAR(2)), PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	CHECK_EQ(rd32(&d, BAR(3)), 0);
	CHECK_EQ(rd32(&d, BAR(4)), PCI_BASE_ADDRESS_SPACE_IO);
	CHECK_EQ(rd32(&d, BAR(5)), PCI_BASE_ADDRESS_SPACE_IO);
}

TEST(bar_sizing_64bit_small)
{
	static struct pci_dev d;
	static struct rec r;

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x4000, false, true, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 2, 0x80000000ULL, false, false, false), 0); /* 2 GiB, 32-bit */
	wr32(&d, BAR(0), 0xffffffff);
	wr32(&d, BAR(1), 0xffffffff);
	wr32(&d, BAR(2), 0xffffffff);
	CHECK_EQ(rd32(&d, BAR(0)), 0xffffc000 | PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK_EQ(rd32(&d, BAR(1)), 0xffffffff);
	CHECK_EQ(rd32(&d, BAR(2)), 0x80000000);
	/* unused BARs are hardwired to zero */
	wr32(&d, BAR(3), 0xffffffff);
	CHECK_EQ(rd32(&d, BAR(3)), 0);
	CHECK_EQ(d.bars[1].size, 0);
}

TEST(bar_add_rejects_bad_shapes)
{
	static struct pci_dev d;
	static struct rec r;

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(pci_dev_add_bar(&d, -1, 0x1000, false, false, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&d, 6, 0x1000, false, false, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&d, 5, 0x1000, false, true, false), -EINVAL); /* no bar 6 */
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x1000, true, true, false), -EINVAL); /* 64-bit I/O */
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x3000, false, false, false), -EINVAL);
	CHECK_EQ(pci_dev_add_bar(&d, 0, 8, false, false, false), -EINVAL); /* mem < 16 */
	CHECK_EQ(pci_dev_add_bar(&d, 0, 2, true, false, false), -EINVAL); /* io < 4 */
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x100000000ULL, false, false, false), -EINVAL);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		CHECK_EQ(d.bars[i].size, 0);
		CHECK_EQ(rd32(&d, BAR(i)), 0);
	}
}

TEST(bar_move_follows_decode)
{
	static struct pci_dev d;
	static struct rec r;
	int k;

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x1000, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 2, 0x4000, false, true, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 4, 0x100, true, false, false), 0);
	pci_bar_assign(&d, 0, 0xc0000000);
	pci_bar_assign(&d, 2, 0x2000000000ULL);
	pci_bar_assign(&d, 4, 0x1000);
	/* the registers hold the address, but nothing decodes yet */
	CHECK_EQ(rd32(&d, BAR(0)), 0xc0000000);
	CHECK_EQ(rd32(&d, BAR(2)), PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK_EQ(rd32(&d, BAR(3)), 0x20);
	CHECK_EQ(rd32(&d, BAR(4)), 0x1000 | PCI_BASE_ADDRESS_SPACE_IO);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		CHECK_EQ(pci_bar_address(&d, i), 0);
		CHECK_EQ(d.bars[i].addr, 0);
	}
	CHECK_EQ(r.moves, 0);

	/* memory decode on: both memory BARs appear, the I/O BAR does not */
	wr16(&d, PCI_COMMAND, PCI_COMMAND_MEMORY);
	CHECK_EQ(r.moves, 2);
	k = moved(&r, 0);
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_EQ(r.mold[k], 0);
		CHECK_EQ(r.mnew[k], 0xc0000000);
	}
	k = moved(&r, 2);
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_EQ(r.mold[k], 0);
		CHECK_EQ(r.mnew[k], 0x2000000000ULL);
	}
	CHECK_EQ(moved(&r, 4), -1);
	CHECK_EQ(pci_bar_address(&d, 0), 0xc0000000);
	CHECK_EQ(pci_bar_address(&d, 2), 0x2000000000ULL);
	CHECK_EQ(pci_bar_address(&d, 4), 0);
	CHECK_EQ(d.bars[0].addr, 0xc0000000);
	CHECK_EQ(d.bars[2].addr, 0x2000000000ULL);

	/* I/O decode on as well */
	memset(r.mbar, 0xff, sizeof(r.mbar));
	r.moves = 0;
	wr16(&d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	CHECK_EQ(r.moves, 1);
	CHECK_EQ(r.mbar[0], 4);
	CHECK_EQ(r.mold[0], 0);
	CHECK_EQ(r.mnew[0], 0x1000);
	CHECK_EQ(pci_bar_address(&d, 4), 0x1000);

	/* move BAR 0; the bits below the size are not address bits */
	r.moves = 0;
	wr32(&d, BAR(0), 0xc0010abc);
	CHECK_EQ(r.moves, 1);
	CHECK_EQ(r.mbar[0], 0);
	CHECK_EQ(r.mold[0], 0xc0000000);
	CHECK_EQ(r.mnew[0], 0xc0010000);
	CHECK_EQ(pci_bar_address(&d, 0), 0xc0010000);
	CHECK_EQ(d.bars[0].addr, 0xc0010000);
	CHECK_EQ(rd32(&d, BAR(0)), 0xc0010000);

	/* the same value again: no move */
	r.moves = 0;
	wr32(&d, BAR(0), 0xc0010000);
	CHECK_EQ(r.moves, 0);

	/* the high dword of the 64-bit BAR */
	wr32(&d, BAR(3), 0x31);
	CHECK_EQ(r.moves, 1);
	CHECK_EQ(r.mbar[0], 2);
	CHECK_EQ(r.mold[0], 0x2000000000ULL);
	CHECK_EQ(r.mnew[0], 0x3100000000ULL);
	CHECK_EQ(pci_bar_address(&d, 2), 0x3100000000ULL);
	/* the low dword of it, by bytes */
	r.moves = 0;
	wr8(&d, BAR(2) + 1, 0x40);
	CHECK_EQ(r.moves, 1);
	CHECK_EQ(r.mnew[0], 0x3100004000ULL);
	CHECK_EQ(pci_bar_address(&d, 2), 0x3100004000ULL);

	/* move the I/O BAR */
	r.moves = 0;
	wr32(&d, BAR(4), 0x2003);
	CHECK_EQ(r.moves, 1);
	CHECK_EQ(r.mbar[0], 4);
	CHECK_EQ(r.mold[0], 0x1000);
	CHECK_EQ(r.mnew[0], 0x2000);
	CHECK_EQ(pci_bar_address(&d, 4), 0x2000);

	/* memory decode off: memory BARs report 0, the I/O BAR stays */
	r.moves = 0;
	wr16(&d, PCI_COMMAND, PCI_COMMAND_IO);
	CHECK_EQ(r.moves, 2);
	k = moved(&r, 0);
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_EQ(r.mold[k], 0xc0010000);
		CHECK_EQ(r.mnew[k], 0);
	}
	k = moved(&r, 2);
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_EQ(r.mold[k], 0x3100004000ULL);
		CHECK_EQ(r.mnew[k], 0);
	}
	CHECK_EQ(pci_bar_address(&d, 0), 0);
	CHECK_EQ(pci_bar_address(&d, 2), 0);
	CHECK_EQ(d.bars[0].addr, 0);
	CHECK_EQ(d.bars[2].addr, 0);
	CHECK_EQ(pci_bar_address(&d, 4), 0x2000);

	/* moving while decode is off: no callback, the register still changes */
	r.moves = 0;
	wr32(&d, BAR(0), 0xc0020000);
	CHECK_EQ(r.moves, 0);
	CHECK_EQ(pci_bar_address(&d, 0), 0);
	CHECK_EQ(rd32(&d, BAR(0)), 0xc0020000);
	wr16(&d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	k = moved(&r, 0);
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_EQ(r.mold[k], 0);
		CHECK_EQ(r.mnew[k], 0xc0020000);
	}
	CHECK_EQ(pci_bar_address(&d, 0), 0xc0020000);
	/* every config write is reported to the device */
	CHECK(r.cfg_written > 0);
}

TEST(read_only_registers)
{
	static struct pci_dev d;
	static struct rec r;

	dev_init(&d, &r, 0x1042);
	pci_dev_set_intx(&d, 1, 17);
	for (uint32_t off = 0; off < 0x40; off += 4) {
		if (off >= BAR(0) && off < BAR(6))
			continue;
		wr32(&d, off, 0xffffffff);
	}
	CHECK_EQ(rd16(&d, PCI_VENDOR_ID), 0x1af4);
	CHECK_EQ(rd16(&d, PCI_DEVICE_ID), 0x1042);
	CHECK_EQ(rd32(&d, PCI_CLASS_REVISION), 0x01000002);
	CHECK_EQ(rd16(&d, PCI_SUBSYSTEM_VENDOR_ID), 0x1af4);
	CHECK_EQ(rd16(&d, PCI_SUBSYSTEM_ID), 0x0002);
	CHECK_EQ(rd8(&d, PCI_HEADER_TYPE), 0);
	CHECK_EQ(rd8(&d, PCI_CAPABILITY_LIST), 0);
	CHECK_EQ(rd32(&d, PCI_ROM_ADDRESS), 0);
	CHECK_EQ(rd8(&d, PCI_INTERRUPT_PIN), 1);
	/* the writable ones took the value */
	CHECK_EQ(rd8(&d, PCI_INTERRUPT_LINE), 0xff);
	CHECK_EQ(rd8(&d, PCI_CACHE_LINE_SIZE), 0xff);
	CHECK_EQ(rd8(&d, PCI_LATENCY_TIMER), 0xff);
	/* command: only the implemented bits */
	CHECK_EQ(rd16(&d, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
						PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
						PCI_COMMAND_INTX_DISABLE);

	/* byte and word writes too */
	wr8(&d, PCI_VENDOR_ID, 0);
	wr8(&d, PCI_DEVICE_ID + 1, 0);
	wr16(&d, PCI_CLASS_DEVICE, 0x0200);
	wr8(&d, PCI_REVISION_ID, 9);
	CHECK_EQ(rd32(&d, PCI_VENDOR_ID), 0x10421af4);
	CHECK_EQ(rd32(&d, PCI_CLASS_REVISION), 0x01000002);

	/* the device-specific area is read-only unless the device says otherwise */
	d.cfg[0x80] = 0x5a;
	wr8(&d, 0x80, 0xa5);
	CHECK_EQ(rd8(&d, 0x80), 0x5a);
	wr32(&d, 0xffc, 0x12345678);
	CHECK_EQ(rd32(&d, 0xffc), 0);
}

TEST(status_write_one_to_clear)
{
	static struct pci_dev d;
	static struct rec r;
	const uint16_t errs = PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
			      PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
			      PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;
	uint8_t body[4] = { 0 };

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(rd16(&d, PCI_STATUS) & PCI_STATUS_CAP_LIST, 0);
	CHECK(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, sizeof(body)) != 0);
	/* the device raises every error bit */
	pci_cfg_set16(&d, PCI_STATUS, (uint16_t)(pci_cfg_get16(&d, PCI_STATUS) | errs));
	CHECK_EQ(rd16(&d, PCI_STATUS), errs | PCI_STATUS_CAP_LIST);

	/* writing 0 clears nothing */
	wr16(&d, PCI_STATUS, 0);
	CHECK_EQ(rd16(&d, PCI_STATUS), errs | PCI_STATUS_CAP_LIST);
	/* a command write through a dword access leaves status alone */
	wr32(&d, PCI_COMMAND, PCI_COMMAND_MASTER);
	CHECK_EQ(rd16(&d, PCI_STATUS), errs | PCI_STATUS_CAP_LIST);
	CHECK_EQ(rd16(&d, PCI_COMMAND), PCI_COMMAND_MASTER);

	/* one bit at a time */
	wr16(&d, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT);
	CHECK_EQ(rd16(&d, PCI_STATUS), (errs & ~PCI_STATUS_REC_MASTER_ABORT) | PCI_STATUS_CAP_LIST);
	wr8(&d, PCI_STATUS + 1, PCI_STATUS_DETECTED_PARITY >> 8);
	CHECK_EQ(rd16(&d, PCI_STATUS),
		 (errs & ~(PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY)) |
			 PCI_STATUS_CAP_LIST);

	/* all ones: every error bit clears, the read-only capability bit stays */
	wr16(&d, PCI_STATUS, 0xffff);
	CHECK_EQ(rd16(&d, PCI_STATUS), PCI_STATUS_CAP_LIST);
	/* and ones cannot set anything */
	wr16(&d, PCI_STATUS, 0xffff);
	CHECK_EQ(rd16(&d, PCI_STATUS), PCI_STATUS_CAP_LIST);
}

TEST(capability_chain)
{
	static struct pci_dev d;
	static struct rec r;
	const uint8_t ids[] = { PCI_CAP_ID_VNDR, PCI_CAP_ID_MSIX, PCI_CAP_ID_PM, PCI_CAP_ID_VNDR,
				PCI_CAP_ID_EXP };
	const uint8_t lens[] = { 5, 12, 8, 3, 0x3c };
	uint8_t offs[5];
	uint8_t body[0x40];
	unsigned int n = 0, seen = 0;
	uint8_t p;

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(rd8(&d, PCI_CAPABILITY_LIST), 0);
	for (unsigned int i = 0; i < 5; i++) {
		for (unsigned int j = 0; j < sizeof(body); j++)
			body[j] = (uint8_t)(0x80 + 0x10 * i + j);
		offs[i] = pci_dev_add_cap(&d, ids[i], body, lens[i]);
		CHECK(offs[i] != 0);
	}
	CHECK(rd16(&d, PCI_STATUS) & PCI_STATUS_CAP_LIST);

	/* walk it as a guest does: through config reads */
	p = rd8(&d, PCI_CAPABILITY_LIST);
	while (p && n < 64) {
		CHECK(p >= 0x40 && p <= 0xfc);
		CHECK_EQ(p & 3, 0);
		if (n < 5) {
			CHECK_EQ(p, offs[n]);
			CHECK_EQ(rd8(&d, p), ids[n]);
			/* the body bytes after ID/next were copied, within the cap area */
			CHECK(p + lens[n] <= 0x100);
			for (unsigned int j = 2; j < lens[n]; j++)
				CHECK_EQ(rd8(&d, p + j), 0x80 + 0x10 * n + j);
			if (n > 0)
				CHECK(offs[n - 1] + lens[n - 1] <= p); /* no overlap */
			seen++;
		}
		p = rd8(&d, p + 1);
		n++;
	}
	CHECK_EQ(n, 5);
	CHECK_EQ(seen, 5);
	/* capabilities are read-only to the guest */
	wr8(&d, offs[0] + 1, 0);
	wr8(&d, offs[0] + 2, 0);
	CHECK_EQ(rd8(&d, offs[0] + 1), offs[1]);
	CHECK_EQ(rd8(&d, offs[0] + 2), 0x82);
}

TEST(capability_area_full)
{
	static struct pci_dev d;
	static struct rec r;
	uint8_t body[0xc0] = { 0 };
	uint8_t a, b, c;

	dev_init(&d, &r, 0x1042);
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 1), 0); /* shorter than ID+next */
	CHECK_EQ(rd16(&d, PCI_STATUS) & PCI_STATUS_CAP_LIST, 0);
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 0xc1), 0); /* larger than the area */
	CHECK_EQ(rd8(&d, PCI_CAPABILITY_LIST), 0);
	a = pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 0x40);
	b = pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 0x3d); /* next one 4-byte aligned */
	CHECK_EQ(a, 0x40);
	CHECK_EQ(b, 0x80);
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 0x41), 0); /* 0x40 bytes left */
	c = pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 0x40);
	CHECK_EQ(c, 0xc0);
	/* exactly full: nothing more fits, however small */
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 2), 0);
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 4), 0);
	/* the failed adds left the chain alone */
	CHECK_EQ(rd8(&d, PCI_CAPABILITY_LIST), 0x40);
	CHECK_EQ(rd8(&d, 0x41), 0x80);
	CHECK_EQ(rd8(&d, 0x81), 0xc0);
	CHECK_EQ(rd8(&d, 0xc1), 0);
	CHECK_EQ(rd8(&d, 0x100), 0);

	/* a cap ending 1-3 bytes before the end leaves no aligned room either */
	dev_init(&d, &r, 0x1042);
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 0xbe), 0x40);
	CHECK_EQ(pci_dev_add_cap(&d, PCI_CAP_ID_VNDR, body, 2), 0);
	CHECK_EQ(rd8(&d, 0x41), 0);
}

/* ---- host bridge ---- */

static struct pci_host host;

static void host_init(void)
{
	pci_host_init(&host, ECAM_BASE, ECAM_SIZE, W32_BASE, W32_SIZE, W64_BASE, W64_SIZE);
}

static bool in_window(const struct pci_bar *b, uint64_t a)
{
	if (b->is64)
		return a >= W64_BASE && a + b->size <= W64_BASE + W64_SIZE;
	return a >= W32_BASE && a + b->size <= W32_BASE + W32_SIZE;
}

TEST(host_add_assigns_bars)
{
	static struct pci_dev d[4];
	static struct rec r[4];
	struct {
		uint64_t a, size;
	} all[16];
	unsigned int nall = 0;

	host_init();
	for (int i = 0; i < 4; i++)
		dev_init(&d[i], &r[i], (uint16_t)(0x1040 + i));
	CHECK_EQ(pci_dev_add_bar(&d[0], 0, 0x1000, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d[0], 1, 0x100000, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d[0], 2, 0x4000, false, true, true), 0);
	CHECK_EQ(pci_dev_add_bar(&d[1], 0, 0x10, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d[1], 2, 1ULL << 30, false, true, true), 0);
	CHECK_EQ(pci_dev_add_bar(&d[1], 4, 0x2000000, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d[2], 3, 0x80, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d[2], 4, 0x10000, false, true, false), 0);
	/* d[3]: no BARs */

	for (int i = 0; i < 4; i++) {
		int slot = pci_host_add(&host, &d[i]);

		CHECK_EQ(slot, i + 1);
		CHECK(host.devs[i + 1] == &d[i]);
		CHECK_EQ(d[i].devfn, (i + 1) << 3);
		CHECK_EQ(rd8(&d[i], PCI_INTERRUPT_PIN), 1);
		CHECK_EQ(rd8(&d[i], PCI_INTERRUPT_LINE), PCI_INTX_GSI_BASE + (i + 1) % 4);
		CHECK_EQ(d[i].intx_gsi, 16 + (i + 1) % 4);
		CHECK(rd16(&d[i], PCI_COMMAND) & PCI_COMMAND_MEMORY);
	}
	for (int i = 0; i < 4; i++) {
		int calls = 0;

		for (int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &d[i].bars[b];
			uint64_t a = pci_bar_address(&d[i], b);
			int k = moved(&r[i], b);

			if (!bar->size) {
				CHECK_EQ(a, 0);
				CHECK_EQ(k, -1);
				continue;
			}
			calls++;
			CHECK(a != 0);
			CHECK(in_window(bar, a));
			CHECK_EQ(a & (bar->size - 1), 0); /* naturally aligned */
			CHECK_EQ(bar->addr, a);
			CHECK(k >= 0);
			if (k >= 0) {
				CHECK_EQ(r[i].mold[k], 0);
				CHECK_EQ(r[i].mnew[k], a);
			}
			if (nall < 16)
				all[nall++] = (typeof(all[0])){ a, bar->size };
		}
		CHECK_EQ(r[i].moves, calls);
	}
	CHECK_EQ(nall, 8);
	for (unsigned int i = 0; i < nall; i++)
		for (unsigned int j = i + 1; j < nall; j++)
			CHECK(all[i].a + all[i].size <= all[j].a ||
			      all[j].a + all[j].size <= all[i].a);
	/* the host bridge itself is 00:00.0 */
	CHECK(host.devs[0] == &host.bridge);
	pci_host_destroy(&host);
}

TEST(host_add_full_and_errors)
{
	static struct pci_dev d[PCI_MAX_DEVICES + 1];
	static struct rec r[PCI_MAX_DEVICES + 1];
	static struct pci_dev big, io;
	static struct rec rbig, rio;

	host_init();
	dev_init(&big, &rbig, 0x1000);
	CHECK_EQ(pci_dev_add_bar(&big, 0, 0x40000000, false, false, false), 0); /* > 512 MiB */
	CHECK_EQ(pci_host_add(&host, &big), -ENOSPC);
	CHECK(host.devs[1] == NULL);
	dev_init(&io, &rio, 0x1000);
	CHECK_EQ(pci_dev_add_bar(&io, 0, 0x100, true, false, false), 0);
	CHECK_EQ(pci_host_add(&host, &io), -ENOTSUP); /* no I/O window given */
	CHECK(host.devs[1] == NULL);
	pci_host_destroy(&host);

	host_init();
	for (int i = 1; i < PCI_MAX_DEVICES; i++) {
		dev_init(&d[i], &r[i], (uint16_t)i);
		CHECK_EQ(pci_host_add(&host, &d[i]), i);
	}
	dev_init(&d[0], &r[0], 0x1000);
	CHECK_EQ(pci_host_add(&host, &d[0]), -ENOSPC);
	CHECK_EQ(d[0].devfn, 0);
	CHECK_EQ(rd8(&d[0], PCI_INTERRUPT_PIN), 0);
	pci_host_destroy(&host);
}

static void ecam_rd(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, void *out,
		    unsigned int size)
{
	pci_ecam_ops.read(&host, (uint64_t)bus << 20 | dev << 15 | fn << 12 | reg, out, size);
}

static void ecam_wr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, const void *in,
		    unsigned int size)
{
	pci_ecam_ops.write(&host, (uint64_t)bus << 20 | dev << 15 | fn << 12 | reg, in, size);
}

static uint32_t ecam_rd32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
	uint32_t v = 0x5a5a5a5a;

	ecam_rd(bus, dev, fn, reg, &v, 4);
	return v;
}

TEST(ecam_config_cycles)
{
	static struct pci_dev d[3];
	static struct rec r[3];
	uint8_t b8;
	uint16_t b16;
	uint64_t b64;
	uint32_t v;

	host_init();
	for (int i = 0; i < 3; i++) {
		dev_init(&d[i], &r[i], (uint16_t)(0x1040 + i));
		CHECK_EQ(pci_host_add(&host, &d[i]), i + 1);
	}
	d[1].cfg[0x100] = 0x11;
	d[1].cfg[0xffc] = 0x77;

	CHECK_EQ(ecam_rd32(0, 0, 0, PCI_VENDOR_ID), 0x00081b36);
	CHECK_EQ(ecam_rd32(0, 0, 0, PCI_CLASS_REVISION) >> 8, 0x060000);
	for (uint32_t s = 1; s <= 3; s++)
		CHECK_EQ(ecam_rd32(0, s, 0, PCI_VENDOR_ID), (0x1040 + s - 1) << 16 | 0x1af4);
	ecam_rd(0, 2, 0, PCI_DEVICE_ID, &b16, 2);
	CHECK_EQ(b16, 0x1041);
	ecam_rd(0, 2, 0, PCI_CLASS_PROG + 2, &b8, 1); /* base class */
	CHECK_EQ(b8, 0x01);
	ecam_rd(0, 2, 0, PCI_INTERRUPT_PIN, &b8, 1);
	CHECK_EQ(b8, 1);
	CHECK_EQ(ecam_rd32(0, 2, 0, 0x100), 0x11); /* extended space */
	CHECK_EQ(ecam_rd32(0, 2, 0, 0xffc), 0x77);
	b64 = 0;
	ecam_rd(0, 2, 0, 0, &b64, 8);
	CHECK_EQ(pci_cfg_get32(&d[1], PCI_COMMAND), PCI_COMMAND_MEMORY);
	CHECK_EQ(b64, (uint64_t)PCI_COMMAND_MEMORY << 32 | 0x10411af4);

	/* writes reach the right device */
	b8 = 0x2b;
	ecam_wr(0, 3, 0, PCI_INTERRUPT_LINE, &b8, 1);
	CHECK_EQ(d[2].cfg[PCI_INTERRUPT_LINE], 0x2b);
	CHECK_EQ(d[1].cfg[PCI_INTERRUPT_LINE], 18);
	CHECK_EQ(d[0].cfg[PCI_INTERRUPT_LINE], 17);
	CHECK(r[2].cfg_written > 0);
	CHECK_EQ(r[1].cfg_written, 0);

	/* absent device, function, bus */
	CHECK_EQ(ecam_rd32(0, 4, 0, 0), 0xffffffff);
	CHECK_EQ(ecam_rd32(0, 31, 0, 0), 0xffffffff);
	CHECK_EQ(ecam_rd32(0, 1, 1, 0), 0xffffffff);
	CHECK_EQ(ecam_rd32(0, 0, 7, 0), 0xffffffff);
	CHECK_EQ(ecam_rd32(1, 1, 0, 0), 0xffffffff);
	CHECK_EQ(ecam_rd32(255, 0, 0, 0), 0xffffffff);
	b16 = 0;
	ecam_rd(0, 5, 0, PCI_DEVICE_ID, &b16, 2);
	CHECK_EQ(b16, 0xffff);
	b8 = 0x2c;
	ecam_wr(0, 1, 2, PCI_INTERRUPT_LINE, &b8, 1); /* fn 2 of slot 1: dropped */
	ecam_wr(1, 1, 0, PCI_INTERRUPT_LINE, &b8, 1); /* bus 1: dropped */
	CHECK_EQ(d[0].cfg[PCI_INTERRUPT_LINE], 17);

	/* unaligned accesses: reads are all-ones, writes ignored */
	CHECK_EQ(ecam_rd32(0, 1, 0, 2), 0xffffffff);
	b16 = 0;
	ecam_rd(0, 1, 0, 1, &b16, 2);
	CHECK_EQ(b16, 0xffff);
	v = 0x55555555;
	ecam_wr(0, 1, 0, PCI_INTERRUPT_LINE - 1, &v, 4);
	b16 = 0x5555;
	ecam_wr(0, 1, 0, PCI_INTERRUPT_LINE + 1, &b16, 2);
	ecam_wr(0, 1, 0, PCI_LATENCY_TIMER, &b16, 2);
	CHECK_EQ(d[0].cfg[PCI_INTERRUPT_LINE], 17);
	CHECK_EQ(d[0].cfg[PCI_LATENCY_TIMER], 0);
	CHECK_EQ(d[0].cfg[PCI_CACHE_LINE_SIZE], 0);
	CHECK_EQ(r[0].cfg_written, 0);
	pci_host_destroy(&host);
}

static void cf8_addr(uint32_t a)
{
	pci_cf8_ops.write(&host, 0, (const uint8_t *)&a, 4);
}

static uint32_t cf8_data(unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	pci_cf8_ops.read(&host, 4 + off, (uint8_t *)&v, size);
	return v;
}

static uint32_t cfaddr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc) | (reg >> 8) << 24;
}

TEST(cf8_config_cycles)
{
	static struct pci_dev d[2];
	static struct rec r[2];
	uint32_t a, v;
	uint8_t b;

	host_init();
	for (int i = 0; i < 2; i++) {
		dev_init(&d[i], &r[i], (uint16_t)(0x1050 + i));
		CHECK_EQ(pci_host_add(&host, &d[i]), i + 1);
	}
	d[1].cfg[0x104] = 0xa1;
	d[1].cfg[0x105] = 0xa2;
	d[1].cfg[0x106] = 0xa3;
	d[1].cfg[0x107] = 0xa4;
	d[1].cfg[0xf44] = 0x3c;

	/* the address register reads back */
	cf8_addr(cfaddr(0, 2, 0, 0));
	a = 0;
	pci_cf8_ops.read(&host, 0, (uint8_t *)&a, 4);
	CHECK_EQ(a, cfaddr(0, 2, 0, 0));
	/* dword, word, byte reads */
	CHECK_EQ(cf8_data(0, 4), 0x10511af4);
	CHECK_EQ(cf8_data(0, 2), 0x1af4);
	CHECK_EQ(cf8_data(2, 2), 0x1051);
	CHECK_EQ(cf8_data(0, 1), 0xf4);
	CHECK_EQ(cf8_data(1, 1), 0x1a);
	CHECK_EQ(cf8_data(3, 1), 0x10);
	cf8_addr(cfaddr(0, 1, 0, PCI_CLASS_REVISION));
	CHECK_EQ(cf8_data(0, 4), 0x01000002);
	cf8_addr(cfaddr(0, 0, 0, 0));
	CHECK_EQ(cf8_data(0, 4), 0x00081b36);
	/* the low two address bits do not select a register */
	cf8_addr(cfaddr(0, 2, 0, 0) | 3);
	CHECK_EQ(cf8_data(0, 4), 0x10511af4);

	/* AMD extended register number: bits 27:24 are reg bits 11:8 */
	cf8_addr(cfaddr(0, 2, 0, 0x104));
	CHECK_EQ(cfaddr(0, 2, 0, 0x104), 0x81001004u);
	CHECK_EQ(cf8_data(0, 4), 0xa4a3a2a1);
	CHECK_EQ(cf8_data(2, 1), 0xa3);
	cf8_addr(cfaddr(0, 2, 0, 0xf44));
	CHECK_EQ(cf8_data(0, 4), 0x3c);
	d[1].wmask[0xf45] = 0xff;
	b = 0x99;
	pci_cf8_ops.write(&host, 5, &b, 1);
	CHECK_EQ(d[1].cfg[0xf45], 0x99);
	CHECK_EQ(d[1].cfg[0x45], 0);

	/* writes: byte, word, dword */
	cf8_addr(cfaddr(0, 1, 0, PCI_CACHE_LINE_SIZE));
	b = 0x10;
	pci_cf8_ops.write(&host, 4, &b, 1);
	b = 0x20;
	pci_cf8_ops.write(&host, 5, &b, 1); /* latency timer */
	CHECK_EQ(d[0].cfg[PCI_CACHE_LINE_SIZE], 0x10);
	CHECK_EQ(d[0].cfg[PCI_LATENCY_TIMER], 0x20);
	CHECK_EQ(d[1].cfg[PCI_CACHE_LINE_SIZE], 0);
	cf8_addr(cfaddr(0, 2, 0, PCI_INTERRUPT_LINE));
	v = 0x4321;
	pci_cf8_ops.write(&host, 4, (uint8_t *)&v, 2);
	CHECK_EQ(d[1].cfg[PCI_INTERRUPT_LINE], 0x21);
	CHECK_EQ(d[1].cfg[PCI_INTERRUPT_PIN], 1); /* read-only */
	cf8_addr(cfaddr(0, 2, 0, PCI_COMMAND));
	v = PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	pci_cf8_ops.write(&host, 4, (uint8_t *)&v, 4);
	CHECK_EQ(pci_cfg_get16(&d[1], PCI_COMMAND), PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	v = PCI_COMMAND_IO;
	pci_cf8_ops.write(&host, 4, (uint8_t *)&v, 2);
	CHECK_EQ(pci_cfg_get16(&d[1], PCI_COMMAND), PCI_COMMAND_IO);

	/* absent device, function, bus */
	cf8_addr(cfaddr(0, 7, 0, 0));
	CHECK_EQ(cf8_data(0, 4), 0xffffffff);
	cf8_addr(cfaddr(0, 1, 3, 0));
	CHECK_EQ(cf8_data(0, 4), 0xffffffff);
	CHECK_EQ(cf8_data(2, 2), 0xffff);
	cf8_addr(cfaddr(2, 1, 0, 0));
	CHECK_EQ(cf8_data(0, 4), 0xffffffff);
	CHECK_EQ(cf8_data(1, 1), 0xff);

	/* enable bit clear: all-ones, writes dropped */
	cf8_addr(cfaddr(0, 1, 0, PCI_INTERRUPT_LINE) & ~0x80000000u);
	CHECK_EQ(cf8_data(0, 4), 0xffffffff);
	b = 0x77;
	pci_cf8_ops.write(&host, 4, &b, 1);
	CHECK_EQ(d[0].cfg[PCI_INTERRUPT_LINE], 17);

	/* unaligned data-port accesses */
	cf8_addr(cfaddr(0, 1, 0, PCI_CACHE_LINE_SIZE));
	CHECK_EQ(cf8_data(1, 2), 0xffff);
	v = 0x5555;
	pci_cf8_ops.write(&host, 5, (uint8_t *)&v, 2);
	CHECK_EQ(d[0].cfg[PCI_LATENCY_TIMER], 0x20);
	CHECK_EQ(d[0].cfg[PCI_HEADER_TYPE], 0);

	/* only a dword access to 0xcf8 latches the address */
	cf8_addr(cfaddr(0, 1, 0, 0));
	b = 0;
	pci_cf8_ops.write(&host, 3, &b, 1);
	v = 0;
	pci_cf8_ops.write(&host, 0, (uint8_t *)&v, 2);
	a = 0;
	pci_cf8_ops.read(&host, 0, (uint8_t *)&a, 4);
	CHECK_EQ(a, cfaddr(0, 1, 0, 0));
	b = 0;
	pci_cf8_ops.read(&host, 0, &b, 1);
	CHECK_EQ(b, 0xff);
	CHECK_EQ(cf8_data(0, 4), 0x10501af4);
	pci_host_destroy(&host);
}

static void mmio_rd(struct pci_window *w, uint64_t addr, void *out, unsigned int size)
{
	pci_mmio_ops.read(w, addr - w->base, out, size);
}

static void mmio_wr(struct pci_window *w, uint64_t addr, const void *in, unsigned int size)
{
	pci_mmio_ops.write(w, addr - w->base, in, size);
}

/* An I/O BAR: placed in the I/O window, I/O decoding on, reached through winio only. */
TEST(io_bar_window)
{
	static struct pci_dev d, m;
	static struct rec r, rm;
	uint32_t v32 = 0;
	uint64_t a;

	host_init();
	pci_host_set_io(&host, 0xc000, 0x4000);
	dev_init(&m, &rm, 0x1000); /* a memory BAR first: its window is not the ports' */
	CHECK_EQ(pci_dev_add_bar(&m, 0, 0x1000, false, false, false), 0);
	CHECK_EQ(pci_host_add(&host, &m), 1);
	CHECK(!(rd16(&m, PCI_COMMAND) & PCI_COMMAND_IO));
	dev_init(&d, &r, 0x1001);
	CHECK_EQ(pci_dev_add_bar(&d, 0, 0x1000, false, false, false), 0);
	CHECK_EQ(pci_dev_add_bar(&d, 2, 0x20, true, false, false), 0);
	CHECK_EQ(pci_host_add(&host, &d), 2);
	CHECK(rd16(&d, PCI_COMMAND) & PCI_COMMAND_IO);
	CHECK(rd16(&d, PCI_COMMAND) & PCI_COMMAND_MEMORY);
	a = pci_bar_address(&d, 2);
	CHECK_EQ(a, 0xc000);
	CHECK_EQ(rd32(&d, BAR(2)), 0xc000 | PCI_BASE_ADDRESS_SPACE_IO);
	/* sizing: the low bits say I/O */
	wr32(&d, BAR(2), 0xffffffff);
	CHECK_EQ(rd32(&d, BAR(2)) & 0xffff, 0xffe1);
	wr32(&d, BAR(2), 0xc000);
	mmio_rd(&host.winio, a + 4, &v32, 4);
	CHECK_EQ(r.reads, 1);
	CHECK_EQ(r.bar, 2);
	CHECK_EQ(r.off, 4);
	/* the same number on the MMIO side is not this BAR */
	mmio_rd(&host.win32, W32_BASE + 4, &v32, 4);
	CHECK_EQ(r.reads, 1);
	/* I/O decoding off: gone */
	wr16(&d, PCI_COMMAND, PCI_COMMAND_MEMORY);
	mmio_rd(&host.winio, a, &v32, 4);
	CHECK_EQ(v32, 0xffffffff);
	CHECK_EQ(r.reads, 1);
	pci_host_destroy(&host);
}

TEST(bar_window_routing)
{
	static struct pci_dev d[2];
	static struct rec r[2];
	uint64_t a0, a2, b0, v;
	uint32_t v32;

	host_init();
	for (int i = 0; i < 2; i++) {
		dev_init(&d[i], &r[i], (uint16_t)(0x1060 + i));
		CHECK_EQ(pci_dev_add_bar(&d[i], 0, 0x1000, false, false, false), 0);
		CHECK_EQ(pci_dev_add_bar(&d[i], 2, 0x4000, false, true, false), 0);
		CHECK_EQ(pci_host_add(&host, &d[i]), i + 1);
	}
	a0 = pci_bar_address(&d[0], 0);
	a2 = pci_bar_address(&d[0], 2);
	b0 = pci_bar_address(&d[1], 0);
	CHECK(a0 >= W32_BASE && b0 >= W32_BASE && a2 >= W64_BASE);

	v32 = 0;
	mmio_rd(&host.win32, a0 + 0x10, &v32, 4);
	CHECK_EQ(r[0].reads, 1);
	CHECK_EQ(r[0].bar, 0);
	CHECK_EQ(r[0].off, 0x10);
	CHECK_EQ(r[0].size, 4);
	CHECK_EQ(v32, 0x04030201);
	CHECK_EQ(r[1].reads, 0);

	v = 0;
	mmio_rd(&host.win64, a2 + 0x3ff8, &v, 8);
	CHECK_EQ(r[0].reads, 2);
	CHECK_EQ(r[0].bar, 2);
	CHECK_EQ(r[0].off, 0x3ff8);
	CHECK_EQ(r[0].size, 8);
	CHECK_EQ(v, 0x2827262524232221ULL);

	v32 = 0xdeadbeef;
	mmio_wr(&host.win32, b0 + 0xffc, &v32, 4);
	CHECK_EQ(r[1].writes, 1);
	CHECK_EQ(r[1].bar, 0);
	CHECK_EQ(r[1].off, 0xffc);
	CHECK_EQ(r[1].size, 4);
	CHECK(!memcmp(r[1].wdata, &v32, 4));
	CHECK_EQ(r[0].writes, 0);
	CHECK_EQ(host.bad_accesses, 0);

	/* straddling the end of a BAR, or unassigned space: counted, all-ones */
	v32 = 0;
	mmio_rd(&host.win32, a0 + 0xffe, &v32, 4);
	CHECK_EQ(v32, 0xffffffff);
	CHECK_EQ(host.bad_accesses, 1);
	v = 0;
	mmio_rd(&host.win32, W32_BASE + W32_SIZE - 8, &v, 8);
	CHECK_EQ(v, ~0ULL);
	CHECK_EQ(host.bad_accesses, 2);
	mmio_wr(&host.win64, W64_BASE + W64_SIZE - 4, &v32, 4);
	CHECK_EQ(host.bad_accesses, 3);
	mmio_wr(&host.win64, a2 + 0x4000 - 2, &v32, 4);
	CHECK_EQ(host.bad_accesses, 4);
	CHECK_EQ(r[0].reads, 2);
	CHECK_EQ(r[0].writes, 0);
	CHECK_EQ(r[1].writes, 1);

	/* memory decode off: the BARs are gone */
	wr16(&d[0], PCI_COMMAND, 0);
	mmio_rd(&host.win32, a0, &v32, 4);
	CHECK_EQ(host.bad_accesses, 5);
	CHECK_EQ(r[0].reads, 2);
	/* moved (decode back on): reached at the new address, not the old */
	wr32(&d[0], BAR(0), (uint32_t)(W32_BASE + 0x1000000));
	wr16(&d[0], PCI_COMMAND, PCI_COMMAND_MEMORY);
	mmio_rd(&host.win32, W32_BASE + 0x1000000 + 0x20, &v32, 2);
	CHECK_EQ(r[0].reads, 3);
	CHECK_EQ(r[0].bar, 0);
	CHECK_EQ(r[0].off, 0x20);
	CHECK_EQ(r[0].size, 2);
	CHECK_EQ(host.bad_accesses, 5);
	mmio_rd(&host.win32, a0, &v32, 4);
	CHECK_EQ(host.bad_accesses, 6);
	CHECK_EQ(r[0].reads, 3);
	pci_host_destroy(&host);
}

UNIT_MAIN("pci", T(bar_sizing), T(bar_sizing_64bit_small), T(bar_add_rejects_bad_shapes),
	  T(bar_move_follows_decode), T(read_only_registers), T(status_write_one_to_clear),
	  T(capability_chain), T(capability_area_full), T(host_add_assigns_bars),
	  T(host_add_full_and_errors), T(ecam_config_cycles), T(cf8_config_cycles),
	  T(io_bar_window), T(bar_window_routing))
