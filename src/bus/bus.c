// SPDX-License-Identifier: GPL-2.0-only
#include "bus/bus.h"

#include <errno.h>
#include <string.h>

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name)
{
	if (len == 0 || base + len < base)
		return -EINVAL;
	for (unsigned int i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
	}
	if (bus->nr == BUS_MAX_RANGES)
		return -ENOSPC;
	bus->ranges[bus->nr++] = (struct bus_range){
		.base = base, .len = len, .ops = ops, .opaque = opaque, .name = name
	};
	return 0;
}

static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned int size)
{
	for (unsigned int i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base < r->len && size <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}

bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size)
{
	const struct bus_range *r = bus_find(bus, addr, size);

	if (!r || !r->ops->read) {
		memset(data, 0xff, size);
		__atomic_add_fetch(&bus->unhandled, 1, __ATOMIC_RELAXED);
		return false;
	}
	r->ops->read(r->opaque, addr - r->base, data, size);
	return true;
}

bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int size)
{
	const struct bus_range *r = bus_find(bus, addr, size);

	if (!r || !r->ops->write) {
		__atomic_add_fetch(&bus->unhandled, 1, __ATOMIC_RELAXED);
		return false;
	}
	r->ops->write(r->opaque, addr - r->base, data, size);
	return true;
}
