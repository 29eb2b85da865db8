// SPDX-License-Identifier: GPL-2.0-only
/* What list, ctl, stats and top share: usage text, --interval, the paced sleep. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/remote.h"
#include "util/log.h"
#include "util/time.h"

void cli_remote_usage(FILE *f)
{
	fputs("\n"
	      "       kasou list [--json]\n"
	      "       kasou ctl NAME pause|resume|shutdown|halt\n"
	      "       kasou ctl NAME set KEY=VALUE...\n"
	      "       kasou stats NAME [--json] [--interval S [--count N]]\n"
	      "       kasou top [--interval S] [--once]\n"
	      "\n"
	      "  NAME is a VM's --name (its socket is $KASOU_API_DIR, else $XDG_RUNTIME_DIR/kasou,\n"
	      "  else /run/kasou, then NAME.sock), or a socket path when it contains a '/'.\n"
	      "  list              every VM: NAME STATE VCPUS MEMORY UPTIME (stale: its VMM died)\n"
	      "  ctl pause|resume  stop / continue the vCPUs\n"
	      "  ctl shutdown      press the ACPI power button (hard stop after the VM's\n"
	      "                    --shutdown-timeout); ctl halt stops the VM at once\n"
	      "  ctl set           live limits: disk.ID.{bps,bps_rd,bps_wr,iops,iops_rd,iops_wr}\n"
	      "                    and net.ID.{rx_bps,tx_bps,rx_pps,tx_pps}, each also with _max\n"
	      "                    (burst); bytes take sizes (10M), 0 = unlimited\n"
	      "  stats             vCPUs, exits, memory, disks, nets: totals, or rates every S\n"
	      "                    seconds with --interval (until Ctrl-C or N reports); --json\n"
	      "                    prints each raw sample as one line. MB = 10^6 bytes\n"
	      "  top               all VMs, refreshed every S seconds (default 2); keys: c CPU,\n"
	      "                    m memory, n name (sort), q quit; --once prints one table\n",
	      f);
}

int cli_parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_remote_fail(const struct client *c, int rc, const char *what)
{
	/* Transport errors already name the VM; the server's words do not. */
	bool answered = rc == -EPROTO || rc == -EBADMSG;

	if (answered && what)
		log_error("%s: %s: %s", c->name, what, c->err);
	else if (answered)
		log_error("%s: %s", c->name, c->err);
	else
		log_error("%s", c->err);
	return EXIT_HOST_ERROR;
}

volatile sig_atomic_t cli_remote_stop;

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction saved_actions[3];

static void on_stop_signal(int sig)
{
	cli_remote_stop = 1;
}

void cli_remote_catch(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: sleeps and polls return early */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		if (on)
			sigaction(stop_signals[i], &sa, &saved_actions[i]);
		else
			sigaction(stop_signals[i], &saved_actions[i], NULL);
	}
	if (on)
		cli_remote_stop = 0;
}

double cli_remote_now(void)
{
	return (double)mono_ns() / 1e9;
}

bool cli_remote_sleep_until(double deadline)
{
	struct timespec ts;

	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (!cli_remote_stop) {
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (rc != EINTR)
			break;
	}
	return !cli_remote_stop;
}
