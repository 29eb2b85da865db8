// SPDX-License-Identifier: GPL-2.0-only
#include "api/routes.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "resources/affinity.h"
#include "resources/cgroup.h"
#include "stats/vmstats.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "vmm/vm.h"
#include "util/time.h"

static void reply_json(struct api_response *resp, unsigned int status, json_t *o)
{
	resp->status = status;
	resp->body = json_dumps(o, JSON_COMPACT);
	resp->len = resp->body ? strlen(resp->body) : 0;
	resp->content_type = "application/json";
	json_decref(o);
}

static void reply_none(struct api_response *resp)
{
	resp->status = 204;
	resp->body = NULL;
	resp->len = 0;
}

/* One request as the server hands it over; the body is parsed on first use. */
struct route_req {
	const char *method, *path, *raw;
	size_t len;
	json_t *body;
};

static json_t *parse_body(const char *body, size_t len, struct api_response *resp)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (!o) {
		api_fault(resp, 400, "malformed JSON: line %d, column %d: %s", je.line, je.column,
			  je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_fault(resp, 400, "the request body must be a JSON object");
		return NULL;
	}
	return o;
}

/*
 * The body as a JSON object, parsed once a route that takes one is reached:
 * a wrong path or method is 404 / 405 whatever the body. NULL with resp
 * filled (400) when it is not a JSON object.
 */
static json_t *req_body(struct route_req *r, struct api_response *resp)
{
	if (!r->body)
		r->body = parse_body(r->raw, r->len, resp);
	return r->body;
}

static const char *state_of(struct vm *vm)
{
	return !vm ? "Stopping" : vm_is_paused(vm) ? "Paused" : "Running";
}

static void get_info(struct vm_persist *p, struct vm *vm, struct api_response *resp)
{
	reply_json(resp, 200,
		   json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:i}", "id", p->cfg->name, "state",
			     state_of(vm), "vmm_version", "0.1.0", "app_name", "kasou", "pid",
			     (int)getpid(), "uptime_s", (double)(mono_ns() - p->start_ns) / 1e9,
			     "boots", (int)p->boots));
}

/* Firecracker's {"bandwidth": {"size", "one_time_burst", "refill_time" (ms)}, "ops": {...}} */
static int fc_bucket(json_t *b, uint64_t *rate, uint64_t *burst)
{
	json_int_t size, refill, otb = 0;
	unsigned __int128 r;

	if (!b || json_is_null(b))
		return 0;
	if (json_unpack(b, "{s:I, s:I, s?I !}", "size", &size, "refill_time", &refill,
			"one_time_burst", &otb) || size < 0 || refill <= 0 || otb < 0)
		return -EINVAL;
	/* per second, in 128 bits; a small size over a long time is 1/s, never 0 (= no limit) */
	r = (unsigned __int128)size * 1000 / (uint64_t)refill;
	*rate = r > UINT64_MAX ? UINT64_MAX : r ? (uint64_t)r : size ? 1 : 0;
	*burst = (uint64_t)size + (uint64_t)otb; /* both below 2^63: no wrap */
	return 0;
}

/* Firecracker's drive_id / iface_id in a PATCH body: optional, but the path's id when given. */
static int body_id_matches(const char *key, json_t *v, const char *id, char *err)
{
	if (json_is_string(v) && !strcmp(json_string_value(v), id))
		return 0;
	snprintf(err, CONFIG_ERR_LEN, "%s: expected \"%s\" (the id in the path)", key, id);
	return -EINVAL;
}

/* Apply limit keys to a copy, so a bad key leaves the live limits alone. */
static int patch_disk_limits(struct disk_config *d, const char *id, json_t *body, char *err)
{
	const char *key;
	json_t *v;
	char val[32];

	json_object_foreach(body, key, v) {
		if (!strcmp(key, "drive_id")) {
			if (body_id_matches(key, v, id, err))
				return -EINVAL;
			continue;
		}
		if (!strcmp(key, "rate_limiter")) {
			struct disk_throttle *t = &d->throttle;

			if (json_is_null(v)) /* Firecracker: null leaves it as it is */
				continue;
			if (!json_is_object(v) ||
			    fc_bucket(json_object_get(v, "bandwidth"), &t->bps, &t->bps_max) ||
			    fc_bucket(json_object_get(v, "ops"), &t->iops, &t->iops_max)) {
				snprintf(err, CONFIG_ERR_LEN, "rate_limiter: expected {\"bandwidth\": "
							      "{\"size\", \"refill_time\"}, \"ops\": {...}}");
				return -EINVAL;
			}
			continue;
		}
		if (strncmp(key, "bps", 3) && strncmp(key, "iops", 4)) {
			snprintf(err, CONFIG_ERR_LEN, "'%s': only the limits (iops, bps, ..._max) change at run time", key);
			return -EINVAL;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(err, CONFIG_ERR_LEN, "'%s': expected a non-negative integer", key);
			return -EINVAL;
		}
		snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		if (config_disk_set(d, key, val, err))
			return -EINVAL;
	}
	return 0;
}

static int patch_net_limits(struct net_config *n, const char *id, json_t *body, char *err)
{
	const char *key;
	json_t *v;
	char val[32];

	json_object_foreach(body, key, v) {
		if (!strcmp(key, "iface_id")) {
			if (body_id_matches(key, v, id, err))
				return -EINVAL;
			continue;
		}
		if (!strcmp(key, "rx_rate_limiter") || !strcmp(key, "tx_rate_limiter")) {
			bool rx = key[0] == 'r';

			if (json_is_null(v)) /* Firecracker: null leaves it as it is */
				continue;
			if (!json_is_object(v) ||
			    fc_bucket(json_object_get(v, "bandwidth"), rx ? &n->rx_bps : &n->tx_bps,
				      rx ? &n->rx_bps_max : &n->tx_bps_max) ||
			    fc_bucket(json_object_get(v, "ops"), rx ? &n->rx_pps : &n->tx_pps,
				      rx ? &n->rx_pps_max : &n->tx_pps_max)) {
				snprintf(err, CONFIG_ERR_LEN, "%s: expected {\"bandwidth\": {\"size\", "
							      "\"refill_time\"}, \"ops\": {...}}", key);
				return -EINVAL;
			}
			continue;
		}
		if (strncmp(key, "rx_", 3) && strncmp(key, "tx_", 3)) {
			snprintf(err, CONFIG_ERR_LEN, "'%s': only the rate limits change at run time", key);
			return -EINVAL;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(err, CONFIG_ERR_LEN, "'%s': expected a non-negative integer", key);
			return -EINVAL;
		}
		snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		if (config_net_set(n, key, val, false, err))
			return -EINVAL;
	}
	return 0;
}

static void patch_drive(struct vm_persist *p, struct vm *vm, const char *id, json_t *body,
			struct api_response *resp)
{
	struct vm_config *cfg = (struct vm_config *)p->cfg; /* the API owns the limits' changes */
	char err[CONFIG_ERR_LEN];

	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		struct disk_config d;

		if (strcmp(cfg->disks[i].id, id))
			continue;
		d = cfg->disks[i]; /* shallow: only the integers change */
		if (patch_disk_limits(&d, id, body, err))
			return api_fault(resp, 400, "drive '%s': %s", id, err);
		cfg->disks[i].throttle = d.throttle;
		if (vm && i < vm->nr_disks)
			vblk_set_throttle(&vm->disks[i], &d.throttle);
		return reply_none(resp);
	}
	api_fault(resp, 404, "no drive with id '%s'", id);
}

static void patch_net(struct vm_persist *p, struct vm *vm, const char *id, json_t *body,
		      struct api_response *resp)
{
	struct vm_config *cfg = (struct vm_config *)p->cfg;
	char err[CONFIG_ERR_LEN];

	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		struct net_config n;

		if (strcmp(cfg->nets[i].id, id))
			continue;
		n = cfg->nets[i];
		if (patch_net_limits(&n, id, body, err))
			return api_fault(resp, 400, "network interface '%s': %s", id, err);
		if (vm && i < vm->nr_nets && vm->nets[i].vhost &&
		    (n.rx_bps || n.tx_bps || n.rx_pps || n.tx_pps))
			return api_fault(resp, 400, "network interface '%s' uses vhost: rate limits "
						    "need vhost=off", id);
		cfg->nets[i].rx_bps = n.rx_bps;
		cfg->nets[i].tx_bps = n.tx_bps;
		cfg->nets[i].rx_pps = n.rx_pps;
		cfg->nets[i].tx_pps = n.tx_pps;
		cfg->nets[i].rx_bps_max = n.rx_bps_max;
		cfg->nets[i].tx_bps_max = n.tx_bps_max;
		cfg->nets[i].rx_pps_max = n.rx_pps_max;
		cfg->nets[i].tx_pps_max = n.tx_pps_max;
		if (vm && i < vm->nr_nets)
			vnet_set_rate(&vm->nets[i], &n);
		return reply_none(resp);
	}
	api_fault(resp, 404, "no network interface with id '%s'", id);
}

static void put_actions(struct vm *vm, json_t *body, struct api_response *resp)
{
	const char *a = NULL;

	if (json_unpack(body, "{s:s !}", "action_type", &a))
		return api_fault(resp, 400, "expected {\"action_type\": \"InstanceHalt\" | "
					    "\"SendCtrlAltDel\" | \"FlushMetrics\"}");
	if (!strcmp(a, "FlushMetrics"))
		return reply_none(resp);
	if (!vm)
		return api_fault(resp, 409, "the VM is stopping");
	if (!strcmp(a, "InstanceHalt")) {
		vm_request_stop(vm, VM_STOP_POWEROFF);
	} else if (!strcmp(a, "SendCtrlAltDel")) {
		vm_shutdown_graceful(vm, VM_STOP_POWEROFF);
	} else if (!strcmp(a, "InstanceStart")) {
		return api_fault(resp, 400, "the VM is already running");
	} else {
		return api_fault(resp, 400, "unknown action_type '%s'", a);
	}
	reply_none(resp);
}

static void patch_vm(struct vm *vm, json_t *body, struct api_response *resp)
{
	const char *st = NULL;
	int err;

	if (json_unpack(body, "{s:s !}", "state", &st) ||
	    (strcmp(st, "Paused") && strcmp(st, "Resumed")))
		return api_fault(resp, 400, "expected {\"state\": \"Paused\" | \"Resumed\"}");
	if (!vm)
		return api_fault(resp, 409, "the VM is stopping");
	err = !strcmp(st, "Paused") ? vm_pause(vm) : vm_resume(vm);
	if (err == -ESHUTDOWN)
		return api_fault(resp, 409, "the VM is stopping");
	if (err)
		return api_fault(resp, 500, "%s failed: %s", st, strerror(-err));
	reply_none(resp);
}

static void get_metrics(struct vm_persist *p, struct vm *vm, struct api_response *resp)
{
	json_t *s = vmstats_json(p, vm);

	resp->body = vmstats_prometheus(s, &resp->len);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4";
	json_decref(s);
}

/* {"affinity": "2-3"} (or null: back to the set kasou started with) */
static int body_cpuset(json_t *body, cpu_set_t *set, bool *none, struct api_response *resp)
{
	json_t *a = json_object_get(body, "affinity");

	*none = false;
	CPU_ZERO(set);
	if (json_object_size(body) != 1 || !a) {
		api_fault(resp, 400, "expected {\"affinity\": \"HOSTCPUS\"} (e.g. \"2-3\"; null = unpinned)");
		return -EINVAL;
	}
	if (json_is_null(a)) {
		*none = true;
		return 0;
	}
	if (!json_is_string(a) || config_parse_cpulist(json_string_value(a), set)) {
		api_fault(resp, 400, "affinity: '%s' is not a CPU list (e.g. 2,3 or 4-7)",
			  json_is_string(a) ? json_string_value(a) : "(not a string)");
		return -EINVAL;
	}
	return 0;
}

static void patch_affinity(struct vm_persist *p, struct vm *vm, const char *what, json_t *body,
			   struct api_response *resp)
{
	struct vm_config *cfg = (struct vm_config *)p->cfg;
	cpu_set_t set;
	bool none;
	int err;

	if (body_cpuset(body, &set, &none, resp))
		return;
	if (!strcmp(what, "emulator")) {
		err = affinity_set_emulator(none ? NULL : &set);
		cfg->cpu.emulator_pinned = !none;
		cfg->cpu.emulator_affinity = set;
	} else if (!strcmp(what, "iothreads")) {
		err = affinity_set_io(none ? NULL : &set);
		cfg->cpu.io_pinned = !none;
		cfg->cpu.io_affinity = set;
	} else {
		char *end;
		unsigned long i = strtoul(what, &end, 10);

		if (*end || end == what || !vm || i >= vm->nr_vcpus)
			return api_fault(resp, 404, "no vCPU '%s'", what);
		/* (no thread before the boot starts it, nor for a vCPU above boot=) */
		if (!__atomic_load_n(&vm->vcpus[i].thread_started, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE))
			return api_fault(resp, 409, "vCPU %lu is not running", i);
		err = affinity_vcpu(vm->vcpus[i].thread, none ? NULL : &set);
		if (!err && !cfg->cpu.affinity) { /* keep it for the next boot too */
			cfg->cpu.affinity = calloc(config_max_cpus(cfg), sizeof(cpu_set_t));
			cfg->cpu.affinity_set = calloc(config_max_cpus(cfg), sizeof(bool));
		}
		if (!err && cfg->cpu.affinity && cfg->cpu.affinity_set && i < config_max_cpus(cfg)) {
			cfg->cpu.affinity[i] = set;
			cfg->cpu.affinity_set[i] = !none;
		}
	}
	if (err)
		return api_fault(resp, 400, "cannot pin %s: %s (no such host CPU online?)", what,
				 strerror(-err));
	reply_none(resp);
}

/* Firecracker: PUT/PATCH /balloon {"amount_mib": N} (PUT may carry deflate_on_oom etc.,
 * which are fixed at start here) */
static void set_balloon(struct vm_persist *p, struct vm *vm, json_t *body,
			struct api_response *resp)
{
	struct vm_config *cfg = (struct vm_config *)p->cfg;
	json_t *amount = json_object_get(body, "amount_mib");
	const char *k;
	json_t *v;
	int err;

	json_object_foreach(body, k, v) {
		if (strcmp(k, "amount_mib") && strcmp(k, "deflate_on_oom") &&
		    strcmp(k, "stats_polling_interval_s"))
			return api_fault(resp, 400, "balloon: unknown field '%s'", k);
	}
	if (!json_is_integer(amount) || json_integer_value(amount) < 0)
		return api_fault(resp, 400, "expected {\"amount_mib\": N}");
	if (!vm || !vm->balloon)
		return api_fault(resp, 400, "this VM has no balloon (start it with --balloon)");
	/* above 2^44 MiB the shift wraps to a small size the check would let through */
	err = json_integer_value(amount) > (json_int_t)(UINT64_MAX >> 20)
		      ? -EINVAL
		      : vballoon_set_target(vm->balloon, (uint64_t)json_integer_value(amount) << 20);
	if (err)
		return api_fault(resp, 400, "balloon of %lld MiB: larger than the guest's memory",
				 (long long)json_integer_value(amount));
	cfg->balloon.size = (uint64_t)json_integer_value(amount) << 20;
	reply_none(resp);
}

/* PATCH /cgroup {"memory.high": "512M", "cpu.max": "20%", ...}: live limits */
static void patch_cgroup(struct vm_persist *p, json_t *body, struct api_response *resp)
{
	const char *k;
	json_t *v;
	char val[256], why[CONFIG_ERR_LEN];

	if (!p->cgroup)
		return api_fault(resp, 400, "the VM has no cgroup (start it with --cgroup)");
	json_object_foreach(body, k, v) {
		if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v) && json_string_length(v) < sizeof(val))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else if (json_is_string(v)) /* cut to fit, it would be another value */
			return api_fault(resp, 400, "cgroup: '%s': value too long", k);
		else
			return api_fault(resp, 400, "cgroup: '%s': expected a string or integer", k);
		if (cgroup_set(p->cgroup, k, val, why))
			return api_fault(resp, 400, "cgroup: %s", why);
	}
	reply_none(resp);
}

static bool is(const char *method, const char *m)
{
	return !strcmp(method, m);
}

/* Route a request; `p->lock` held. */
static void route_locked(struct vm_persist *p, struct vm *vm, struct route_req *r,
			 struct api_response *resp)
{
	const char *method = r->method, *path = r->path, *id;
	json_t *body;

	if (!strcmp(path, "/")) {
		if (!is(method, "GET"))
			return api_fault(resp, 405, "%s / is not allowed (GET)", method);
		return get_info(p, vm, resp);
	}
	if (!strcmp(path, "/vm/config")) {
		char *s;
		json_error_t je;

		if (!is(method, "GET"))
			return api_fault(resp, 405, "%s %s is not allowed (GET)", method, path);
		s = config_to_json(p->cfg);
		reply_json(resp, 200, json_loads(s, 0, &je));
		free(s);
		return;
	}
	if (!strcmp(path, "/machine-config")) {
		if (is(method, "GET"))
			return reply_json(resp, 200,
					  json_pack("{s:i, s:I, s:b}", "vcpu_count", (int)p->cfg->cpus,
						    "mem_size_mib", (json_int_t)(p->cfg->mem_size >> 20),
						    "smt", 0));
		if (is(method, "PUT") || is(method, "PATCH"))
			return api_fault(resp, 400, "the VM is running: vCPUs and memory are set at "
						    "start (--cpus, --memory)");
		return api_fault(resp, 405, "%s %s is not allowed (GET)", method, path);
	}
	if (!strcmp(path, "/actions")) {
		if (!is(method, "PUT"))
			return api_fault(resp, 405, "%s %s is not allowed (PUT)", method, path);
		if (!(body = req_body(r, resp)))
			return;
		return put_actions(vm, body, resp);
	}
	if (!strcmp(path, "/vm")) {
		if (!is(method, "PATCH"))
			return api_fault(resp, 405, "%s %s is not allowed (PATCH)", method, path);
		if (!(body = req_body(r, resp)))
			return;
		return patch_vm(vm, body, resp);
	}
	if (!strcmp(path, "/vm/stats") || !strcmp(path, "/metrics")) {
		if (!is(method, "GET"))
			return api_fault(resp, 405, "%s %s is not allowed (GET)", method, path);
		if (path[1] == 'm')
			return get_metrics(p, vm, resp);
		return reply_json(resp, 200, vmstats_json(p, vm));
	}
	if (!strcmp(path, "/cgroup")) {
		if (!is(method, "PATCH"))
			return api_fault(resp, 405, "%s %s is not allowed (PATCH)", method, path);
		if (!(body = req_body(r, resp)))
			return;
		return patch_cgroup(p, body, resp);
	}
	if (!strcmp(path, "/balloon") || !strcmp(path, "/balloon/statistics")) {
		if (path[8] && !is(method, "GET"))
			return api_fault(resp, 405, "%s %s is not allowed (GET)", method, path);
		if (is(method, "PUT") || is(method, "PATCH")) {
			if (!(body = req_body(r, resp)))
				return;
			return set_balloon(p, vm, body, resp);
		}
		if (!is(method, "GET"))
			return api_fault(resp, 405, "%s %s is not allowed", method, path);
		if (!vm || !vm->balloon)
			return api_fault(resp, 400, "this VM has no balloon (start it with --balloon)");
		return reply_json(resp, 200, vmstats_balloon_json(vm->balloon));
	}
	if (!strncmp(path, "/vcpus/", 7) || !strcmp(path, "/emulator") || !strcmp(path, "/iothreads")) {
		if (!is(method, "PATCH"))
			return api_fault(resp, 405, "%s %s is not allowed (PATCH)", method, path);
		if (!(body = req_body(r, resp)))
			return;
		return patch_affinity(p, vm, path[1] == 'v' ? path + 7 : path + 1, body, resp);
	}
	if (!strncmp(path, "/drives/", 8) || !strncmp(path, "/network-interfaces/", 20)) {
		bool drive = path[1] == 'd';

		id = path + (drive ? 8 : 20);
		if (!*id || strchr(id, '/'))
			return api_fault(resp, 404, "no such resource: %s", path);
		if (!is(method, "PATCH"))
			return api_fault(resp, 405, "%s %s is not allowed (PATCH)", method, path);
		if (!(body = req_body(r, resp)))
			return;
		if (drive)
			return patch_drive(p, vm, id, body, resp);
		return patch_net(p, vm, id, body, resp);
	}
	api_fault(resp, 404, "no such resource: %s", path);
}

void api_route(void *ctx, const char *method, const char *path, const char *body, size_t len,
	       struct api_response *resp)
{
	struct vm_persist *p = ctx;
	struct route_req r = { .method = method, .path = path, .raw = body, .len = len };

	pthread_mutex_lock(&p->lock);
	route_locked(p, p->current, &r, resp);
	pthread_mutex_unlock(&p->lock);
	json_decref(r.body);
}

void api_route_metrics(void *ctx, const char *method, const char *path, const char *body,
		       size_t len, struct api_response *resp)
{
	if (strcmp(path, "/metrics"))
		return api_fault(resp, 404, "only /metrics here");
	api_route(ctx, method, path, body, len, resp);
}
