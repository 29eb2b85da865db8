/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The commands that talk to running VMs over their API socket (client.h):
 * `kasou list`, `kasou ctl`, `kasou stats`, `kasou top`. Each takes its own
 * argv (argv[0] is the command name), prints to stdout, reports failures as
 * one "kasou: ..." line on stderr and returns an exit code: 0 ok,
 * EXIT_HOST_ERROR (1) when the VM is missing or the request failed,
 * EXIT_USAGE (2) for bad arguments.
 */
#ifndef KASOU_CLI_REMOTE_H
#define KASOU_CLI_REMOTE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

int cli_list(int argc, char **argv);
int cli_ctl(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_top(int argc, char **argv);
/* The usage lines of these commands (after cli_usage()'s). */
void cli_remote_usage(FILE *f);

/* Shared option parsing: "--interval S" (0 < S <= 3600, decimals allowed). */
int cli_parse_interval(const char *s, double *out);

/*
 * Loops that run until Ctrl-C: cli_remote_catch(true) makes SIGINT, SIGTERM
 * and SIGHUP set cli_remote_stop instead of killing the process (so the
 * terminal and buffered output are put right); cli_remote_catch(false) puts
 * the previous handlers back.
 */
extern volatile sig_atomic_t cli_remote_stop;
void cli_remote_catch(bool on);
double cli_remote_now(void); /* CLOCK_MONOTONIC, seconds */
/* Sleep until cli_remote_now() >= deadline; false when asked to stop. */
bool cli_remote_sleep_until(double deadline);

/* Report a failed request on c as one line (the server's fault_message
 * prefixed by the VM's name and `what`); returns EXIT_HOST_ERROR. */
struct client;
int cli_remote_fail(const struct client *c, int rc, const char *what);

#endif
