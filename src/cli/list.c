// SPDX-License-Identifier: GPL-2.0-only
/* `kasou list [--json]`: every VM with a socket in the API directory. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/remote.h"
#include "cli/sample.h"
#include "util/log.h"

struct list_row {
	const char *name;
	char state[32];
	char vcpus[16];
	char memory[24];
	char uptime[24];
	json_t *info, *machine; /* GET / and GET /machine-config, NULL when missing */
};

static void mib_str(char *buf, size_t len, double mib)
{
	unsigned long long m;

	if (isnan(mib) || mib < 0) {
		snprintf(buf, len, "-");
		return;
	}
	m = (unsigned long long)mib;
	if (m >= 1024 && m % 1024 == 0)
		snprintf(buf, len, "%lluG", m / 1024);
	else
		snprintf(buf, len, "%lluM", m);
}

static void list_probe(struct list_row *r)
{
	const char *state;
	struct client c;
	int rc;

	snprintf(r->state, sizeof(r->state), "error");
	snprintf(r->vcpus, sizeof(r->vcpus), "-");
	snprintf(r->memory, sizeof(r->memory), "-");
	snprintf(r->uptime, sizeof(r->uptime), "-");
	if (client_open(&c, r->name)) {
		log_warn("%s", c.err);
		return;
	}
	rc = client_call(&c, "GET", "/", NULL, &r->info);
	if (rc == -ECONNREFUSED || rc == -ENOENT) {
		snprintf(r->state, sizeof(r->state), "stale");
	} else if (rc == -ETIMEDOUT) {
		snprintf(r->state, sizeof(r->state), "no-answer");
	} else if (rc) {
		log_warn("%s: %s", r->name, c.err);
	} else {
		state = json_string_value(json_object_get(r->info, "state"));
		snprintf(r->state, sizeof(r->state), "%s", state ? state : "?");
		sample_fmt_uptime(r->uptime, sizeof(r->uptime),
				  client_num(r->info, "uptime_s", NAN));
		if (client_call(&c, "GET", "/machine-config", NULL, &r->machine)) {
			log_warn("%s: %s", r->name, c.err);
		} else {
			double n = client_num(r->machine, "vcpu_count", NAN);

			if (!isnan(n))
				snprintf(r->vcpus, sizeof(r->vcpus), "%.0f", n);
			mib_str(r->memory, sizeof(r->memory),
				client_num(r->machine, "mem_size_mib", NAN));
		}
	}
	client_close(&c);
}

static json_t *list_json_row(const struct list_row *r)
{
	json_t *o = json_object();
	char path[CLIENT_PATH_LEN];

	json_object_set_new(o, "name", json_string(r->name));
	if (!client_socket_path(r->name, path, sizeof(path)))
		json_object_set_new(o, "socket", json_string(path));
	json_object_set_new(o, "state", json_string(r->state));
	if (r->info) {
		json_object_set(o, "pid", json_object_get(r->info, "pid"));
		json_object_set(o, "uptime_s", json_object_get(r->info, "uptime_s"));
		json_object_set(o, "vmm_version", json_object_get(r->info, "vmm_version"));
	}
	if (r->machine) {
		json_object_set(o, "vcpu_count", json_object_get(r->machine, "vcpu_count"));
		json_object_set(o, "mem_size_mib", json_object_get(r->machine, "mem_size_mib"));
	}
	return o;
}

static void list_print(const struct list_row *rows, int n)
{
	int wn = 4, ws = 5;

	for (int i = 0; i < n; i++) {
		if ((int)strlen(rows[i].name) > wn)
			wn = (int)strlen(rows[i].name);
		if ((int)strlen(rows[i].state) > ws)
			ws = (int)strlen(rows[i].state);
	}
	printf("%-*s  %-*s  %5s  %8s  %8s\n", wn, "NAME", ws, "STATE", "VCPUS", "MEMORY",
	       "UPTIME");
	for (int i = 0; i < n; i++)
		printf("%-*s  %-*s  %5s  %8s  %8s\n", wn, rows[i].name, ws, rows[i].state,
		       rows[i].vcpus, rows[i].memory, rows[i].uptime);
}

int cli_list(int argc, char **argv)
{
	struct list_row *rows;
	bool json = false;
	char **names;
	int n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			log_error("list: unexpected argument '%s' (usage: kasou list [--json])",
				  argv[i]);
			return EXIT_USAGE;
		}
	}
	n = client_scan(&names);
	if (n < 0) {
		char dir[CLIENT_PATH_LEN] = "";

		client_api_dir(dir, sizeof(dir));
		log_error("%s: %s", dir, strerror(-n));
		return EXIT_HOST_ERROR;
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		client_free_names(names, n);
		log_error("out of memory");
		return EXIT_HOST_ERROR;
	}
	for (int i = 0; i < n; i++) {
		rows[i].name = names[i];
		list_probe(&rows[i]);
	}
	if (json) {
		json_t *a = json_array();

		for (int i = 0; i < n; i++)
			json_array_append_new(a, list_json_row(&rows[i]));
		json_dumpf(a, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
		putchar('\n');
		json_decref(a);
	} else {
		list_print(rows, n);
	}
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		json_decref(rows[i].info);
		json_decref(rows[i].machine);
	}
	free(rows);
	client_free_names(names, n);
	return 0;
}
