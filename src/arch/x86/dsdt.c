// SPDX-License-Identifier: GPL-2.0-only
/*
 * The DSDT: \_S5 for poweroff, the PCI host bridge (PNP0A08) with its bus,
 * I/O and memory windows and INTx routing, and a motherboard resource device
 * that reserves the ECAM area (Linux checks it before trusting MCFG).
 */
#include <errno.h>

#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"
#include "arch/x86/layout.h"

static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_name(a, "_S5_");
	pkg = aml_package_begin(a, 4);
	aml_integer(a, ACPI_SLP_TYP_S5);
	aml_integer(a, ACPI_SLP_TYP_S5);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a, pkg);
}

/* INTx of slot S pin P (0 = INTA) -> GSI 16 + (S + P) % 4, the usual swizzle */
static void dsdt_prt(struct aml *a)
{
	size_t outer, inner;

	aml_name(a, "_PRT");
	outer = aml_package_begin(a, 32 * 4);
	for (unsigned int slot = 0; slot < 32; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++) {
			inner = aml_package_begin(a, 4);
			aml_integer(a, ((uint64_t)slot << 16) | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, PCI_INTX_GSI_BASE + (slot + pin) % 4);
			aml_end(a, inner);
		}
	}
	aml_end(a, outer);
}

static void dsdt_pci(struct aml *a, const struct acpi_params *p)
{
	size_t dev, buf;

	dev = aml_device_begin(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	if (p->nr_numa) { /* the host bridge and its devices sit on guest node 0 */
		aml_name(a, "_PXM");
		aml_integer(a, 0);
	}
	aml_name(a, "_CRS");
	buf = aml_buffer_begin(a);
	aml_res_word_bus(a, 0, (uint16_t)((p->ecam_size >> 20) - 1));
	aml_res_word_io(a, 0x0000, 0x0cf7);
	aml_res_word_io(a, 0x0d00, 0xffff);
	aml_res_dword_mem(a, (uint32_t)p->mmio32_base, (uint32_t)(p->mmio32_base + p->mmio32_size - 1));
	if (p->mmio64_size)
		aml_res_qword_mem(a, p->mmio64_base, p->mmio64_base + p->mmio64_size - 1);
	aml_res_end(a);
	aml_buffer_end(a, buf);
	dsdt_prt(a);
	aml_end(a, dev);

	dev = aml_device_begin(a, "RES0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name(a, "_CRS");
	buf = aml_buffer_begin(a);
	aml_res_qword_mem(a, p->ecam_base, p->ecam_base + p->ecam_size - 1);
	aml_res_end(a);
	aml_buffer_end(a, buf);
	aml_end(a, dev);
}

long dsdt_build(uint8_t *buf, size_t cap, const struct acpi_params *p)
{
	struct aml a;
	size_t sb;

	aml_init(&a, buf, cap);
	dsdt_s5(&a);
	if (p->ecam_size) {
		sb = aml_scope_begin(&a, "\\_SB_");
		dsdt_pci(&a, p);
		aml_end(&a, sb);
	}
	return a.overflow ? -ENOSPC : (long)a.len;
}
