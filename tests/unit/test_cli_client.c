// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kasou list|ctl|stats|top` against a fake API server: libmicrohttpd on a
 * unix socket in a temp dir (KASOU_API_DIR), serving canned JSON and
 * recording every request it gets.
 */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/remote.h"
#include "cli/sample.h"
#include "unit.h"

/* ---- the fake server ---- */

struct fake_route {
	const char *method, *url;
	unsigned int status;
	const char *body;
};

struct fake_req {
	char method[16], url[128], body[1024];
};

#define FAKE_MAX_REQS 64

struct fake {
	struct MHD_Daemon *d;
	char path[108];
	pthread_mutex_t lock;
	const struct fake_route *routes;
	const char *const *samples; /* successive GET /vm/stats answers, the last repeats */
	int nsamples, next_sample;
	struct fake_req reqs[FAKE_MAX_REQS];
	int nreqs;
};

struct upload {
	char data[1024];
	size_t len;
};

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct fake *f = cls;
	struct upload *u = *con_cls;
	const char *body = "{\"fault_message\": \"no route\"}";
	unsigned int status = 404;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!u) {
		*con_cls = calloc(1, sizeof(*u));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		if (n > sizeof(u->data) - 1 - u->len)
			n = sizeof(u->data) - 1 - u->len;
		memcpy(u->data + u->len, upload_data, n);
		u->len += n;
		*upload_data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&f->lock);
	if (f->nreqs < FAKE_MAX_REQS) {
		struct fake_req *q = &f->reqs[f->nreqs++];

		snprintf(q->method, sizeof(q->method), "%s", method);
		snprintf(q->url, sizeof(q->url), "%s", url);
		snprintf(q->body, sizeof(q->body), "%.*s", (int)u->len, u->data);
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/vm/stats") && f->nsamples) {
		status = 200;
		body = f->samples[f->next_sample];
		if (f->next_sample < f->nsamples - 1)
			f->next_sample++;
	} else {
		for (const struct fake_route *rt = f->routes; rt && rt->method; rt++) {
			if (!strcmp(rt->method, method) && !strcmp(rt->url, url)) {
				status = rt->status;
				body = rt->body;
				break;
			}
		}
	}
	pthread_mutex_unlock(&f->lock);
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (*body)
		MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fake_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static char api_dir[64];

/* A listening unix socket NAME.sock in api_dir. */
static int unix_socket(const char *name, char *path, size_t len, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(path, len, "%s/%s.sock", api_dir, name);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (listening && listen(fd, 16))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int fake_start(struct fake *f, const char *name, const struct fake_route *routes)
{
	int fd;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->routes = routes;
	fd = unix_socket(name, f->path, sizeof(f->path), true);
	if (fd < 0)
		return -1;
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fake_handler, f,
				MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
				fake_completed, NULL, MHD_OPTION_END);
	if (!f->d) {
		close(fd);
		unlink(f->path);
		return -1;
	}
	return 0;
}

static void fake_stop(struct fake *f)
{
	if (f->d)
		MHD_stop_daemon(f->d); /* closes the listening socket too */
	unlink(f->path);
	pthread_mutex_destroy(&f->lock);
}

/* A socket file nobody listens on: what a VMM killed with SIGKILL leaves. */
static void make_stale(const char *name)
{
	char path[108];
	int fd = unix_socket(name, path, sizeof(path), false);

	if (fd >= 0)
		close(fd);
}

static void setup_dir(void)
{
	snprintf(api_dir, sizeof(api_dir), "/tmp/kasou-cli-XXXXXX");
	if (!mkdtemp(api_dir))
		abort();
	setenv("KASOU_API_DIR", api_dir, 1);
}

static void cleanup_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", api_dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", api_dir);
}

/* ---- running a command with its output captured ---- */

static char out[8192], err[4096];

static void slurp(FILE *tmp, char *buf, size_t len)
{
	size_t n;

	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
}

/* fn(argv) with argv = { name, ..., NULL }; stdout in out, stderr in err. */
static int run(int (*fn)(int, char **), const char *name, ...)
{
	char *argv[32];
	int argc = 0, rc, o = dup(1), e = dup(2);
	FILE *to = tmpfile(), *te = tmpfile();
	va_list ap;

	argv[argc++] = (char *)name;
	va_start(ap, name);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(to), 1);
	dup2(fileno(te), 2);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(o);
	close(e);
	slurp(to, out, sizeof(out));
	slurp(te, err, sizeof(err));
	return rc;
}

/*
 * Does some line of `text` read, split at blanks, exactly as the words of
 * `want` (also split at blanks)? Column widths do not matter.
 */
static bool has_row(const char *text, const char *want)
{
	char buf[sizeof(out)], wbuf[512];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s1 = NULL, *s2 = NULL, *a, *b;

		snprintf(wbuf, sizeof(wbuf), "%s", want);
		a = strtok_r(line, " ", &s1);
		b = strtok_r(wbuf, " ", &s2);
		while (a && b && !strcmp(a, b)) {
			a = strtok_r(NULL, " ", &s1);
			b = strtok_r(NULL, " ", &s2);
		}
		if (!a && !b)
			return true;
	}
	return false;
}

#define CHECK_ROW(text, want)                                                          \
	do {                                                                           \
		if (!has_row(text, want) && !unit_failed++)                            \
			snprintf(unit_why, sizeof(unit_why), "%s:%d: no row \"%s\" in:\n%.8000s", \
				 __FILE__, __LINE__, want, text);                      \
	} while (0)

#define CHECK_HAS(text, want)                                                          \
	do {                                                                           \
		if (!strstr(text, want) && !unit_failed++)                             \
			snprintf(unit_why, sizeof(unit_why), "%s:%d: no \"%s\" in:\n%.8000s",     \
				 __FILE__, __LINE__, want, text);                      \
	} while (0)

/* ---- canned answers ---- */

static const struct fake_route vm1_routes[] = {
	{ "GET", "/", 200,
	  "{\"id\": \"vm1\", \"state\": \"Running\", \"vmm_version\": \"0.1.0\", "
	  "\"app_name\": \"kasou\", \"pid\": 4242, \"uptime_s\": 3725.5}" },
	{ "GET", "/machine-config", 200, "{\"vcpu_count\": 2, \"mem_size_mib\": 1024, \"smt\": false}" },
	{ "PATCH", "/vm", 204, "" },
	{ "PUT", "/actions", 204, "" },
	{ "PATCH", "/drives/disk0", 204, "" },
	{ "PATCH", "/drives/disk1", 204, "" },
	{ "PATCH", "/network-interfaces/net0", 204, "" },
	{ "PATCH", "/drives/nosuch", 400, "{\"fault_message\": \"no disk 'nosuch'\"}" },
	{ "PUT", "/broken", 500, "" },
	{ NULL, NULL, 0, NULL },
};

/* Two samples 2 s apart (server uptime): every rate below is computed from them. */
#define SAMPLE_A                                                                               \
	"{\"name\": \"vm1\", \"state\": \"Running\", \"uptime_s\": 10.0, \"boots\": 1, "        \
	"\"vcpus\": [{\"id\": 0, \"tid\": 1001, \"cpu_ns\": 1000000000, \"wait_ns\": 10000000, " \
	"\"halt_wait_ns\": 500000000, \"exits\": {\"exits\": 10000, \"io_exits\": 2000, "       \
	"\"mmio_exits\": 3000, \"halt_exits\": 1000, \"irq_exits\": 500}}, "                    \
	"{\"id\": 1, \"tid\": 1002, \"cpu_ns\": 500000000, \"wait_ns\": 0, \"halt_wait_ns\": 0, " \
	"\"exits\": {\"exits\": 100, \"io_exits\": 0, \"mmio_exits\": 0, \"halt_exits\": 0, "    \
	"\"irq_exits\": 0}}], "                                                                 \
	"\"memory\": {\"guest_bytes\": 1073741824, \"rss_bytes\": 314572800, "                  \
	"\"rss_anon_bytes\": 209715200, \"hugetlb_bytes\": 0}, "                                \
	"\"disks\": [{\"id\": \"disk0\", \"rd_reqs\": 1000, \"rd_bytes\": 4096000, "             \
	"\"rd_ns\": 100000000, \"wr_reqs\": 500, \"wr_bytes\": 0, \"wr_ns\": 0, \"fl_reqs\": 7, " \
	"\"fl_ns\": 0, \"discard_reqs\": 0, \"wz_reqs\": 0, \"errors\": 0, \"inflight\": 0, "    \
	"\"throttled\": 0, \"throttled_ns\": 0}], "                                             \
	"\"nets\": [{\"id\": \"net0\", \"link_up\": true, \"rx_packets\": 5000, \"rx_bytes\": 0, " \
	"\"rx_drops\": 0, \"rx_errors\": 0, \"tx_packets\": 1000, \"tx_bytes\": 0, "             \
	"\"tx_drops\": 0, \"tx_errors\": 0, \"rx_throttled_ns\": 0, \"tx_throttled_ns\": 0}], "  \
	"\"threads\": [{\"name\": \"vcpu0\", \"tid\": 1001, \"cpu_ns\": 1000000000}, "            \
	"{\"name\": \"vcpu1\", \"tid\": 1002, \"cpu_ns\": 500000000}, "                          \
	"{\"name\": \"kasou\", \"tid\": 1000, \"cpu_ns\": 100000000}]}"

#define SAMPLE_B                                                                               \
	"{\"name\": \"vm1\", \"state\": \"Running\", \"uptime_s\": 12.0, \"boots\": 1, "        \
	"\"vcpus\": [{\"id\": 0, \"tid\": 1001, \"cpu_ns\": 2000000000, \"wait_ns\": 30000000, " \
	"\"halt_wait_ns\": 1500000000, \"exits\": {\"exits\": 20000, \"io_exits\": 4000, "      \
	"\"mmio_exits\": 7000, \"halt_exits\": 2000, \"irq_exits\": 700}}, "                    \
	"{\"id\": 1, \"tid\": 1002, \"cpu_ns\": 900000000, \"wait_ns\": 0, \"halt_wait_ns\": 0, " \
	"\"exits\": {\"exits\": 300, \"io_exits\": 0, \"mmio_exits\": 0, \"halt_exits\": 0, "    \
	"\"irq_exits\": 0}}], "                                                                 \
	"\"memory\": {\"guest_bytes\": 1073741824, \"rss_bytes\": 314572800, "                  \
	"\"rss_anon_bytes\": 209715200, \"hugetlb_bytes\": 0}, "                                \
	"\"disks\": [{\"id\": \"disk0\", \"rd_reqs\": 1200, \"rd_bytes\": 8096000, "             \
	"\"rd_ns\": 200000000, \"wr_reqs\": 600, \"wr_bytes\": 2000000, \"wr_ns\": 100000000, "  \
	"\"fl_reqs\": 9, \"fl_ns\": 0, \"discard_reqs\": 0, \"wz_reqs\": 0, \"errors\": 0, "     \
	"\"inflight\": 3, \"throttled\": 0, \"throttled_ns\": 0}], "                            \
	"\"nets\": [{\"id\": \"net0\", \"link_up\": true, \"rx_packets\": 7000, "                \
	"\"rx_bytes\": 2500000, \"rx_drops\": 0, \"rx_errors\": 0, \"tx_packets\": 2000, "       \
	"\"tx_bytes\": 1250000, \"tx_drops\": 4, \"tx_errors\": 0, \"rx_throttled_ns\": 0, "     \
	"\"tx_throttled_ns\": 0}], "                                                            \
	"\"threads\": [{\"name\": \"vcpu0\", \"tid\": 1001, \"cpu_ns\": 2000000000}, "            \
	"{\"name\": \"vcpu1\", \"tid\": 1002, \"cpu_ns\": 900000000}, "                          \
	"{\"name\": \"kasou\", \"tid\": 1000, \"cpu_ns\": 300000000}]}"

static const char *const samples_ab[] = { SAMPLE_A, SAMPLE_B };

static struct fake fk;

/* The fake VM "vm1" in a fresh directory; false (test skipped) when MHD cannot start. */
static bool start_vm1(void)
{
	setup_dir();
	if (fake_start(&fk, "vm1", vm1_routes)) {
		cleanup_dir();
		return false;
	}
	fk.samples = samples_ab;
	fk.nsamples = 2;
	return true;
}

static void stop_vm1(void)
{
	fake_stop(&fk);
	cleanup_dir();
}

#define START_VM1()                                                                    \
	do {                                                                           \
		if (!start_vm1())                                                      \
			SKIP_TEST("libmicrohttpd would not listen on a unix socket");  \
	} while (0)

static void check_req(int i, const char *method, const char *url, const char *body)
{
	if (i >= fk.nreqs) {
		CHECK(i < fk.nreqs);
		return;
	}
	CHECK_STR(fk.reqs[i].method, method);
	CHECK_STR(fk.reqs[i].url, url);
	CHECK_STR(fk.reqs[i].body, body);
}

/* ---- tests ---- */

TEST(socket_paths)
{
	char p[108];

	unsetenv("KASOU_API_DIR");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	CHECK_EQ(client_socket_path("vm1", p, sizeof(p)), 0);
	CHECK_STR(p, "/run/user/1000/kasou/vm1.sock");
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_EQ(client_socket_path("vm1", p, sizeof(p)), 0);
	CHECK_STR(p, "/run/kasou/vm1.sock");
	setenv("KASOU_API_DIR", "/tmp/x", 1);
	CHECK_EQ(client_socket_path("vm1", p, sizeof(p)), 0);
	CHECK_STR(p, "/tmp/x/vm1.sock");
	CHECK_EQ(client_socket_path("./my.sock", p, sizeof(p)), 0);
	CHECK_STR(p, "./my.sock");
	CHECK_EQ(client_socket_path("", p, sizeof(p)), -EINVAL);
	CHECK_EQ(client_socket_path("..", p, sizeof(p)), -EINVAL);
	CHECK_EQ(client_socket_path("vm1", p, 10), -ENAMETOOLONG);
	unsetenv("KASOU_API_DIR");
}

TEST(sample_math)
{
	json_t *a = json_pack("{sIsf}", "n", (json_int_t)100, "x", 1.5);
	json_t *b = json_pack("{sIsf}", "n", (json_int_t)300, "x", 2.5);
	json_t *reset = json_pack("{sI}", "n", (json_int_t)40);
	char buf[32];

	CHECK_EQ(sample_delta(a, b, "n"), 200);
	CHECK(sample_rate(a, b, "n", 2.0) == 100.0);
	CHECK(sample_rate(a, b, "x", 0.5) == 2.0);
	CHECK_EQ(sample_delta(a, reset, "n"), 40); /* went down: counted from zero */
	CHECK(sample_rate(NULL, b, "n", 2.0) != sample_rate(NULL, b, "n", 2.0)); /* NAN */
	CHECK(sample_rate(a, b, "missing", 2.0) != sample_rate(a, b, "missing", 2.0));
	CHECK_STR(sample_fmt_bytes(buf, sizeof(buf), 512), "512");
	CHECK_STR(sample_fmt_bytes(buf, sizeof(buf), 314572800), "300.0M");
	CHECK_STR(sample_fmt_bytes(buf, sizeof(buf), 1048575), "1.0M");
	CHECK_STR(sample_fmt_bytes(buf, sizeof(buf), 1073741824), "1.0G");
	CHECK_STR(sample_fmt_uptime(buf, sizeof(buf), 12.3), "12s");
	CHECK_STR(sample_fmt_uptime(buf, sizeof(buf), 184), "3m04s");
	CHECK_STR(sample_fmt_uptime(buf, sizeof(buf), 3725.5), "1h02m");
	CHECK_STR(sample_fmt_uptime(buf, sizeof(buf), 2 * 86400 + 7200), "2d02h");
	json_decref(a);
	json_decref(b);
	json_decref(reset);
}

TEST(sample_dt_and_reboot)
{
	struct sample p = { json_pack("{sfsi}", "uptime_s", 10.0, "boots", 1), 100.0 };
	struct sample c = { json_pack("{sfsi}", "uptime_s", 12.5, "boots", 1), 101.0 };
	struct sample r = { json_pack("{sfsi}", "uptime_s", 0.5, "boots", 2), 102.0 };

	CHECK(sample_dt(&p, &c) == 2.5); /* the server's clock, not the client's */
	CHECK(sample_dt(&c, &r) == 0); /* rebuilt VM: no rates across it */
	sample_clear(&p);
	sample_clear(&c);
	sample_clear(&r);
}

TEST(list_running_and_stale)
{
	char junk[160];
	FILE *f;

	START_VM1();
	make_stale("old");
	snprintf(junk, sizeof(junk), "%s/notasocket.sock", api_dir);
	f = fopen(junk, "w");
	if (f)
		fclose(f);
	CHECK_EQ(run(cli_list, "list", NULL), 0);
	CHECK_ROW(out, "NAME STATE VCPUS MEMORY UPTIME");
	CHECK_ROW(out, "vm1 Running 2 1G 1h02m");
	CHECK_ROW(out, "old stale - - -");
	CHECK(!strstr(out, "notasocket"));
	CHECK(strncmp(out, "NAME", 4) == 0); /* header first */
	CHECK(strstr(out, "old") < strstr(out, "vm1")); /* sorted by name */
	CHECK_STR(err, "");

	CHECK_EQ(run(cli_list, "list", "--json", NULL), 0);
	CHECK_HAS(out, "{\"name\":\"old\",");
	CHECK_HAS(out, "\"state\":\"stale\"");
	CHECK_HAS(out, "\"state\":\"Running\",\"pid\":4242,\"uptime_s\":3725.5");
	CHECK_HAS(out, "\"vcpu_count\":2,\"mem_size_mib\":1024");
	CHECK(out[0] == '[' && strchr(out, '\n') == out + strlen(out) - 1);

	CHECK_EQ(run(cli_list, "list", "--bogus", NULL), 2);
	CHECK_HAS(err, "kasou: list: unexpected argument '--bogus'");
	stop_vm1();
}

TEST(list_empty_dir)
{
	setup_dir();
	CHECK_EQ(run(cli_list, "list", NULL), 0);
	CHECK_ROW(out, "NAME STATE VCPUS MEMORY UPTIME");
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	cleanup_dir();
	/* A directory that is not there yet: no VM has started. */
	CHECK_EQ(run(cli_list, "list", NULL), 0);
	CHECK_STR(err, "");
	unsetenv("KASOU_API_DIR");
}

TEST(ctl_actions)
{
	char sock[160];

	START_VM1();
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "pause", NULL), 0);
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "resume", NULL), 0);
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "shutdown", NULL), 0);
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "halt", NULL), 0);
	/* A NAME with a '/' is the socket itself. */
	snprintf(sock, sizeof(sock), "%s/vm1.sock", api_dir);
	CHECK_EQ(run(cli_ctl, "ctl", sock, "pause", NULL), 0);
	CHECK_STR(out, "");
	CHECK_STR(err, "");
	CHECK_EQ(fk.nreqs, 5);
	check_req(0, "PATCH", "/vm", "{\"state\":\"Paused\"}");
	check_req(1, "PATCH", "/vm", "{\"state\":\"Resumed\"}");
	check_req(2, "PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}");
	check_req(3, "PUT", "/actions", "{\"action_type\":\"InstanceHalt\"}");
	check_req(4, "PATCH", "/vm", "{\"state\":\"Paused\"}");

	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "reboot", NULL), 2);
	CHECK_HAS(err, "kasou: ctl: unknown command 'reboot'");
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "pause", "now", NULL), 2);
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", NULL), 2);
	CHECK_HAS(err, "usage: kasou ctl NAME");
	CHECK_EQ(fk.nreqs, 5);
	stop_vm1();
}

TEST(ctl_set)
{
	START_VM1();
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "set", "disk.disk0.iops=200", "disk.disk0.bps=10M",
		     "net.net0.tx_bps=1G", "disk.disk1.iops_rd_max=5", "net.net0.rx_pps=0", NULL),
		 0);
	CHECK_STR(err, "");
	CHECK_EQ(fk.nreqs, 3);
	/* One PATCH per disk or net, all its keys together, in the order given. */
	check_req(0, "PATCH", "/drives/disk0", "{\"iops\":200,\"bps\":10485760}");
	check_req(1, "PATCH", "/network-interfaces/net0", "{\"tx_bps\":1073741824,\"rx_pps\":0}");
	check_req(2, "PATCH", "/drives/disk1", "{\"iops_rd_max\":5}");
	stop_vm1();
}

TEST(ctl_set_refuses_bad_keys)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{ "cpu.0.affinity=2", "unknown key 'cpu.0.affinity'" },
		{ "disk.disk0=5", "unknown key 'disk.disk0'" },
		{ "iops=5", "unknown key 'iops'" },
		{ "disk.disk0.speed=1", "unknown disk limit 'speed'" },
		{ "net.net0.iops=1", "unknown net limit 'iops'" },
		{ "disk.disk0.iops=10M", "iops: '10M' is not a number" },
		{ "disk.disk0.bps=fast", "bps: 'fast' is not a byte rate" },
		{ "disk.disk0.bps=-1", "is not a byte rate" },
		{ "disk.disk0.bps=16E", "is not a byte rate" },
		{ "disk..iops=1", "disk id is 1-32 characters" },
		{ "net.a/b.tx_bps=1", "net id is 1-32 characters" },
		{ "disk.disk0.iops", "expected KEY=VALUE" },
		{ "=5", "expected KEY=VALUE" },
	};

	START_VM1();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good key first: nothing at all is sent when any key is bad. */
		CHECK_EQ(run(cli_ctl, "ctl", "vm1", "set", "disk.disk0.iops=1", bad[i].arg, NULL), 2);
		CHECK_HAS(err, bad[i].msg);
		CHECK(!strncmp(err, "kasou: ctl set: ", 16));
	}
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "set", NULL), 2);
	CHECK_HAS(err, "at least one KEY=VALUE");
	CHECK_EQ(fk.nreqs, 0);
	stop_vm1();
}

TEST(errors)
{
	START_VM1();
	make_stale("dead");
	/* No such VM */
	CHECK_EQ(run(cli_ctl, "ctl", "nosuch", "pause", NULL), 1);
	CHECK_HAS(err, "kasou: no VM 'nosuch' (no socket ");
	CHECK(strchr(err, '\n') == err + strlen(err) - 1); /* one line */
	CHECK_EQ(run(cli_stats, "stats", "nosuch", NULL), 1);
	CHECK_HAS(err, "kasou: no VM 'nosuch'");
	/* A stale socket */
	CHECK_EQ(run(cli_ctl, "ctl", "dead", "halt", NULL), 1);
	CHECK_HAS(err, "kasou: VM 'dead' is not running (stale socket ");
	/* The server's fault_message, as it said it */
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "set", "disk.nosuch.iops=1", NULL), 1);
	CHECK_STR(err, "kasou: vm1: disk 'nosuch': no disk 'nosuch'\n");
	CHECK_EQ(run(cli_ctl, "ctl", "vm1", "set", "disk.disk0.iops=1", "disk.nosuch.iops=1", NULL),
		 1);
	CHECK_HAS(err, "no disk 'nosuch'");
	CHECK_HAS(err, "(the changes before it were applied)");
	stop_vm1();
}

TEST(errors_without_fault_message)
{
	static const struct fake_route routes[] = {
		{ "PATCH", "/vm", 500, "" },
		{ "PUT", "/actions", 400, "{\"fault_message\": \"VM is not running\"}" },
		{ "GET", "/vm/stats", 503, "busy\nmore" },
		{ NULL, NULL, 0, NULL },
	};

	setup_dir();
	if (fake_start(&fk, "vm2", routes)) {
		cleanup_dir();
		SKIP_TEST("libmicrohttpd would not listen on a unix socket");
	}
	CHECK_EQ(run(cli_ctl, "ctl", "vm2", "pause", NULL), 1);
	CHECK_STR(err, "kasou: vm2: pause: PATCH /vm: HTTP 500\n");
	CHECK_EQ(run(cli_ctl, "ctl", "vm2", "shutdown", NULL), 1);
	CHECK_STR(err, "kasou: vm2: shutdown: VM is not running\n");
	CHECK_EQ(run(cli_stats, "stats", "vm2", "--json", NULL), 1);
	CHECK_STR(err, "kasou: vm2: GET /vm/stats: HTTP 503: busy\n");
	fake_stop(&fk);
	cleanup_dir();
}

TEST(stats_json_passthrough)
{
	static const char *const pretty[] = { "{\n  \"name\": \"vm1\",\n  \"uptime_s\": 1.5\n}\n" };
	char want[sizeof(SAMPLE_A) + sizeof(SAMPLE_B) + 2];

	START_VM1();
	CHECK_EQ(run(cli_stats, "stats", "vm1", "--json", NULL), 0);
	CHECK_STR(out, SAMPLE_A "\n");
	/* --interval: one line per sample (newline-delimited JSON) */
	fk.next_sample = 0;
	CHECK_EQ(run(cli_stats, "stats", "--json", "vm1", "--interval", "0.01", "--count", "2",
		     NULL),
		 0);
	snprintf(want, sizeof(want), "%s\n%s\n", SAMPLE_A, SAMPLE_B);
	CHECK_STR(out, want);
	/* A sample that spans lines is put on one. */
	fk.samples = pretty;
	fk.nsamples = 1;
	fk.next_sample = 0;
	CHECK_EQ(run(cli_stats, "stats", "vm1", "--json", NULL), 0);
	CHECK_STR(out, "{\"name\":\"vm1\",\"uptime_s\":1.5}\n");
	stop_vm1();
}

TEST(stats_rates)
{
	START_VM1();
	CHECK_EQ(run(cli_stats, "stats", "vm1", "--interval", "0.01", "--count", "1", NULL), 0);
	CHECK_STR(err, "");
	/* 80% = vcpu0 50% + vcpu1 20% + the VMM thread 10%, over the server's 2 s */
	CHECK_HAS(out, "vm1: Running, up 12s, boots 1, CPU 80.0% over 2.00 s\n");
	CHECK_ROW(out, "VCPU TID CPU% WAIT% HALT% EXITS/s IO/s MMIO/s HALT/s IRQ/s");
	CHECK_ROW(out, "0 1001 50.0 1.0 50.0 5000 1000 2000 500 100");
	CHECK_ROW(out, "1 1002 20.0 0.0 0.0 100 0 0 0 0");
	CHECK_ROW(out, "kasou 1000 10.0");
	CHECK_ROW(out, "MEMORY guest 1.0G rss 300.0M anon 200.0M hugetlb 0");
	/* 200 reads of 4 MB in 2 s: 100 IOPS, 2.0 MB/s, 0.50 ms each */
	CHECK_ROW(out, "disk0 100 50 2.0 1.0 0.50 1.00 3 0 0");
	/* 2.5 MB in 2 s = 10 Mbit/s */
	CHECK_ROW(out, "net0 1000 500 10.0 5.0 2 up");
	CHECK_EQ(fk.nreqs, 2);
	stop_vm1();
}

TEST(stats_totals)
{
	START_VM1();
	CHECK_EQ(run(cli_stats, "stats", "vm1", NULL), 0);
	CHECK_HAS(out, "vm1: Running, up 10s, boots 1, CPU time 1.60 s\n");
	CHECK_ROW(out, "VCPU TID CPU s WAIT s HALT s EXITS IO MMIO HALT IRQ");
	CHECK_ROW(out, "0 1001 1.00 0.01 0.50 10000 2000 3000 1000 500");
	CHECK_ROW(out, "disk0 1000 500 3.9M 0 7 0 0 0");
	CHECK_ROW(out, "net0 5000 1000 0 0 0 0 up");
	CHECK_EQ(fk.nreqs, 1);

	CHECK_EQ(run(cli_stats, "stats", "vm1", "--count", "2", NULL), 2);
	CHECK_HAS(err, "--count needs --interval");
	CHECK_EQ(run(cli_stats, "stats", "vm1", "--interval", "0", NULL), 2);
	CHECK_EQ(run(cli_stats, "stats", "vm1", "--interval", "x", NULL), 2);
	CHECK_EQ(run(cli_stats, "stats", "--what", "vm1", NULL), 2);
	CHECK_HAS(err, "unknown or incomplete option '--what'");
	CHECK_EQ(run(cli_stats, "stats", NULL), 2);
	CHECK_EQ(run(cli_stats, "stats", "vm1", "vm2", NULL), 2);
	stop_vm1();
}

TEST(top_once)
{
	START_VM1();
	make_stale("zombie");
	CHECK_EQ(run(cli_top, "top", "--once", "--interval", "0.01", NULL), 0);
	CHECK_STR(err, "");
	CHECK_ROW(out, "NAME STATE CPU% EXITS/s RD MB/s WR MB/s RX Mbit/s TX Mbit/s RSS");
	CHECK_ROW(out, "vm1 Running 80.0 5100 2.0 1.0 10.0 5.0 300.0M");
	CHECK_ROW(out, "vcpu0 50.0 5000");
	CHECK_ROW(out, "vcpu1 20.0 100");
	CHECK(!strstr(out, "zombie")); /* stale sockets are left out */
	CHECK(!strchr(out, '\033')); /* no screen handling */

	CHECK_EQ(run(cli_top, "top", "--interval", "0.1", NULL), 2); /* not a terminal */
	CHECK_HAS(err, "needs a terminal");
	CHECK_EQ(run(cli_top, "top", "extra", NULL), 2);
	stop_vm1();
}

TEST(top_sorts)
{
	static const char *const big[] = {
		"{\"name\": \"aaa\", \"state\": \"Paused\", \"uptime_s\": 1, \"boots\": 1, "
		"\"memory\": {\"rss_bytes\": 2147483648}, \"threads\": [{\"name\": \"kasou\", "
		"\"tid\": 7, \"cpu_ns\": 0}]}",
	};
	struct fake other;
	char *a, *v;

	START_VM1();
	if (fake_start(&other, "aaa", NULL)) {
		stop_vm1();
		SKIP_TEST("second fake server");
	}
	other.samples = big;
	other.nsamples = 1;
	/* CPU first: vm1 (80%) before aaa (0%) */
	CHECK_EQ(run(cli_top, "top", "--once", "--interval", "0.01", NULL), 0);
	a = strstr(out, "\naaa ");
	v = strstr(out, "\nvm1 ");
	CHECK(a && v && v < a);
	CHECK_ROW(out, "aaa Paused 0.0 - - - - - 2.0G");
	fake_stop(&other);
	stop_vm1();
}

/* Read the pty until `want` shows up (or 5 s pass); the bytes seen go to out. */
static bool pty_wait_for(int fd, const char *want)
{
	size_t len = 0;

	out[0] = 0;
	for (int i = 0; i < 500 && !strstr(out, want); i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(fd, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = 0;
		if (len > sizeof(out) / 2) { /* keep the tail */
			memmove(out, out + len - 1024, 1024);
			len = 1024;
			out[len] = 0;
		}
	}
	return strstr(out, want) != NULL;
}

/* top on a terminal: raw while it runs, restored on q and on SIGTERM. */
TEST(top_screen)
{
	static const char *const how[] = { "q", "SIGTERM", "Ctrl-C" };

	START_VM1();
	fk.nsamples = 1; /* the same sample over and over */
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		struct winsize ws = { .ws_row = 20, .ws_col = 100 };
		struct termios during, after;
		int fd, status = -1;
		pid_t pid = forkpty(&fd, NULL, NULL, &ws);

		if (pid < 0) {
			stop_vm1();
			SKIP_TEST("forkpty: %s", strerror(errno));
		}
		if (pid == 0) {
			char *argv[] = { "top", "--interval", "0.05", NULL };

			_exit(cli_top(3, argv));
		}
		CHECK(pty_wait_for(fd, "vcpu1"));
		CHECK_HAS(out, "\033[?1049h"); /* alternate screen */
		tcgetattr(fd, &during);
		CHECK(!(during.c_lflag & (ICANON | ECHO | ISIG)));
		CHECK_HAS(out, "sorted by CPU");
		if (i == 0) {
			CHECK(write(fd, "n", 1) == 1);
			CHECK(pty_wait_for(fd, "sorted by name"));
			CHECK(write(fd, "q", 1) == 1);
		} else if (i == 1) {
			kill(pid, SIGTERM);
		} else {
			CHECK(write(fd, "\003", 1) == 1);
		}
		CHECK(pty_wait_for(fd, "\033[?1049l"));
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		tcgetattr(fd, &after);
		/* forkpty's terminal starts cooked: it must be cooked again */
		CHECK_EQ(after.c_lflag & (ICANON | ECHO | ISIG), ICANON | ECHO | ISIG);
		CHECK(after.c_oflag & OPOST);
		CHECK(after.c_iflag & ICRNL);
		close(fd);
	}
	stop_vm1();
}

UNIT_MAIN("cli_client", T(socket_paths), T(sample_math), T(sample_dt_and_reboot),
	  T(list_running_and_stale), T(list_empty_dir), T(ctl_actions), T(ctl_set),
	  T(ctl_set_refuses_bad_keys), T(errors), T(errors_without_fault_message),
	  T(stats_json_passthrough), T(stats_rates), T(stats_totals), T(top_once), T(top_sorts), T(top_screen))
