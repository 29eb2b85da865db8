/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The config space of the e1000e that the lab passes through (QEMU's 82574L
 * as L1 sees it), recorded for the VFIO config-space model's tests
 * (tests/unit/test_vfio_cfg.c) and fuzz target (tests/fuzz/fuzz_pci_cfg.c):
 * BARs 0/1/3 mem32, BAR2 I/O, a ROM, and PM, MSI (64-bit), PCIe and MSI-X
 * (5 vectors, table and PBA in BAR3) capabilities.
 */
#ifndef KASOU_TEST_E1000E_RECORD_H
#define KASOU_TEST_E1000E_RECORD_H

#include <linux/pci_regs.h>
#include <stdint.h>
#include <string.h>

static inline void e1000e_record(uint8_t devcfg[256])
{
	memset(devcfg, 0, 256);
	/* 8086:10d3, command 0, status: cap list, class 02:00:00 rev 0 */
	devcfg[0] = 0x86, devcfg[1] = 0x80, devcfg[2] = 0xd3, devcfg[3] = 0x10;
	devcfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	devcfg[PCI_CLASS_DEVICE] = 0x00, devcfg[PCI_CLASS_DEVICE + 1] = 0x02;
	devcfg[PCI_HEADER_TYPE] = 0;
	devcfg[0x10] = 0x00; /* BAR0 mem32 (address from the L1 firmware) */
	devcfg[0x12] = 0x04, devcfg[0x13] = 0xfe;
	devcfg[0x14] = 0x00, devcfg[0x16] = 0x06, devcfg[0x17] = 0xfe;
	devcfg[0x18] = 0x01, devcfg[0x19] = 0xc0; /* BAR2 I/O at 0xc000 */
	devcfg[0x1c] = 0x00, devcfg[0x1e] = 0x08, devcfg[0x1f] = 0xfe;
	devcfg[0x2c] = 0xf4, devcfg[0x2d] = 0x1a, devcfg[0x2e] = 0x00, devcfg[0x2f] = 0x11;
	devcfg[0x30] = 0x00, devcfg[0x32] = 0x04, devcfg[0x33] = 0xfe; /* ROM */
	devcfg[PCI_CAPABILITY_LIST] = 0xc8;
	devcfg[PCI_INTERRUPT_PIN] = 1, devcfg[PCI_INTERRUPT_LINE] = 11;
	/* PM */
	devcfg[0xc8] = PCI_CAP_ID_PM, devcfg[0xc9] = 0xd0, devcfg[0xca] = 0x22, devcfg[0xcb] = 0xc8;
	/* MSI, 64-bit */
	devcfg[0xd0] = PCI_CAP_ID_MSI, devcfg[0xd1] = 0xe0, devcfg[0xd2] = 0x80;
	/* PCIe v2 endpoint */
	devcfg[0xe0] = PCI_CAP_ID_EXP, devcfg[0xe1] = 0xa0, devcfg[0xe2] = 0x02;
	devcfg[0xe4] = 0x81, devcfg[0xe5] = 0x8c; /* DevCap */
	/* MSI-X: 5 vectors, table BAR3 + 0, PBA BAR3 + 0x2000 */
	devcfg[0xa0] = PCI_CAP_ID_MSIX, devcfg[0xa1] = 0x00, devcfg[0xa2] = 0x04;
	devcfg[0xa4] = 0x03;
	devcfg[0xa8] = 0x03, devcfg[0xa9] = 0x20;
}

#endif
