// SPDX-License-Identifier: GPL-2.0-only
/* `kasou ctl NAME pause|resume|shutdown|halt|set KEY=VALUE...` */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/remote.h"
#include "config/config.h"
#include "util/log.h"

/* The live limit keys: bytes take sizes (10M), ops take plain numbers. */
struct ctl_limit {
	const char *key;
	bool bytes;
};

static const struct ctl_limit disk_limits[] = {
	{ "bps", true },	  { "bps_rd", true },	    { "bps_wr", true },
	{ "iops", false },	  { "iops_rd", false },	    { "iops_wr", false },
	{ "bps_max", true },	  { "bps_rd_max", true },   { "bps_wr_max", true },
	{ "iops_max", false },	  { "iops_rd_max", false }, { "iops_wr_max", false },
	{ NULL, false },
};

static const struct ctl_limit net_limits[] = {
	{ "rx_bps", true },	{ "tx_bps", true },	{ "rx_pps", false },	 { "tx_pps", false },
	{ "rx_bps_max", true }, { "tx_bps_max", true }, { "rx_pps_max", false }, { "tx_pps_max", false },
	{ NULL, false },
};

/* One PATCH: every key given for the same disk or net goes in one body. */
struct ctl_patch {
	bool net;
	char id[33];
	char path[128]; /* set for the resources that are not a disk or a net */
	json_t *body;
};

#define CTL_MAX_PATCHES (CONFIG_MAX_DISKS + CONFIG_MAX_NETS)

static int ctl_usage(void)
{
	log_error("usage: kasou ctl NAME pause|resume|shutdown|halt|set KEY=VALUE...");
	return EXIT_USAGE;
}

static const char *limit_names(const struct ctl_limit *l, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (; l->key && o < len; l++)
		o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "", l->key);
	return buf;
}

static struct ctl_patch *patch_for(struct ctl_patch *p, int *n, bool net, const char *id,
				   size_t id_len)
{
	for (int i = 0; i < *n; i++)
		if (p[i].net == net && strlen(p[i].id) == id_len && !strncmp(p[i].id, id, id_len))
			return &p[i];
	if (*n == CTL_MAX_PATCHES)
		return NULL;
	p[*n].net = net;
	p[*n].path[0] = 0;
	snprintf(p[*n].id, sizeof(p[*n].id), "%.*s", (int)id_len, id);
	p[*n].body = json_object();
	return p[*n].body ? &p[(*n)++] : NULL;
}

/* A resource addressed by path: vcpu.N.affinity, emulator.affinity, iothreads.affinity,
 * balloon=SIZE, cgroup.KEY=VALUE. Returns 1 if `arg` was not one of these. */
static int ctl_parse_other(const char *arg, struct ctl_patch *p, int *n)
{
	const char *eq = strchr(arg, '=');
	char path[128], key[64];
	struct ctl_patch *patch;
	json_t *val;
	uint64_t v;
	unsigned int vcpu;
	int len = eq ? (int)(eq - arg) : 0;

	if (!eq)
		return 1;
	if (sscanf(arg, "vcpu.%u.affinity=", &vcpu) == 1 && !strncmp(eq - 9, ".affinity", 9)) {
		snprintf(path, sizeof(path), "/vcpus/%u", vcpu);
		snprintf(key, sizeof(key), "affinity");
	} else if (!strncmp(arg, "emulator.affinity=", 18) || !strncmp(arg, "iothreads.affinity=", 19)) {
		snprintf(path, sizeof(path), "/%.*s", (int)(strchr(arg, '.') - arg), arg);
		snprintf(key, sizeof(key), "affinity");
	} else if (!strncmp(arg, "balloon=", 8)) {
		if (config_parse_size(eq + 1, &v)) {
			log_error("ctl set: balloon: '%s' is not a size (e.g. 256M)", eq + 1);
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "/balloon");
		snprintf(key, sizeof(key), "amount_mib");
	} else if (!strncmp(arg, "cgroup.", 7) && len > 7) {
		snprintf(path, sizeof(path), "/cgroup");
		snprintf(key, sizeof(key), "%.*s", len - 7, arg + 7);
	} else {
		return 1;
	}
	if (!strcmp(key, "amount_mib"))
		val = json_integer((json_int_t)(v >> 20));
	else if (!strcmp(key, "affinity") && !strcmp(eq + 1, "none"))
		val = json_null(); /* back to the CPUs kasou started with */
	else
		val = json_string(eq + 1);
	for (int i = 0; i < *n; i++)
		if (!strcmp(p[i].path, path)) {
			json_object_set_new(p[i].body, key, val);
			return 0;
		}
	if (*n == CTL_MAX_PATCHES) {
		json_decref(val);
		log_error("ctl set: too many changes in one call");
		return -E2BIG;
	}
	patch = &p[(*n)++];
	patch->net = false;
	patch->id[0] = 0;
	snprintf(patch->path, sizeof(patch->path), "%s", path);
	patch->body = json_object();
	json_object_set_new(patch->body, key, val);
	return 0;
}

/* "disk.ID.LIMIT=VALUE" / "net.ID.LIMIT=VALUE" into the patch of its object. */
static int ctl_parse_set(const char *arg, struct ctl_patch *p, int *n)
{
	const char *eq = strchr(arg, '='), *dot1, *dot2, *value;
	const struct ctl_limit *limits = NULL, *l;
	char key[64], names[256];
	struct ctl_patch *patch;
	size_t id_len;
	uint64_t v;
	bool net;

	if (!eq || eq == arg) {
		log_error("ctl set: '%s': expected KEY=VALUE", arg);
		return -EINVAL;
	}
	{
		int other = ctl_parse_other(arg, p, n);

		if (other <= 0)
			return other;
	}
	value = eq + 1;
	dot1 = memchr(arg, '.', eq - arg);
	dot2 = dot1 ? memrchr(arg, '.', eq - arg) : NULL;
	if (dot1 && !strncmp(arg, "disk.", 5) && dot1 == arg + 4)
		limits = disk_limits;
	else if (dot1 && !strncmp(arg, "net.", 4) && dot1 == arg + 3)
		limits = net_limits;
	if (!limits || dot2 == dot1) {
		log_error("ctl set: unknown key '%.*s' (live keys: disk.ID.LIMIT, net.ID.LIMIT, "
			  "vcpu.N.affinity, emulator.affinity, iothreads.affinity, balloon, cgroup.KEY)",
			  (int)(eq - arg), arg);
		return -EINVAL;
	}
	net = limits == net_limits;
	id_len = dot2 - dot1 - 1;
	if (!id_len || id_len > 32 || memchr(dot1 + 1, '/', id_len) ||
	    memchr(dot1 + 1, '"', id_len) || memchr(dot1 + 1, '\'', id_len) ||
	    memchr(dot1 + 1, ' ', id_len)) {
		log_error("ctl set: '%.*s': the %s id is 1-32 characters, no '/', quotes or spaces",
			  (int)(eq - arg), arg, net ? "net" : "disk");
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - dot2 - 1), dot2 + 1);
	for (l = limits; l->key && strcmp(l->key, key); l++)
		;
	if (!l->key) {
		log_error("ctl set: '%.*s': unknown %s limit '%s' (%s)", (int)(eq - arg), arg,
			  net ? "net" : "disk", key, limit_names(limits, names, sizeof(names)));
		return -EINVAL;
	}
	if (l->bytes ? config_parse_size(value, &v) : config_parse_uint(value, 0, UINT64_MAX, &v)) {
		log_error("ctl set: %s: '%s' is not a %s", key, value,
			  l->bytes ? "byte rate (e.g. 10M)" : "number");
		return -EINVAL;
	}
	if (v > INT64_MAX) {
		log_error("ctl set: %s: '%s' is too large", key, value);
		return -ERANGE;
	}
	patch = patch_for(p, n, net, dot1 + 1, id_len);
	if (!patch) {
		log_error("ctl set: too many disks and nets in one call");
		return -E2BIG;
	}
	json_object_set_new(patch->body, key, json_integer((json_int_t)v));
	return 0;
}

static int ctl_set(struct client *c, int argc, char **argv)
{
	struct ctl_patch p[CTL_MAX_PATCHES];
	int n = 0, rc = 0, ret = 0;

	/* Everything is checked before anything is sent. */
	for (int i = 0; i < argc && !rc; i++)
		rc = ctl_parse_set(argv[i], p, &n);
	if (rc)
		ret = EXIT_USAGE;
	for (int i = 0; i < n && !ret; i++) {
		char path[128], what[96], *esc = client_escape(p[i].id);

		if (p[i].path[0])
			snprintf(path, sizeof(path), "%s", p[i].path);
		else
			snprintf(path, sizeof(path), "/%s/%s", p[i].net ? "network-interfaces" : "drives",
				 esc ? esc : p[i].id);
		free(esc);
		rc = client_call(c, "PATCH", path, p[i].body, NULL);
		if (rc) {
			snprintf(what, sizeof(what), "%s '%s'%s",
				 p[i].path[0] ? "resource" : p[i].net ? "net" : "disk",
				 p[i].path[0] ? p[i].path : p[i].id,
				 i ? " (the changes before it were applied)" : "");
			ret = cli_remote_fail(c, rc, what);
		}
	}
	for (int i = 0; i < n; i++)
		json_decref(p[i].body);
	return ret;
}

int cli_ctl(int argc, char **argv)
{
	static const struct {
		const char *verb, *method, *path, *key, *value;
	} verbs[] = {
		{ "pause", "PATCH", "/vm", "state", "Paused" },
		{ "resume", "PATCH", "/vm", "state", "Resumed" },
		{ "shutdown", "PUT", "/actions", "action_type", "SendCtrlAltDel" },
		{ "halt", "PUT", "/actions", "action_type", "InstanceHalt" },
	};
	struct client c;
	json_t *body;
	int rc;

	if (argc < 3 || argv[1][0] == '-')
		return ctl_usage();
	if (!strcmp(argv[2], "set")) {
		if (argc < 4) {
			log_error("ctl set: give at least one KEY=VALUE");
			return EXIT_USAGE;
		}
		if ((rc = client_open(&c, argv[1]))) {
			log_error("%s", c.err);
			return rc == -ENOMEM ? EXIT_HOST_ERROR : EXIT_USAGE;
		}
		rc = ctl_set(&c, argc - 3, argv + 3);
		client_close(&c);
		return rc;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[2], verbs[i].verb))
			continue;
		if (argc > 3) {
			log_error("ctl %s: unexpected argument '%s'", verbs[i].verb, argv[3]);
			return EXIT_USAGE;
		}
		if ((rc = client_open(&c, argv[1]))) {
			log_error("%s", c.err);
			return rc == -ENOMEM ? EXIT_HOST_ERROR : EXIT_USAGE;
		}
		body = json_pack("{ss}", verbs[i].key, verbs[i].value);
		rc = client_call(&c, verbs[i].method, verbs[i].path, body, NULL);
		json_decref(body);
		if (rc)
			rc = cli_remote_fail(&c, rc, verbs[i].verb);
		client_close(&c);
		return rc;
	}
	log_error("ctl: unknown command '%s' (pause, resume, shutdown, halt, set)", argv[2]);
	return EXIT_USAGE;
}
