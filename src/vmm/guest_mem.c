// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
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

int guest_mem_create(struct guest_mem *mem, uint64_t size)
{
	void *p;
	int err;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	guest_mem_layout(mem, size);
	mem->fd = memfd_create("kasou-guest-ram", MFD_CLOEXEC);
	if (mem->fd < 0)
		return -errno;
	if (ftruncate(mem->fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mem->fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	mem->host = p;
	return 0;
fail:
	err = -errno;
	close(mem->fd);
	mem->fd = -1;
	return err;
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
