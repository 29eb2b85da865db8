// SPDX-License-Identifier: GPL-2.0-only
/* kasou: a virtual machine monitor for Linux/KVM. Subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

#ifndef KASOU_VERSION
#define KASOU_VERSION "0.1.0"
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kasou %s\n", KASOU_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		cli_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cli_run(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	cli_usage(stderr);
	return EXIT_USAGE;
}
