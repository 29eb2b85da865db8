// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "arch/x86/layout.h"

void guest_mem_layout(struct guest_mem *mem, uint64_t size)
{
	uint64_t low = size < LAYOUT_MMIO_HOLE ? size : LAYOUT_MMIO_HOLE;

	mem->size = size;
	mem->nr_regions = 1;
	mem->regions[0] = (struct guest_region){ .gpa = 0, .size = low, .offset = 0 };
	if (size > low) {
		mem->regions[1] = (struct guest_region){
			.gpa = LAYOUT_RAM_ABOVE_4G, .size = size - low, .offset = low
		};
		mem->nr_regions = 2;
	}
}

#define HUGE_2M (2ULL << 20)

/*
 * Anonymous memory, 2 MiB aligned, with transparent huge pages asked for:
 * shmem (memfd) gets THP only where the host enabled it for shmem, which
 * few do, and 4 KiB pages cost the guest one nested page fault each.
 */
int guest_mem_create(struct guest_mem *mem, uint64_t size)
{
	uint8_t *p, *aligned;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	guest_mem_layout(mem, size);
	p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	aligned = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(HUGE_2M - 1));
	if (aligned > p)
		munmap(p, (size_t)(aligned - p));
	if (aligned + size < p + size + HUGE_2M)
		munmap(aligned + size, (size_t)(p + size + HUGE_2M - (aligned + size)));
	madvise(aligned, size, MADV_HUGEPAGE);
	/* a name in /proc/PID/smaps, for stats and benchmarks (Linux 5.17+) */
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, aligned, size, "kasou-guest-ram");
	mem->host = aligned;
	return 0;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->host = NULL;
	mem->fd = -1;
}

void *gpa_to_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->regions[i];

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		/* the subtraction cannot wrap: gpa - r->gpa < r->size */
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return mem->host ? mem->host + r->offset + (gpa - r->gpa) : NULL;
	}
	return NULL;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gpa_to_hva(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = gpa_to_hva(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

uint64_t guest_mem_low_size(const struct guest_mem *mem)
{
	return mem->regions[0].size;
}
