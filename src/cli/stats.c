// SPDX-License-Identifier: GPL-2.0-only
/* `kasou stats NAME [--json] [--interval S [--count N]]` */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/remote.h"
#include "cli/sample.h"
#include "config/config.h"
#include "util/log.h"

/* The exit reasons shown as columns; the server may send more. */
static const char *const exit_keys[] = { "exits", "io_exits", "mmio_exits", "halt_exits",
					 "irq_exits" };
static const char *const exit_heads[] = { "EXITS", "IO", "MMIO", "HALT", "IRQ" };
#define NR_EXIT_KEYS (sizeof(exit_keys) / sizeof(exit_keys[0]))

/* One right-aligned number column. */
static void cell(double v, int width, int prec)
{
	char b[32];

	printf(" %*s", width, sample_fmt_num(b, sizeof(b), v, prec));
}

static void cell_bytes(double v, int width)
{
	char b[32];

	printf(" %*s", width, sample_fmt_bytes(b, sizeof(b), v));
}

/* Width of the ID column of an array of objects: the longest "id" or name. */
static int id_width(const json_t *arr, const char *key, int min)
{
	const json_t *e;
	size_t i;
	int w = min;

	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(json_object_get(e, key));

		if (s && (int)strlen(s) > w)
			w = (int)strlen(s);
	}
	return w;
}

static const char *str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

static void stats_header(const json_t *cur, const char *name, double dt, double cpu)
{
	char up[32];

	printf("%s: %s, up %s, boots %.0f", str(cur, "name", name), str(cur, "state", "?"),
	       sample_fmt_uptime(up, sizeof(up), client_num(cur, "uptime_s", NAN)),
	       client_num(cur, "boots", 1));
	if (dt > 0)
		printf(", CPU %.1f%% over %.2f s\n", cpu, dt);
	else
		printf(", CPU time %.2f s\n", cpu);
}

/* prev == NULL: totals since start; else rates over dt. */
static void stats_vcpus(const json_t *prev, const json_t *cur, double dt)
{
	const json_t *pa = json_object_get(prev, "vcpus"), *e;
	const char *unit = prev ? "/s" : "";
	size_t i;

	printf("%-5s %8s %7s %7s %7s", "VCPU", "TID", prev ? "CPU%" : "CPU s",
	       prev ? "WAIT%" : "WAIT s", prev ? "HALT%" : "HALT s");
	for (size_t k = 0; k < NR_EXIT_KEYS; k++) {
		char h[16];

		snprintf(h, sizeof(h), "%s%s", exit_heads[k], unit);
		printf(" %10s", h);
	}
	putchar('\n');
	json_array_foreach(json_object_get(cur, "vcpus"), i, e) {
		const json_t *p = prev ? sample_match(pa, e, "id") : NULL;
		static const char *const times[] = { "cpu_ns", "wait_ns", "halt_wait_ns" };

		printf("%-5.0f %8.0f", client_num(e, "id", NAN), client_num(e, "tid", NAN));
		for (size_t k = 0; k < 3; k++)
			cell(prev ? sample_rate(p, e, times[k], dt) / 1e7
				  : client_num(e, times[k], NAN) / 1e9,
			     7, prev ? 1 : 2);
		for (size_t k = 0; k < NR_EXIT_KEYS; k++)
			cell(prev ? sample_rate(json_object_get(p, "exits"),
						json_object_get(e, "exits"), exit_keys[k], dt)
				  : client_num(json_object_get(e, "exits"), exit_keys[k], NAN),
			     10, 0);
		putchar('\n');
	}
}

static void stats_threads(const json_t *prev, const json_t *cur, double dt)
{
	const json_t *arr = json_object_get(cur, "threads"), *pa = json_object_get(prev, "threads");
	const json_t *e;
	int w = id_width(arr, "name", 6);
	size_t i;

	if (!json_array_size(arr))
		return;
	printf("%-*s %8s %7s\n", w, "THREAD", "TID", prev ? "CPU%" : "CPU s");
	json_array_foreach(arr, i, e) {
		const json_t *p = prev ? sample_match(pa, e, "tid") : NULL;
		double v;

		if (!prev)
			v = client_num(e, "cpu_ns", NAN) / 1e9;
		else if (p)
			v = sample_rate(p, e, "cpu_ns", dt) / 1e7;
		else /* started during the interval */
			v = dt > 0 ? client_num(e, "cpu_ns", NAN) / dt / 1e7 : NAN;
		printf("%-*s %8.0f", w, str(e, "name", "?"), client_num(e, "tid", NAN));
		cell(v, 7, prev ? 1 : 2);
		putchar('\n');
	}
}

static void stats_memory(const json_t *cur)
{
	const json_t *m = json_object_get(cur, "memory");
	char a[32], b[32], c[32], d[32];

	if (!m)
		return;
	printf("MEMORY  guest %s  rss %s  anon %s  hugetlb %s\n",
	       sample_fmt_bytes(a, sizeof(a), client_num(m, "guest_bytes", NAN)),
	       sample_fmt_bytes(b, sizeof(b), client_num(m, "rss_bytes", NAN)),
	       sample_fmt_bytes(c, sizeof(c), client_num(m, "rss_anon_bytes", NAN)),
	       sample_fmt_bytes(d, sizeof(d), client_num(m, "hugetlb_bytes", NAN)));
}

/* BALLOON and CGROUP lines, when the VM has them; the cgroup's CPU use as a rate. */
static void stats_balloon_cgroup(const json_t *prev, const json_t *cur, double dt)
{
	const json_t *b = json_object_get(cur, "balloon"), *cg = json_object_get(cur, "cgroup");
	char a[32], c[32];

	if (b) {
		printf("BALLOON target %s  actual %s",
		       sample_fmt_bytes(a, sizeof(a), client_num(b, "target_mib", NAN) * 1048576),
		       sample_fmt_bytes(c, sizeof(c), client_num(b, "actual_mib", NAN) * 1048576));
		if (json_object_get(b, "free_memory"))
			printf("  guest free %s",
			       sample_fmt_bytes(a, sizeof(a), client_num(b, "free_memory", NAN)));
		printf("\n");
	}
	if (cg) {
		printf("CGROUP  %s  memory %s", json_string_value(json_object_get(cg, "path")) ?: "?",
		       sample_fmt_bytes(a, sizeof(a), client_num(cg, "memory_current", NAN)));
		if (prev && dt > 0) {
			const json_t *pc = json_object_get(prev, "cgroup");
			double u = client_num(cg, "cpu_usage_usec", NAN) - client_num(pc, "cpu_usage_usec", NAN);
			double t = client_num(cg, "cpu_throttled_usec", NAN) -
				   client_num(pc, "cpu_throttled_usec", NAN);

			printf("  cpu %.0f%%  throttled %.0f%%", u / dt / 1e4, t / dt / 1e4);
		}
		printf("\n");
	}
}

/* One VFIO line per passed-through device: interrupts in the interval (or in all). */
static void stats_vfio(const json_t *prev, const json_t *cur, double dt)
{
	const json_t *a = json_object_get(cur, "vfio"), *pa = prev ? json_object_get(prev, "vfio") : NULL;
	size_t i;
	json_t *d;

	json_array_foreach(a, i, d) {
		const json_t *pd = json_array_get(pa, i);
		double irqs = client_num(d, "irqs", NAN);

		printf("VFIO    %s %s  %s", json_string_value(json_object_get(d, "id")) ?: "?",
		       json_string_value(json_object_get(d, "address")) ?: "?",
		       json_string_value(json_object_get(d, "irq_mode")) ?: "?");
		if (pd && dt > 0)
			printf("  irq/s %.0f", (irqs - client_num(pd, "irqs", NAN)) / dt);
		else
			printf("  irqs %.0f", irqs);
		printf("  trapped r/w %.0f/%.0f\n", client_num(d, "trapped_reads", NAN),
		       client_num(d, "trapped_writes", NAN));
	}
}

/* A column of the disk and net tables. */
enum col_kind {
	COL_RATE, /* key per second (+ key2 per second) */
	COL_TOTAL, /* the counter itself (+ key2) */
	COL_BYTES, /* the counter as a size (1.5G) */
	COL_LATENCY, /* delta of key (ns) over delta of key2 (requests), in ms */
};

struct col {
	const char *head, *key, *key2;
	enum col_kind kind;
	double scale;
	int width, prec;
};

static const struct col disk_rates[] = {
	{ "RD IOPS", "rd_reqs", NULL, COL_RATE, 1, 8, 0 },
	{ "WR IOPS", "wr_reqs", NULL, COL_RATE, 1, 8, 0 },
	{ "RD MB/s", "rd_bytes", NULL, COL_RATE, 1e-6, 8, 1 },
	{ "WR MB/s", "wr_bytes", NULL, COL_RATE, 1e-6, 8, 1 },
	{ "RD ms", "rd_ns", "rd_reqs", COL_LATENCY, 1e-6, 7, 2 },
	{ "WR ms", "wr_ns", "wr_reqs", COL_LATENCY, 1e-6, 7, 2 },
	{ "INFLIGHT", "inflight", NULL, COL_TOTAL, 1, 8, 0 },
	{ "THROTTL/s", "throttled", NULL, COL_RATE, 1, 10, 0 },
	{ "ERR/s", "errors", NULL, COL_RATE, 1, 7, 0 },
	{ .head = NULL },
};

static const struct col disk_totals[] = {
	{ "RD REQS", "rd_reqs", NULL, COL_TOTAL, 1, 10, 0 },
	{ "WR REQS", "wr_reqs", NULL, COL_TOTAL, 1, 10, 0 },
	{ "RD BYTES", "rd_bytes", NULL, COL_BYTES, 1, 9, 0 },
	{ "WR BYTES", "wr_bytes", NULL, COL_BYTES, 1, 9, 0 },
	{ "FLUSHES", "fl_reqs", NULL, COL_TOTAL, 1, 9, 0 },
	{ "ERRORS", "errors", NULL, COL_TOTAL, 1, 8, 0 },
	{ "INFLIGHT", "inflight", NULL, COL_TOTAL, 1, 8, 0 },
	{ "THROTTLED", "throttled", NULL, COL_TOTAL, 1, 10, 0 },
	{ .head = NULL },
};

static const struct col net_rates[] = {
	{ "RX pps", "rx_packets", NULL, COL_RATE, 1, 9, 0 },
	{ "TX pps", "tx_packets", NULL, COL_RATE, 1, 9, 0 },
	{ "RX Mbit/s", "rx_bytes", NULL, COL_RATE, 8e-6, 10, 1 },
	{ "TX Mbit/s", "tx_bytes", NULL, COL_RATE, 8e-6, 10, 1 },
	{ "DROPS/s", "rx_drops", "tx_drops", COL_RATE, 1, 8, 0 },
	{ .head = NULL },
};

static const struct col net_totals[] = {
	{ "RX PKTS", "rx_packets", NULL, COL_TOTAL, 1, 10, 0 },
	{ "TX PKTS", "tx_packets", NULL, COL_TOTAL, 1, 10, 0 },
	{ "RX BYTES", "rx_bytes", NULL, COL_BYTES, 1, 9, 0 },
	{ "TX BYTES", "tx_bytes", NULL, COL_BYTES, 1, 9, 0 },
	{ "DROPS", "rx_drops", "tx_drops", COL_TOTAL, 1, 8, 0 },
	{ "ERRORS", "rx_errors", "tx_errors", COL_TOTAL, 1, 8, 0 },
	{ .head = NULL },
};

static double col_value(const struct col *c, const json_t *p, const json_t *e, double dt)
{
	double v = NAN, n;

	switch (c->kind) {
	case COL_RATE:
		v = sample_rate(p, e, c->key, dt);
		if (c->key2)
			v += sample_rate(p, e, c->key2, dt);
		break;
	case COL_TOTAL:
	case COL_BYTES:
		v = client_num(e, c->key, NAN);
		if (c->key2)
			v += client_num(e, c->key2, NAN);
		break;
	case COL_LATENCY:
		n = p ? sample_delta(p, e, c->key2) : NAN;
		v = n > 0 ? sample_delta(p, e, c->key) / n : NAN;
		break;
	}
	return v * c->scale;
}

/*
 * One table of the objects in cur[arr] (disks, nets), a row each, matched
 * by "id" with prev for the rates; `link` adds the nets' LINK column.
 */
static void stats_table(const char *title, const char *arr_key, const struct col *cols,
			const json_t *prev, const json_t *cur, double dt, bool link)
{
	const json_t *arr = json_object_get(cur, arr_key), *pa = json_object_get(prev, arr_key);
	const json_t *e;
	int w = id_width(arr, "id", 6);
	size_t i;

	if (!json_array_size(arr))
		return;
	printf("%-*s", w, title);
	for (const struct col *c = cols; c->head; c++)
		printf(" %*s", c->width, c->head);
	printf(link ? " %5s\n" : "\n", "LINK");
	json_array_foreach(arr, i, e) {
		const json_t *p = prev ? sample_match(pa, e, "id") : NULL;
		const json_t *l = json_object_get(e, "link_up");

		printf("%-*s", w, str(e, "id", "?"));
		for (const struct col *c = cols; c->head; c++) {
			if (c->kind == COL_BYTES)
				cell_bytes(col_value(c, p, e, dt), c->width);
			else
				cell(col_value(c, p, e, dt), c->width, c->prec);
		}
		if (link)
			printf(" %5s", json_is_boolean(l) ? (json_is_true(l) ? "up" : "down") : "-");
		putchar('\n');
	}
}

static double total_cpu_s(const json_t *cur)
{
	const json_t *e;
	double ns = 0;
	size_t i;

	json_array_foreach(json_object_get(cur, "threads"), i, e)
		ns += client_num(e, "cpu_ns", 0);
	return ns / 1e9;
}

/* One human-readable report: rates when prev holds a sample, else totals. */
static void stats_print(const struct sample *prev, const struct sample *cur, const char *name)
{
	double dt = prev ? sample_dt(prev, cur) : 0;
	const json_t *p = prev && dt > 0 ? prev->j : NULL;

	if (p)
		stats_header(cur->j, name, dt, sample_vm_cpu(p, cur->j, dt));
	else
		stats_header(cur->j, name, 0, total_cpu_s(cur->j));
	stats_vcpus(p, cur->j, dt);
	stats_threads(p, cur->j, dt);
	stats_memory(cur->j);
	stats_balloon_cgroup(p, cur->j, dt);
	stats_vfio(p, cur->j, dt);
	stats_table("DISK", "disks", p ? disk_rates : disk_totals, p, cur->j, dt, false);
	stats_table("NET", "nets", p ? net_rates : net_totals, p, cur->j, dt, true);
}

/* --json: the server's sample as one line (re-encoded only when it spans lines). */
static int stats_json(struct client *c)
{
	json_error_t je;
	size_t len;
	char *text;
	json_t *j;
	int rc = client_call_raw(c, "GET", "/vm/stats", NULL, &text, &len);

	if (rc)
		return cli_remote_fail(c, rc, NULL);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = 0;
	j = json_loadb(text, len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		free(text);
		snprintf(c->err, sizeof(c->err), "GET /vm/stats: bad JSON in the answer: %s",
			 j ? "not an object" : je.text);
		return cli_remote_fail(c, -EBADMSG, NULL);
	}
	if (memchr(text, '\n', len)) {
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		printf("%s\n", text);
	}
	json_decref(j);
	free(text);
	fflush(stdout);
	return 0;
}

static int stats_usage(void)
{
	log_error("usage: kasou stats NAME [--json] [--interval S [--count N]]");
	return EXIT_USAGE;
}

int cli_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct sample prev = { 0 }, cur = { 0 };
	bool json = false;
	double interval = 0, next;
	uint64_t count = 0, done = 0;
	struct client c;
	int opt, rc = 0;

	optind = 0; /* a full getopt reset: other commands may have parsed before */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'i':
			if (cli_parse_interval(optarg, &interval)) {
				log_error("stats: --interval '%s': seconds, more than 0, at most 3600",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (config_parse_uint(optarg, 1, UINT32_MAX, &count)) {
				log_error("stats: --count '%s': a number of reports, at least 1", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			log_error("stats: unknown or incomplete option '%s'", argv[optind - 1]);
			return stats_usage();
		}
	}
	if (optind != argc - 1)
		return stats_usage();
	if (count && !interval) {
		log_error("stats: --count needs --interval");
		return EXIT_USAGE;
	}
	if ((rc = client_open(&c, argv[optind]))) {
		log_error("%s", c.err);
		return rc == -ENOMEM ? EXIT_HOST_ERROR : EXIT_USAGE;
	}
	if (!interval) {
		if (json) {
			rc = stats_json(&c);
		} else if ((rc = sample_take(&c, &cur))) {
			rc = cli_remote_fail(&c, rc, NULL);
		} else {
			stats_print(NULL, &cur, c.name);
			fflush(stdout);
		}
		goto out;
	}
	cli_remote_catch(true);
	next = cli_remote_now();
	for (;;) {
		if (json) {
			rc = stats_json(&c);
		} else if ((rc = sample_take(&c, &cur))) {
			rc = cli_remote_fail(&c, rc, NULL);
		} else if (prev.j) {
			if (done)
				putchar('\n');
			stats_print(&prev, &cur, c.name);
			fflush(stdout);
		}
		if (rc)
			break;
		if (json || prev.j)
			done++;
		if (count && done >= count)
			break;
		sample_clear(&prev);
		prev = cur;
		cur.j = NULL;
		next += interval;
		if (!cli_remote_sleep_until(next))
			break;
	}
	cli_remote_catch(false);
out:
	sample_clear(&prev);
	sample_clear(&cur);
	client_close(&c);
	return rc;
}
