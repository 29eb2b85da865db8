/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM's binary statistics (KVM_GET_STATS_FD) for a vCPU or a VM: the
 * descriptors are read once, values on demand with one pread(). Only the
 * single-value cumulative/instant/peak counters are kept (exits by reason,
 * halt time, ...); histograms are skipped. Readable from any thread.
 */
#ifndef KASOU_STATS_KVM_STATS_H
#define KASOU_STATS_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

#define KVM_STATS_NAME_MAX 48

struct kvm_stat_desc {
	char name[KVM_STATS_NAME_MAX];
	uint32_t offset; /* u64 index in the data block */
	uint32_t flags;
	int16_t exponent;
};

struct kvm_stats {
	int fd;
	unsigned int n;
	struct kvm_stat_desc *d;
	uint32_t data_offset;
	uint32_t data_words; /* size of the data block in u64s */
};

/* -errno (e.g. -ENOTTY on kernels without binary stats). */
int kvm_stats_open(struct kvm_stats *s, int kvm_obj_fd);
/* Parse from an already-open stats fd (tests use a file with the same layout). */
int kvm_stats_parse(struct kvm_stats *s, int stats_fd);
/* Read every counter: values[i] belongs to s->d[i]. 0 or -errno. */
int kvm_stats_read(const struct kvm_stats *s, uint64_t *values);
void kvm_stats_close(struct kvm_stats *s);

#endif
