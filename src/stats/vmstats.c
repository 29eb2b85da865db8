// SPDX-License-Identifier: GPL-2.0-only
#include "stats/vmstats.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resources/affinity.h"
#include "resources/cgroup.h"
#include "virtio/balloon.h"
#include "vfio/vfio.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "vmm/vm.h"
#include "util/time.h"

#ifndef KASOU_VERSION
#define KASOU_VERSION "0.1.0"
#endif


int vmstats_thread_times(int tid, uint64_t *cpu_ns, uint64_t *wait_ns)
{
	char path[64];
	unsigned long long run, wait;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	if (n != 2)
		return -EIO;
	*cpu_ns = run;
	*wait_ns = wait;
	return 0;
}

static uint64_t status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = 0;
	size_t k = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':')
			sscanf(line + k + 1, "%llu", &v);
	fclose(f);
	return v * 1024;
}

#define J(o, k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
#define A(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static json_t *vcpu_json(struct vcpu *v)
{
	json_t *o = json_object(), *ex = json_object();
	uint64_t cpu = 0, wait = 0, vals[256];
	int tid = __atomic_load_n(&v->tid, __ATOMIC_ACQUIRE);

	J(o, "id", v->index);
	J(o, "tid", tid);
	if (tid) {
		cpu_set_t set;
		char list[256];

		if (!affinity_of_tid(tid, &set)) {
			affinity_format(&set, list, sizeof(list));
			json_object_set_new(o, "affinity", json_string(list));
		}
	}
	if (tid && !vmstats_thread_times(tid, &cpu, &wait)) {
		J(o, "cpu_ns", cpu);
		J(o, "wait_ns", wait);
	}
	if (v->stats.fd >= 0 && v->stats.n <= 256 && !kvm_stats_read(&v->stats, vals)) {
		for (unsigned int i = 0; i < v->stats.n; i++) {
			if (!strcmp(v->stats.d[i].name, "halt_wait_ns"))
				J(o, "halt_wait_ns", vals[i]);
			J(ex, v->stats.d[i].name, vals[i]);
		}
	} else {
		J(ex, "exits", A(v->exits)); /* kasou's own count: exits to userspace */
	}
	json_object_set_new(o, "exits", ex);
	return o;
}

static json_t *disk_json(struct vblk *b)
{
	json_t *o = json_object();
	struct vblk_stats *s = &b->stats;

	json_object_set_new(o, "id", json_string(b->cfg.id));
	J(o, "rd_reqs", A(s->rd_reqs));
	J(o, "rd_bytes", A(s->rd_bytes));
	J(o, "rd_ns", A(s->rd_ns));
	J(o, "wr_reqs", A(s->wr_reqs));
	J(o, "wr_bytes", A(s->wr_bytes));
	J(o, "wr_ns", A(s->wr_ns));
	J(o, "fl_reqs", A(s->fl_reqs));
	J(o, "fl_ns", A(s->fl_ns));
	J(o, "discard_reqs", A(s->discard_reqs));
	J(o, "wz_reqs", A(s->wz_reqs));
	J(o, "errors", A(s->errors));
	J(o, "inflight", A(s->inflight));
	J(o, "throttled", A(s->throttled));
	J(o, "throttled_ns", A(s->throttled_ns));
	return o;
}

static json_t *net_json(struct vnet *n)
{
	json_t *o = json_object();
	struct vnet_stats *s = &n->stats;

	json_object_set_new(o, "id", json_string(n->cfg.id));
	json_object_set_new(o, "link_up", json_boolean(A(n->link_up)));
	json_object_set_new(o, "vhost", json_boolean(n->vhost != NULL));
	J(o, "rx_packets", A(s->rx_packets));
	J(o, "rx_bytes", A(s->rx_bytes));
	J(o, "rx_drops", A(s->rx_drops));
	J(o, "rx_errors", A(s->rx_errors));
	J(o, "tx_packets", A(s->tx_packets));
	J(o, "tx_bytes", A(s->tx_bytes));
	J(o, "tx_drops", A(s->tx_drops));
	J(o, "tx_errors", A(s->tx_errors));
	J(o, "rx_throttled_ns", A(s->rx_throttled_ns));
	J(o, "tx_throttled_ns", A(s->tx_throttled_ns));
	return o;
}

/* Every thread of kasou: the vCPUs, the main loop (emulator), I/O and device threads. */
static json_t *threads_json(void)
{
	json_t *a = json_array();
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[64], name[32] = "";
		uint64_t cpu, wait;
		int tid = atoi(e->d_name);
		FILE *f;
		json_t *o;

		if (tid <= 0 || vmstats_thread_times(tid, &cpu, &wait))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(name, sizeof(name), f))
				name[strcspn(name, "\n")] = 0;
			fclose(f);
		}
		o = json_object();
		json_object_set_new(o, "name", json_string(name));
		J(o, "tid", tid);
		J(o, "cpu_ns", cpu);
		J(o, "wait_ns", wait);
		json_array_append_new(a, o);
	}
	if (d)
		closedir(d);
	return a;
}

json_t *vmstats_balloon_json(struct vballoon *b)
{
	struct vballoon_stats s;
	json_t *o = json_object();

	vballoon_get_stats(b, &s);
	J(o, "target_mib", s.target_bytes >> 20);
	J(o, "actual_mib", s.actual_bytes >> 20);
	J(o, "target_pages", s.target_bytes >> 12);
	J(o, "actual_pages", s.actual_bytes >> 12);
	J(o, "inflated_pages", s.inflated_pages);
	J(o, "deflated_pages", s.deflated_pages);
	J(o, "reported_bytes", s.reported_bytes);
	if (s.guest_stats_valid) {
		J(o, "swap_in", s.swap_in);
		J(o, "swap_out", s.swap_out);
		J(o, "major_faults", s.major_faults);
		J(o, "minor_faults", s.minor_faults);
		J(o, "free_memory", s.free_memory);
		J(o, "total_memory", s.total_memory);
		J(o, "available_memory", s.available_memory);
		J(o, "disk_caches", s.disk_caches);
		J(o, "hugetlb_allocations", s.hugetlb_allocations);
		J(o, "hugetlb_failures", s.hugetlb_failures);
		J(o, "stats_age_ms", s.guest_stats_age_ms);
	}
	return o;
}

/* A passed-through device: interrupts per vector (host /proc/interrupts), trapped accesses. */
static json_t *vfio_json(const struct vfio_pci *v)
{
	json_t *o = json_object(), *irqs = json_array();
	uint64_t counts[64];
	unsigned int n = vfio_pci_irq_counts(v, counts, 64);
	uint64_t total = 0;

	json_object_set_new(o, "id", json_string(v->cfg.id));
	json_object_set_new(o, "address", json_string(v->cfg.addr));
	json_object_set_new(o, "irq_mode", json_string(v->msix_on ? "msix" : v->intx_on ? "intx" : "none"));
	for (unsigned int i = 0; i < n; i++) {
		json_array_append_new(irqs, json_integer((json_int_t)counts[i]));
		total += counts[i];
	}
	json_object_set_new(o, "irqs_per_vector", irqs);
	J(o, "irqs", total);
	J(o, "trapped_reads", __atomic_load_n(&v->trapped_reads, __ATOMIC_RELAXED));
	J(o, "trapped_writes", __atomic_load_n(&v->trapped_writes, __ATOMIC_RELAXED));
	J(o, "io_errors", __atomic_load_n(&v->io_errors, __ATOMIC_RELAXED));
	return o;
}

json_t *vmstats_json(struct vm_persist *p, struct vm *vm)
{
	json_t *o = json_object(), *mem = json_object(), *arr;

	json_object_set_new(o, "name", json_string(p->cfg->name));
	json_object_set_new(o, "state",
			    json_string(!vm ? "Stopping" : vm_is_paused(vm) ? "Paused" : "Running"));
	json_object_set_new(o, "vmm_version", json_string(KASOU_VERSION));
	json_object_set_new(o, "uptime_s", json_real((double)(mono_ns() - p->start_ns) / 1e9));
	J(o, "boots", p->boots);
	J(o, "pid", getpid());
	arr = json_array();
	for (unsigned int i = 0; vm && i < vm->nr_vcpus; i++)
		json_array_append_new(arr, vcpu_json(&vm->vcpus[i]));
	json_object_set_new(o, "vcpus", arr);
	J(mem, "guest_bytes", p->cfg->mem_size);
	J(mem, "rss_bytes", status_kb("VmRSS"));
	J(mem, "rss_anon_bytes", status_kb("RssAnon"));
	J(mem, "hugetlb_bytes", status_kb("HugetlbPages"));
	json_object_set_new(o, "memory", mem);
	arr = json_array();
	for (unsigned int i = 0; vm && i < vm->nr_disks; i++)
		json_array_append_new(arr, disk_json(&vm->disks[i]));
	json_object_set_new(o, "disks", arr);
	arr = json_array();
	for (unsigned int i = 0; vm && i < vm->nr_nets; i++)
		json_array_append_new(arr, net_json(&vm->nets[i]));
	json_object_set_new(o, "nets", arr);
	if (vm && vm->balloon)
		json_object_set_new(o, "balloon", vmstats_balloon_json(vm->balloon));
	if (vm && vm->nr_vfio) {
		arr = json_array();
		for (unsigned int i = 0; i < vm->nr_vfio; i++)
			json_array_append_new(arr, vfio_json(&vm->vfio[i]));
		json_object_set_new(o, "vfio", arr);
	}
	if (p->cgroup) {
		json_t *cg = json_object();
		char buf[4096];
		unsigned long long v;
		char *u;

		json_object_set_new(cg, "path", json_string(cgroup_path(p->cgroup)));
		if (cgroup_read(p->cgroup, "cpu.stat", buf, sizeof(buf)) >= 0) {
			if ((u = strstr(buf, "usage_usec ")) && sscanf(u, "usage_usec %llu", &v) == 1)
				J(cg, "cpu_usage_usec", v);
			if ((u = strstr(buf, "throttled_usec ")) && sscanf(u, "throttled_usec %llu", &v) == 1)
				J(cg, "cpu_throttled_usec", v);
		}
		if (cgroup_read(p->cgroup, "memory.current", buf, sizeof(buf)) >= 0 &&
		    sscanf(buf, "%llu", &v) == 1)
			J(cg, "memory_current", v);
		json_object_set_new(o, "cgroup", cg);
	}
	json_object_set_new(o, "threads", threads_json());
	return o;
}
