// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/memfd.h>
#include <linux/mempolicy.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "config/config.h"

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

static int gm_err(char *why, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int gm_err(char *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, 256, fmt, ap);
	va_end(ap);
	return err;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Enough free huge pages of this size (per node when bound)? */
static int check_hugepages(uint64_t size, uint64_t page, uint64_t nodes, char *why)
{
	char path[160];
	long need = (long)(size / page), free_pages = 0;
	unsigned long kb = (unsigned long)(page >> 10);

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
	if (read_long(path) < 0)
		return gm_err(why, -ENOTSUP, "%luM huge pages are not supported by this host (no %s)",
			      kb >> 10, path);
	if (nodes) {
		for (int n = 0; n < 64; n++) {
			long f;

			if (!(nodes & (1ULL << n)))
				continue;
			snprintf(path, sizeof(path),
				 "/sys/devices/system/node/node%d/hugepages/hugepages-%lukB/free_hugepages",
				 n, kb);
			f = read_long(path);
			free_pages += f > 0 ? f : 0;
		}
	} else {
		free_pages = read_long(path);
	}
	if (free_pages < need) {
		long total;

		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", kb);
		total = read_long(path);
		return gm_err(why, -ENOMEM,
			      "not enough %luM huge pages: the guest needs %ld, %ld are free%s; reserve "
			      "more with: echo %ld > %s",
			      kb >> 10, need, free_pages, nodes ? " on the chosen host nodes" : "",
			      (total > 0 ? total : 0) + need - free_pages, path);
	}
	return 0;
}

static bool node_exists(int n)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
	return access(path, F_OK) == 0;
}

static int do_mbind(void *addr, uint64_t len, enum numa_policy policy, uint64_t nodes, char *why)
{
	int mode = policy == NUMA_PREFERRED ? MPOL_PREFERRED
		   : policy == NUMA_INTERLEAVE ? MPOL_INTERLEAVE
					       : MPOL_BIND;
	unsigned long mask = (unsigned long)nodes;

	for (int n = 0; n < 64; n++)
		if ((nodes & (1ULL << n)) && !node_exists(n))
			return gm_err(why, -EINVAL, "host NUMA node %d does not exist", n);
	if (syscall(SYS_mbind, addr, len, mode, &mask, 65, MPOL_MF_STRICT | MPOL_MF_MOVE) < 0)
		return gm_err(why, -errno, "mbind to host nodes %#lx: %s", mask, strerror(errno));
	return 0;
}

int guest_mem_create_backed(struct guest_mem *mem, uint64_t size,
			    const struct guest_mem_backing *b, char *why)
{
	const struct mem_config *m = b->m;
	uint64_t page = m->hugepage_size ? m->hugepage_size : 4096, off;
	uint8_t *p;
	int err;

	if (!m->hugepage_size && !m->shared) {
		err = guest_mem_create(mem, size);
		if (err)
			return gm_err(why, err, "cannot allocate %llu MiB of guest memory: %s",
				      (unsigned long long)(size >> 20), strerror(-err));
	} else {
		unsigned int flags = MFD_CLOEXEC;

		if (m->hugepage_size) {
			uint64_t all = m->host_nodes;

			for (unsigned int i = 0; i < b->nr_nodes; i++)
				all |= b->nodes[i].host_nodes;
			err = check_hugepages(size, page, m->policy == NUMA_BIND ? all : 0, why);
			if (err)
				return err;
			flags |= MFD_HUGETLB |
				 (m->hugepage_size == (1ULL << 30) ? MFD_HUGE_1GB : MFD_HUGE_2MB);
		}
		memset(mem, 0, sizeof(*mem));
		guest_mem_layout(mem, size);
		mem->fd = memfd_create("kasou-guest-ram", flags);
		if (mem->fd < 0)
			return gm_err(why, -errno, "memfd_create: %s", strerror(errno));
		if (ftruncate(mem->fd, (off_t)size) < 0) {
			err = -errno;
			close(mem->fd);
			mem->fd = -1;
			return gm_err(why, err, "guest memory of %llu MiB: %s",
				      (unsigned long long)(size >> 20), strerror(-err));
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mem->fd, 0);
		if (p == MAP_FAILED) {
			err = -errno;
			close(mem->fd);
			mem->fd = -1;
			return gm_err(why, err, "mmap guest memory: %s", strerror(-err));
		}
		mem->host = p;
	}
	mem->page_size = page;
	if (!m->hugepage_size)
		madvise(mem->host, size, m->thp_off ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
	if (m->merge >= 0 && madvise(mem->host, size, m->merge ? MADV_MERGEABLE : MADV_UNMERGEABLE) < 0 &&
	    m->merge)
		return gm_err(why, -errno, "merge=on: MADV_MERGEABLE: %s (is KSM built into the host kernel?)",
			      strerror(errno));
	/* NUMA: the whole RAM, then each guest node's slice (guest-physical order = host order) */
	if (m->host_nodes && (err = do_mbind(mem->host, size, m->policy, m->host_nodes, why)))
		return err;
	off = 0;
	for (unsigned int i = 0; i < b->nr_nodes; i++) {
		if (b->nodes[i].host_nodes &&
		    (err = do_mbind(mem->host + off, b->nodes[i].size, NUMA_BIND, b->nodes[i].host_nodes,
				    why)))
			return err;
		off += b->nodes[i].size;
	}
	if (m->prefault && madvise(mem->host, size, MADV_POPULATE_WRITE) < 0) {
		for (uint64_t o = 0; o < size; o += page)
			((volatile uint8_t *)mem->host)[o] = 0;
	}
	if (m->locked && mlock(mem->host, size) < 0) {
		struct rlimit rl;

		err = -errno;
		getrlimit(RLIMIT_MEMLOCK, &rl);
		return gm_err(why, err,
			      "locked=on: mlock of %llu MiB failed (%s); RLIMIT_MEMLOCK is %llu KiB: "
			      "raise it (ulimit -l unlimited, LimitMEMLOCK=infinity for a service)",
			      (unsigned long long)(size >> 20), strerror(-err),
			      rl.rlim_cur == RLIM_INFINITY ? 0ULL
							   : (unsigned long long)(rl.rlim_cur >> 10));
	}
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
