// SPDX-License-Identifier: GPL-2.0-only
/* The kernel side of a passed-through device: container, group, device, DMA, BAR maps. */
#include "vfio/vfio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "host/hostpci.h"
#include "util/log.h"

#define SYS_PCI "/sys/bus/pci/devices"

/* ---------------------------------------------------------------- device I/O */

static int dev_read(void *ctx, unsigned int region, uint64_t off, void *buf, size_t len)
{
	struct vfio_pci *v = ctx;
	const struct vfio_region *r = &v->regions[region];

	if (region >= VFIO_PCI_NUM_REGIONS || off + len > r->size)
		return -EINVAL;
	return pread(v->fd, buf, len, (off_t)(r->offset + off)) == (ssize_t)len ? 0 : -EIO;
}

static int dev_write(void *ctx, unsigned int region, uint64_t off, const void *buf, size_t len)
{
	struct vfio_pci *v = ctx;
	const struct vfio_region *r = &v->regions[region];

	if (region >= VFIO_PCI_NUM_REGIONS || off + len > r->size)
		return -EINVAL;
	return pwrite(v->fd, buf, len, (off_t)(r->offset + off)) == (ssize_t)len ? 0 : -EIO;
}

static int dev_set_irqs(void *ctx, unsigned int index, uint32_t flags, unsigned int start,
			unsigned int count, const int *fds)
{
	struct vfio_pci *v = ctx;
	size_t sz = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int) : 0);
	struct vfio_irq_set *s = calloc(1, sz);
	int rc;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)sz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (fds)
		memcpy(s->data, fds, count * sizeof(int));
	rc = ioctl(v->fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
	free(s);
	return rc;
}

static const struct vfio_io_ops dev_io = {
	.read = dev_read,
	.write = dev_write,
	.set_irqs = dev_set_irqs,
};

/* ---------------------------------------------------------------- regions */

static int region_info(struct vfio_pci *v, unsigned int index)
{
	struct vfio_region *r = &v->regions[index];
	struct vfio_region_info *info = calloc(1, sizeof(*info));
	struct vfio_info_cap_header *h;

	if (!info)
		return -ENOMEM;
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0) {
		free(info);
		return index >= VFIO_PCI_ROM_REGION_INDEX && index != VFIO_PCI_CONFIG_REGION_INDEX
			       ? 0
			       : -errno;
	}
	if (info->argsz > sizeof(*info)) { /* capabilities follow: ask again with room */
		uint32_t sz = info->argsz;
		struct vfio_region_info *big = realloc(info, sz);

		if (!big) {
			free(info);
			return -ENOMEM;
		}
		info = big;
		memset(info, 0, sz);
		info->argsz = sz;
		info->index = index;
		if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0) {
			free(info);
			return -errno;
		}
	}
	r->size = info->size;
	r->offset = info->offset;
	r->flags = info->flags;
	r->nr_sparse = 0;
	if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) && info->cap_offset) {
		for (uint32_t off = info->cap_offset; off && off + sizeof(*h) <= info->argsz;
		     off = h->next) {
			h = (struct vfio_info_cap_header *)((uint8_t *)info + off);
			if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
				struct vfio_region_info_cap_sparse_mmap *s = (void *)h;

				for (uint32_t i = 0; i < s->nr_areas && r->nr_sparse < VFIO_MAX_AREAS; i++) {
					r->sparse[r->nr_sparse].off = s->areas[i].offset;
					r->sparse[r->nr_sparse++].size = s->areas[i].size;
				}
				r->flags |= 1u << 31; /* remember: sparse, even if it listed nothing */
			}
			if (h->next <= off)
				break;
		}
	}
	free(info);
	return 0;
}

/* Take [lo, hi) out of the region's areas. */
static void area_cut(struct vfio_region *r, uint64_t lo, uint64_t hi)
{
	for (unsigned int i = 0; i < r->nr_areas; i++) {
		struct vfio_area *a = &r->areas[i];
		uint64_t s = a->off, e = a->off + a->size;

		if (hi <= s || lo >= e)
			continue;
		if (lo > s && hi < e && r->nr_areas < VFIO_MAX_AREAS) { /* split */
			r->areas[r->nr_areas++] = (struct vfio_area){ .off = hi, .size = e - hi, .slot = -1 };
			a->size = lo - s;
		} else if (lo > s) {
			a->size = lo - s;
		} else if (hi < e) {
			a->off = hi;
			a->size = e - hi;
		} else {
			r->areas[i--] = r->areas[--r->nr_areas];
		}
	}
}

/* Which pieces of each BAR go straight to the guest, and mmap them. */
static int map_bars(struct vfio_pci *v)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_region *r = &v->regions[i];

		r->nr_areas = 0;
		if (!v->pci.bars[i].size || v->pci.bars[i].io || v->cfg.no_mmap ||
		    !(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || r->size < page)
			continue;
		if (r->flags & (1u << 31)) {
			for (unsigned int k = 0; k < r->nr_sparse; k++)
				if (r->sparse[k].size)
					r->areas[r->nr_areas++] = (struct vfio_area){
						.off = r->sparse[k].off, .size = r->sparse[k].size, .slot = -1
					};
		} else {
			r->areas[r->nr_areas++] = (struct vfio_area){ .size = r->size, .slot = -1 };
		}
		if (v->msix_cap && v->msix.bar == i) {
			uint64_t lo = v->msix.table_off & ~(page - 1);

			area_cut(r, lo, (v->msix.table_off + msix_table_size(v->msix.nr) + page - 1) &
						~(page - 1));
		}
		if (v->msix_cap) { /* the PBA's page traps too (forwarded) */
			uint32_t pba = pci_cfg_get32(&v->pci, v->msix_cap + PCI_MSIX_PBA);

			if ((int)(pba & PCI_MSIX_PBA_BIR) == i) {
				uint64_t off = pba & PCI_MSIX_PBA_OFFSET;

				area_cut(r, off & ~(page - 1),
					 (off + msix_pba_size(v->msix.nr) + page - 1) & ~(page - 1));
			}
		}
		for (unsigned int k = 0; k < r->nr_areas; k++) {
			struct vfio_area *a = &r->areas[k];
			void *p;

			if ((a->off | a->size) & (page - 1)) { /* not page-granular: trap it */
				r->areas[k--] = r->areas[--r->nr_areas];
				continue;
			}
			p = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
				 (off_t)(r->offset + a->off));
			if (p == MAP_FAILED) {
				log_warn("%s: BAR %d: mmap: %s; its accesses will trap", v->name, i,
					 strerror(errno));
				r->areas[k--] = r->areas[--r->nr_areas];
				continue;
			}
			a->host = p;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- open / close */

static int fail(struct vfio_pci *v, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct vfio_pci *v, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("--device vfio=%s: %s", v->cfg.addr, msg);
	return err;
}

static int open_group(struct vfio_pci *v)
{
	char drv[HOSTPCI_NAME_LEN], path[64], others[512], why[HOSTPCI_ERR_LEN];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct hostpci hp;
	int group;

	hostpci_init(&hp);
	if (hostpci_check_exists(&hp, v->cfg.addr, why))
		return fail(v, -ENODEV, "%s", why);
	group = hostpci_group(&hp, v->cfg.addr);
	if (group < 0)
		return fail(v, -ENODEV, "no IOMMU group: the host has no IOMMU enabled "
					"(boot with intel_iommu=on or amd_iommu=on)");
	if (hostpci_driver(&hp, v->cfg.addr, drv) < 0)
		drv[0] = 0;
	if (strcmp(drv, HOSTPCI_VFIO_DRIVER))
		return fail(v, -EBUSY, "bound to %s, not vfio-pci: run 'kasou host vfio-bind %s' first",
			    drv[0] ? drv : "no driver", v->cfg.addr);
	v->group_id = (unsigned int)group;
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%u", v->group_id);
	if (access(path, F_OK) == 0)
		return fail(v, -EPERM, "group %u is a no-IOMMU group (unsafe DMA): kasou refuses it",
			    v->group_id);
	snprintf(path, sizeof(path), "/dev/vfio/%u", v->group_id);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return fail(v, -errno, "%s: %s%s", path, strerror(errno),
			    errno == EBUSY ? " (another process holds the group)" : "");
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &st) < 0)
		return fail(v, -errno, "VFIO_GROUP_GET_STATUS: %s", strerror(errno));
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		hostpci_group_blockers(&hp, group, v->cfg.addr, others, sizeof(others));
		return fail(v, -EBUSY,
			    "IOMMU group %u is not viable: every device in it must be bound to vfio-pci; "
			    "not bound: %s",
			    v->group_id, others[0] ? others : "?");
	}
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return fail(v, -errno, "/dev/vfio/vfio: %s (modprobe vfio-pci)", strerror(errno));
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail(v, -ENOTSUP, "unknown VFIO API version");
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return fail(v, -ENOTSUP, "the kernel offers no type1 v2 IOMMU (vfio_iommu_type1)");
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) < 0)
		return fail(v, -errno, "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return fail(v, -errno, "VFIO_SET_IOMMU: %s", strerror(errno));
	return 0;
}

/* All of guest RAM, mapped for the device's DMA (pinned). */
static int map_dma(struct vfio_pci *v)
{
	const struct guest_mem *mem = v->mem;
	uint64_t total = 0;
	struct rlimit rl;

	for (unsigned int i = 0; i < mem->nr_regions; i++)
		total += mem->regions[i].size;
	if (geteuid() != 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < total)
		return fail(v, -ENOMEM,
			    "guest RAM (%llu MiB) is pinned for DMA, but RLIMIT_MEMLOCK is %llu KiB: "
			    "raise it (ulimit -l %llu, or LimitMEMLOCK= in a systemd unit)",
			    (unsigned long long)(total >> 20), (unsigned long long)(rl.rlim_cur >> 10),
			    (unsigned long long)((total >> 10) + 65536));
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->regions[i];
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uint64_t)(uintptr_t)(mem->host + r->offset),
			.iova = r->gpa,
			.size = r->size,
		};

		if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) < 0)
			return fail(v, -errno, "mapping guest RAM for DMA (%llu MiB at 0x%llx): %s%s",
				    (unsigned long long)(r->size >> 20), (unsigned long long)r->gpa,
				    strerror(errno),
				    errno == ENOMEM ? " (locked memory limit: ulimit -l)" : "");
		v->dma_mapped = true;
	}
	return 0;
}

int vfio_pci_open(struct vfio_pci *v, const struct vfio_config *c, const struct guest_mem *mem,
		  const struct vfio_env *env)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_INTX_IRQ_INDEX };
	char why[256];
	int err;

	memset(v, 0, sizeof(*v));
	v->cfg = *c;
	v->mem = mem;
	v->env = *env;
	v->io = &dev_io;
	v->io_ctx = v;
	v->container = v->group = v->fd = v->intx_efd = v->intx_resample = -1;
	v->msi_efd = v->msi_gsi = -1;
	snprintf(v->name, sizeof(v->name), "%.31s (%.19s)", c->id, c->addr);
	if ((err = open_group(v)) || (err = map_dma(v)))
		return err;
	v->fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, c->addr);
	if (v->fd < 0)
		return fail(v, -errno, "VFIO_GROUP_GET_DEVICE_FD: %s", strerror(errno));
	if (ioctl(v->fd, VFIO_DEVICE_GET_INFO, &info) < 0)
		return fail(v, -errno, "VFIO_DEVICE_GET_INFO: %s", strerror(errno));
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) || info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		return fail(v, -ENOTSUP, "not a PCI device");
	if ((info.flags & VFIO_DEVICE_FLAGS_RESET) && ioctl(v->fd, VFIO_DEVICE_RESET) < 0)
		log_warn("%s: reset: %s", v->name, strerror(errno));
	for (unsigned int i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		if ((err = region_info(v, i)))
			return fail(v, err, "region %u: %s", i, strerror(-err));
	if (ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) == 0)
		v->intx_count = irq.count;
	if ((err = vfio_pci_build(v, why, sizeof(why))))
		return fail(v, err, "%s", why);
	if (v->io_bars_hidden)
		log_warn("%s: %u I/O BAR(s) of a size no I/O BAR has, not offered to the guest",
			 v->name, v->io_bars_hidden);
	if (c->rombar && v->regions[VFIO_PCI_ROM_REGION_INDEX].size)
		log_info("%s: the option ROM is not offered to the guest (direct kernel boot needs none)",
			 v->name);
	if (v->msix_cap) { /* where the table is, for map_bars (vfio_pci_wire attaches it) */
		uint32_t t = pci_cfg_get32(&v->pci, v->msix_cap + PCI_MSIX_TABLE);

		v->msix.bar = (int)(t & PCI_MSIX_TABLE_BIR);
		v->msix.table_off = t & PCI_MSIX_TABLE_OFFSET;
		v->msix.nr = (pci_cfg_get16(&v->pci, v->msix_cap + PCI_MSIX_FLAGS) &
			      PCI_MSIX_FLAGS_QSIZE) + 1u;
	}
	return map_bars(v);
}

void vfio_pci_close(struct vfio_pci *v)
{
	vfio_pci_unwire(v);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_region *r = &v->regions[i];

		for (unsigned int k = 0; k < r->nr_areas; k++) {
			struct vfio_area *a = &r->areas[k];

			if (a->slot >= 0 && v->env.memslot)
				v->env.memslot(v->env.ctx, a->slot, 0, 0, NULL);
			if (a->host)
				munmap(a->host, a->size);
		}
		r->nr_areas = 0;
	}
	if (v->fd >= 0) {
		ioctl(v->fd, VFIO_DEVICE_RESET);
		close(v->fd);
	}
	if (v->dma_mapped)
		for (unsigned int i = 0; i < v->mem->nr_regions; i++) {
			struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
								.iova = v->mem->regions[i].gpa,
								.size = v->mem->regions[i].size };

			ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u);
		}
	if (v->group >= 0) {
		ioctl(v->group, VFIO_GROUP_UNSET_CONTAINER);
		close(v->group);
	}
	if (v->container >= 0)
		close(v->container);
	v->fd = v->group = v->container = -1;
	v->dma_mapped = false;
}

unsigned int vfio_pci_irq_counts(const struct vfio_pci *v, uint64_t *counts, unsigned int max)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096], tag[64];
	unsigned int n = 0;

	if (!f)
		return 0;
	snprintf(tag, sizeof(tag), "(%.19s)", v->cfg.addr);
	memset(counts, 0, max * sizeof(*counts));
	while (fgets(line, sizeof(line), f)) {
		const char *m = strstr(line, v->msix_on ? "vfio-msix[" : "vfio-intx");
		char *p;
		unsigned long vec = 0;
		uint64_t sum = 0;

		if (!m || !strstr(m, tag))
			continue;
		if (v->msix_on)
			vec = strtoul(m + strlen("vfio-msix["), NULL, 10);
		if (vec >= max)
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		for (p++;;) { /* per-CPU columns, up to the chip name */
			char *end;
			unsigned long long x = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += x;
			p = end;
		}
		counts[vec] = sum;
		if (vec + 1 > n)
			n = (unsigned int)vec + 1;
	}
	fclose(f);
	return n;
}
