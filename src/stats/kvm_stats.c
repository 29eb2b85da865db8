// SPDX-License-Identifier: GPL-2.0-only
#include "stats/kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define STATS_MAX_DESC 1024

int kvm_stats_parse(struct kvm_stats *s, int fd)
{
	struct kvm_stats_header h;
	size_t dsz;
	uint8_t *descs = NULL;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -EIO;
	if (h.num_desc > STATS_MAX_DESC || h.name_size > 1024 || h.name_size < 2)
		return -EINVAL;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc + 1);
	s->d = calloc(h.num_desc ? h.num_desc : 1, sizeof(*s->d));
	if (!descs || !s->d) {
		free(descs);
		free(s->d);
		s->d = NULL;
		return -ENOMEM;
	}
	if (pread(fd, descs, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc)) {
		free(descs);
		free(s->d);
		s->d = NULL;
		return -EIO;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * dsz);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;

		if (d->offset / 8 + d->size > s->data_words)
			s->data_words = d->offset / 8 + d->size;
		if (d->size != 1 || type > KVM_STATS_TYPE_PEAK)
			continue; /* histograms */
		memcpy(s->d[s->n].name, d->name,
		       h.name_size < KVM_STATS_NAME_MAX ? h.name_size : KVM_STATS_NAME_MAX);
		s->d[s->n].name[KVM_STATS_NAME_MAX - 1] = 0;
		s->d[s->n].offset = d->offset / 8;
		s->d[s->n].flags = d->flags;
		s->d[s->n].exponent = d->exponent;
		s->n++;
	}
	s->data_offset = h.data_offset;
	free(descs);
	return 0;
}

int kvm_stats_open(struct kvm_stats *s, int kvm_obj_fd)
{
	int fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL), err;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (fd < 0)
		return -errno;
	err = kvm_stats_parse(s, fd);
	if (err) {
		close(fd);
		s->fd = -1;
	}
	return err;
}

int kvm_stats_read(const struct kvm_stats *s, uint64_t *values)
{
	uint64_t *data;
	ssize_t want = (ssize_t)s->data_words * 8;

	if (s->fd < 0 || !s->data_words)
		return -EBADF;
	data = malloc((size_t)want);
	if (!data)
		return -ENOMEM;
	if (pread(s->fd, data, (size_t)want, s->data_offset) != want) {
		free(data);
		return -EIO;
	}
	for (unsigned int i = 0; i < s->n; i++)
		values[i] = data[s->d[i].offset];
	free(data);
	return 0;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->d);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
