// SPDX-License-Identifier: GPL-2.0-only
/* kasou: a virtual machine monitor for Linux/KVM. Subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/host.h"
#include "cli/remote.h"
#include "util/log.h"

#ifndef KASOU_VERSION
#define KASOU_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	cli_usage(f);
	cli_remote_usage(f);
	cli_host_usage(f);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cli_run },
	{ "list", cli_list },
	{ "ctl", cli_ctl },
	{ "stats", cli_stats },
	{ "top", cli_top },
	{ "host", cli_host },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kasou %s\n", KASOU_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
