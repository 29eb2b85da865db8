// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control API without KVM: api_route() against a struct vm put together
 * from fakes (no vCPU threads, no vm fd, devices with only the state the
 * routes and stats read), and the real libmicrohttpd server on a unix socket
 * in a temp dir for what only a socket shows: the body limit, HTTP framing,
 * 100 clients at once.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/routes.h"
#include "api/server.h"
#include "resources/affinity.h"
#include "resources/cgroup.h"
#include "api_fixture.h"
#include "unit.h"

static struct {
	unsigned int status;
	char *body;
	size_t len;
	const char *ctype;
	json_t *json;
} R;

static void reply_free(void)
{
	free(R.body);
	json_decref(R.json);
	memset(&R, 0, sizeof(R));
}

static void teardown(void)
{
	reply_free();
	fixture_teardown();
}

/* One request through the route function; the reply lands in R. Returns its status. */
static unsigned int req_with(api_route_fn fn, const char *method, const char *path,
			     const char *body)
{
	struct api_response resp = { .status = 0 };

	reply_free();
	fn(&F.p, method, path, body ? body : "", body ? strlen(body) : 0, &resp);
	R.status = resp.status;
	R.body = resp.body;
	R.len = resp.len;
	R.ctype = resp.content_type;
	if (R.body && R.ctype && !strcmp(R.ctype, "application/json"))
		R.json = json_loadb(R.body, R.len, 0, NULL);
	return R.status;
}

static unsigned int req(const char *method, const char *path, const char *body)
{
	return req_with(api_route, method, path, body);
}

/* R is {"fault_message": "..."} and nothing else, the message containing `part`. */
static bool is_fault(const char *part)
{
	const char *m = json_string_value(json_object_get(R.json, "fault_message"));

	return json_is_object(R.json) && json_object_size(R.json) == 1 && m && *m &&
	       strstr(m, part) && R.ctype && !strcmp(R.ctype, "application/json");
}

#define CHECK_FAULT(st, part)                                                          \
	do {                                                                           \
		CHECK_EQ(R.status, st);                                                \
		if (!is_fault(part) && !unit_failed++)                                 \
			snprintf(unit_why, sizeof(unit_why), "%s:%d: fault '%s' not in %.*s", \
				 __FILE__, __LINE__, part, (int)R.len, R.body ? R.body : ""); \
	} while (0)

/* 204: no body at all. */
#define CHECK_NONE(call)                                                               \
	do {                                                                           \
		CHECK_EQ(call, 204);                                                   \
		CHECK(!R.body && !R.len);                                              \
	} while (0)

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -12345;
}

/* The value an eventfd holds (0 when nothing was written), and reset it. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

/* ---- every endpoint ---- */

TEST(get_info)
{
	if (!setup())
		return;
	CHECK_EQ(req("GET", "/", NULL), 200);
	CHECK_STR(R.ctype, "application/json");
	CHECK_STR(jstr(R.json, "id"), "apivm");
	CHECK_STR(jstr(R.json, "state"), "Running");
	CHECK_STR(jstr(R.json, "app_name"), "kasou");
	CHECK(jstr(R.json, "vmm_version") != NULL);
	CHECK_EQ(jint(R.json, "pid"), getpid());
	CHECK_EQ(jint(R.json, "boots"), 1);
	CHECK(json_is_real(json_object_get(R.json, "uptime_s")) &&
	      json_real_value(json_object_get(R.json, "uptime_s")) >= 0);
	/* between boots there is no VM */
	F.p.current = NULL;
	CHECK_EQ(req("GET", "/", NULL), 200);
	CHECK_STR(jstr(R.json, "state"), "Stopping");
	teardown();
}

TEST(machine_config)
{
	if (!setup())
		return;
	CHECK_EQ(req("GET", "/machine-config", NULL), 200);
	CHECK_EQ(jint(R.json, "vcpu_count"), 2);
	CHECK_EQ(jint(R.json, "mem_size_mib"), 256);
	CHECK(json_is_false(json_object_get(R.json, "smt")));
	CHECK_EQ(json_object_size(R.json), 3);
	/* fixed while the VM runs */
	req("PUT", "/machine-config", "{\"vcpu_count\": 4, \"mem_size_mib\": 512}");
	CHECK_FAULT(400, "set at start");
	req("PATCH", "/machine-config", "{\"vcpu_count\": 4}");
	CHECK_FAULT(400, "set at start");
	CHECK_EQ(F.cfg.cpus, 2);
	CHECK_EQ(F.cfg.mem_size, GUEST_MEM);
	req("DELETE", "/machine-config", NULL);
	CHECK_FAULT(405, "DELETE /machine-config is not allowed");
	teardown();
}

TEST(vm_config)
{
	json_t *disks, *nets;

	if (!setup())
		return;
	CHECK_EQ(req("GET", "/vm/config", NULL), 200);
	CHECK_STR(jstr(R.json, "name"), "apivm");
	CHECK_STR(jstr(R.json, "kernel"), "/k");
	CHECK_EQ(jint(R.json, "cpus"), 2);
	CHECK_EQ(jint(R.json, "memory"), GUEST_MEM);
	disks = json_object_get(R.json, "disks");
	nets = json_object_get(R.json, "nets");
	CHECK_EQ(json_array_size(disks), 2);
	CHECK_STR(jstr(json_array_get(disks, 0), "id"), "root");
	CHECK_STR(jstr(json_array_get(disks, 1), "path"), "/d.img");
	CHECK_EQ(json_array_size(nets), 2);
	CHECK_STR(jstr(json_array_get(nets, 1), "tap"), "tap1");
	CHECK(json_is_true(json_object_get(json_array_get(nets, 1), "vhost")));
	/* what the API changed shows up here */
	CHECK_NONE(req("PATCH", "/drives/data", "{\"iops\": 321}"));
	CHECK_EQ(req("GET", "/vm/config", NULL), 200);
	CHECK_EQ(jint(json_array_get(json_object_get(R.json, "disks"), 1), "iops"), 321);
	req("PUT", "/vm/config", "{}");
	CHECK_FAULT(405, "PUT /vm/config is not allowed (GET)");
	teardown();
}

TEST(actions_flush_metrics_and_halt)
{
	if (!setup())
		return;
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}"));
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	CHECK_EQ(efd_take(F.vm.stop_efd), 0);
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"InstanceHalt\"}"));
	CHECK_EQ(F.vm.stop_reason, VM_STOP_POWEROFF);
	CHECK_EQ(efd_take(F.vm.stop_efd), 1);
	/* between boots: nothing to halt, metrics still flush */
	F.p.current = NULL;
	req("PUT", "/actions", "{\"action_type\": \"InstanceHalt\"}");
	CHECK_FAULT(409, "stopping");
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}"));
	teardown();
}

TEST(actions_ctrl_alt_del)
{
	if (!setup())
		return;
	/* with a shutdown timeout: the power button, the main loop arms its timer */
	CHECK_EQ(F.cfg.shutdown_timeout, CONFIG_SHUTDOWN_TIMEOUT);
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"));
	CHECK(F.vm.pm.pm1_sts & (1u << 8)); /* PWRBTN_STS */
	CHECK_EQ(efd_take(F.vm.ctl_efd), 1);
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	CHECK(F.vm.graceful);
	/* asked twice: stop now */
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"));
	CHECK_EQ(F.vm.stop_reason, VM_STOP_POWEROFF);
	CHECK_EQ(efd_take(F.vm.stop_efd), 1);
	teardown();

	/* no timeout: no grace, a hard stop */
	if (!setup())
		return;
	F.cfg.shutdown_timeout = 0;
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"));
	CHECK_EQ(F.vm.stop_reason, VM_STOP_POWEROFF);
	CHECK_EQ(F.vm.pm.pm1_sts & (1u << 8), 0);
	CHECK_EQ(efd_take(F.vm.ctl_efd), 0);
	teardown();

	/* paused: the guest cannot see the button */
	if (!setup())
		return;
	CHECK_NONE(req("PATCH", "/vm", "{\"state\": \"Paused\"}"));
	CHECK_NONE(req("PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}"));
	CHECK_EQ(F.vm.stop_reason, VM_STOP_POWEROFF);
	CHECK_EQ(efd_take(F.vm.ctl_efd), 0);
	teardown();
}

TEST(actions_refused)
{
	static const char *const bad[] = {
		"{}",
		"{\"action_type\": 1}",
		"{\"action_type\": null}",
		"{\"action_type\": \"FlushMetrics\", \"extra\": 1}", /* unknown field */
		"{\"type\": \"FlushMetrics\"}",
	};

	if (!setup())
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req("PUT", "/actions", bad[i]);
		CHECK_FAULT(400, "expected {\"action_type\"");
	}
	req("PUT", "/actions", "{\"action_type\": \"InstanceStart\"}");
	CHECK_FAULT(400, "already running");
	req("PUT", "/actions", "{\"action_type\": \"Reboot\"}");
	CHECK_FAULT(400, "unknown action_type 'Reboot'");
	req("GET", "/actions", NULL);
	CHECK_FAULT(405, "GET /actions is not allowed (PUT)");
	req("PATCH", "/actions", "{\"action_type\": \"InstanceHalt\"}");
	CHECK_FAULT(405, "(PUT)");
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE); /* none of these did anything */
	CHECK_EQ(efd_take(F.vm.stop_efd), 0);
	teardown();
}

TEST(pause_resume)
{
	if (!setup())
		return;
	CHECK_NONE(req("PATCH", "/vm", "{\"state\": \"Paused\"}"));
	CHECK(F.vm.paused);
	CHECK_EQ(req("GET", "/", NULL), 200);
	CHECK_STR(jstr(R.json, "state"), "Paused");
	CHECK_EQ(req("GET", "/vm/stats", NULL), 200);
	CHECK_STR(jstr(R.json, "state"), "Paused");
	CHECK_NONE(req("PATCH", "/vm", "{\"state\": \"Paused\"}")); /* again: no change */
	CHECK(F.vm.paused);
	CHECK_NONE(req("PATCH", "/vm", "{\"state\": \"Resumed\"}"));
	CHECK(!F.vm.paused);
	CHECK_EQ(F.vm.pause_req, 0);
	CHECK_EQ(req("GET", "/", NULL), 200);
	CHECK_STR(jstr(R.json, "state"), "Running");
	CHECK_NONE(req("PATCH", "/vm", "{\"state\": \"Resumed\"}"));

	req("PATCH", "/vm", "{\"state\": \"Running\"}");
	CHECK_FAULT(400, "expected {\"state\": \"Paused\" | \"Resumed\"}");
	req("PATCH", "/vm", "{\"state\": \"Paused\", \"when\": 1}");
	CHECK_FAULT(400, "expected {\"state\"");
	req("PATCH", "/vm", "{\"state\": true}");
	CHECK_FAULT(400, "expected {\"state\"");
	req("PATCH", "/vm", "{}");
	CHECK_FAULT(400, "expected {\"state\"");
	CHECK(!F.vm.paused);
	req("PUT", "/vm", "{\"state\": \"Paused\"}");
	CHECK_FAULT(405, "PUT /vm is not allowed (PATCH)");
	CHECK(!F.vm.paused);

	/* a VM on its way out cannot pause */
	F.vm.stopping = 1;
	req("PATCH", "/vm", "{\"state\": \"Paused\"}");
	CHECK_FAULT(409, "stopping");
	CHECK(!F.vm.paused);
	F.p.current = NULL;
	req("PATCH", "/vm", "{\"state\": \"Resumed\"}");
	CHECK_FAULT(409, "stopping");
	teardown();
}

TEST(patch_drive)
{
	struct vblk *b = &F.disks[0];

	if (!setup())
		return;
	/* Firecracker's rate_limiter: size per refill_time ms, one_time_burst on top */
	CHECK_NONE(req("PATCH", "/drives/root",
		       "{\"drive_id\": \"root\", \"rate_limiter\": {"
		       "\"bandwidth\": {\"size\": 1048576, \"refill_time\": 500},"
		       "\"ops\": {\"size\": 100, \"refill_time\": 1000, \"one_time_burst\": 50}}}"));
	CHECK_EQ(F.cfg.disks[0].throttle.bps, 2 * MIB);
	CHECK_EQ(F.cfg.disks[0].throttle.bps_max, MIB);
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 100);
	CHECK_EQ(F.cfg.disks[0].throttle.iops_max, 150);
	CHECK_EQ(b->cfg.throttle.bps, 2 * MIB); /* the device got them */
	CHECK_EQ(b->throttle.total.bytes.rate, 2 * MIB);
	CHECK_EQ(b->throttle.total.bytes.burst, MIB);
	CHECK_EQ(b->throttle.total.ops.rate, 100);
	CHECK(!rl_group_unlimited(&b->throttle));
	CHECK_EQ(F.cfg.disks[1].throttle.bps, 0); /* the other disk is untouched */
	CHECK(rl_group_unlimited(&F.disks[1].throttle));

	/* the plain limit keys, on the second disk */
	CHECK_NONE(req("PATCH", "/drives/data", "{\"iops_rd\": 10, \"bps_wr_max\": 4096}"));
	CHECK_EQ(F.cfg.disks[1].throttle.iops_rd, 10);
	CHECK_EQ(F.cfg.disks[1].throttle.bps_wr_max, 4096);
	CHECK_EQ(F.disks[1].throttle.read.ops.rate, 10);

	/* back to unlimited */
	CHECK_NONE(req("PATCH", "/drives/root", "{\"rate_limiter\": {\"bandwidth\": null, "
						"\"ops\": {\"size\": 0, \"refill_time\": 1000}}, "
						"\"bps\": 0, \"bps_max\": 0}"));
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 0);
	CHECK_EQ(F.cfg.disks[0].throttle.bps, 0);
	CHECK(rl_group_unlimited(&b->throttle));

	/* a tiny size over a long refill is a strict limit, not "none" (rate 0) */
	CHECK_NONE(req("PATCH", "/drives/root",
		       "{\"rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": 10000}}}"));
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 1);
	CHECK(!rl_group_unlimited(&b->throttle));
	/* null: as it is (Firecracker) */
	CHECK_NONE(req("PATCH", "/drives/root", "{\"rate_limiter\": null, \"bps\": 5000}"));
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 1);
	CHECK_EQ(F.cfg.disks[0].throttle.bps, 5000);
	/* the largest numbers saturate instead of overflowing */
	CHECK_NONE(req("PATCH", "/drives/root",
		       "{\"rate_limiter\": {\"bandwidth\": {\"size\": 9223372036854775807, "
		       "\"refill_time\": 1, \"one_time_burst\": 9223372036854775807}}}"));
	CHECK_EQ(F.cfg.disks[0].throttle.bps, UINT64_MAX);
	CHECK_EQ(F.cfg.disks[0].throttle.bps_max, UINT64_MAX - 1);
	teardown();
}

TEST(patch_drive_refused)
{
	static const struct {
		const char *body, *fault;
	} bad[] = {
		{ "{\"path\": \"/other.img\"}", "'path': only the limits" },
		{ "{\"readonly\": true}", "'readonly': only the limits" },
		{ "{\"iops\": -1}", "'iops': expected a non-negative integer" },
		{ "{\"iops\": \"10\"}", "'iops': expected a non-negative integer" },
		{ "{\"bps\": 1.5}", "'bps': expected a non-negative integer" },
		{ "{\"bpsx\": 1}", "unknown" },
		{ "{\"iops\": 5, \"cache\": \"none\"}", "'cache'" }, /* nothing applied */
		{ "{\"rate_limiter\": 5}", "rate_limiter: expected" },
		{ "{\"rate_limiter\": {\"ops\": {\"size\": 1}}}", "rate_limiter: expected" },
		{ "{\"rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": 0}}}", "rate_limiter" },
		{ "{\"rate_limiter\": {\"ops\": {\"size\": -1, \"refill_time\": 1}}}", "rate_limiter" },
		{ "{\"rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": 1, \"x\": 1}}}",
		  "rate_limiter" },
		{ "{\"drive_id\": \"data\", \"iops\": 5}", "drive_id: expected \"root\"" },
		{ "{\"drive_id\": 0, \"iops\": 5}", "drive_id" },
	};

	if (!setup())
		return;
	CHECK_NONE(req("PATCH", "/drives/root", "{\"iops\": 77}"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req("PATCH", "/drives/root", bad[i].body);
		CHECK_FAULT(400, bad[i].fault);
		CHECK_EQ(F.cfg.disks[0].throttle.iops, 77);
		CHECK_EQ(F.disks[0].throttle.total.ops.rate, 77);
	}
	req("PATCH", "/drives/nope", "{\"iops\": 1}");
	CHECK_FAULT(404, "no drive with id 'nope'");
	req("PATCH", "/drives/", "{\"iops\": 1}");
	CHECK_FAULT(404, "no such resource");
	req("PATCH", "/drives/root/x", "{\"iops\": 1}");
	CHECK_FAULT(404, "no such resource");
	req("GET", "/drives/root", NULL);
	CHECK_FAULT(405, "GET /drives/root is not allowed (PATCH)");
	req("PUT", "/drives/root", "{\"iops\": 1}");
	CHECK_FAULT(405, "(PATCH)");
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 77);
	/* between boots the configuration still changes, for the next boot */
	F.p.current = NULL;
	CHECK_NONE(req("PATCH", "/drives/root", "{\"iops\": 88}"));
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 88);
	CHECK_EQ(F.disks[0].throttle.total.ops.rate, 77);
	teardown();
}

TEST(patch_net)
{
	struct vnet *n = &F.nets[0];

	if (!setup())
		return;
	CHECK_NONE(req("PATCH", "/network-interfaces/net0",
		       "{\"iface_id\": \"net0\", \"rx_rate_limiter\": {\"bandwidth\": "
		       "{\"size\": 1000000, \"refill_time\": 100}}, \"tx_pps\": 300, "
		       "\"tx_rate_limiter\": null}"));
	CHECK_EQ(F.cfg.nets[0].rx_bps, 10000000);
	CHECK_EQ(F.cfg.nets[0].rx_bps_max, 1000000);
	CHECK_EQ(F.cfg.nets[0].tx_pps, 300);
	CHECK_EQ(n->cfg.rx_bps, 10000000);
	CHECK_EQ(n->rx_rl.bytes.rate, 10000000);
	CHECK_EQ(n->rx_rl.bytes.burst, 1000000);
	CHECK_EQ(n->tx_rl.ops.rate, 300);
	CHECK(!rl_unlimited(&n->rx_rl));
	CHECK(rl_unlimited(&F.nets[1].rx_rl));

	/* vhost moves frames in the kernel: kasou cannot limit them */
	req("PATCH", "/network-interfaces/net1", "{\"rx_bps\": 1000}");
	CHECK_FAULT(400, "'net1' uses vhost");
	CHECK_EQ(F.cfg.nets[1].rx_bps, 0);
	CHECK_NONE(req("PATCH", "/network-interfaces/net1", "{\"rx_bps\": 0}"));

	req("PATCH", "/network-interfaces/net0", "{\"mac\": \"52:54:00:00:00:01\"}");
	CHECK_FAULT(400, "'mac': only the rate limits");
	req("PATCH", "/network-interfaces/net0", "{\"tx_pps\": -5}");
	CHECK_FAULT(400, "expected a non-negative integer");
	req("PATCH", "/network-interfaces/net0", "{\"rx_foo\": 5}");
	CHECK_FAULT(400, "unknown key 'rx_foo'");
	req("PATCH", "/network-interfaces/net0", "{\"rx_rate_limiter\": []}");
	CHECK_FAULT(400, "rx_rate_limiter: expected");
	req("PATCH", "/network-interfaces/net0", "{\"iface_id\": \"net1\", \"tx_pps\": 1}");
	CHECK_FAULT(400, "iface_id: expected \"net0\"");
	CHECK_EQ(F.cfg.nets[0].tx_pps, 300);
	req("PATCH", "/network-interfaces/eth9", "{\"tx_pps\": 1}");
	CHECK_FAULT(404, "no network interface with id 'eth9'");
	req("PATCH", "/network-interfaces/", "{}");
	CHECK_FAULT(404, "no such resource");
	req("GET", "/network-interfaces/net0", NULL);
	CHECK_FAULT(405, "(PATCH)");
	teardown();
}

TEST(vm_stats)
{
	json_t *a, *mem;

	if (!setup())
		return;
	CHECK_EQ(req("GET", "/vm/stats", NULL), 200);
	CHECK_STR(jstr(R.json, "name"), "apivm");
	CHECK_STR(jstr(R.json, "state"), "Running");
	CHECK_EQ(jint(R.json, "pid"), getpid());
	CHECK_EQ(jint(R.json, "boots"), 1);
	a = json_object_get(R.json, "vcpus");
	CHECK_EQ(json_array_size(a), 2);
	CHECK_EQ(jint(json_array_get(a, 1), "id"), 1);
	CHECK_EQ(jint(json_object_get(json_array_get(a, 1), "exits"), "exits"), 101);
	a = json_object_get(R.json, "disks");
	CHECK_EQ(json_array_size(a), 2);
	CHECK_STR(jstr(json_array_get(a, 1), "id"), "data");
	CHECK_EQ(jint(json_array_get(a, 1), "rd_reqs"), 8);
	a = json_object_get(R.json, "nets");
	CHECK_EQ(json_array_size(a), 2);
	CHECK_STR(jstr(json_array_get(a, 0), "id"), "net0");
	CHECK_EQ(jint(json_array_get(a, 0), "rx_packets"), 40);
	CHECK(json_is_false(json_object_get(json_array_get(a, 0), "vhost")));
	CHECK(json_is_true(json_object_get(json_array_get(a, 1), "vhost")));
	mem = json_object_get(R.json, "memory");
	CHECK_EQ(jint(mem, "guest_bytes"), GUEST_MEM);
	CHECK(jint(mem, "rss_bytes") > 0);
	CHECK(json_is_object(json_object_get(R.json, "balloon")));
	CHECK(json_array_size(json_object_get(R.json, "threads")) >= 1);
	CHECK(!json_object_get(R.json, "cgroup")); /* no --cgroup */

	F.vm.balloon = NULL;
	F.p.current = NULL;
	CHECK_EQ(req("GET", "/vm/stats", NULL), 200);
	CHECK_STR(jstr(R.json, "state"), "Stopping");
	CHECK_EQ(json_array_size(json_object_get(R.json, "vcpus")), 0);
	CHECK_EQ(json_array_size(json_object_get(R.json, "disks")), 0);
	CHECK(!json_object_get(R.json, "balloon"));
	req("POST", "/vm/stats", "{}");
	CHECK_FAULT(405, "POST /vm/stats is not allowed (GET)");
	teardown();
}

TEST(metrics)
{
	if (!setup())
		return;
	CHECK_EQ(req("GET", "/metrics", NULL), 200);
	CHECK_STR(R.ctype, "text/plain; version=0.0.4");
	CHECK(R.body && R.len == strlen(R.body));
	CHECK(R.body && strstr(R.body, "# TYPE kasou_boots_total counter\n"));
	CHECK(R.body && strstr(R.body, "kasou_info{vm=\"apivm\""));
	CHECK(R.body && strstr(R.body, "kasou_memory_guest_bytes{vm=\"apivm\"} 268435456\n"));
	CHECK(R.body && strstr(R.body, "device=\"data\""));
	req("PUT", "/metrics", "{}");
	CHECK_FAULT(405, "PUT /metrics is not allowed (GET)");
	/* the --metrics-listen server: /metrics and nothing else */
	CHECK_EQ(req_with(api_route_metrics, "GET", "/metrics", NULL), 200);
	CHECK(R.body && strstr(R.body, "kasou_uptime_seconds{vm=\"apivm\"}"));
	req_with(api_route_metrics, "GET", "/", NULL);
	CHECK_FAULT(404, "only /metrics here");
	req_with(api_route_metrics, "PUT", "/actions", "{\"action_type\": \"InstanceHalt\"}");
	CHECK_FAULT(404, "only /metrics here");
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	teardown();
}

TEST(balloon)
{
	if (!setup())
		return;
	CHECK_EQ(req("GET", "/balloon", NULL), 200);
	CHECK_EQ(jint(R.json, "target_mib"), 0);
	CHECK_NONE(req("PUT", "/balloon", "{\"amount_mib\": 64, \"deflate_on_oom\": true}"));
	CHECK_EQ(F.balloon.num_pages, 64 * MIB / 4096);
	CHECK_EQ(F.cfg.balloon.size, 64 * MIB);
	CHECK_NONE(req("PATCH", "/balloon", "{\"amount_mib\": 256}")); /* all of it */
	CHECK_EQ(F.balloon.num_pages, GUEST_MEM / 4096);
	CHECK_EQ(req("GET", "/balloon/statistics", NULL), 200);
	CHECK_EQ(jint(R.json, "target_mib"), 256);
	CHECK_EQ(jint(R.json, "target_pages"), GUEST_MEM / 4096);

	req("PATCH", "/balloon", "{\"amount_mib\": 257}");
	CHECK_FAULT(400, "larger than the guest's memory");
	/* 2^44 + 1 MiB: shifted to bytes it wraps to 1 MiB */
	req("PATCH", "/balloon", "{\"amount_mib\": 17592186044417}");
	CHECK_FAULT(400, "larger than the guest's memory");
	req("PATCH", "/balloon", "{\"amount_mib\": 9223372036854775807}");
	CHECK_FAULT(400, "larger than the guest's memory");
	req("PATCH", "/balloon", "{\"amount_mib\": -1}");
	CHECK_FAULT(400, "expected {\"amount_mib\": N}");
	req("PATCH", "/balloon", "{\"amount_mib\": \"1\"}");
	CHECK_FAULT(400, "expected {\"amount_mib\": N}");
	req("PATCH", "/balloon", "{\"amount_mib\": 1, \"size\": 1}");
	CHECK_FAULT(400, "unknown field 'size'");
	CHECK_EQ(F.balloon.num_pages, GUEST_MEM / 4096);
	CHECK_EQ(F.cfg.balloon.size, GUEST_MEM);
	req("PUT", "/balloon/statistics", "{\"amount_mib\": 1}");
	CHECK_FAULT(405, "PUT /balloon/statistics is not allowed (GET)");
	req("DELETE", "/balloon", NULL);
	CHECK_FAULT(405, "DELETE /balloon is not allowed");
	F.vm.balloon = NULL;
	req("GET", "/balloon", NULL);
	CHECK_FAULT(400, "no balloon");
	req("PUT", "/balloon", "{\"amount_mib\": 1}");
	CHECK_FAULT(400, "no balloon");
	teardown();
}

static void *idle_thread(void *arg)
{
	int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL;
}

/* A "2" body for the first CPU this process may run on (it stays within what it may use). */
static int first_cpu(const cpu_set_t *s)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, s))
			return c;
	return -1;
}

TEST(affinity)
{
	cpu_set_t orig, now;
	char body[64];
	pthread_t t;
	int stop = 0, cpu;

	if (sched_getaffinity(0, sizeof(orig), &orig) || (cpu = first_cpu(&orig)) < 0)
		SKIP_TEST("sched_getaffinity failed");
	if (!setup())
		return;
	affinity_init(NULL, NULL); /* records the set to go back to */
	snprintf(body, sizeof(body), "{\"affinity\": \"%d\"}", cpu);

	CHECK_NONE(req("PATCH", "/emulator", body));
	CHECK(F.cfg.cpu.emulator_pinned);
	CHECK(!sched_getaffinity(0, sizeof(now), &now) && CPU_COUNT(&now) == 1 &&
	      CPU_ISSET(cpu, &now));
	CHECK_NONE(req("PATCH", "/emulator", "{\"affinity\": null}"));
	CHECK(!F.cfg.cpu.emulator_pinned);
	CHECK(!sched_getaffinity(0, sizeof(now), &now) && CPU_EQUAL(&now, &orig));

	CHECK_NONE(req("PATCH", "/iothreads", body));
	CHECK(F.cfg.cpu.io_pinned && CPU_ISSET(cpu, &F.cfg.cpu.io_affinity));
	CHECK_NONE(req("PATCH", "/iothreads", "{\"affinity\": null}"));
	CHECK(!F.cfg.cpu.io_pinned);

	/* a vCPU: its thread, and the setting kept for the next boot */
	if (pthread_create(&t, NULL, idle_thread, &stop) == 0) {
		/* not started yet: refused, nothing touched */
		CHECK_EQ(req("PATCH", "/vcpus/1", body), 409);
		CHECK(is_fault("vCPU 1 is not running"));
		F.vcpus[1].thread = t;
		F.vcpus[1].thread_started = true;
		CHECK_NONE(req("PATCH", "/vcpus/1", body));
		CHECK(!pthread_getaffinity_np(t, sizeof(now), &now) && CPU_COUNT(&now) == 1 &&
		      CPU_ISSET(cpu, &now));
		CHECK(F.cfg.cpu.affinity_set && F.cfg.cpu.affinity_set[1] &&
		      !F.cfg.cpu.affinity_set[0]);
		CHECK_NONE(req("PATCH", "/vcpus/1", "{\"affinity\": null}"));
		CHECK(!pthread_getaffinity_np(t, sizeof(now), &now) && CPU_EQUAL(&now, &orig));
		CHECK(F.cfg.cpu.affinity_set && !F.cfg.cpu.affinity_set[1]);
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
	} else {
		CHECK(!"pthread_create");
	}

	req("PATCH", "/vcpus/2", body);
	CHECK_FAULT(404, "no vCPU '2'");
	req("PATCH", "/vcpus/x", body);
	CHECK_FAULT(404, "no vCPU 'x'");
	req("PATCH", "/vcpus/", body);
	CHECK_FAULT(404, "no vCPU ''");
	req("PATCH", "/emulator", "{\"affinity\": \"2-x\"}");
	CHECK_FAULT(400, "'2-x' is not a CPU list");
	req("PATCH", "/emulator", "{\"affinity\": 3}");
	CHECK_FAULT(400, "'(not a string)' is not a CPU list");
	req("PATCH", "/emulator", "{}");
	CHECK_FAULT(400, "expected {\"affinity\"");
	req("PATCH", "/emulator", "{\"affinity\": \"0\", \"x\": 1}");
	CHECK_FAULT(400, "expected {\"affinity\"");
	req("PATCH", "/emulator", "{\"affinity\": \"1023\"}"); /* no such CPU here */
	CHECK_FAULT(400, "cannot pin emulator");
	CHECK(!sched_getaffinity(0, sizeof(now), &now) && CPU_EQUAL(&now, &orig));
	req("GET", "/emulator", NULL);
	CHECK_FAULT(405, "GET /emulator is not allowed (PATCH)");
	req("PUT", "/vcpus/0", body);
	CHECK_FAULT(405, "(PATCH)");
	teardown();
}

/* ---- PATCH /cgroup, on a fake cgroupfs tree (as test_cgroup.c) ---- */

static char cg_root[64];

static const char *slurp(const char *dir, const char *file)
{
	static char buf[4096];
	char p[512];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "r");
	if (!f)
		return "(missing)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void rm_rf(const char *p)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", p);
}

/* The fake root, and the group this process is in below it (cgroup_setup() moves it out). */
static bool cg_fake_root(void)
{
	char line[1024], p[2400];
	FILE *f;

	snprintf(cg_root, sizeof(cg_root), "/tmp/kasou-apicg-XXXXXX");
	if (!mkdtemp(cg_root))
		return false;
	snprintf(p, sizeof(p), "%s/cgroup.controllers", cg_root);
	spit(p, "cpuset cpu io memory pids\n");
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", cg_root);
	spit(p, "");
	snprintf(p, sizeof(p), "%s/cgroup.procs", cg_root);
	spit(p, "");
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4) || !line[4] || line[4] == '\n')
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(p, sizeof(p), "mkdir -p '%s%s' && touch '%s%s/cgroup.procs'", cg_root,
			 line + 3, cg_root, line + 3);
		if (system(p))
			return false;
	}
	if (f)
		fclose(f);
	cgroup_set_root_for_tests(cg_root, true);
	return true;
}

TEST(patch_cgroup)
{
	struct cgroup_config cc;
	struct vm_cgroup *cg = NULL;
	char why[CONFIG_ERR_LEN] = "", dir[128], big[400];

	if (!setup())
		return;
	req("PATCH", "/cgroup", "{\"memory.high\": \"512M\"}");
	CHECK_FAULT(400, "no cgroup");
	if (!cg_fake_root()) {
		teardown();
		SKIP_TEST("cannot make a fake cgroup tree in /tmp");
	}
	if (config_parse_cgroup("memory.max=1G", &cc, why) || cgroup_setup(&cg, &cc, "apivm", why)) {
		CHECK_STR(why, "");
		goto out;
	}
	F.p.cgroup = cg;
	snprintf(dir, sizeof(dir), "%s/kasou/apivm", cg_root);

	CHECK_NONE(req("PATCH", "/cgroup", "{\"memory.high\": \"512M\", \"cpu.weight\": 300}"));
	CHECK_STR(slurp(dir, "memory.high"), "536870912\n");
	CHECK_STR(slurp(dir, "cpu.weight"), "300\n");
	CHECK_NONE(req("PATCH", "/cgroup", "{\"cpu.max\": \"20%\"}"));
	CHECK_STR(slurp(dir, "cpu.max"), "20000 100000\n");
	CHECK_NONE(req("PATCH", "/cgroup", "{}"));

	req("PATCH", "/cgroup", "{\"cpu.weight\": 0}");
	CHECK_FAULT(400, "cgroup: cpu.weight='0': between 1 and 10000");
	CHECK_STR(slurp(dir, "cpu.weight"), "300\n");
	req("PATCH", "/cgroup", "{\"memory.high\": true}");
	CHECK_FAULT(400, "'memory.high': expected a string or integer");
	req("PATCH", "/cgroup", "{\"path\": \"/elsewhere\"}");
	CHECK_FAULT(400, "path cannot change");
	req("PATCH", "/cgroup", "{\"bogus\": 1}");
	CHECK_FAULT(400, "unknown key 'bogus'");
	/* a value longer than the buffer is refused, not cut into another value */
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "{\"cpuset.cpus\": \"");
	for (size_t i = strlen(big); i < 300; i += 2)
		memcpy(big + i, "0,", 2);
	strcat(big, "1\"}");
	req("PATCH", "/cgroup", big);
	CHECK_FAULT(400, "'cpuset.cpus': value too long");
	CHECK_STR(slurp(dir, "cpuset.cpus"), "(missing)");
	req("GET", "/cgroup", NULL);
	CHECK_FAULT(405, "GET /cgroup is not allowed (PATCH)");

	CHECK_EQ(req("GET", "/vm/stats", NULL), 200);
	CHECK_STR(jstr(json_object_get(R.json, "cgroup"), "path"), dir);
out:
	F.p.cgroup = NULL;
	cgroup_teardown(cg);
	cgroup_set_root_for_tests(NULL, false);
	rm_rf(cg_root);
	teardown();
}

/* ---- what every route shares ---- */

TEST(unknown_paths)
{
	static const char *const paths[] = { "/nope", "/vm/configs", "/vm/config/x", "/machine",
					     "/drive/root", "/metrics/x", "//", "/balloon/x" };

	if (!setup())
		return;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char part[64];

		snprintf(part, sizeof(part), "no such resource: %s", paths[i]);
		req("GET", paths[i], NULL);
		CHECK_FAULT(404, part);
		req("PUT", paths[i], "{\"x\": "); /* the path first, whatever the body */
		CHECK_FAULT(404, part);
	}
	teardown();
}

TEST(wrong_methods)
{
	static const struct {
		const char *method, *path;
	} bad[] = {
		{ "POST", "/" },		 { "DELETE", "/" },
		{ "PUT", "/vm/config" },	 { "POST", "/machine-config" },
		{ "GET", "/actions" },		 { "DELETE", "/actions" },
		{ "GET", "/vm" },		 { "POST", "/vm" },
		{ "PUT", "/vm/stats" },		 { "POST", "/metrics" },
		{ "GET", "/cgroup" },		 { "PUT", "/cgroup" },
		{ "GET", "/drives/root" },	 { "PUT", "/network-interfaces/net0" },
		{ "GET", "/emulator" },		 { "PUT", "/iothreads" },
		{ "GET", "/vcpus/0" },		 { "PATCH", "/balloon/statistics" },
		{ "HEAD", "/" },		 { "OPTIONS", "/vm" },
	};

	if (!setup())
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char part[64];

		snprintf(part, sizeof(part), "%s %s is not allowed", bad[i].method, bad[i].path);
		req(bad[i].method, bad[i].path, NULL);
		CHECK_FAULT(405, part);
		/* a body that is no JSON does not turn it into a 400 */
		req(bad[i].method, bad[i].path, "not json");
		CHECK_FAULT(405, part);
	}
	/* a path that is no UTF-8, quoted back: still a fault body (found by fuzz_api) */
	req("GET", "/vm/sta\xff\x01", NULL);
	CHECK_FAULT(404, "no such resource: /vm/sta??");
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	teardown();
}

TEST(malformed_bodies)
{
	static const struct {
		const char *method, *path;
	} routes[] = {
		{ "PUT", "/actions" },		{ "PATCH", "/vm" },
		{ "PATCH", "/drives/root" },	{ "PATCH", "/network-interfaces/net0" },
		{ "PATCH", "/cgroup" },		{ "PUT", "/balloon" },
		{ "PATCH", "/emulator" },	{ "PATCH", "/vcpus/0" },
	};
	static const struct {
		const char *body, *fault;
	} bad[] = {
		{ "", "malformed JSON" },
		{ "{", "malformed JSON" },
		{ "{\"action_type\": \"InstanceHalt\"", "malformed JSON" },
		{ "{\"a\": 1, \"a\": 2}", "duplicate" },
		{ "{'a': 1}", "malformed JSON" },
		{ "{\"a\": 1} {\"b\": 2}", "malformed JSON" },
		{ "[{\"action_type\": \"InstanceHalt\"}]", "must be a JSON object" },
		{ "\"InstanceHalt\"", "malformed JSON" }, /* jansson: an object or array at the top */
		{ "null", "malformed JSON" },
		{ "42", "malformed JSON" },
	};

	if (!setup())
		return;
	for (size_t r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			req(routes[r].method, routes[r].path, bad[i].body);
			CHECK_FAULT(400, bad[i].fault);
		}
	}
	/* the position of the mistake is in the message */
	req("PATCH", "/vm", "{\"state\": Paused}");
	CHECK_FAULT(400, "line 1, column");
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	CHECK(!F.vm.paused);
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 0);
	teardown();
}

/* ---- the real server on a unix socket ---- */

static char sock_dir[64], sock_path[96];

struct http_reply {
	int status;
	char head[2048];
	char *body; /* NUL-terminated */
	size_t len;
};

static void http_free(struct http_reply *h)
{
	free(h->body);
	memset(h, 0, sizeof(*h));
}

static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* A connected client socket that gives up after 20 s. */
static int http_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One HTTP/1.1 request on fd (Connection: close), the whole answer read. 0 or -1. */
static int http_on(int fd, const char *method, const char *path, const char *body, size_t len,
		   bool chunked, struct http_reply *h)
{
	char head[512], *buf = NULL, *end;
	size_t have = 0, cap = 0;
	int n;

	memset(h, 0, sizeof(*h));
	if (chunked)
		n = snprintf(head, sizeof(head),
			     "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
			     method, path);
	else
		n = snprintf(head, sizeof(head),
			     "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			     method, path, len);
	if (!send_all(fd, head, (size_t)n))
		return -1;
	if (chunked) {
		/* 4 KiB chunks */
		for (size_t o = 0; o < len; o += 4096) {
			size_t c = len - o < 4096 ? len - o : 4096;

			n = snprintf(head, sizeof(head), "%zx\r\n", c);
			if (!send_all(fd, head, (size_t)n) || !send_all(fd, body + o, c) ||
			    !send_all(fd, "\r\n", 2))
				return -1;
		}
		if (!send_all(fd, "0\r\n\r\n", 5))
			return -1;
	} else if (len && !send_all(fd, body, len)) {
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (cap - have < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		r = recv(fd, buf + have, cap - have - 1, 0);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	if (!buf)
		return -1;
	buf[have] = 0;
	end = strstr(buf, "\r\n\r\n");
	if (!end || sscanf(buf, "HTTP/1.1 %d", &h->status) != 1) {
		free(buf);
		return -1;
	}
	snprintf(h->head, sizeof(h->head), "%.*s", (int)(end - buf), buf);
	h->len = have - (size_t)(end + 4 - buf);
	h->body = malloc(h->len + 1);
	if (h->body) {
		memcpy(h->body, end + 4, h->len);
		h->body[h->len] = 0;
	}
	free(buf);
	return h->body ? 0 : -1;
}

static int http(const char *method, const char *path, const char *body, struct http_reply *h)
{
	int fd = http_connect(sock_path), rc;

	if (fd < 0)
		return -1;
	rc = http_on(fd, method, path, body, body ? strlen(body) : 0, false, h);
	close(fd);
	return rc;
}

/* The reply's body is exactly {"fault_message": "...part..."}. */
static bool http_fault(const struct http_reply *h, const char *part)
{
	json_t *o = json_loadb(h->body, h->len, 0, NULL);
	const char *m = json_string_value(json_object_get(o, "fault_message"));
	bool ok = json_object_size(o) == 1 && m && strstr(m, part) &&
		  strcasestr(h->head, "\r\nContent-Type: application/json");

	json_decref(o);
	return ok;
}

static struct api_server *server_start(void)
{
	struct api_server *s = NULL;
	char why[256] = "";

	snprintf(sock_dir, sizeof(sock_dir), "/tmp/kasou-api-XXXXXX");
	if (!mkdtemp(sock_dir))
		return NULL;
	snprintf(sock_path, sizeof(sock_path), "%s/apivm.sock", sock_dir);
	if (api_server_start_unix(&s, sock_path, api_route, &F.p, why)) {
		fprintf(stderr, "api_server_start_unix: %s\n", why);
		rmdir(sock_dir);
		return NULL;
	}
	return s;
}

static void server_stop(struct api_server *s)
{
	api_server_stop(s);
	rmdir(sock_dir);
}

TEST(server_requests)
{
	struct api_server *s, *s2 = NULL;
	struct http_reply h;
	struct stat st;
	char why[256] = "", long_path[200];
	json_t *o;

	if (!setup())
		return;
	s = server_start();
	CHECK(s != NULL);
	if (!s) {
		teardown();
		return;
	}
	CHECK(!stat(sock_path, &st) && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);

	CHECK_EQ(http("GET", "/", NULL, &h), 0);
	CHECK_EQ(h.status, 200);
	CHECK(strcasestr(h.head, "\r\nContent-Type: application/json") != NULL);
	o = json_loadb(h.body, h.len, 0, NULL);
	CHECK_STR(jstr(o, "id"), "apivm");
	json_decref(o);
	http_free(&h);

	CHECK_EQ(http("PATCH", "/drives/root", "{\"iops\": 42}", &h), 0);
	CHECK_EQ(h.status, 204);
	CHECK_EQ(h.len, 0);
	CHECK_EQ(F.cfg.disks[0].throttle.iops, 42);
	http_free(&h);

	CHECK_EQ(http("GET", "/metrics", NULL, &h), 0);
	CHECK_EQ(h.status, 200);
	CHECK(strcasestr(h.head, "\r\nContent-Type: text/plain; version=0.0.4") != NULL);
	CHECK(strstr(h.body, "kasou_boots_total{vm=\"apivm\"} 1\n") != NULL);
	http_free(&h);

	CHECK_EQ(http("GET", "/nope?x=1", NULL, &h), 0); /* the query is not part of the path */
	CHECK_EQ(h.status, 404);
	CHECK(http_fault(&h, "no such resource: /nope"));
	http_free(&h);
	CHECK_EQ(http("DELETE", "/vm", NULL, &h), 0);
	CHECK_EQ(h.status, 405);
	CHECK(http_fault(&h, "DELETE /vm is not allowed"));
	http_free(&h);
	CHECK_EQ(http("PUT", "/actions", "{\"action_type\": ", &h), 0);
	CHECK_EQ(h.status, 400);
	CHECK(http_fault(&h, "malformed JSON"));
	http_free(&h);

	/* a live socket is not taken over; a bad path is refused */
	CHECK_EQ(api_server_start_unix(&s2, sock_path, api_route, &F.p, why), -EADDRINUSE);
	CHECK(strstr(why, "is in use") != NULL);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = 0;
	CHECK_EQ(api_server_start_unix(&s2, long_path, api_route, &F.p, why), -ENAMETOOLONG);
	CHECK_EQ(api_server_start_tcp(&s2, "nohost", api_route_metrics, &F.p, why), -EINVAL);
	CHECK(strstr(why, "use ADDR:PORT") != NULL);
	CHECK_EQ(api_server_start_tcp(&s2, "localhost:9100", api_route_metrics, &F.p, why), -EINVAL);
	CHECK(strstr(why, "not an IPv4 address") != NULL);
	CHECK(s2 == NULL);

	server_stop(s);
	CHECK(stat(sock_path, &st) && errno == ENOENT); /* the socket goes with the server */
	/* a stale socket (its server gone without removing it) is replaced */
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		CHECK(!mkdir(sock_dir, 0700));
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
		CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)));
		close(fd);
		s = NULL;
		CHECK_EQ(api_server_start_unix(&s, sock_path, api_route, &F.p, why), 0);
		CHECK_EQ(http("GET", "/machine-config", NULL, &h), 0);
		CHECK_EQ(h.status, 200);
		http_free(&h);
		server_stop(s);
	}
	teardown();
}

TEST(server_body_limit)
{
	static const char action[] = "{\"action_type\": \"FlushMetrics\"}";
	struct api_server *s;
	struct http_reply h;
	char *big = malloc(4 * API_BODY_MAX), part[64];
	int fd;

	if (!big || !setup()) {
		free(big);
		return;
	}
	s = server_start();
	CHECK(s != NULL);
	if (!s)
		goto out;
	snprintf(part, sizeof(part), "larger than %d bytes", API_BODY_MAX);
	/* exactly the limit: served (JSON allows the trailing blanks) */
	memset(big, ' ', 4 * API_BODY_MAX);
	memcpy(big, action, strlen(action));
	fd = http_connect(sock_path);
	CHECK_EQ(http_on(fd, "PUT", "/actions", big, API_BODY_MAX, false, &h), 0);
	close(fd);
	CHECK_EQ(h.status, 204);
	http_free(&h);
	/* one byte more: 413, and the route never runs */
	memcpy(big, "{\"action_type\": \"InstanceHalt\"}", strlen(action) - 1);
	fd = http_connect(sock_path);
	CHECK_EQ(http_on(fd, "PUT", "/actions", big, API_BODY_MAX + 1, false, &h), 0);
	close(fd);
	CHECK_EQ(h.status, 413);
	CHECK(http_fault(&h, part));
	http_free(&h);
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	/* four times the limit, sent in chunks: the same */
	fd = http_connect(sock_path);
	CHECK_EQ(http_on(fd, "PUT", "/actions", big, 4 * API_BODY_MAX, true, &h), 0);
	close(fd);
	CHECK_EQ(h.status, 413);
	CHECK(http_fault(&h, part));
	http_free(&h);
	CHECK_EQ(F.vm.stop_reason, VM_STOP_NONE);
	/* the server is still fine */
	CHECK_EQ(http("GET", "/", NULL, &h), 0);
	CHECK_EQ(h.status, 200);
	http_free(&h);
	server_stop(s);
out:
	free(big);
	teardown();
}

#define CLIENTS 100
#define ROUNDS 5

static pthread_barrier_t start_line;
static int answered_ok;

/*
 * One client: connect with the 99 others (100 connections open at once, the
 * first requests sent together), then a new connection per request, requests
 * of every kind, each answer checked.
 */
static void *client(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	int fds[ROUNDS], ok = 0;
	char body[128];

	fds[0] = http_connect(sock_path);
	pthread_barrier_wait(&start_line);
	for (int r = 0; r < ROUNDS; r++) {
		struct http_reply h;
		json_t *o = NULL;
		bool good = false;

		if (r)
			fds[r] = http_connect(sock_path);
		if (fds[r] < 0)
			continue;
		switch ((id + (unsigned int)r) % 5) {
		case 0:
			if (!http_on(fds[r], "GET", "/", NULL, 0, false, &h)) {
				o = json_loadb(h.body, h.len, 0, NULL);
				good = h.status == 200 && !strcmp(jstr(o, "id") ?: "", "apivm");
			}
			break;
		case 1:
			if (!http_on(fds[r], "GET", "/machine-config", NULL, 0, false, &h)) {
				o = json_loadb(h.body, h.len, 0, NULL);
				good = h.status == 200 && jint(o, "vcpu_count") == 2;
			}
			break;
		case 2:
			snprintf(body, sizeof(body), "{\"iops\": %u}", 1000 + id);
			if (!http_on(fds[r], "PATCH", "/drives/data", body, strlen(body), false, &h))
				good = h.status == 204 && h.len == 0;
			break;
		case 3:
			snprintf(body, sizeof(body), "/client/%u", id);
			if (!http_on(fds[r], "GET", body, NULL, 0, false, &h))
				good = h.status == 404 && http_fault(&h, body);
			break;
		default:
			if (!http_on(fds[r], "GET", "/vm/stats", NULL, 0, false, &h)) {
				o = json_loadb(h.body, h.len, 0, NULL);
				good = h.status == 200 &&
				       json_array_size(json_object_get(o, "disks")) == 2;
			}
			break;
		}
		ok += good;
		json_decref(o);
		http_free(&h);
		close(fds[r]);
	}
	__atomic_add_fetch(&answered_ok, ok, __ATOMIC_RELAXED);
	return NULL;
}

TEST(server_100_clients)
{
	struct api_server *s;
	pthread_t t[CLIENTS];
	int started = 0;
	uint64_t iops;

	if (!setup())
		return;
	s = server_start();
	CHECK(s != NULL);
	if (!s) {
		teardown();
		return;
	}
	answered_ok = 0;
	pthread_barrier_init(&start_line, NULL, CLIENTS);
	for (int i = 0; i < CLIENTS; i++)
		if (!pthread_create(&t[i], NULL, client, (void *)(uintptr_t)i))
			started++;
	CHECK_EQ(started, CLIENTS); /* (a missing one would hold the others at the barrier) */
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start_line);
	CHECK_EQ(answered_ok, CLIENTS * ROUNDS);
	/* one of the PATCHes was the last */
	iops = F.cfg.disks[1].throttle.iops;
	CHECK(iops >= 1000 && iops < 1000 + CLIENTS);
	CHECK_EQ(F.disks[1].throttle.total.ops.rate, iops);
	/* and the server still answers */
	{
		struct http_reply h;

		CHECK_EQ(http("GET", "/", NULL, &h), 0);
		CHECK_EQ(h.status, 200);
		http_free(&h);
	}
	server_stop(s);
	teardown();
}

UNIT_MAIN("api", T(get_info), T(machine_config), T(vm_config), T(actions_flush_metrics_and_halt),
	  T(actions_ctrl_alt_del), T(actions_refused), T(pause_resume), T(patch_drive),
	  T(patch_drive_refused), T(patch_net), T(vm_stats), T(metrics), T(balloon), T(affinity),
	  T(patch_cgroup), T(unknown_paths), T(wrong_methods), T(malformed_bodies),
	  T(server_requests), T(server_body_limit), T(server_100_clients))
