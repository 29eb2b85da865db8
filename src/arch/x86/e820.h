/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The e820 memory map handed to the guest in boot_params: RAM below the EBDA,
 * the legacy BIOS area reserved (ACPI tables live there), RAM from 1 MiB up
 * to the 32-bit hole, and RAM above 4 GiB. Pure; called by boot.c.
 */
#ifndef KASOU_ARCH_X86_E820_H
#define KASOU_ARCH_X86_E820_H

#include <asm/bootparam.h>

#include "vmm/guest_mem.h"

#define E820_RAM 1
#define E820_RESERVED 2

/* Fill `tab` (room for `max` entries); returns the count or -ENOSPC. */
int e820_build(const struct guest_mem *mem, struct boot_e820_entry *tab, int max);

#endif
