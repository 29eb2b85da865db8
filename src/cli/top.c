// SPDX-License-Identifier: GPL-2.0-only
/* `kasou top [--interval S] [--once]`: every VM, refreshed, full screen. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend/term.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/remote.h"
#include "cli/sample.h"
#include "util/log.h"

struct top_vm {
	char *name;
	struct client c;
	struct sample prev, cur;
	bool seen;
	double cpu, exits, rd, wr, rx, tx, rss; /* MB/s and Mbit/s */
};

struct top {
	struct top_vm *vms;
	int n, cap;
	char sort; /* 'c' CPU, 'm' memory, 'n' name */
	double interval;
	bool screen;
};

static void top_vm_free(struct top_vm *v)
{
	sample_clear(&v->prev);
	sample_clear(&v->cur);
	client_close(&v->c);
	free(v->name);
}

static struct top_vm *top_find(struct top *t, const char *name)
{
	struct top_vm *v;

	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->vms[i].name, name))
			return &t->vms[i];
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		struct top_vm *nv = realloc(t->vms, sizeof(*nv) * cap);

		if (!nv)
			return NULL;
		t->vms = nv;
		t->cap = cap;
	}
	v = &t->vms[t->n];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	if (!v->name)
		return NULL;
	if (client_open(&v->c, name)) {
		free(v->name);
		return NULL;
	}
	t->n++;
	return v;
}

static void top_compute(struct top_vm *v)
{
	double dt = sample_dt(&v->prev, &v->cur);
	const json_t *p = dt > 0 ? v->prev.j : NULL, *c = v->cur.j;

	v->cpu = sample_vm_cpu(p, c, dt);
	v->exits = sample_sum_rate(p, c, "vcpus", "exits", "exits", dt);
	v->rd = sample_sum_rate(p, c, "disks", NULL, "rd_bytes", dt) / 1e6;
	v->wr = sample_sum_rate(p, c, "disks", NULL, "wr_bytes", dt) / 1e6;
	v->rx = sample_sum_rate(p, c, "nets", NULL, "rx_bytes", dt) * 8 / 1e6;
	v->tx = sample_sum_rate(p, c, "nets", NULL, "tx_bytes", dt) * 8 / 1e6;
	v->rss = client_num(json_object_get(c, "memory"), "rss_bytes", NAN);
}

/* One sample of every VM in the directory; VMs that are gone or stale drop out. */
static int top_refresh(struct top *t)
{
	char **names;
	int n = client_scan(&names), j = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < t->n; i++)
		t->vms[i].seen = false;
	for (int i = 0; i < n; i++) {
		struct top_vm *v = top_find(t, names[i]);

		if (!v)
			continue;
		sample_clear(&v->prev);
		v->prev = v->cur;
		v->cur.j = NULL;
		if (sample_take(&v->c, &v->cur))
			continue; /* stale socket, or the VM is going away */
		v->seen = true;
		top_compute(v);
	}
	client_free_names(names, n);
	for (int i = 0; i < t->n; i++) {
		if (t->vms[i].seen)
			t->vms[j++] = t->vms[i];
		else
			top_vm_free(&t->vms[i]);
	}
	t->n = j;
	return 0;
}

static char top_sort_key;

/* NAN (no rate yet) sorts last. */
static int cmp_desc(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a < b ? 1 : a > b ? -1 : 0;
}

static int top_cmp(const void *pa, const void *pb)
{
	const struct top_vm *a = pa, *b = pb;
	int r = 0;

	if (top_sort_key == 'c')
		r = cmp_desc(a->cpu, b->cpu);
	else if (top_sort_key == 'm')
		r = cmp_desc(a->rss, b->rss);
	return r ? r : strcmp(a->name, b->name);
}

static void num(FILE *f, double v, int width, int prec)
{
	char b[32];

	fprintf(f, " %*s", width, sample_fmt_num(b, sizeof(b), v, prec));
}

/* The table, one VM per row and one sub-line per vCPU. */
static void top_render(struct top *t, FILE *f)
{
	static const char *const sorts[] = { ['c'] = "CPU", ['m'] = "memory", ['n'] = "name" };
	int w = 8; /* fits the "  vcpuN" sub-lines */
	char b[32];

	top_sort_key = t->sort;
	if (t->n)
		qsort(t->vms, t->n, sizeof(*t->vms), top_cmp);
	for (int i = 0; i < t->n; i++)
		if ((int)strlen(t->vms[i].name) > w)
			w = (int)strlen(t->vms[i].name);
	if (t->screen)
		fprintf(f, "kasou top: %d VM%s, every %.1f s, sorted by %s  (c CPU, m memory, n name, q quit)\n\n",
			t->n, t->n == 1 ? "" : "s", t->interval, sorts[(unsigned char)t->sort]);
	fprintf(f, "%-*s %-9s %7s %9s %8s %8s %10s %10s %8s\n", w, "NAME", "STATE", "CPU%",
		"EXITS/s", "RD MB/s", "WR MB/s", "RX Mbit/s", "TX Mbit/s", "RSS");
	for (int i = 0; i < t->n; i++) {
		const struct top_vm *v = &t->vms[i];
		const json_t *st = json_object_get(v->cur.j, "state"), *e;
		double dt = sample_dt(&v->prev, &v->cur);
		const json_t *pv = dt > 0 ? json_object_get(v->prev.j, "vcpus") : NULL;
		size_t k;

		fprintf(f, "%-*s %-9s", w, v->name, json_is_string(st) ? json_string_value(st) : "?");
		num(f, v->cpu, 7, 1);
		num(f, v->exits, 9, 0);
		num(f, v->rd, 8, 1);
		num(f, v->wr, 8, 1);
		num(f, v->rx, 10, 1);
		num(f, v->tx, 10, 1);
		fprintf(f, " %8s\n", sample_fmt_bytes(b, sizeof(b), v->rss));
		json_array_foreach(json_object_get(v->cur.j, "vcpus"), k, e) {
			const json_t *p = pv ? sample_match(pv, e, "id") : NULL;
			char label[32];

			snprintf(label, sizeof(label), "  vcpu%.0f", client_num(e, "id", NAN));
			fprintf(f, "%-*s %-9s", w, label, "");
			num(f, sample_rate(p, e, "cpu_ns", dt) / 1e7, 7, 1);
			num(f, sample_rate(json_object_get(p, "exits"), json_object_get(e, "exits"),
					   "exits", dt),
			    9, 0);
			fputc('\n', f);
		}
	}
}

/* ---- the full screen: raw terminal, alternate screen, restored on every exit ---- */

static volatile sig_atomic_t top_resized;
static bool top_on_screen;

#define SCREEN_ENTER "\033[?1049h\033[?25l"
#define SCREEN_LEAVE "\033[?25h\033[?1049l"

static void write_all(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w <= 0 && errno != EINTR)
			return;
		if (w > 0) {
			s += w;
			n -= (size_t)w;
		}
	}
}

static void top_leave(void)
{
	if (!top_on_screen)
		return;
	top_on_screen = false;
	write_all(SCREEN_LEAVE, sizeof(SCREEN_LEAVE) - 1);
	term_restore();
}

static void top_fatal(int sig)
{
	top_leave(); /* write() and tcsetattr() are async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	top_resized = 1;
}

static void top_enter(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT };
	static bool registered;
	struct sigaction sa;
	struct term term;

	term_open(&term, STDIN_FILENO); /* raw mode, output processing kept */
	if (!registered) {
		atexit(top_leave);
		registered = true;
	}
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], top_fatal);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	top_on_screen = true;
	write_all(SCREEN_ENTER, sizeof(SCREEN_ENTER) - 1);
}

/* Draw a frame: home, each line clipped to the width and cleared to its end. */
static void top_draw(struct top *t)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char *text = NULL, *frame = NULL;
	size_t text_len = 0, frame_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	const char *l;
	int row = 0;

	if (!f)
		return;
	top_render(t, f);
	fclose(f);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col) {
		ws.ws_row = 24; /* a terminal that does not know its size */
		ws.ws_col = 80;
	}
	f = open_memstream(&frame, &frame_len);
	if (!f) {
		free(text);
		return;
	}
	fputs("\033[H", f);
	for (l = text; *l && row < ws.ws_row; row++) {
		size_t n = strcspn(l, "\n");

		fprintf(f, "%s%.*s\033[K", row ? "\n" : "",
			(int)(n < ws.ws_col ? n : ws.ws_col), l);
		l += n + (l[n] == '\n');
	}
	fputs("\033[J", f);
	fclose(f);
	write_all(frame, frame_len);
	free(frame);
	free(text);
}

/* Wait for the next refresh; keys act at once. false: quit. */
static bool top_wait(struct top *t, double deadline)
{
	for (;;) {
		double left = deadline - cli_remote_now();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		char keys[16];
		ssize_t n;
		int rc;

		if (cli_remote_stop)
			return false;
		if (top_resized) {
			top_resized = 0;
			top_draw(t);
		}
		if (left <= 0)
			return true;
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			return false;
		if (rc <= 0)
			continue; /* timeout or a signal: both checked above */
		n = read(STDIN_FILENO, keys, sizeof(keys));
		if (n <= 0)
			return false; /* the terminal went away */
		for (ssize_t i = 0; i < n; i++) {
			switch (keys[i]) {
			case 'q':
			case 'Q':
			case 3: /* Ctrl-C: no signals in raw mode */
			case 4:
				return false;
			case 'c':
			case 'm':
			case 'n':
				t->sort = keys[i];
				top_draw(t);
				break;
			}
		}
	}
}

static int top_usage(void)
{
	log_error("usage: kasou top [--interval S] [--once]");
	return EXIT_USAGE;
}

int cli_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct top t = { .sort = 'c', .interval = 2 };
	bool once = false;
	double next;
	int opt, rc = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (cli_parse_interval(optarg, &t.interval)) {
				log_error("top: --interval '%s': seconds, more than 0, at most 3600",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			once = true;
			break;
		default:
			log_error("top: unknown or incomplete option '%s'", argv[optind - 1]);
			return top_usage();
		}
	}
	if (optind != argc)
		return top_usage();
	if (!once && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		log_error("top: needs a terminal (use --once for one table)");
		return EXIT_USAGE;
	}
	cli_remote_catch(true);
	next = cli_remote_now();
	rc = top_refresh(&t);
	if (!rc && once) {
		if (cli_remote_sleep_until(next + t.interval))
			rc = top_refresh(&t);
		if (!rc) {
			top_render(&t, stdout);
			fflush(stdout);
		}
	} else if (!rc) {
		t.screen = true;
		top_enter();
		top_draw(&t);
		for (;;) {
			next += t.interval;
			if (next < cli_remote_now()) /* a slow VM: do not try to catch up */
				next = cli_remote_now();
			if (!top_wait(&t, next))
				break;
			rc = top_refresh(&t);
			if (rc)
				break;
			top_draw(&t);
		}
		top_leave();
	}
	cli_remote_catch(false);
	if (rc) {
		char dir[CLIENT_PATH_LEN] = "";

		client_api_dir(dir, sizeof(dir));
		log_error("%s: %s", dir, strerror(-rc));
		rc = EXIT_HOST_ERROR;
	}
	for (int i = 0; i < t.n; i++)
		top_vm_free(&t.vms[i]);
	free(t.vms);
	return rc;
}
