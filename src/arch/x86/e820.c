// SPDX-License-Identifier: GPL-2.0-only
#include "arch/x86/e820.h"

#include <errno.h>

#include "arch/x86/layout.h"

static int e820_add(struct boot_e820_entry *tab, int n, int max, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	if (n < 0 || size == 0)
		return n;
	if (n >= max)
		return -ENOSPC;
	tab[n].addr = addr;
	tab[n].size = size;
	tab[n].type = type;
	return n + 1;
}

int e820_build(const struct guest_mem *mem, struct boot_e820_entry *tab, int max)
{
	uint64_t low = guest_mem_low_size(mem);
	int n = 0;

	n = e820_add(tab, n, max, 0, LAYOUT_EBDA, E820_RAM);
	n = e820_add(tab, n, max, LAYOUT_EBDA, LAYOUT_LOWMEM_END - LAYOUT_EBDA, E820_RESERVED);
	n = e820_add(tab, n, max, LAYOUT_ACPI, LAYOUT_ACPI_SIZE, E820_RESERVED);
	if (low > LAYOUT_HIGHMEM)
		n = e820_add(tab, n, max, LAYOUT_HIGHMEM, low - LAYOUT_HIGHMEM, E820_RAM);
	/* PCI ECAM: Linux wants MMCONFIG reserved before it trusts the MCFG */
	n = e820_add(tab, n, max, LAYOUT_PCI_ECAM, LAYOUT_PCI_ECAM_SIZE, E820_RESERVED);
	for (unsigned int i = 1; i < mem->nr_regions; i++)
		n = e820_add(tab, n, max, mem->regions[i].gpa, mem->regions[i].size, E820_RAM);
	return n;
}
