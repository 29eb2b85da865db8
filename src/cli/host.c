// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kasou host vfio-bind|vfio-unbind|sriov|list-pci`: the host side of PCI
 * passthrough (host/hostpci.h does the work; this file parses and prints).
 */
#include "cli/host.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "host/hostpci.h"
#include "util/log.h"

void cli_host_usage(FILE *f)
{
	fputs("\n"
	      "       kasou host vfio-bind ADDR\n"
	      "       kasou host vfio-unbind ADDR\n"
	      "       kasou host sriov ADDR [--vfs N [--autoprobe|--no-autoprobe]]\n"
	      "       kasou host list-pci\n"
	      "\n"
	      "  ADDR is a host PCI function: DDDD:BB:DD.F, BB:DD.F or /sys/bus/pci/devices/...\n"
	      "  vfio-bind         hand it to vfio-pci (for --device vfio=ADDR); its driver is\n"
	      "                    recorded, and the group members that keep its IOMMU group\n"
	      "                    from use are named\n"
	      "  vfio-unbind       give it back to the driver it had before vfio-bind\n"
	      "  sriov             list its SR-IOV virtual functions; --vfs N makes N of them\n"
	      "                    (0 removes them), without drivers claiming them unless\n"
	      "                    --autoprobe\n"
	      "  list-pci          every PCI function: ADDRESS CLASS ID DRIVER IOMMU-GROUP\n",
	      f);
}

static int host_usage(const char *why)
{
	log_error("host: %s (usage: kasou host vfio-bind|vfio-unbind ADDR | sriov ADDR "
		  "[--vfs N [--no-autoprobe|--autoprobe]] | list-pci)",
		  why);
	return EXIT_USAGE;
}

/* argv[1] as an address, nothing after it. */
static int one_addr(int argc, char **argv, char addr[HOSTPCI_ADDR_LEN])
{
	char err[HOSTPCI_ERR_LEN];

	if (argc < 2)
		return host_usage("missing PCI address");
	if (argc > 2) {
		log_error("host %s: unexpected argument '%s'", argv[0], argv[2]);
		return EXIT_USAGE;
	}
	if (hostpci_parse_addr(argv[1], addr, err)) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int host_vfio_bind(int argc, char **argv)
{
	char addr[HOSTPCI_ADDR_LEN], err[HOSTPCI_ERR_LEN], state[PATH_MAX];
	struct hostpci_bind res;
	struct hostpci hp;
	int rc = one_addr(argc, argv, addr);

	if (rc)
		return rc;
	hostpci_init(&hp);
	hostpci_vfio_state_dir(state);
	if (hostpci_vfio_bind(&hp, state, addr, &res, err)) {
		log_error("%s", err);
		return EXIT_HOST_ERROR;
	}
	if (res.already)
		printf("%s: already bound to vfio-pci\n", addr);
	else
		printf("%s: bound to vfio-pci (was %s)\n", addr, res.was[0] ? res.was : "no driver");
	printf("IOMMU group %d: /dev/vfio/%d\n", res.group, res.group);
	fflush(stdout);
	if (res.blockers[0])
		log_warn("IOMMU group %d is not usable yet: also bind %s to vfio-pci (or unbind "
			 "them) before passing %s through",
			 res.group, res.blockers, addr);
	return 0;
}

static int host_vfio_unbind(int argc, char **argv)
{
	char addr[HOSTPCI_ADDR_LEN], err[HOSTPCI_ERR_LEN], state[PATH_MAX];
	struct hostpci_unbind res;
	struct hostpci hp;
	int rc = one_addr(argc, argv, addr);

	if (rc)
		return rc;
	hostpci_init(&hp);
	hostpci_vfio_state_dir(state);
	if (hostpci_vfio_unbind(&hp, state, addr, &res, err)) {
		log_error("%s", err);
		return EXIT_HOST_ERROR;
	}
	printf("%s: unbound from vfio-pci, driver now %s\n", addr, res.now[0] ? res.now : "none");
	fflush(stdout);
	if (res.had_record && strcmp(res.recorded, res.now))
		log_warn("%s had %s before vfio-bind, now %s", addr,
			 res.recorded[0] ? res.recorded : "no driver",
			 res.now[0] ? res.now : "no driver");
	return 0;
}

static void print_vfs(const struct hostpci *hp, const char *addr)
{
	struct hostpci_vf *vfs;
	int n = hostpci_sriov_vfs(hp, addr, &vfs);

	if (n < 0) {
		log_warn("%s: cannot list its VFs: %s", addr, strerror(-n));
		return;
	}
	if (n)
		printf("VF  ADDRESS       ID         DRIVER          IOMMU-GROUP\n");
	for (int i = 0; i < n; i++) {
		char group[16] = "-";

		if (vfs[i].group >= 0)
			snprintf(group, sizeof(group), "%d", vfs[i].group);
		printf("%-3d %-13s %-10s %-15s %s\n", vfs[i].index, vfs[i].addr, vfs[i].ids,
		       vfs[i].driver[0] ? vfs[i].driver : "-", group);
	}
	free(vfs);
}

static int parse_vfs(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 65535)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int host_sriov(int argc, char **argv)
{
	char addr[HOSTPCI_ADDR_LEN] = "", err[HOSTPCI_ERR_LEN];
	struct hostpci_sriov info;
	struct hostpci hp;
	int num = -1, autoprobe = 0;
	bool probe_opt = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--vfs") || !strncmp(a, "--vfs=", 6)) {
			const char *v = a[5] == '=' ? a + 6 : i + 1 < argc ? argv[++i] : NULL;

			if (!v)
				return host_usage("--vfs needs a number");
			if (parse_vfs(v, &num)) {
				log_error("host sriov: --vfs '%s' is not a number of VFs (0-65535)", v);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--autoprobe") || !strcmp(a, "--no-autoprobe")) {
			autoprobe = !strcmp(a, "--autoprobe");
			probe_opt = true;
		} else if (a[0] == '-' && a[1]) {
			log_error("host sriov: unknown option '%s'", a);
			return EXIT_USAGE;
		} else if (addr[0]) {
			log_error("host sriov: unexpected argument '%s'", a);
			return EXIT_USAGE;
		} else if (hostpci_parse_addr(a, addr, err)) {
			log_error("%s", err);
			return EXIT_USAGE;
		}
	}
	if (!addr[0])
		return host_usage("missing PCI address");
	if (probe_opt && num < 0)
		return host_usage("--autoprobe/--no-autoprobe go with --vfs N");
	hostpci_init(&hp);
	if (num >= 0 && hostpci_sriov_set(&hp, addr, num, autoprobe, err)) {
		log_error("%s", err);
		return EXIT_HOST_ERROR;
	}
	if (hostpci_sriov_info(&hp, addr, &info, err)) {
		log_error("%s", err);
		return EXIT_HOST_ERROR;
	}
	printf("%s: %d of %d VFs, drivers_autoprobe %s\n", addr, info.num, info.total,
	       info.autoprobe < 0 ? "?" : info.autoprobe ? "on" : "off");
	print_vfs(&hp, addr);
	fflush(stdout);
	return 0;
}

static int host_list_pci(int argc, char **argv)
{
	char (*addrs)[HOSTPCI_ADDR_LEN];
	struct hostpci hp;
	int n;

	if (argc > 1) {
		log_error("host list-pci: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	hostpci_init(&hp);
	n = hostpci_list(&hp, "bus/pci/devices", &addrs);
	if (n < 0) {
		log_error("%s/bus/pci/devices: %s", hp.root, strerror(-n));
		return EXIT_HOST_ERROR;
	}
	printf("ADDRESS       CLASS   ID         DRIVER          IOMMU-GROUP\n");
	for (int i = 0; i < n; i++) {
		char cls[16], ids[16], drv[HOSTPCI_NAME_LEN] = "", group[16] = "-";
		int g = hostpci_group(&hp, addrs[i]);

		if (hostpci_read_attr(&hp, addrs[i], "class", cls, sizeof(cls)) <= 0)
			snprintf(cls, sizeof(cls), "?");
		hostpci_ids(&hp, addrs[i], ids);
		if (hostpci_driver(&hp, addrs[i], drv))
			snprintf(drv, sizeof(drv), "?");
		if (g >= 0)
			snprintf(group, sizeof(group), "%d", g);
		printf("%-13s %-7s %-10s %-15s %s\n", addrs[i],
		       cls[0] == '0' && cls[1] == 'x' ? cls + 2 : cls, ids, drv[0] ? drv : "-",
		       group);
	}
	fflush(stdout);
	free(addrs);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} host_commands[] = {
	{ "vfio-bind", host_vfio_bind },
	{ "vfio-unbind", host_vfio_unbind },
	{ "sriov", host_sriov },
	{ "list-pci", host_list_pci },
};

int cli_host(int argc, char **argv)
{
	if (argc < 2)
		return host_usage("missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		cli_host_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(host_commands) / sizeof(host_commands[0]); i++)
		if (!strcmp(argv[1], host_commands[i].name))
			return host_commands[i].fn(argc - 1, argv + 1);
	char why[128];

	snprintf(why, sizeof(why), "unknown command '%.64s'", argv[1]);
	return host_usage(why);
}
