// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prometheus text exposition (format 0.0.4) of a VM's stats object: kasou_
 * names, `vm`, `vcpu`, `device` labels, one HELP/TYPE block per family.
 * Rendered from the same JSON object /vm/stats serves, so the two agree.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/vmstats.h"

struct out {
	char *buf;
	size_t len, cap;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		o->cap = (o->cap ? o->cap * 2 : 8192) + (size_t)n;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			abort();
	}
}

/* label values: backslash, double quote and newline escaped */
static const char *esc(const char *s, char *buf, size_t len)
{
	size_t j = 0;

	for (; s && *s && j + 2 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[j++] = '\\';
			buf[j++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[j++] = *s;
		}
	}
	buf[j] = 0;
	return buf;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* one sample per element of an array member of the stats object */
static void per_item(struct out *o, json_t *stats, const char *array, const char *label,
		     const char *idkey, const char *metric, const char *extra, const char *key,
		     double scale, const char *vm)
{
	size_t i;
	json_t *it;
	char id[128];

	json_array_foreach(json_object_get(stats, array), i, it) {
		json_t *idv = json_object_get(it, idkey);

		if (json_is_integer(idv))
			snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(idv));
		else
			esc(json_string_value(idv), id, sizeof(id));
		outf(o, "%s{vm=\"%s\",%s=\"%s\"%s%s} %.9g\n", metric, vm, label, id, extra ? "," : "",
		     extra ? extra : "", num(it, key) * scale);
	}
}

char *vmstats_prometheus(json_t *s, size_t *len)
{
	struct out o = { 0 };
	char vm[128], buf[128];
	json_t *mem = json_object_get(s, "memory"), *it;
	size_t i;
	static const struct {
		const char *op, *reqs, *bytes, *ns;
	} dops[] = {
		{ "read", "rd_reqs", "rd_bytes", "rd_ns" },
		{ "write", "wr_reqs", "wr_bytes", "wr_ns" },
		{ "flush", "fl_reqs", NULL, "fl_ns" },
		{ "discard", "discard_reqs", NULL, NULL },
		{ "write_zeroes", "wz_reqs", NULL, NULL },
	};

	esc(str(s, "name"), vm, sizeof(vm));
	family(&o, "kasou_info", "gauge", "kasou version and VM state");
	outf(&o, "kasou_info{vm=\"%s\",version=\"%s\",state=\"%s\"} 1\n", vm,
	     esc(str(s, "vmm_version"), buf, sizeof(buf)), str(s, "state"));
	family(&o, "kasou_uptime_seconds", "gauge", "seconds since kasou started the VM");
	outf(&o, "kasou_uptime_seconds{vm=\"%s\"} %.3f\n", vm, num(s, "uptime_s"));
	family(&o, "kasou_boots_total", "counter", "guest boots (reboots count)");
	outf(&o, "kasou_boots_total{vm=\"%s\"} %.0f\n", vm, num(s, "boots"));

	family(&o, "kasou_vcpu_cpu_seconds_total", "counter", "CPU time of each vCPU thread");
	per_item(&o, s, "vcpus", "vcpu", "id", "kasou_vcpu_cpu_seconds_total", NULL, "cpu_ns", 1e-9, vm);
	family(&o, "kasou_vcpu_wait_seconds_total", "counter",
	       "time each vCPU thread waited for a host CPU (steal seen from the host)");
	per_item(&o, s, "vcpus", "vcpu", "id", "kasou_vcpu_wait_seconds_total", NULL, "wait_ns", 1e-9, vm);
	family(&o, "kasou_vcpu_halt_wait_seconds_total", "counter", "time each vCPU was halted");
	per_item(&o, s, "vcpus", "vcpu", "id", "kasou_vcpu_halt_wait_seconds_total", NULL,
		 "halt_wait_ns", 1e-9, vm);
	family(&o, "kasou_vcpu_exits_total", "counter", "VM exits by reason (KVM statistics)");
	json_array_foreach(json_object_get(s, "vcpus"), i, it) {
		const char *k;
		json_t *v;

		json_object_foreach(json_object_get(it, "exits"), k, v) {
			size_t kl = strlen(k);

			if (strcmp(k, "exits") && (kl < 6 || strcmp(k + kl - 6, "_exits")))
				continue;
			outf(&o, "kasou_vcpu_exits_total{vm=\"%s\",vcpu=\"%zu\",reason=\"%.*s\"} %.0f\n",
			     vm, i, (int)(strcmp(k, "exits") ? kl - 6 : 3), strcmp(k, "exits") ? k : "all",
			     json_number_value(v));
		}
	}

	family(&o, "kasou_memory_guest_bytes", "gauge", "guest RAM size");
	outf(&o, "kasou_memory_guest_bytes{vm=\"%s\"} %.0f\n", vm, num(mem, "guest_bytes"));
	family(&o, "kasou_memory_rss_bytes", "gauge", "resident memory of the kasou process");
	outf(&o, "kasou_memory_rss_bytes{vm=\"%s\"} %.0f\n", vm, num(mem, "rss_bytes"));
	family(&o, "kasou_memory_hugetlb_bytes", "gauge", "hugetlb memory of the kasou process");
	outf(&o, "kasou_memory_hugetlb_bytes{vm=\"%s\"} %.0f\n", vm, num(mem, "hugetlb_bytes"));

	family(&o, "kasou_disk_requests_total", "counter", "virtio-blk requests completed");
	for (size_t k = 0; k < sizeof(dops) / sizeof(dops[0]); k++) {
		snprintf(buf, sizeof(buf), "op=\"%s\"", dops[k].op);
		per_item(&o, s, "disks", "device", "id", "kasou_disk_requests_total", buf, dops[k].reqs, 1, vm);
	}
	family(&o, "kasou_disk_bytes_total", "counter", "bytes read and written by the guest");
	for (size_t k = 0; k < 2; k++) {
		snprintf(buf, sizeof(buf), "op=\"%s\"", dops[k].op);
		per_item(&o, s, "disks", "device", "id", "kasou_disk_bytes_total", buf, dops[k].bytes, 1, vm);
	}
	family(&o, "kasou_disk_time_seconds_total", "counter", "time requests spent in kasou and the host");
	for (size_t k = 0; k < 3; k++) {
		snprintf(buf, sizeof(buf), "op=\"%s\"", dops[k].op);
		per_item(&o, s, "disks", "device", "id", "kasou_disk_time_seconds_total", buf, dops[k].ns,
			 1e-9, vm);
	}
	family(&o, "kasou_disk_errors_total", "counter", "requests that failed with an I/O error");
	per_item(&o, s, "disks", "device", "id", "kasou_disk_errors_total", NULL, "errors", 1, vm);
	family(&o, "kasou_disk_inflight", "gauge", "requests in flight on the host");
	per_item(&o, s, "disks", "device", "id", "kasou_disk_inflight", NULL, "inflight", 1, vm);
	family(&o, "kasou_disk_throttled_seconds_total", "counter", "time requests waited for tokens");
	per_item(&o, s, "disks", "device", "id", "kasou_disk_throttled_seconds_total", NULL,
		 "throttled_ns", 1e-9, vm);

	family(&o, "kasou_net_packets_total", "counter", "frames moved per direction");
	per_item(&o, s, "nets", "device", "id", "kasou_net_packets_total", "direction=\"rx\"", "rx_packets", 1, vm);
	per_item(&o, s, "nets", "device", "id", "kasou_net_packets_total", "direction=\"tx\"", "tx_packets", 1, vm);
	family(&o, "kasou_net_bytes_total", "counter", "bytes moved per direction");
	per_item(&o, s, "nets", "device", "id", "kasou_net_bytes_total", "direction=\"rx\"", "rx_bytes", 1, vm);
	per_item(&o, s, "nets", "device", "id", "kasou_net_bytes_total", "direction=\"tx\"", "tx_bytes", 1, vm);
	family(&o, "kasou_net_drops_total", "counter", "frames dropped per direction");
	per_item(&o, s, "nets", "device", "id", "kasou_net_drops_total", "direction=\"rx\"", "rx_drops", 1, vm);
	per_item(&o, s, "nets", "device", "id", "kasou_net_drops_total", "direction=\"tx\"", "tx_drops", 1, vm);
	family(&o, "kasou_net_errors_total", "counter", "malformed frames per direction");
	per_item(&o, s, "nets", "device", "id", "kasou_net_errors_total", "direction=\"rx\"", "rx_errors", 1, vm);
	per_item(&o, s, "nets", "device", "id", "kasou_net_errors_total", "direction=\"tx\"", "tx_errors", 1, vm);
	family(&o, "kasou_net_throttled_seconds_total", "counter", "time frames waited for tokens");
	per_item(&o, s, "nets", "device", "id", "kasou_net_throttled_seconds_total", "direction=\"rx\"",
		 "rx_throttled_ns", 1e-9, vm);
	per_item(&o, s, "nets", "device", "id", "kasou_net_throttled_seconds_total", "direction=\"tx\"",
		 "tx_throttled_ns", 1e-9, vm);

	if (json_object_get(s, "balloon")) {
		json_t *b = json_object_get(s, "balloon");

		family(&o, "kasou_balloon_target_bytes", "gauge", "balloon size asked of the guest");
		outf(&o, "kasou_balloon_target_bytes{vm=\"%s\"} %.0f\n", vm, num(b, "target_mib") * 1048576);
		family(&o, "kasou_balloon_actual_bytes", "gauge", "balloon size the guest reached");
		outf(&o, "kasou_balloon_actual_bytes{vm=\"%s\"} %.0f\n", vm, num(b, "actual_mib") * 1048576);
		if (json_object_get(b, "free_memory")) {
			family(&o, "kasou_balloon_guest_free_bytes", "gauge", "free memory the guest reports");
			outf(&o, "kasou_balloon_guest_free_bytes{vm=\"%s\"} %.0f\n", vm, num(b, "free_memory"));
			family(&o, "kasou_balloon_guest_available_bytes", "gauge",
			       "available memory the guest reports");
			outf(&o, "kasou_balloon_guest_available_bytes{vm=\"%s\"} %.0f\n", vm,
			     num(b, "available_memory"));
			family(&o, "kasou_balloon_guest_major_faults_total", "counter",
			       "major page faults in the guest");
			outf(&o, "kasou_balloon_guest_major_faults_total{vm=\"%s\"} %.0f\n", vm,
			     num(b, "major_faults"));
		}
	}
	family(&o, "kasou_thread_cpu_seconds_total", "counter",
	       "CPU time of every kasou thread (vCPUs, emulator, I/O)");
	json_array_foreach(json_object_get(s, "threads"), i, it) {
		outf(&o, "kasou_thread_cpu_seconds_total{vm=\"%s\",thread=\"%s\",tid=\"%.0f\"} %.9g\n", vm,
		     esc(str(it, "name"), buf, sizeof(buf)), num(it, "tid"), num(it, "cpu_ns") * 1e-9);
	}
	*len = o.len;
	return o.buf;
}
