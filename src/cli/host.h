/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `kasou host ...`: preparing the host for PCI passthrough (host/hostpci.h).
 * Takes its own argv (argv[0] is "host"), prints results on stdout, warnings
 * and failures as "kasou: ..." lines on stderr; returns 0, EXIT_HOST_ERROR
 * (1) when the host refused or lacks something, EXIT_USAGE (2) for bad
 * arguments. Sysfs is $KASOU_SYSFS (default /sys); the original drivers are
 * recorded in $KASOU_VFIO_STATE_DIR (default /run/kasou/vfio).
 */
#ifndef KASOU_CLI_HOST_H
#define KASOU_CLI_HOST_H

#include <stdio.h>

int cli_host(int argc, char **argv);
void cli_host_usage(FILE *f);

#endif
