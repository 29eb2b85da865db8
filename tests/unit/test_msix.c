// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X without KVM (router NULL, or a router with vm_fd -1): the capability,
 * the control word, table and PBA accesses, masking and pending delivery
 * (seen through each vector's eventfd), and teardown. Then the GSI router's
 * default table, MSI allocation and commit-on-change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "pci/msix.h"
#include "pci/pci.h"
#include "vmm/irq.h"
#include "unit.h"

#define NVEC 4
#define BIR 2
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000

static struct pci_dev dev;
static struct msix mx;

static void setup(unsigned int nr, struct irq_router *router)
{
	memset(&dev, 0, sizeof(dev));
	pci_dev_init(&dev, 0x1af4, 0x1042, 0x01000001, 0x1af4, 2);
	CHECK_EQ(msix_init(&mx, &dev, router, nr, BIR, TABLE_OFF, PBA_OFF), 0);
}

/* Interrupts delivered on vector `v` since the last call (the eventfd counter). */
static uint64_t fired(unsigned int v)
{
	uint64_t n = 0;

	if (read(mx.v[v].efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static uint16_t ctrl_read(void)
{
	uint8_t b[2];

	pci_cfg_read(&dev, mx.cap + PCI_MSIX_FLAGS, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

/* A guest write of the control word, as the device's cfg_written hook sees it. */
static void ctrl_write(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	pci_cfg_write(&dev, mx.cap + PCI_MSIX_FLAGS, b, 2);
	msix_cfg_written(&mx, mx.cap + PCI_MSIX_FLAGS, 2);
}

static uint32_t tab_rd32(unsigned int vec, unsigned int word)
{
	uint32_t v = 0;

	CHECK(msix_bar_read(&mx, TABLE_OFF + vec * 16 + word * 4, (uint8_t *)&v, 4));
	return v;
}

static void tab_wr32(unsigned int vec, unsigned int word, uint32_t v)
{
	CHECK(msix_bar_write(&mx, TABLE_OFF + vec * 16 + word * 4, (const uint8_t *)&v, 4));
}

static uint64_t pba_rd(unsigned int qword)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;

	CHECK(msix_bar_read(&mx, PBA_OFF + qword * 8, (uint8_t *)&v, 8));
	return v;
}

static void unmask(unsigned int vec)
{
	tab_wr32(vec, 3, 0);
}

TEST(capability)
{
	uint8_t *c;

	setup(NVEC, NULL);
	CHECK(mx.cap >= 0x40);
	CHECK_EQ(mx.cap & 3, 0);
	CHECK_EQ(dev.cfg[PCI_CAPABILITY_LIST], mx.cap);
	c = dev.cfg + mx.cap;
	CHECK_EQ(c[0], PCI_CAP_ID_MSIX);
	CHECK_EQ(c[1], 0);
	CHECK_EQ(pci_cfg_get16(&dev, mx.cap + PCI_MSIX_FLAGS), NVEC - 1);
	CHECK_EQ(pci_cfg_get32(&dev, mx.cap + PCI_MSIX_TABLE), TABLE_OFF | BIR);
	CHECK_EQ(pci_cfg_get32(&dev, mx.cap + PCI_MSIX_PBA), PBA_OFF | BIR);
	CHECK_EQ(msix_table_size(NVEC), NVEC * 16);
	CHECK_EQ(msix_pba_size(NVEC), 8);
	CHECK_EQ(msix_pba_size(64), 8);
	CHECK_EQ(msix_pba_size(65), 16);
	CHECK(!msix_enabled(&mx));
	msix_destroy(&mx);

	/* the largest table */
	memset(&dev, 0, sizeof(dev));
	pci_dev_init(&dev, 0x1af4, 0x1042, 0, 0, 0);
	CHECK_EQ(msix_init(&mx, &dev, NULL, MSIX_MAX_VECTORS, 0, 0, 0x8000), 0);
	CHECK_EQ(pci_cfg_get16(&dev, mx.cap + PCI_MSIX_FLAGS), 0x7ff);
	CHECK_EQ(pci_cfg_get32(&dev, mx.cap + PCI_MSIX_TABLE), 0);
	CHECK_EQ(pci_cfg_get32(&dev, mx.cap + PCI_MSIX_PBA), 0x8000);
	msix_destroy(&mx);
}

TEST(init_rejects)
{
	struct msix m;

	memset(&dev, 0, sizeof(dev));
	pci_dev_init(&dev, 0x1af4, 0x1042, 0, 0, 0);
	CHECK_EQ(msix_init(&m, &dev, NULL, 0, 0, 0, 0x800), -EINVAL);
	CHECK_EQ(msix_init(&m, &dev, NULL, MSIX_MAX_VECTORS + 1, 0, 0, 0x8000), -EINVAL);
	CHECK_EQ(msix_init(&m, &dev, NULL, 4, 0, 4, 0x800), -EINVAL);
	CHECK_EQ(msix_init(&m, &dev, NULL, 4, 0, 0, 0x804), -EINVAL);
	CHECK_EQ(dev.cfg[PCI_CAPABILITY_LIST], 0);
}

TEST(control_word)
{
	setup(NVEC, NULL);
	/* only Enable and Function Mask are writable */
	ctrl_write(0xffff);
	CHECK_EQ(ctrl_read(), PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | (NVEC - 1));
	CHECK(msix_enabled(&mx));
	CHECK(mx.fn_masked);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(ctrl_read(), PCI_MSIX_FLAGS_ENABLE | (NVEC - 1));
	CHECK(msix_enabled(&mx));
	CHECK(!mx.fn_masked);
	ctrl_write(PCI_MSIX_FLAGS_MASKALL);
	CHECK_EQ(ctrl_read(), PCI_MSIX_FLAGS_MASKALL | (NVEC - 1));
	CHECK(!msix_enabled(&mx));
	CHECK(mx.fn_masked);
	ctrl_write(0);
	CHECK_EQ(ctrl_read(), NVEC - 1);
	CHECK(!msix_enabled(&mx));
	CHECK(!mx.fn_masked);
	/* a byte write of the high half, as Linux does it */
	{
		uint8_t b = PCI_MSIX_FLAGS_ENABLE >> 8;

		pci_cfg_write(&dev, mx.cap + PCI_MSIX_FLAGS + 1, &b, 1);
		msix_cfg_written(&mx, mx.cap + PCI_MSIX_FLAGS + 1, 1);
	}
	CHECK(msix_enabled(&mx));
	/* the table and PBA pointers are read-only */
	{
		uint32_t z = 0;

		pci_cfg_write(&dev, mx.cap + PCI_MSIX_TABLE, (uint8_t *)&z, 4);
		pci_cfg_write(&dev, mx.cap + PCI_MSIX_PBA, (uint8_t *)&z, 4);
	}
	CHECK_EQ(pci_cfg_get32(&dev, mx.cap + PCI_MSIX_TABLE), TABLE_OFF | BIR);
	CHECK_EQ(pci_cfg_get32(&dev, mx.cap + PCI_MSIX_PBA), PBA_OFF | BIR);
	/* a config write elsewhere does not touch the MSI-X state */
	pci_cfg_set16(&dev, mx.cap + PCI_MSIX_FLAGS, 0);
	msix_cfg_written(&mx, PCI_COMMAND, 2);
	msix_cfg_written(&mx, mx.cap + PCI_MSIX_TABLE, 4);
	CHECK(msix_enabled(&mx));
	msix_destroy(&mx);
}

TEST(reset_state)
{
	setup(NVEC, NULL);
	for (unsigned int v = 0; v < NVEC; v++) {
		CHECK_EQ(tab_rd32(v, 0), 0);
		CHECK_EQ(tab_rd32(v, 1), 0);
		CHECK_EQ(tab_rd32(v, 2), 0);
		CHECK_EQ(tab_rd32(v, 3), PCI_MSIX_ENTRY_CTRL_MASKBIT);
		CHECK(mx.v[v].efd >= 0);
		CHECK_EQ(fired(v), 0);
	}
	CHECK_EQ(pba_rd(0), 0);
	/* enabled, function unmasked, but every vector masked: nothing fires */
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK(!msix_notify(&mx, 1));
	CHECK_EQ(fired(1), 0);
	CHECK_EQ(pba_rd(0), 1u << 1);
	msix_destroy(&mx);
}

TEST(table_access)
{
	uint64_t q;
	uint32_t d;
	uint8_t b;
	uint16_t w;

	setup(NVEC, NULL);
	/* qword: address low and high together */
	q = 0x00000001fee01000ULL;
	CHECK(msix_bar_write(&mx, TABLE_OFF + 16, (uint8_t *)&q, 8));
	CHECK_EQ(tab_rd32(1, 0), 0xfee01000);
	CHECK_EQ(tab_rd32(1, 1), 0x1);
	q = 0;
	CHECK(msix_bar_read(&mx, TABLE_OFF + 16, (uint8_t *)&q, 8));
	CHECK_EQ(q, 0x00000001fee01000ULL);
	/* qword over data and vector control */
	q = 0x0000000000004041ULL;
	CHECK(msix_bar_write(&mx, TABLE_OFF + 16 + 8, (uint8_t *)&q, 8));
	CHECK_EQ(tab_rd32(1, 2), 0x4041);
	CHECK_EQ(tab_rd32(1, 3), 0);
	/* dword */
	tab_wr32(2, 2, 0x12345678);
	CHECK_EQ(tab_rd32(2, 2), 0x12345678);
	CHECK_EQ(tab_rd32(1, 2), 0x4041);
	CHECK_EQ(tab_rd32(3, 2), 0);
	/* only the mask bit of vector control is writable */
	tab_wr32(2, 3, 0xfffffffe);
	CHECK_EQ(tab_rd32(2, 3), 0);
	tab_wr32(2, 3, 0xffffffff);
	CHECK_EQ(tab_rd32(2, 3), 1);
	/* bytes and words */
	b = 0xab;
	CHECK(msix_bar_write(&mx, TABLE_OFF + 2 * 16 + 8 + 1, &b, 1));
	CHECK_EQ(tab_rd32(2, 2), 0x1234ab78);
	b = 0;
	CHECK(msix_bar_read(&mx, TABLE_OFF + 2 * 16 + 8 + 3, &b, 1));
	CHECK_EQ(b, 0x12);
	w = 0;
	CHECK(msix_bar_read(&mx, TABLE_OFF + 2 * 16 + 8 + 2, (uint8_t *)&w, 2));
	CHECK_EQ(w, 0x1234);
	/* the last entry's last dword */
	tab_wr32(NVEC - 1, 2, 0xcafe);
	CHECK_EQ(mx.v[NVEC - 1].data, 0xcafe);

	/* straddling two entries: writes ignored, reads all-ones */
	q = ~0ULL;
	CHECK(msix_bar_write(&mx, TABLE_OFF + 16 + 12, (uint8_t *)&q, 8));
	CHECK_EQ(tab_rd32(1, 3), 0);
	CHECK_EQ(tab_rd32(2, 0), 0);
	q = 0;
	CHECK(msix_bar_read(&mx, TABLE_OFF + 16 + 12, (uint8_t *)&q, 8));
	CHECK_EQ(q, ~0ULL);
	d = 0xffffffff;
	CHECK(msix_bar_write(&mx, TABLE_OFF + 2 * 16 + 14, (uint8_t *)&d, 4));
	CHECK_EQ(tab_rd32(2, 3), 1);
	CHECK_EQ(tab_rd32(3, 0), 0);
	d = 0;
	CHECK(msix_bar_read(&mx, TABLE_OFF + 2 * 16 + 14, (uint8_t *)&d, 4));
	CHECK_EQ(d, 0xffffffff);
	/* an unaligned dword inside one entry reads all-ones */
	d = 0;
	CHECK(msix_bar_read(&mx, TABLE_OFF + 16 + 2, (uint8_t *)&d, 4));
	CHECK_EQ(d, 0xffffffff);

	/* outside the table and PBA: not MSI-X's */
	d = 0;
	CHECK(!msix_bar_read(&mx, TABLE_OFF + NVEC * 16, (uint8_t *)&d, 4));
	CHECK(!msix_bar_write(&mx, TABLE_OFF + NVEC * 16, (uint8_t *)&d, 4));
	CHECK(!msix_bar_read(&mx, TABLE_OFF - 4, (uint8_t *)&d, 4));
	CHECK(!msix_bar_write(&mx, TABLE_OFF + NVEC * 16 - 4, (uint8_t *)&q, 8));
	CHECK(!msix_bar_read(&mx, PBA_OFF + 8, (uint8_t *)&q, 8));
	CHECK(!msix_bar_read(&mx, PBA_OFF + 4, (uint8_t *)&q, 8));
	CHECK(!msix_bar_read(&mx, 0, (uint8_t *)&d, 4));
	CHECK_EQ(mx.v[NVEC - 1].addr_lo, 0);
	msix_destroy(&mx);
}

TEST(pending_while_disabled)
{
	setup(NVEC, NULL);
	tab_wr32(0, 0, 0xfee00000);
	tab_wr32(0, 2, 0x30);
	unmask(0);
	CHECK_EQ(fired(0), 0);
	CHECK(!msix_notify(&mx, 0));
	CHECK(!msix_notify(&mx, 0));
	CHECK_EQ(fired(0), 0);
	CHECK_EQ(pba_rd(0), 1);
	CHECK_EQ(mx.masked_hits, 2);
	/* enabling delivers the pending one, once */
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(fired(0), 1);
	CHECK_EQ(pba_rd(0), 0);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(fired(0), 0);
	/* now it goes straight through */
	CHECK(msix_notify(&mx, 0));
	CHECK_EQ(fired(0), 1);
	CHECK_EQ(pba_rd(0), 0);
	CHECK_EQ(mx.delivered, 2);
	/* other vectors were never touched */
	for (unsigned int v = 1; v < NVEC; v++)
		CHECK_EQ(fired(v), 0);
	msix_destroy(&mx);
}

TEST(pending_while_function_masked)
{
	setup(NVEC, NULL);
	unmask(1);
	unmask(2);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	CHECK(!msix_notify(&mx, 1));
	CHECK_EQ(fired(1), 0);
	CHECK_EQ(pba_rd(0), 1u << 1);
	/* the vector's own mask toggling does not bypass the function mask */
	tab_wr32(1, 3, 1);
	unmask(1);
	CHECK_EQ(fired(1), 0);
	CHECK_EQ(pba_rd(0), 1u << 1);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(fired(1), 1);
	CHECK_EQ(pba_rd(0), 0);
	CHECK_EQ(fired(2), 0); /* nothing was pending there */
	ctrl_write(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(fired(1), 0);
	msix_destroy(&mx);
}

TEST(pending_while_vector_masked)
{
	setup(NVEC, NULL);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	unmask(0);
	CHECK(!msix_notify(&mx, 2));
	CHECK(!msix_notify(&mx, 2));
	CHECK(!msix_notify(&mx, 3));
	CHECK_EQ(pba_rd(0), (1u << 2) | (1u << 3));
	CHECK_EQ(fired(2), 0);
	/* unmasking by a byte write of vector control */
	{
		uint8_t b = 0;

		CHECK(msix_bar_write(&mx, TABLE_OFF + 2 * 16 + 12, &b, 1));
	}
	CHECK_EQ(fired(2), 1);
	CHECK_EQ(pba_rd(0), 1u << 3);
	unmask(2);
	CHECK_EQ(fired(2), 0);
	/* writing address/data of a masked vector does not deliver */
	tab_wr32(3, 2, 0x41);
	CHECK_EQ(fired(3), 0);
	CHECK_EQ(pba_rd(0), 1u << 3);
	unmask(3);
	CHECK_EQ(fired(3), 1);
	CHECK_EQ(pba_rd(0), 0);
	/* unmasked vector: direct, nothing pending */
	CHECK(msix_notify(&mx, 0));
	CHECK_EQ(fired(0), 1);
	CHECK_EQ(pba_rd(0), 0);
	msix_destroy(&mx);
}

TEST(pba_read_only)
{
	uint64_t q = ~0ULL;
	uint32_t d;
	uint8_t b;

	setup(NVEC, NULL);
	CHECK(msix_bar_write(&mx, PBA_OFF, (uint8_t *)&q, 8));
	CHECK_EQ(pba_rd(0), 0);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK(!msix_notify(&mx, 1));
	CHECK_EQ(pba_rd(0), 2);
	q = 0;
	CHECK(msix_bar_write(&mx, PBA_OFF, (uint8_t *)&q, 8));
	d = 0;
	CHECK(msix_bar_write(&mx, PBA_OFF, (uint8_t *)&d, 4));
	CHECK_EQ(pba_rd(0), 2);
	d = 0;
	CHECK(msix_bar_read(&mx, PBA_OFF, (uint8_t *)&d, 4));
	CHECK_EQ(d, 2);
	b = 0;
	CHECK(msix_bar_read(&mx, PBA_OFF, &b, 1));
	CHECK_EQ(b, 2);
	/* a PBA write never reaches the table */
	for (unsigned int v = 0; v < NVEC; v++)
		CHECK_EQ(tab_rd32(v, 3), 1);
	unmask(1);
	CHECK_EQ(fired(1), 1);
	CHECK_EQ(pba_rd(0), 0);
	msix_destroy(&mx);
}

TEST(pba_many_vectors)
{
	setup(130, NULL);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	CHECK(!msix_notify(&mx, 65));
	CHECK(!msix_notify(&mx, 129));
	CHECK_EQ(pba_rd(0), 0);
	CHECK_EQ(pba_rd(1), 2);
	CHECK_EQ(pba_rd(2), 2);
	unmask(129);
	CHECK_EQ(fired(129), 1);
	CHECK_EQ(pba_rd(2), 0);
	CHECK_EQ(pba_rd(1), 2);
	msix_destroy(&mx);
}

TEST(notify_out_of_range)
{
	setup(NVEC, NULL);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	for (unsigned int v = 0; v < NVEC; v++)
		unmask(v);
	CHECK(!msix_notify(&mx, NVEC));
	CHECK(!msix_notify(&mx, 1000000));
	CHECK(!msix_notify(&mx, ~0u));
	CHECK_EQ(mx.masked_hits, 0);
	CHECK_EQ(mx.delivered, 0);
	CHECK_EQ(pba_rd(0), 0);
	for (unsigned int v = 0; v < NVEC; v++)
		CHECK_EQ(fired(v), 0);
	msix_destroy(&mx);
}

TEST(destroy_closes_fds)
{
	int fds[NVEC];

	setup(NVEC, NULL);
	for (unsigned int v = 0; v < NVEC; v++) {
		fds[v] = mx.v[v].efd;
		CHECK(fcntl(fds[v], F_GETFD) >= 0);
		CHECK(fcntl(fds[v], F_GETFD) & FD_CLOEXEC);
	}
	msix_destroy(&mx);
	CHECK(mx.v == NULL);
	for (unsigned int v = 0; v < NVEC; v++) {
		errno = 0;
		CHECK_EQ(fcntl(fds[v], F_GETFD), -1);
		CHECK_EQ(errno, EBADF);
	}
	msix_destroy(&mx); /* twice is harmless */
}

/* ---- GSI routing (vm_fd -1: the table is kept, nothing reaches KVM) ---- */

static struct irq_router router;

static const struct kvm_irq_routing_entry *route(unsigned int gsi, uint32_t type, uint32_t chip)
{
	for (unsigned int i = 0; i < router.nr; i++) {
		const struct kvm_irq_routing_entry *e = &router.entries[i];

		if (e->gsi == gsi && e->type == type &&
		    (type != KVM_IRQ_ROUTING_IRQCHIP || e->u.irqchip.irqchip == chip))
			return e;
	}
	return NULL;
}

TEST(irq_default_table)
{
	unsigned int ioapic = 0, pic = 0;

	CHECK_EQ(irq_router_init(&router, -1), 0);
	CHECK_EQ(router.nr, 24 + 16);
	CHECK_EQ(router.commits, 0);
	for (unsigned int i = 0; i < router.nr; i++) {
		const struct kvm_irq_routing_entry *e = &router.entries[i];

		CHECK_EQ(e->type, KVM_IRQ_ROUTING_IRQCHIP);
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
			ioapic++;
		else
			pic++;
	}
	CHECK_EQ(ioapic, 24);
	CHECK_EQ(pic, 16);
	for (unsigned int gsi = 0; gsi < 24; gsi++) {
		const struct kvm_irq_routing_entry *e = route(gsi, KVM_IRQ_ROUTING_IRQCHIP,
							      KVM_IRQCHIP_IOAPIC);

		CHECK(e != NULL);
		if (e)
			CHECK_EQ(e->u.irqchip.pin, gsi == 0 ? 2 : gsi);
	}
	for (unsigned int gsi = 0; gsi < 16; gsi++) {
		uint32_t chip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		const struct kvm_irq_routing_entry *e = route(gsi, KVM_IRQ_ROUTING_IRQCHIP, chip);

		CHECK(e != NULL);
		if (e)
			CHECK_EQ(e->u.irqchip.pin, gsi % 8);
	}
	CHECK(route(16, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_MASTER) == NULL);
	CHECK(route(16, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_SLAVE) == NULL);
	CHECK(route(24, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC) == NULL);
	irq_router_destroy(&router);
}

TEST(irq_msi_alloc_and_set)
{
	const struct kvm_irq_routing_entry *e;

	CHECK_EQ(irq_router_init(&router, -1), 0);
	CHECK_EQ(irq_router_alloc_msi(&router), 24);
	CHECK_EQ(irq_router_alloc_msi(&router), 25);
	CHECK_EQ(irq_router_alloc_msi(&router), 26);
	CHECK_EQ(router.nr, 43);
	CHECK_EQ(router.commits, 0);
	e = route(25, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_EQ(e->u.msi.address_lo, 0);
	CHECK_EQ(e->u.msi.address_hi, 0);
	CHECK_EQ(e->u.msi.data, 0);

	CHECK_EQ(irq_router_set_msi(&router, 25, 0x1fee01000ULL, 0x4041), 0);
	CHECK_EQ(router.commits, 1);
	CHECK_EQ(e->u.msi.address_lo, 0xfee01000);
	CHECK_EQ(e->u.msi.address_hi, 1);
	CHECK_EQ(e->u.msi.data, 0x4041);
	/* unchanged: no commit */
	CHECK_EQ(irq_router_set_msi(&router, 25, 0x1fee01000ULL, 0x4041), 0);
	CHECK_EQ(router.commits, 1);
	/* each field counts as a change */
	CHECK_EQ(irq_router_set_msi(&router, 25, 0x1fee01000ULL, 0x4042), 0);
	CHECK_EQ(router.commits, 2);
	CHECK_EQ(irq_router_set_msi(&router, 25, 0x0fee01000ULL, 0x4042), 0);
	CHECK_EQ(router.commits, 3);
	CHECK_EQ(e->u.msi.address_hi, 0);
	CHECK_EQ(irq_router_set_msi(&router, 25, 0x0fee02000ULL, 0x4042), 0);
	CHECK_EQ(router.commits, 4);
	/* the neighbours did not move */
	e = route(24, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e && e->u.msi.address_lo == 0 && e->u.msi.data == 0);
	/* not an MSI route, or not allocated */
	CHECK_EQ(irq_router_set_msi(&router, 5, 0xfee00000, 1), -ENOENT);
	CHECK_EQ(irq_router_set_msi(&router, 27, 0xfee00000, 1), -ENOENT);
	CHECK_EQ(router.commits, 4);
	e = route(5, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC);
	CHECK(e && e->u.irqchip.pin == 5);
	/* irqfd without KVM is a no-op */
	CHECK_EQ(irq_router_irqfd(&router, 24, 0, -1, true), 0);
	irq_router_destroy(&router);
}

TEST(irq_msi_alloc_until_full)
{
	int gsi = 0;
	unsigned int n = 0;

	CHECK_EQ(irq_router_init(&router, -1), 0);
	while ((gsi = irq_router_alloc_msi(&router)) >= 0 && n < 2 * IRQ_ROUTER_MAX) {
		CHECK_EQ(gsi, 24 + n);
		n++;
	}
	CHECK_EQ(gsi, -ENOSPC);
	CHECK_EQ(n, IRQ_ROUTER_MAX - 40);
	CHECK_EQ(router.nr, IRQ_ROUTER_MAX);
	CHECK_EQ(irq_router_alloc_msi(&router), -ENOSPC);
	irq_router_destroy(&router);
}

/* MSI-X with a router: unmasking points the vector's GSI at the guest's address/data. */
TEST(msix_with_router)
{
	const struct kvm_irq_routing_entry *e;

	CHECK_EQ(irq_router_init(&router, -1), 0);
	setup(NVEC, &router);
	for (unsigned int v = 0; v < NVEC; v++)
		CHECK_EQ(mx.v[v].gsi, 24 + (int)v);
	CHECK_EQ(router.nr, 40 + NVEC);
	ctrl_write(PCI_MSIX_FLAGS_ENABLE);
	tab_wr32(2, 0, 0xfee03000);
	tab_wr32(2, 1, 0);
	tab_wr32(2, 2, 0x4055);
	CHECK_EQ(router.commits, 0); /* still masked */
	unmask(2);
	CHECK_EQ(router.commits, 1);
	e = route(26, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ(e->u.msi.address_lo, 0xfee03000);
		CHECK_EQ(e->u.msi.data, 0x4055);
	}
	e = route(25, KVM_IRQ_ROUTING_MSI, 0);
	CHECK(e && e->u.msi.address_lo == 0);
	/* a pending interrupt fires after the route is in place */
	tab_wr32(2, 3, 1);
	CHECK(!msix_notify(&mx, 2));
	unmask(2);
	CHECK_EQ(fired(2), 1);
	CHECK_EQ(router.commits, 1); /* same route */
	msix_destroy(&mx);
	irq_router_destroy(&router);
}

UNIT_MAIN("msix", T(capability), T(init_rejects), T(control_word), T(reset_state),
	  T(table_access), T(pending_while_disabled), T(pending_while_function_masked),
	  T(pending_while_vector_masked), T(pba_read_only), T(pba_many_vectors),
	  T(notify_out_of_range), T(destroy_closes_fds), T(irq_default_table),
	  T(irq_msi_alloc_and_set), T(irq_msi_alloc_until_full), T(msix_with_router))
