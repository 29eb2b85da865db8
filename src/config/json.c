// SPDX-License-Identifier: GPL-2.0-only
/*
 * The JSON form of struct vm_config (config file, API bodies, --print-config).
 * One schema with the CLI: disk and net objects go through the same per-key
 * setters as the option strings, so validation and messages are shared.
 * Errors name the JSON path: "$.disks[1].cache: cache='x': use none, ...".
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/block.h"
#include "config/config.h"

#define CONFIG_FILE_MAX (1 << 20)

static int jerr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jerr(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CONFIG_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	if (!*dst)
		abort();
}

/* A scalar as the option-string value it stands for. */
static int scalar(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v) && json_integer_value(v) >= 0)
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "on" : "off");
	else
		return -EINVAL;
	return 0;
}

/*
 * Append "KEY=VALUE" (after a comma unless first) to an option string for
 * the kv parser, so that a JSON object's keys and values stay what they are:
 * a key kv would split ("a=b", "a,b") is refused, and a comma in the value is
 * doubled (kv's escape) outside [...], where kv keeps commas itself; "0,2"
 * stays one value. 0, -EINVAL (such a key) or -E2BIG (no room; never writes
 * past opt[size - 1]).
 */
static int opt_append(char *opt, size_t size, size_t *o, const char *key, const char *val)
{
	size_t n = *o;
	int depth = 0;

#define OPT_PUT(c)                     \
	do {                           \
		if (n + 1 >= size)     \
			return -E2BIG; \
		opt[n++] = (c);        \
	} while (0)
	if (!*key || strpbrk(key, ",=[]"))
		return -EINVAL;
	if (n)
		OPT_PUT(',');
	for (const char *k = key; *k; k++)
		OPT_PUT(*k);
	OPT_PUT('=');
	for (const char *c = val; *c; c++) {
		if (*c == '[')
			depth++;
		else if (*c == ']' && depth)
			depth--;
		if (*c == ',' && !depth)
			OPT_PUT(',');
		OPT_PUT(*c);
	}
#undef OPT_PUT
	opt[n] = 0;
	*o = n;
	return 0;
}

static int disk_from_json(json_t *obj, unsigned int index, struct disk_config *d, char *err)
{
	const char *key;
	json_t *v;
	char val[4096], sub[CONFIG_ERR_LEN];
	int rc = 0;

	if (!json_is_object(obj))
		return jerr(err, "$.disks[%u]: expected an object", index);
	config_disk_init(d);
	json_object_foreach(obj, key, v) {
		if (scalar(v, val, sizeof(val))) {
			rc = jerr(err, "$.disks[%u].%s: expected a string, a non-negative integer or "
				       "a boolean", index, key);
			break;
		}
		rc = config_disk_set(d, key, val, sub);
		if (rc) {
			jerr(err, "$.disks[%u].%s: %s", index, key, sub);
			break;
		}
	}
	if (!rc && (rc = config_disk_finish(d, index, sub)))
		jerr(err, "$.disks[%u]: %s", index, sub);
	if (rc)
		config_free_disk(d);
	return rc;
}

static int net_from_json(json_t *obj, unsigned int index, struct net_config *n, char *err)
{
	const char *key;
	json_t *v;
	char val[4096], sub[CONFIG_ERR_LEN];
	int rc = 0;

	if (!json_is_object(obj))
		return jerr(err, "$.nets[%u]: expected an object", index);
	config_net_init(n);
	json_object_foreach(obj, key, v) {
		if (!strcmp(key, "user")) {
			if (!json_is_true(v)) {
				rc = jerr(err, "$.nets[%u].user: expected true", index);
				break;
			}
			rc = config_net_set(n, "user", "", true, sub);
		} else if (!strcmp(key, "hostfwd")) {
			size_t i;
			json_t *r;

			if (!json_is_array(v)) {
				rc = jerr(err, "$.nets[%u].hostfwd: expected an array of strings", index);
				break;
			}
			json_array_foreach(v, i, r) {
				if (!json_is_string(r)) {
					rc = jerr(err, "$.nets[%u].hostfwd[%zu]: expected a string", index, i);
					break;
				}
				rc = config_net_set(n, "hostfwd", json_string_value(r), false, sub);
				if (rc) {
					jerr(err, "$.nets[%u].hostfwd[%zu]: %s", index, i, sub);
					break;
				}
			}
			if (rc)
				break;
			continue;
		} else if (scalar(v, val, sizeof(val))) {
			rc = jerr(err, "$.nets[%u].%s: expected a string, a non-negative integer or a "
				       "boolean", index, key);
			break;
		} else {
			rc = config_net_set(n, key, val, false, sub);
		}
		if (rc) {
			jerr(err, "$.nets[%u].%s: %s", index, key, sub);
			break;
		}
	}
	if (!rc && (rc = config_net_finish(n, index, sub)))
		jerr(err, "$.nets[%u]: %s", index, sub);
	if (rc)
		config_free_net(n);
	return rc;
}

static int get_string(json_t *v, const char *key, char **dst, char *err)
{
	if (json_is_null(v) && strcmp(key, "name")) {
		free(*dst); /* null: not set */
		*dst = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return jerr(err, "$.%s: expected a string", key);
	set_str(dst, json_string_value(v));
	return 0;
}

static int get_bool(json_t *v, const char *key, bool *dst, char *err)
{
	if (!json_is_boolean(v))
		return jerr(err, "$.%s: expected true or false", key);
	*dst = json_is_true(v);
	return 0;
}

static int get_uint(json_t *v, const char *key, uint64_t min, uint64_t max, uint64_t *dst,
		    char *err)
{
	if (!json_is_integer(v))
		return jerr(err, "$.%s: expected an integer", key);
	if (json_integer_value(v) < (json_int_t)min || (uint64_t)json_integer_value(v) > max)
		return jerr(err, "$.%s: must be between %llu and %llu", key, (unsigned long long)min,
			    (unsigned long long)max);
	*dst = (uint64_t)json_integer_value(v);
	return 0;
}

static int apply_lists(struct vm_config *cfg, const char *key, json_t *v, char *err)
{
	size_t i;
	json_t *item;
	int rc;

	if (!json_is_array(v))
		return jerr(err, "$.%s: expected an array", key);
	if (!strcmp(key, "disks")) {
		if (json_array_size(v) > CONFIG_MAX_DISKS)
			return jerr(err, "$.disks: at most %d disks", CONFIG_MAX_DISKS);
		for (unsigned int d = 0; d < cfg->nr_disks; d++)
			config_free_disk(&cfg->disks[d]);
		cfg->nr_disks = 0;
		json_array_foreach(v, i, item) {
			rc = disk_from_json(item, (unsigned int)i, &cfg->disks[i], err);
			if (rc)
				return rc;
			cfg->nr_disks++;
		}
		return 0;
	}
	if (json_array_size(v) > CONFIG_MAX_NETS)
		return jerr(err, "$.nets: at most %d interfaces", CONFIG_MAX_NETS);
	for (unsigned int d = 0; d < cfg->nr_nets; d++)
		config_free_net(&cfg->nets[d]);
	cfg->nr_nets = 0;
	json_array_foreach(v, i, item) {
		rc = net_from_json(item, (unsigned int)i, &cfg->nets[i], err);
		if (rc)
			return rc;
		cfg->nr_nets++;
	}
	return 0;
}

/* "cpus": 4, or {"boot": 2, "max": 4, "topology": "1:1:2:2", "affinity": "[0@[2]]", ...} */
static int cpus_from_json(struct vm_config *cfg, json_t *v, char *err)
{
	const char *key;
	json_t *x;
	char val[1024], sub[CONFIG_ERR_LEN];
	uint64_t u;

	if (json_is_integer(v)) {
		if (get_uint(v, "cpus", 1, CONFIG_CPUS_MAX, &u, err))
			return -EINVAL;
		cfg->cpus = (unsigned int)u;
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (json_is_boolean(x) && !strcmp(key, "pmu"))
				snprintf(val, sizeof(val), "%s", json_is_true(x) ? "on" : "off");
			else if (scalar(x, val, sizeof(val)))
				return jerr(err, "$.cpus.%s: expected a string or an integer", key);
			if (config_cpus_set(cfg, key, val, sub))
				return jerr(err, "$.cpus.%s: %s", key, sub);
		}
	} else {
		return jerr(err, "$.cpus: expected an integer or an object");
	}
	if (config_cpus_finish(cfg, sub))
		return jerr(err, "$.cpus: %s", sub);
	return 0;
}

static int apply_devices(struct vm_config *cfg, json_t *v, char *err);

static int apply(struct vm_config *cfg, json_t *root, char *err)
{
	const char *key;
	json_t *v;
	uint64_t u;
	int rc = 0;

	if (!json_is_object(root))
		return jerr(err, "$: expected an object");
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "name") || !strcmp(key, "kernel") || !strcmp(key, "initrd") ||
		    !strcmp(key, "cmdline") || !strcmp(key, "api_socket") ||
		    !strcmp(key, "metrics_listen") || !strcmp(key, "user") || !strcmp(key, "chroot")) {
			char **dst = !strcmp(key, "user")	   ? &cfg->user
				     : !strcmp(key, "chroot")	   ? &cfg->chroot_dir
				     : !strcmp(key, "name")	   ? &cfg->name
				     : !strcmp(key, "kernel")	   ? &cfg->kernel
				     : !strcmp(key, "initrd")	   ? &cfg->initrd
				     : !strcmp(key, "cmdline")	   ? &cfg->cmdline
				     : !strcmp(key, "api_socket") ? &cfg->api_socket
								   : &cfg->metrics_listen;

			rc = get_string(v, key, dst, err);
		} else if (!strcmp(key, "cpus")) {
			rc = cpus_from_json(cfg, v, err);
		} else if (!strcmp(key, "memory") && json_is_object(v)) {
			const char *k2;
			json_t *x;
			char val[256], sub[CONFIG_ERR_LEN];

			json_object_foreach(v, k2, x) {
				if (json_is_boolean(x))
					snprintf(val, sizeof(val), "%s", json_is_true(x) ? "on" : "off");
				else if (scalar(x, val, sizeof(val)))
					return jerr(err, "$.memory.%s: expected a string, integer or boolean", k2);
				if (config_memory_set(cfg, k2, val, sub))
					return jerr(err, "$.memory.%s: %s", k2, sub);
			}
		} else if (!strcmp(key, "numa")) {
			size_t i;
			json_t *node;

			if (!json_is_array(v))
				return jerr(err, "$.numa: expected an array of nodes");
			config_free_memory_numa(cfg);
			json_array_foreach(v, i, node) {
				const char *k2;
				json_t *x;
				char opt[1024] = "", val[256], sub[CONFIG_ERR_LEN];
				size_t o = 0;

				if (!json_is_object(node))
					return jerr(err, "$.numa[%zu]: expected an object", i);
				json_object_foreach(node, k2, x) {
					if (scalar(x, val, sizeof(val)))
						return jerr(err, "$.numa[%zu].%s: expected a string or integer", i, k2);
					rc = opt_append(opt, sizeof(opt), &o, k2, val);
					if (rc == -E2BIG)
						return jerr(err, "$.numa[%zu]: too long", i);
					if (rc)
						return jerr(err, "$.numa[%zu].%s: unknown key", i, k2);
				}
				if (config_parse_numa(opt, cfg, sub))
					return jerr(err, "$.numa[%zu]: %s", i, sub);
			}
		} else if (!strcmp(key, "memory")) {
			if (json_is_string(v)) {
				if (config_parse_size(json_string_value(v), &u))
					return jerr(err, "$.memory: '%s' is not a size (use e.g. 512M)",
						    json_string_value(v));
			} else if (get_uint(v, key, 0, CONFIG_MEM_MAX, &u, err)) {
				return -EINVAL;
			}
			if (u < CONFIG_MEM_MIN || u > CONFIG_MEM_MAX || (u & 0xfff))
				return jerr(err, "$.memory: %llu bytes: between 16M and 64T, a multiple of 4K",
					    (unsigned long long)u);
			cfg->mem_size = u;
		} else if (!strcmp(key, "no_reboot")) {
			rc = get_bool(v, key, &cfg->no_reboot, err);
		} else if (!strcmp(key, "rng")) {
			rc = get_bool(v, key, &cfg->rng, err);
		} else if (!strcmp(key, "seccomp")) {
			if (!json_is_string(v) || config_parse_seccomp(json_string_value(v), &cfg->seccomp))
				rc = jerr(err, "$.seccomp: expected \"on\", \"log\" or \"off\"");
		} else if (!strcmp(key, "shutdown_timeout")) {
			rc = get_uint(v, key, 0, 3600, &u, err);
			if (!rc)
				cfg->shutdown_timeout = (unsigned int)u;
		} else if (!strcmp(key, "console")) {
			const char *s = json_string_value(v);

			if (s && !strcmp(s, "serial"))
				cfg->console = CONSOLE_SERIAL;
			else if (s && !strcmp(s, "virtio"))
				cfg->console = CONSOLE_VIRTIO;
			else if (s && !strcmp(s, "off"))
				cfg->console = CONSOLE_OFF;
			else
				rc = jerr(err, "$.console: expected \"serial\", \"virtio\" or \"off\"");
		} else if (!strcmp(key, "cgroup")) {
			const char *k2;
			json_t *x;
			char val[256], sub[CONFIG_ERR_LEN];

			if (json_is_false(v) || json_is_null(v)) {
				memset(&cfg->cgroup, 0, sizeof(cfg->cgroup));
				continue;
			}
			if (!json_is_object(v))
				return jerr(err, "$.cgroup: expected an object (or false)");
			if (config_parse_cgroup("", &cfg->cgroup, sub))
				return jerr(err, "$.cgroup: %s", sub);
			json_object_foreach(v, k2, x) {
				if (json_is_boolean(x))
					snprintf(val, sizeof(val), "%s", json_is_true(x) ? "on" : "off");
				else if (scalar(x, val, sizeof(val)))
					return jerr(err, "$.cgroup.%s: expected a string, integer or boolean", k2);
				if (config_cgroup_set(&cfg->cgroup, k2, val, sub))
					return jerr(err, "$.cgroup.%s: %s", k2, sub);
			}
			if (config_cgroup_finish(&cfg->cgroup, sub))
				return jerr(err, "$.cgroup: %s", sub);
		} else if (!strcmp(key, "balloon")) {
			const char *k2;
			json_t *x;
			char opt[512] = "", val[64], sub[CONFIG_ERR_LEN];
			size_t o = 0;

			if (json_is_false(v) || json_is_null(v)) {
				memset(&cfg->balloon, 0, sizeof(cfg->balloon));
				continue;
			}
			if (!json_is_object(v))
				return jerr(err, "$.balloon: expected an object (or false)");
			json_object_foreach(v, k2, x) {
				if (scalar(x, val, sizeof(val)))
					return jerr(err, "$.balloon.%s: expected a string, integer or boolean", k2);
				rc = opt_append(opt, sizeof(opt), &o, k2, val);
				if (rc == -E2BIG)
					return jerr(err, "$.balloon: too long");
				if (rc)
					return jerr(err, "$.balloon.%s: unknown key", k2);
			}
			if (config_parse_balloon(opt, &cfg->balloon, sub))
				return jerr(err, "$.balloon: %s", sub);
		} else if (!strcmp(key, "emulator") || !strcmp(key, "iothreads")) {
			json_t *aff = json_object_get(v, "affinity"), *cnt = json_object_get(v, "count");
			char opt[512], sub[CONFIG_ERR_LEN];
			size_t known = (aff ? 1 : 0) + (cnt ? 1 : 0);

			if (!json_is_object(v) || json_object_size(v) != known ||
			    (aff && !json_is_string(aff)) || (cnt && !json_is_integer(cnt)) ||
			    (cnt && !strcmp(key, "emulator")))
				return jerr(err, "$.%s: expected {\"affinity\": \"HOSTCPUS\"%s}", key,
					    strcmp(key, "emulator") ? ", \"count\": N" : "");
			if (cnt)
				snprintf(opt, sizeof(opt), "%lld%s%s", (long long)json_integer_value(cnt),
					 aff ? ",affinity=" : "", aff ? json_string_value(aff) : "");
			else
				snprintf(opt, sizeof(opt), "affinity=%s", aff ? json_string_value(aff) : "");
			rc = (!strcmp(key, "emulator") ? config_parse_emulator : config_parse_iothreads)(
				opt, cfg, sub);
			if (rc)
				jerr(err, "$.%s: %s", key, sub);
		} else if (!strcmp(key, "disks") || !strcmp(key, "nets")) {
			rc = apply_lists(cfg, key, v, err);
		} else if (!strcmp(key, "devices")) {
			rc = apply_devices(cfg, v, err);
		} else {
			rc = jerr(err, "$.%s: unknown key", key);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* "devices": [{"vfio": "0000:00:03.0", "id": "nic0", "rombar": false}, ...] replaces the list */
static int apply_devices(struct vm_config *cfg, json_t *v, char *err)
{
	size_t i;
	json_t *d;

	if (!json_is_array(v))
		return jerr(err, "$.devices: expected an array");
	if (json_array_size(v) > CONFIG_MAX_VFIO)
		return jerr(err, "$.devices: at most %d devices", CONFIG_MAX_VFIO);
	cfg->nr_vfio = 0;
	json_array_foreach(v, i, d) {
		json_t *addr = json_object_get(d, "vfio"), *x;
		char opt[512], val[64], sub[CONFIG_ERR_LEN];
		const char *k;
		size_t o;

		if (!json_is_object(d) || !json_is_string(addr))
			return jerr(err, "$.devices[%zu]: expected an object with \"vfio\": ADDRESS", i);
		o = 0;
		if (opt_append(opt, sizeof(opt), &o, "vfio", json_string_value(addr)))
			return jerr(err, "$.devices[%zu]: too long", i);
		json_object_foreach(d, k, x) {
			int rc;

			if (!strcmp(k, "vfio"))
				continue;
			if (json_is_boolean(x))
				snprintf(val, sizeof(val), "%s", json_is_true(x) ? "on" : "off");
			else if (scalar(x, val, sizeof(val)))
				return jerr(err, "$.devices[%zu].%s: expected a string or boolean", i, k);
			rc = opt_append(opt, sizeof(opt), &o, k, val);
			if (rc == -E2BIG)
				return jerr(err, "$.devices[%zu]: too long", i);
			if (rc)
				return jerr(err, "$.devices[%zu].%s: unknown key", i, k);
		}
		if (config_parse_device(opt, (unsigned int)i, &cfg->vfio[i], sub))
			return jerr(err, "$.devices[%zu]: %s", i, sub);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->vfio[j].addr, cfg->vfio[i].addr) ||
			    !strcmp(cfg->vfio[j].id, cfg->vfio[i].id))
				return jerr(err, "$.devices[%zu]: same %s as $.devices[%zu]", i,
					    strcmp(cfg->vfio[j].addr, cfg->vfio[i].addr) ? "id" : "device", j);
		cfg->nr_vfio = (unsigned int)i + 1;
	}
	return 0;
}

int config_from_json(struct vm_config *cfg, const char *text, size_t len, char *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	int rc;

	if (!root)
		return jerr(err, "line %d, column %d: %s", je.line, je.column, je.text);
	rc = apply(cfg, root, err);
	json_decref(root);
	return rc;
}

int config_load_file(struct vm_config *cfg, const char *path, char *err)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int rc;

	if (!f)
		return jerr(err, "%s: %s", path, strerror(errno));
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	fclose(f);
	if (n > CONFIG_FILE_MAX) {
		free(buf);
		return jerr(err, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
	}
	rc = config_from_json(cfg, buf, n, err);
	if (rc) {
		char sub[CONFIG_ERR_LEN];

		snprintf(sub, sizeof(sub), "%s", err);
		jerr(err, "%s: %s", path, sub);
	}
	free(buf);
	return rc;
}

static void set_limit(json_t *o, const char *k, uint64_t v)
{
	if (v)
		json_object_set_new(o, k, json_integer((json_int_t)v));
}

void *config_disk_json(const struct disk_config *d)
{
	json_t *o = json_object();
	const struct disk_throttle *t = &d->throttle;

	json_object_set_new(o, "path", json_string(d->path));
	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "serial", json_string(d->serial ? d->serial : ""));
	json_object_set_new(o, "readonly", json_boolean(d->readonly));
	json_object_set_new(o, "discard", json_boolean(d->discard));
	json_object_set_new(o, "cache", json_string(blk_cache_name((enum blk_cache)d->cache)));
	json_object_set_new(o, "aio", json_string(d->aio == BLK_AIO_IO_URING ? "io_uring" : "threads"));
	json_object_set_new(o, "queues", json_integer(d->queues));
	json_object_set_new(o, "queue_size", json_integer(d->queue_size));
	set_limit(o, "bps", t->bps);
	set_limit(o, "bps_rd", t->bps_rd);
	set_limit(o, "bps_wr", t->bps_wr);
	set_limit(o, "iops", t->iops);
	set_limit(o, "iops_rd", t->iops_rd);
	set_limit(o, "iops_wr", t->iops_wr);
	set_limit(o, "bps_max", t->bps_max);
	set_limit(o, "bps_rd_max", t->bps_rd_max);
	set_limit(o, "bps_wr_max", t->bps_wr_max);
	set_limit(o, "iops_max", t->iops_max);
	set_limit(o, "iops_rd_max", t->iops_rd_max);
	set_limit(o, "iops_wr_max", t->iops_wr_max);
	return o;
}

void *config_net_json(const struct net_config *n)
{
	json_t *o = json_object(), *fw;
	char mac[18];

	if (n->kind == NET_TAP)
		json_object_set_new(o, "tap", json_string(n->ifname));
	else if (n->kind == NET_FD)
		json_object_set_new(o, "fd", json_integer(n->fd));
	else
		json_object_set_new(o, "user", json_true());
	json_object_set_new(o, "id", json_string(n->id));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
		 n->mac[3], n->mac[4], n->mac[5]);
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "queues", json_integer(n->queues));
	json_object_set_new(o, "queue_size", json_integer(n->queue_size));
	json_object_set_new(o, "vhost", json_boolean(n->vhost));
	if (n->mtu)
		json_object_set_new(o, "mtu", json_integer(n->mtu));
	if (n->nr_hostfwd) {
		fw = json_array();
		for (unsigned int i = 0; i < n->nr_hostfwd; i++)
			json_array_append_new(fw, json_string(n->hostfwd[i]));
		json_object_set_new(o, "hostfwd", fw);
	}
	set_limit(o, "rx_bps", n->rx_bps);
	set_limit(o, "tx_bps", n->tx_bps);
	set_limit(o, "rx_pps", n->rx_pps);
	set_limit(o, "tx_pps", n->tx_pps);
	set_limit(o, "rx_bps_max", n->rx_bps_max);
	set_limit(o, "tx_bps_max", n->tx_bps_max);
	set_limit(o, "rx_pps_max", n->rx_pps_max);
	set_limit(o, "tx_pps_max", n->tx_pps_max);
	return o;
}

char *config_to_json(const struct vm_config *cfg)
{
	json_t *o = json_object(), *disks = json_array(), *nets = json_array();
	static const char *consoles[] = { "serial", "virtio", "off" };
	char *s;

	json_object_set_new(o, "name", json_string(cfg->name ? cfg->name : ""));
	json_object_set_new(o, "kernel", cfg->kernel ? json_string(cfg->kernel) : json_null());
	json_object_set_new(o, "initrd", cfg->initrd ? json_string(cfg->initrd) : json_null());
	json_object_set_new(o, "cmdline", json_string(cfg->cmdline ? cfg->cmdline : ""));
	if (cfg->cpu.max || cfg->cpu.sockets || cfg->cpu.model_base || cfg->cpu.pmu_off ||
	    cfg->cpu.affinity_str) {
		json_t *c = json_object();
		char topo[64];

		json_object_set_new(c, "boot", json_integer(cfg->cpus));
		json_object_set_new(c, "max", json_integer(config_max_cpus(cfg)));
		if (cfg->cpu.sockets) {
			snprintf(topo, sizeof(topo), "%u:%u:%u:%u", cfg->cpu.sockets, cfg->cpu.dies,
				 cfg->cpu.cores, cfg->cpu.threads);
			json_object_set_new(c, "topology", json_string(topo));
		}
		json_object_set_new(c, "model", json_string(cfg->cpu.model_base ? "base" : "host"));
		json_object_set_new(c, "pmu", json_boolean(!cfg->cpu.pmu_off));
		if (cfg->cpu.affinity_str)
			json_object_set_new(c, "affinity", json_string(cfg->cpu.affinity_str));
		json_object_set_new(o, "cpus", c);
	} else {
		json_object_set_new(o, "cpus", json_integer(cfg->cpus));
	}
	if (cfg->cgroup.enabled) {
		const struct cgroup_config *c = &cfg->cgroup;
		json_t *g = json_object();
		char q[64];

		if (c->path[0])
			json_object_set_new(g, "path", json_string(c->path));
		json_object_set_new(g, "threads", json_boolean(c->threads));
		if (c->cpu_weight)
			json_object_set_new(g, "cpu.weight", json_integer(c->cpu_weight));
		if (c->cpu_max.set) {
			if (c->cpu_max.unlimited)
				snprintf(q, sizeof(q), "max/%llu", (unsigned long long)c->cpu_max.period_us);
			else
				snprintf(q, sizeof(q), "%llu/%llu", (unsigned long long)c->cpu_max.quota_us,
					 (unsigned long long)c->cpu_max.period_us);
			json_object_set_new(g, "cpu.max", json_string(q));
		}
		if (c->memory_max.kind == CGROUP_VAL_NUM)
			json_object_set_new(g, "memory.max", json_integer((json_int_t)c->memory_max.num));
		if (c->memory_high.kind == CGROUP_VAL_NUM)
			json_object_set_new(g, "memory.high", json_integer((json_int_t)c->memory_high.num));
		if (c->memory_min.kind == CGROUP_VAL_NUM)
			json_object_set_new(g, "memory.min", json_integer((json_int_t)c->memory_min.num));
		if (c->memory_swap_max.kind == CGROUP_VAL_NUM)
			json_object_set_new(g, "memory.swap.max",
					    json_integer((json_int_t)c->memory_swap_max.num));
		if (c->io_weight)
			json_object_set_new(g, "io.weight", json_integer(c->io_weight));
		json_object_set_new(o, "cgroup", g);
	}
	if (cfg->balloon.enabled)
		json_object_set_new(o, "balloon",
				    json_pack("{s:I, s:b, s:b, s:i}", "size", (json_int_t)cfg->balloon.size,
					      "deflate_on_oom", cfg->balloon.deflate_on_oom,
					      "free_page_reporting", cfg->balloon.free_page_reporting,
					      "stats_period", (int)cfg->balloon.stats_period));
	if (cfg->cpu.emulator_str)
		json_object_set_new(o, "emulator", json_pack("{s:s}", "affinity", cfg->cpu.emulator_str));
	if (cfg->cpu.io_str || cfg->cpu.iothreads) {
		json_t *io = json_object();

		if (cfg->cpu.iothreads)
			json_object_set_new(io, "count", json_integer(cfg->cpu.iothreads));
		if (cfg->cpu.io_str)
			json_object_set_new(io, "affinity", json_string(cfg->cpu.io_str));
		json_object_set_new(o, "iothreads", io);
	}
	if (cfg->mem.hugepage_size || cfg->mem.thp_off || cfg->mem.prefault || cfg->mem.locked ||
	    cfg->mem.shared || cfg->mem.merge >= 0 || cfg->mem.host_nodes) {
		static const char *pol[] = { "default", "bind", "preferred", "interleave" };
		json_t *m = json_object();

		json_object_set_new(m, "size", json_integer((json_int_t)cfg->mem_size));
		json_object_set_new(m, "hugepages", json_string(!cfg->mem.hugepage_size ? "off"
								: cfg->mem.hugepage_size == (1ULL << 30) ? "1G"
													 : "2M"));
		json_object_set_new(m, "thp", json_boolean(!cfg->mem.thp_off));
		json_object_set_new(m, "prefault", json_boolean(cfg->mem.prefault));
		json_object_set_new(m, "locked", json_boolean(cfg->mem.locked));
		json_object_set_new(m, "shared", json_boolean(cfg->mem.shared));
		if (cfg->mem.merge >= 0)
			json_object_set_new(m, "merge", json_boolean(cfg->mem.merge));
		if (cfg->mem.host_nodes_str) {
			json_object_set_new(m, "numa-policy", json_string(pol[cfg->mem.policy]));
			json_object_set_new(m, "host-nodes", json_string(cfg->mem.host_nodes_str));
		}
		json_object_set_new(o, "memory", m);
	} else {
		json_object_set_new(o, "memory", json_integer((json_int_t)cfg->mem_size));
	}
	if (cfg->nr_numa) {
		json_t *a = json_array();

		for (unsigned int i = 0; i < cfg->nr_numa; i++) {
			const struct numa_node_config *n = &cfg->numa[i];
			json_t *x = json_pack("{s:i, s:s, s:I}", "node", (int)n->id, "cpus", n->cpus_str,
					      "memory", (json_int_t)n->size);
			char d[128] = "";
			size_t off = 0;

			if (n->host_nodes_str)
				json_object_set_new(x, "host-nodes", json_string(n->host_nodes_str));
			for (unsigned int j = 0; j < CONFIG_MAX_NUMA; j++)
				if (n->distance[j])
					off += (size_t)snprintf(d + off, sizeof(d) - off, "%s%u@%u", off ? ":" : "",
								j, n->distance[j]);
			if (off)
				json_object_set_new(x, "distance", json_string(d));
			json_array_append_new(a, x);
		}
		json_object_set_new(o, "numa", a);
	}
	json_object_set_new(o, "no_reboot", json_boolean(cfg->no_reboot));
	json_object_set_new(o, "console", json_string(consoles[cfg->console]));
	json_object_set_new(o, "rng", json_boolean(cfg->rng));
	json_object_set_new(o, "shutdown_timeout", json_integer(cfg->shutdown_timeout));
	json_object_set_new(o, "seccomp",
			    json_string(cfg->seccomp == 1 ? "log" : cfg->seccomp == 2 ? "off" : "on"));
	if (cfg->api_socket)
		json_object_set_new(o, "api_socket", json_string(cfg->api_socket));
	if (cfg->metrics_listen)
		json_object_set_new(o, "metrics_listen", json_string(cfg->metrics_listen));
	if (cfg->user)
		json_object_set_new(o, "user", json_string(cfg->user));
	if (cfg->chroot_dir)
		json_object_set_new(o, "chroot", json_string(cfg->chroot_dir));
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		json_array_append_new(disks, config_disk_json(&cfg->disks[i]));
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		json_array_append_new(nets, config_net_json(&cfg->nets[i]));
	json_object_set_new(o, "disks", disks);
	json_object_set_new(o, "nets", nets);
	if (cfg->nr_vfio) {
		json_t *a = json_array();

		for (unsigned int i = 0; i < cfg->nr_vfio; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}", "vfio", cfg->vfio[i].addr,
							   "id", cfg->vfio[i].id, "rombar",
							   cfg->vfio[i].rombar, "x-no-mmap",
							   cfg->vfio[i].no_mmap));
		json_object_set_new(o, "devices", a);
	}
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
