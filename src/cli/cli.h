/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command line front end. cli_parse_run() turns `kasou run` options into a
 * validated struct vm_config (pure apart from messages on stderr; unit
 * tested with every bad case). cli_run() executes it. Exit codes:
 * 0 guest powered off, 1 host error, 2 usage error, 3 KVM internal error,
 * 128+N stopped by signal N.
 */
#ifndef KASOU_CLI_CLI_H
#define KASOU_CLI_CLI_H

#include <stdio.h>

#include "config/config.h"

#define EXIT_HOST_ERROR 1
#define EXIT_USAGE 2
#define EXIT_KVM_ERROR 3

#define CLI_DEFAULT_CMDLINE "console=ttyS0"

/* 0 on success; EXIT_USAGE after printing one line (and usage when asked). */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg);
int cli_run(int argc, char **argv);
void cli_usage(FILE *f);

#endif
