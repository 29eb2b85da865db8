/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables: RSDP, XSDT, FADT (fixed-hardware PM1/GPE blocks, reset
 * register), MADT (one LAPIC per vCPU, IOAPIC, ISA overrides) and a DSDT
 * with the \_S5 sleep object. Built once per boot into the reserved BIOS
 * area by the main thread. acpi_build() is pure: it writes into a buffer that
 * is mapped at guest address `gpa`, so unit tests can check every table.
 */
#ifndef KASOU_ARCH_X86_ACPI_H
#define KASOU_ARCH_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_SLP_TYP_S5 5 /* the SLP_TYP value the DSDT gives for S5 */

struct acpi_sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_params {
	unsigned int nr_cpus; /* vCPUs present at boot */
	/* possible vCPUs (MADT entries, the ones past nr_cpus disabled) and their APIC IDs;
	 * NULL: nr_cpus entries with APIC ID = index */
	unsigned int nr_possible;
	const uint32_t *apic_ids;
	/* guest NUMA (SRAT/SLIT) when nr_numa > 0 */
	unsigned int nr_numa;
	unsigned int nr_mem_ranges;
	struct {
		uint64_t base, len;
		unsigned int node;
	} mem_ranges[2 * 8];
	const uint8_t *cpu_node; /* per possible vCPU */
	uint8_t distance[8][8];
	/* PCI host bridge (omitted from the DSDT when ecam_size is 0) */
	uint64_t ecam_base, ecam_size;
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;
};

/* dsdt.c: the DSDT's AML body (without header) into buf; bytes or -ENOSPC */
long dsdt_build(uint8_t *buf, size_t cap, const struct acpi_params *p);

/*
 * Build the tables into buf[0..size) which the guest sees at `gpa`.
 * Returns the guest address of the RSDP (always `gpa`) via *rsdp, and the
 * bytes used, or -ENOSPC.
 */
long acpi_build(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_params *p);

uint8_t acpi_checksum(const void *data, size_t len);

#endif
