/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest physical address map (x86-64). Everything that places something in
 * guest memory takes its address from here, so the map reads in one place.
 *
 *   0x0000_0500  GDT                      0x0000_7000  boot_params (zero page)
 *   0x0000_9000  PML4, PDPT, 4 PDs        0x0002_0000  kernel command line
 *   0x0009_fc00  EBDA (reserved)          0x000e_0000  ACPI tables (reserved)
 *   0x0010_0000  kernel (protected-mode part of a bzImage)
 *   ...          RAM up to min(size, 3 GiB); initrd at the top of low RAM
 *   0xc000_0000  32-bit MMIO hole: PCI BARs, ECAM, IOAPIC, LAPIC
 *   0x1_0000_0000 RAM above the hole
 */
#ifndef KASOU_ARCH_X86_LAYOUT_H
#define KASOU_ARCH_X86_LAYOUT_H

#define LAYOUT_GDT 0x500ULL
#define LAYOUT_BOOT_PARAMS 0x7000ULL
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL /* 4 pages: identity map of 4 GiB in 2 MiB pages */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 0x10000ULL
#define LAYOUT_EBDA 0x9fc00ULL
#define LAYOUT_LOWMEM_END 0xa0000ULL
#define LAYOUT_ACPI 0xe0000ULL
#define LAYOUT_ACPI_SIZE 0x20000ULL
#define LAYOUT_HIGHMEM 0x100000ULL /* 1 MiB */
#define LAYOUT_KERNEL LAYOUT_HIGHMEM

#define LAYOUT_MMIO_HOLE 0xc0000000ULL
#define LAYOUT_MMIO_HOLE_SIZE (0x100000000ULL - LAYOUT_MMIO_HOLE)
#define LAYOUT_PCI_MMIO32 LAYOUT_MMIO_HOLE /* 32-bit BARs */
#define LAYOUT_PCI_MMIO32_SIZE 0x20000000ULL /* 512 MiB */
#define LAYOUT_PCI_ECAM 0xe0000000ULL
#define LAYOUT_PCI_ECAM_SIZE 0x100000ULL /* bus 0 only: 32 devices x 8 functions x 4 KiB */
#define LAYOUT_PCI_MMIO64_SIZE (64ULL << 30) /* above RAM, 1 GiB aligned */
#define LAYOUT_IOAPIC 0xfec00000ULL
#define LAYOUT_LAPIC 0xfee00000ULL
#define LAYOUT_IDENTITY_MAP 0xfffbc000ULL /* KVM_SET_IDENTITY_MAP_ADDR, one page */
#define LAYOUT_TSS 0xfffbd000ULL /* KVM_SET_TSS_ADDR, three pages */
#define LAYOUT_RAM_ABOVE_4G 0x100000000ULL

/* I/O ports */
#define PORT_PM_EVT 0x600 /* PM1a_EVT_BLK: status (2) + enable (2) */
#define PORT_PM_CNT 0x604 /* PM1a_CNT_BLK (2) */
#define PORT_PM_TMR 0x608 /* PM_TMR_BLK (4) */
#define PORT_GPE0 0x620 /* GPE0_BLK: status (2) + enable (2) */
#define PORT_RESET 0xcf9
#define PORT_COM1 0x3f8
#define PORT_PCI_IO 0xc000 /* I/O BARs (passed-through devices): 0xc000-0xffff, in the root's _CRS */
#define PORT_PCI_IO_SIZE 0x4000
#define IRQ_COM1 4
#define IRQ_SCI 9
#define PCI_INTX_GSI_BASE 16 /* INTA-D of the PCI root bus: IOAPIC pins 16-19 */

#endif
