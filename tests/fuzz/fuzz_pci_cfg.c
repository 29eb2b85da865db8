// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: sequences of PCI config-space reads/writes and BAR
 * accesses on two devices: a virtio-pci function (virtio-console, whose
 * BAR holds the common/notify/ISR/device windows and the MSI-X table and
 * PBA) and a passed-through device (vfio/cfg.c) over the recorded e1000e of
 * tests/unit/test_vfio_cfg.c, whose capability area the input may change
 * before the config space is built.
 *
 * Input: [flags][vfio only: 96 bytes XORed over the recorded 0xa0..0xff and
 * one byte picking BAR3's size] then 8-byte operations
 * [kind][off lo][off hi][size][value le32]: kind % 4 = config read, config
 * write, BAR read, BAR write (BAR = kind / 4 % 6). Offsets are made naturally
 * aligned and kept inside config space or the BAR, as the host bridge does.
 *
 * Checked after every operation: the vendor ID never changes, a BAR register
 * reads back aligned to its BAR's size (sizing included), and a decoded BAR
 * sits at an address aligned to its size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../unit/e1000e_record.h"
#include "pci/host.h"
#include "util/log.h"
#include "vfio/vfio.h"
#include "virtio/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the recorded device (tests/unit/e1000e_record.h) ---- */

static uint8_t devcfg[256];
static uint8_t bar0[0x20000];
static uint8_t bar3[0x8000];

static void record(void)
{
	e1000e_record(devcfg);
}

static int fake_read(void *ctx, unsigned int region, uint64_t off, void *buf, size_t len)
{
	if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (off + len > sizeof(devcfg))
			return -EINVAL;
		memcpy(buf, devcfg + off, len);
		return 0;
	}
	if (region == 0 && off + len <= sizeof(bar0))
		return memcpy(buf, bar0 + off, len), 0;
	if (region == 3 && off + len <= sizeof(bar3))
		return memcpy(buf, bar3 + off, len), 0;
	return -EIO;
}

static int fake_write(void *ctx, unsigned int region, uint64_t off, const void *buf, size_t len)
{
	if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (off + len > sizeof(devcfg))
			return -EINVAL;
		/* like vfio-pci: the identity stays */
		for (size_t i = 0; i < len; i++)
			if (off + i >= 4)
				devcfg[off + i] = ((const uint8_t *)buf)[i];
		return 0;
	}
	if (region == 0 && off + len <= sizeof(bar0))
		return memcpy(bar0 + off, buf, len), 0;
	if (region == 3 && off + len <= sizeof(bar3))
		return memcpy(bar3 + off, buf, len), 0;
	return -EIO;
}

static int fake_set_irqs(void *ctx, unsigned int index, uint32_t flags, unsigned int start,
			 unsigned int count, const int *fds)
{
	return 0;
}

static const struct vfio_io_ops fake_io = { fake_read, fake_write, fake_set_irqs };

/* ---- operations ---- */

static uint16_t vendor;

static void check_bars(struct pci_dev *d)
{
	if (pci_cfg_get16(d, PCI_VENDOR_ID) != vendor)
		abort();
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bars[i];
		uint8_t raw[4];
		uint32_t v;

		if (!b->size)
			continue;
		pci_cfg_read(d, PCI_BASE_ADDRESS_0 + 4 * (uint32_t)i, raw, 4);
		memcpy(&v, raw, 4);
		v &= b->io ? ~3u : ~15u;
		if (b->size <= UINT32_MAX && v % b->size)
			abort();
		if (pci_bar_address(d, i) % b->size)
			abort();
		if (b->is64)
			i++;
	}
}

static void run_ops(struct pci_dev *d, const uint8_t *p, size_t n)
{
	for (; n >= 8; p += 8, n -= 8) {
		unsigned int kind = p[0], sz = 1u << (p[3] % 3);
		uint32_t off = (uint32_t)(p[1] | p[2] << 8), val;
		uint8_t buf[4];
		int bar;

		memcpy(&val, p + 4, 4);
		memcpy(buf, &val, 4);
		switch (kind % 4) {
		case 0:
		case 1:
			off = (off % PCI_CFG_SIZE) & ~(sz - 1);
			if (kind % 4)
				pci_cfg_write(d, off, buf, sz);
			else
				pci_cfg_read(d, off, buf, sz);
			break;
		default:
			bar = (int)(kind / 4 % PCI_NUM_BARS);
			if (d->bars[bar].size < sz)
				break;
			off = (uint32_t)(off % d->bars[bar].size) & ~(sz - 1);
			if (kind % 4 == 3)
				d->ops->bar_write(d, bar, off, buf, sz);
			else
				d->ops->bar_read(d, bar, off, buf, sz);
			break;
		}
		check_bars(d);
	}
}

static void fuzz_vfio(const uint8_t *data, size_t size)
{
	static const uint32_t bar3_sizes[4] = { 0x4000, 0, 0x1000, 0x8000 };
	static struct vfio_pci v;
	static const uint64_t sizes[VFIO_PCI_NUM_REGIONS] = { 0x20000, 0x20000, 32, 0x4000, 0, 0,
							      0x40000, 256 };
	char why[256];

	if (size < 97)
		return;
	record();
	for (int i = 0; i < 96; i++)
		devcfg[0xa0 + i] ^= data[i];
	memset(&v, 0, sizeof(v));
	v.io = &fake_io;
	v.intx_efd = v.intx_resample = -1;
	v.msi_efd = v.msi_gsi = -1;
	v.container = v.group = v.fd = -1;
	strcpy(v.name, "fuzz");
	for (int i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		v.regions[i].size = sizes[i];
	v.regions[3].size = bar3_sizes[data[96] % 4];
	if (vfio_pci_build(&v, why, sizeof(why)))
		return;
	vendor = pci_cfg_get16(&v.pci, PCI_VENDOR_ID);
	if (!vfio_pci_wire(&v, why, sizeof(why)))
		run_ops(&v.pci, data + 97, size - 97);
	vfio_pci_unwire(&v);
}

static void fuzz_virtio(const uint8_t *data, size_t size)
{
	struct virtio_env env = { 0 };
	struct guest_mem mem;
	struct vcons *c = calloc(1, sizeof(*c));

	memset(&mem, 0, sizeof(mem));
	guest_mem_layout(&mem, 64 * 1024);
	mem.host = mmap(NULL, mem.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!c || mem.host == MAP_FAILED)
		abort();
	if (vcons_create(c, -1, &mem, &env))
		abort();
	vendor = pci_cfg_get16(&c->vpci.pci, PCI_VENDOR_ID);
	run_ops(&c->vpci.pci, data, size);
	vcons_destroy(c); /* resets the device: a worker the ops started is joined */
	free(c);
	munmap(mem.host, mem.size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	log_verbosity = -1; /* guest errors are expected here */
	if (data[0] & 1)
		fuzz_vfio(data + 1, size - 1);
	else
		fuzz_virtio(data + 1, size - 1);
	return 0;
}
