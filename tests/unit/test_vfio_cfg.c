// SPDX-License-Identifier: GPL-2.0-only
/*
 * The config space a passed-through device shows the guest (vfio/cfg.c),
 * against a recorded device: the config space of QEMU's e1000e (82574L) as L1
 * of the lab sees it — BAR0 128K, BAR1 128K (flash), BAR2 I/O 32, BAR3 16K
 * (MSI-X table at 0, PBA at 0x2000), capabilities PM 0xc8 -> MSI 0xd0 ->
 * PCIe 0xe0 -> MSI-X 0xa0. The fake device records what reaches it.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "e1000e_record.h"
#include "pci/host.h"
#include "vfio/vfio.h"
#include "unit.h"

static uint8_t devcfg[256]; /* the device's config space */
static uint8_t bar0[0x20000];
static uint8_t bar3[0x4000];
static unsigned int cfg_writes, bar_reads, bar_writes;
static uint32_t last_write_off, last_write_len;
static struct {
	unsigned int index, count;
	uint32_t flags;
	int calls;
} irqs;

static void record(void)
{
	e1000e_record(devcfg);
}

static int fake_read(void *ctx, unsigned int region, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (off + len > sizeof(devcfg))
			return -EINVAL;
		memcpy(buf, devcfg + off, len);
		return 0;
	}
	bar_reads++;
	if (region == 0 && off + len <= sizeof(bar0))
		return memcpy(buf, bar0 + off, len), 0;
	if (region == 3 && off + len <= sizeof(bar3))
		return memcpy(buf, bar3 + off, len), 0;
	return -EIO;
}

static int fake_write(void *ctx, unsigned int region, uint64_t off, const void *buf, size_t len)
{
	(void)ctx;
	if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (off + len > sizeof(devcfg))
			return -EINVAL;
		cfg_writes++;
		last_write_off = (uint32_t)off;
		last_write_len = (uint32_t)len;
		/* like vfio-pci: the identity stays */
		for (size_t i = 0; i < len; i++)
			if (off + i >= 4)
				devcfg[off + i] = ((const uint8_t *)buf)[i];
		return 0;
	}
	bar_writes++;
	if (region == 0 && off + len <= sizeof(bar0))
		return memcpy(bar0 + off, buf, len), 0;
	if (region == 3 && off + len <= sizeof(bar3))
		return memcpy(bar3 + off, buf, len), 0;
	return -EIO;
}

static int fake_set_irqs(void *ctx, unsigned int index, uint32_t flags, unsigned int start,
			 unsigned int count, const int *fds)
{
	(void)ctx;
	(void)start;
	(void)fds;
	irqs.index = index;
	irqs.flags = flags;
	irqs.count = count;
	irqs.calls++;
	return 0;
}

static const struct vfio_io_ops fake_io = { fake_read, fake_write, fake_set_irqs };
static struct vfio_pci v;
static char why[256];

static int setup(void)
{
	static const uint64_t sizes[VFIO_PCI_NUM_REGIONS] = { 0x20000, 0x20000, 32, 0x4000, 0, 0,
							      0x40000, 256 };

	record();
	memset(&v, 0, sizeof(v));
	memset(&irqs, 0, sizeof(irqs));
	cfg_writes = bar_reads = bar_writes = 0;
	v.io = &fake_io;
	v.intx_efd = v.intx_resample = -1;
	v.msi_efd = v.msi_gsi = -1;
	v.container = v.group = v.fd = -1;
	snprintf(v.name, sizeof(v.name), "nic0");
	for (int i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		v.regions[i].size = sizes[i];
	return vfio_pci_build(&v, why, sizeof(why));
}

static uint32_t rd(uint32_t off, unsigned int size)
{
	uint8_t b[4] = { 0 };
	uint32_t x = 0;

	pci_cfg_read(&v.pci, off, b, size);
	memcpy(&x, b, size);
	return x;
}

static void wr(uint32_t off, uint32_t val, unsigned int size)
{
	pci_cfg_write(&v.pci, off, (const uint8_t *)&val, size);
}

TEST(identity_and_header)
{
	CHECK_EQ(setup(), 0);
	CHECK_EQ(rd(PCI_VENDOR_ID, 2), 0x8086);
	CHECK_EQ(rd(PCI_DEVICE_ID, 2), 0x10d3);
	CHECK_EQ(rd(PCI_CLASS_DEVICE, 2), 0x0200);
	CHECK_EQ(rd(PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	/* the identity cannot be written */
	wr(PCI_VENDOR_ID, 0x1234, 2);
	CHECK_EQ(rd(PCI_VENDOR_ID, 2), 0x8086);
	/* the ROM is not offered; the I/O BAR is, as an I/O BAR */
	CHECK_EQ(rd(PCI_ROM_ADDRESS, 4), 0);
	wr(PCI_ROM_ADDRESS, 0xfffff801, 4);
	CHECK_EQ(rd(PCI_ROM_ADDRESS, 4), 0);
	CHECK_EQ(rd(PCI_BASE_ADDRESS_2, 4), PCI_BASE_ADDRESS_SPACE_IO);
	CHECK_EQ(v.io_bars_hidden, 0);
	/* the extended space is an empty list */
	CHECK_EQ(rd(0x100, 4), 0);
}

TEST(bar_sizing)
{
	uint32_t x = 0;

	CHECK_EQ(setup(), 0);
	CHECK_EQ(v.pci.bars[0].size, 0x20000);
	CHECK_EQ(v.pci.bars[3].size, 0x4000);
	CHECK(v.pci.bars[2].size == 32 && v.pci.bars[2].io);
	/* the L1 firmware's addresses are not the guest's */
	CHECK_EQ(rd(PCI_BASE_ADDRESS_0, 4), 0);
	wr(PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	CHECK_EQ(rd(PCI_BASE_ADDRESS_0, 4), 0xfffe0000);
	wr(PCI_BASE_ADDRESS_3, 0xffffffff, 4);
	CHECK_EQ(rd(PCI_BASE_ADDRESS_3, 4), 0xffffc000);
	wr(PCI_BASE_ADDRESS_2, 0xffffffff, 4);
	CHECK_EQ(rd(PCI_BASE_ADDRESS_2, 4), 0xffffffe1); /* 32 ports */
	/* an access to it is forwarded to the device's region 2 */
	v.pci.ops->bar_read(&v.pci, 2, 4, (uint8_t *)&x, 4);
	CHECK_EQ(bar_reads, 1);
	wr(PCI_BASE_ADDRESS_0, 0xc0000000, 4);
	CHECK_EQ(rd(PCI_BASE_ADDRESS_0, 4), 0xc0000000);
	/* BAR writes are kasou's: nothing reached the device */
	CHECK_EQ(cfg_writes, 0);
}

TEST(capability_chain)
{
	unsigned int n = 0;
	uint8_t ids[8];

	CHECK_EQ(setup(), 0);
	CHECK(rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (uint32_t off = rd(PCI_CAPABILITY_LIST, 1); off && n < 8; off = rd(off + 1, 1))
		ids[n++] = (uint8_t)rd(off, 1);
	/* PM, MSI, PCIe, MSI-X; a vendor capability is unlinked */
	CHECK_EQ(n, 4);
	CHECK_EQ(ids[0], PCI_CAP_ID_PM);
	CHECK_EQ(ids[1], PCI_CAP_ID_MSI);
	CHECK_EQ(ids[2], PCI_CAP_ID_EXP);
	CHECK_EQ(ids[3], PCI_CAP_ID_MSIX);
	CHECK_EQ(v.msix_cap, 0xa0);
	CHECK_EQ(v.msi_cap, 0xd0);
	/* next pointers cannot be written */
	wr(0xc9, 0x40, 1);
	CHECK_EQ(rd(0xc9, 1), 0xd0);
	/* a vendor-specific capability in the chain is skipped */
	record();
	devcfg[0xe1] = 0x40;
	devcfg[0x40] = PCI_CAP_ID_VNDR, devcfg[0x41] = 0xa0, devcfg[0x42] = 8;
	memset(&v.pci, 0, sizeof(v.pci));
	CHECK_EQ(vfio_pci_build(&v, why, sizeof(why)), 0);
	CHECK_EQ(rd(0xe1, 1), 0xa0);
	CHECK_EQ(rd(0x40, 1), PCI_CAP_ID_VNDR); /* still there, unreachable */
}

TEST(passthrough_writes)
{
	CHECK_EQ(setup(), 0);
	/* PCIe Device Control goes to the device, and reads come from it */
	wr(0xe8, 0x2810, 2);
	CHECK_EQ(cfg_writes, 1);
	CHECK_EQ(last_write_off, 0xe8);
	CHECK_EQ(last_write_len, 2);
	CHECK_EQ(devcfg[0xe8] | devcfg[0xe9] << 8, 0x2810);
	devcfg[0xe8] = 0x30; /* the device changed it */
	CHECK_EQ(rd(0xe8, 2), 0x2830);
	/* status is the device's */
	devcfg[PCI_STATUS + 1] = 0x20;
	CHECK_EQ(rd(PCI_STATUS + 1, 1), 0x20);
	/* command: forwarded, and BAR decode follows it */
	wr(PCI_BASE_ADDRESS_0, 0xc0000000, 4);
	wr(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	CHECK_EQ(devcfg[PCI_COMMAND], PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK_EQ(pci_bar_address(&v.pci, 0), 0xc0000000);
	/* a dword write across passed and emulated bytes (0x3c line/pin, 0x3e..0x3f passed) */
	cfg_writes = 0;
	wr(PCI_INTERRUPT_LINE, 0xaabb0005, 4);
	CHECK_EQ(rd(PCI_INTERRUPT_LINE, 1), 5);
	CHECK_EQ(cfg_writes, 1);
	CHECK_EQ(last_write_off, 0x3e);
	CHECK_EQ(last_write_len, 2);
}

TEST(trapped_bar_access)
{
	uint8_t b[4];
	uint32_t x = 0x12345678;

	CHECK_EQ(setup(), 0);
	CHECK_EQ(vfio_pci_wire(&v, why, sizeof(why)), 0);
	memcpy(bar0 + 0x5400, "\x11\x22\x33\x44", 4);
	v.pci.ops->bar_read(&v.pci, 0, 0x5400, b, 4);
	CHECK(!memcmp(b, "\x11\x22\x33\x44", 4));
	v.pci.ops->bar_write(&v.pci, 0, 0x100, (uint8_t *)&x, 4);
	CHECK(!memcmp(bar0 + 0x100, &x, 4));
	CHECK_EQ(v.trapped_reads, 1);
	CHECK_EQ(v.trapped_writes, 1);
	/* the PBA (BAR3 + 0x2000) is the device's */
	bar3[0x2000] = 0x5;
	v.pci.ops->bar_read(&v.pci, 3, 0x2000, b, 4);
	CHECK_EQ(b[0], 5);
	vfio_pci_unwire(&v);
}

TEST(msix_table_and_enable)
{
	uint32_t addr = 0xfee00000, data = 0x41, ctrl = 0;
	uint8_t b[4];

	CHECK_EQ(setup(), 0);
	CHECK_EQ(vfio_pci_wire(&v, why, sizeof(why)), 0);
	CHECK_EQ(v.msix.nr, 5);
	CHECK_EQ(v.msix.bar, 3);
	/* the table is emulated: nothing reaches the device */
	bar_writes = 0;
	v.pci.ops->bar_write(&v.pci, 3, 16 + 0, (uint8_t *)&addr, 4);
	v.pci.ops->bar_write(&v.pci, 3, 16 + 8, (uint8_t *)&data, 4);
	v.pci.ops->bar_write(&v.pci, 3, 16 + 12, (uint8_t *)&ctrl, 4);
	CHECK_EQ(bar_writes, 0);
	v.pci.ops->bar_read(&v.pci, 3, 16 + 8, b, 4);
	CHECK_EQ(b[0], 0x41);
	CHECK_EQ(v.msix.v[1].addr_lo, 0xfee00000);
	CHECK(!(v.msix.v[1].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT));
	CHECK(v.msix.v[0].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
	/* only Enable and Function Mask are writable; the size stays */
	wr(0xa2, 0x07ff, 2);
	CHECK_EQ(rd(0xa2, 2), 0x0004);
	CHECK_EQ(irqs.calls, 0);
	/* enable: VFIO gets every vector's eventfd */
	wr(0xa2, PCI_MSIX_FLAGS_ENABLE, 2);
	CHECK(v.msix_on);
	CHECK_EQ(irqs.index, VFIO_PCI_MSIX_IRQ_INDEX);
	CHECK_EQ(irqs.count, 5);
	CHECK(irqs.flags & VFIO_IRQ_SET_DATA_EVENTFD);
	/* writing it again changes nothing */
	irqs.calls = 0;
	wr(0xa2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	CHECK_EQ(irqs.calls, 0);
	/* disable: VFIO's vectors go */
	wr(0xa2, 0, 2);
	CHECK(!v.msix_on);
	CHECK_EQ(irqs.index, VFIO_PCI_MSIX_IRQ_INDEX);
	CHECK(irqs.flags & VFIO_IRQ_SET_DATA_NONE);
	CHECK_EQ(irqs.count, 0);
	vfio_pci_unwire(&v);
}

TEST(msi_one_vector)
{
	uint32_t addr = 0xfee01000;

	CHECK_EQ(setup(), 0);
	CHECK_EQ(vfio_pci_wire(&v, why, sizeof(why)), 0);
	/* 64-bit, one vector, no per-vector masks; only Enable writable in the control word */
	CHECK_EQ(rd(0xd2, 2), PCI_MSI_FLAGS_64BIT);
	wr(0xd2, 0xffff, 2);
	CHECK_EQ(rd(0xd2, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
	CHECK(v.msi_on);
	CHECK_EQ(irqs.index, VFIO_PCI_MSI_IRQ_INDEX);
	CHECK_EQ(irqs.count, 1);
	CHECK(irqs.flags & VFIO_IRQ_SET_DATA_EVENTFD);
	/* address and data are kasou's, not the device's */
	cfg_writes = 0;
	wr(0xd4, addr, 4);
	wr(0xdc, 0x4021, 2);
	CHECK_EQ(rd(0xd4, 4), addr);
	CHECK_EQ(rd(0xdc, 2), 0x4021);
	CHECK_EQ(cfg_writes, 0);
	CHECK_EQ(devcfg[0xd4], 0);
	wr(0xd2, 0, 2);
	CHECK(!v.msi_on);
	CHECK(irqs.flags & VFIO_IRQ_SET_DATA_NONE);
	vfio_pci_unwire(&v);
}

TEST(broken_devices)
{
	/* a capability chain that loops */
	record();
	CHECK_EQ(setup(), 0);
	record();
	devcfg[0xa1] = 0xc8;
	{
		static const uint64_t sizes[VFIO_PCI_NUM_REGIONS] = { 0x20000, 0, 0, 0x4000, 0, 0, 0,
								      256 };

		memset(&v, 0, sizeof(v));
		v.io = &fake_io;
		for (int i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
			v.regions[i].size = sizes[i];
		CHECK_EQ(vfio_pci_build(&v, why, sizeof(why)), -EIO);
		CHECK(strstr(why, "capability chain at 0xc8"));
		/* a bridge */
		record();
		devcfg[PCI_HEADER_TYPE] = 1;
		CHECK_EQ(vfio_pci_build(&v, why, sizeof(why)), -ENOTSUP);
		CHECK(strstr(why, "header type 1"));
		/* a BAR whose size is not a power of 2 */
		record();
		v.regions[0].size = 0x3000;
		CHECK_EQ(vfio_pci_build(&v, why, sizeof(why)), -EIO);
		CHECK(strstr(why, "BAR 0"));
		/* MSI-X table in a BAR the device lacks */
		record();
		v.regions[0].size = 0x20000;
		v.regions[3].size = 0;
		CHECK_EQ(vfio_pci_build(&v, why, sizeof(why)), 0);
		v.intx_efd = v.intx_resample = v.msi_efd = v.msi_gsi = -1;
		CHECK_EQ(vfio_pci_wire(&v, why, sizeof(why)), -EIO);
		CHECK(strstr(why, "BAR 3"));
		CHECK(!v.msix.v); /* the vector table (and its eventfds) freed on that error */
		vfio_pci_unwire(&v);
	}
}

TEST(config_option)
{
	struct vfio_config c;
	char err[CONFIG_ERR_LEN];

	CHECK_EQ(config_parse_device("vfio=0000:00:03.0", 2, &c, err), 0);
	CHECK_STR(c.addr, "0000:00:03.0");
	CHECK_STR(c.id, "vfio2");
	CHECK(c.rombar && !c.no_mmap);
	CHECK_EQ(config_parse_device("vfio=00:1F.7,id=nic0,rombar=off,x-no-mmap=on", 0, &c, err), 0);
	CHECK_STR(c.addr, "0000:00:1f.7");
	CHECK_STR(c.id, "nic0");
	CHECK(!c.rombar && c.no_mmap);
	CHECK_EQ(config_parse_device("vfio=/sys/bus/pci/devices/0001:02:03.4", 0, &c, err), 0);
	CHECK_STR(c.addr, "0001:02:03.4");
	CHECK_EQ(config_parse_device("vfio=00:20.0", 0, &c, err), -EINVAL);
	CHECK(strstr(err, "not a PCI address"));
	CHECK_EQ(config_parse_device("vfio=00:03.8", 0, &c, err), -EINVAL);
	CHECK_EQ(config_parse_device("vfio=0:03.0", 0, &c, err), -EINVAL);
	CHECK_EQ(config_parse_device("vfio=00:03.0x", 0, &c, err), -EINVAL);
	CHECK_EQ(config_parse_device("id=x,vfio=00:03.0", 0, &c, err), -EINVAL);
	CHECK(strstr(err, "comes first"));
	CHECK_EQ(config_parse_device("vfio=00:03.0,speed=9", 0, &c, err), -EINVAL);
	CHECK(strstr(err, "unknown key 'speed'"));
	CHECK_EQ(config_parse_device("vfio=00:03.0,rombar=maybe", 0, &c, err), -EINVAL);
	CHECK_EQ(config_parse_device("vfio=00:03.0,id=a b", 0, &c, err), -EINVAL);
	CHECK_EQ(config_parse_device("", 0, &c, err), -EINVAL);
	CHECK_EQ(config_parse_device("vfio=ff:1f.7", 0, &c, err), 0);
	CHECK_STR(c.addr, "0000:ff:1f.7");
}

int main(void)
{
	static const struct unit_test tests[] = {
		T(identity_and_header), T(bar_sizing),	   T(capability_chain),
		T(passthrough_writes),	T(trapped_bar_access), T(msix_table_and_enable),
		T(msi_one_vector),	T(broken_devices),	T(config_option),
	};

	return unit_main("vfio_cfg", tests, sizeof(tests) / sizeof(tests[0]));
}
