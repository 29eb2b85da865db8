// SPDX-License-Identifier: GPL-2.0-only
/* `kasou run`: options -> vm_config -> boot loop (reboot = new VM). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/cpuid.h"
#include "api/routes.h"
#include "api/server.h"
#include "backend/term.h"
#include "resources/affinity.h"
#include "resources/cgroup.h"
#include "cli/cli.h"
#include "sandbox/jail.h"
#include "sandbox/seccomp.h"
#include "util/file.h"
#include "util/log.h"
#include "vmm/kvm.h"
#include "vmm/vm.h"

#define KERNEL_MAX (512ULL << 20)

enum {
	OPT_KERNEL = 0x100,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_NAME,
	OPT_NO_REBOOT,
	OPT_CONSOLE,
	OPT_HELP,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_DISK,
	OPT_RNG,
	OPT_NET,
	OPT_CONFIG,
	OPT_PRINT_CONFIG,
	OPT_API_SOCKET,
	OPT_METRICS_LISTEN,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_SECCOMP,
	OPT_USER,
	OPT_CHROOT,
	OPT_EMULATOR,
	OPT_IOTHREADS,
	OPT_BALLOON,
	OPT_DEVICE,
	OPT_NUMA,
	OPT_CGROUP,
};

static const struct option run_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "net", required_argument, NULL, OPT_NET },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "user", required_argument, NULL, OPT_USER },
	{ "chroot", required_argument, NULL, OPT_CHROOT },
	{ "emulator", required_argument, NULL, OPT_EMULATOR },
	{ "iothreads", required_argument, NULL, OPT_IOTHREADS },
	{ "balloon", optional_argument, NULL, OPT_BALLOON },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "numa", required_argument, NULL, OPT_NUMA },
	{ "cgroup", optional_argument, NULL, OPT_CGROUP },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("usage: kasou run --kernel PATH [--initrd PATH] [--cmdline STR] [--cpus N]\n"
	      "                 [--memory SIZE] [--name NAME] [--no-reboot]\n"
	      "                 [--console serial|virtio|off] [--disk OPTS]... [--net OPTS]...\n"
	      "                 [--rng]\n"
	      "                 [--verbose|--quiet]\n"
	      "       kasou --version | --help\n"
	      "\n"
	      "  --kernel PATH     Linux bzImage or ELF vmlinux (x86-64)\n"
	      "  --initrd PATH     initial ramdisk\n"
	      "  --cmdline STR     kernel command line (default \"" CLI_DEFAULT_CMDLINE "\")\n"
	      "  --cpus N | boot=N[,max=M][,topology=SOCKETS:DIES:CORES:THREADS]\n"
	      "         [,model=host|base][,pmu=on|off][,affinity=[VCPU@[HOSTCPUS],...]]\n"
	      "                    vCPUs (default 1), their topology, CPU model and pinning\n"
	      "  --emulator affinity=HOSTCPUS   pin kasou's other threads (main loop, API)\n"
	      "  --iothreads [N,]affinity=HOSTCPUS  pin the device queue threads\n"
	      "  --memory SIZE | size=SIZE[,hugepages=off|2M|1G][,thp=on|off][,prefault=on]\n"
	      "           [,locked=on][,merge=on|off][,numa-policy=bind|preferred|interleave]\n"
	      "           [,host-nodes=LIST][,shared=on]\n"
	      "                    guest RAM (default 512M) and how the host backs it\n"
	      "  --cgroup[=path=DIR,cpu.weight=N,cpu.max=20%|Q/P,memory.max=SIZE,memory.high=SIZE,\n"
	      "           memory.min=SIZE,memory.swap.max=SIZE,io.weight=N,io.max=MAJ:MIN:rbps=N:...,\n"
	      "           threads=on,...]   a cgroup v2 group for the VM (removed at exit)\n"
	      "  --numa node=ID,cpus=LIST,memory=SIZE[,host-nodes=LIST][,distance=N@D:...]\n"
	      "                    a guest NUMA node (repeatable; SRAT/SLIT)\n"
	      "  --name NAME       VM name (default \"kasou\")\n"
	      "  --no-reboot       exit when the guest reboots instead of restarting it\n"
	      "  --console MODE    serial: COM1 on stdin/stdout (Ctrl-A x quits); virtio:\n"
	      "                    virtio-console (hvc0) on stdin/stdout; off\n"
	      "  --disk path=FILE[,id=NAME][,readonly=on][,cache=none|writeback|writethrough|\n"
	      "         directsync|unsafe][,aio=threads|io_uring][,queues=N][,queue_size=N]\n"
	      "         [,serial=STR][,discard=on|off][,iops=N][,iops_rd=N][,iops_wr=N]\n"
	      "         [,bps=N][,bps_rd=N][,bps_wr=N][,iops_max=N][,bps_max=N]...\n"
	      "                    a virtio-blk disk (repeatable)\n"
	      "  --net tap=NAME|fd=N|user[,id=NAME][,mac=MAC][,queues=N][,queue_size=N]\n"
	      "        [,vhost=on|off][,mtu=N][,hostfwd=tcp:HOSTPORT-:GUESTPORT]...\n"
	      "        [,rx_bps=N][,tx_bps=N][,rx_pps=N][,tx_pps=N]\n"
	      "                    a virtio-net interface (repeatable)\n"
	      "  --rng             a virtio-rng device fed by getrandom()\n"
	      "  --balloon[=size=SIZE,deflate_on_oom=on,free_page_reporting=on,stats_period=S]\n"
	      "                    a virtio-balloon device (kasou ctl NAME set balloon=SIZE)\n"
	      "  --device vfio=DDDD:BB:DD.F[,id=NAME][,rombar=on|off][,x-no-mmap=on]\n"
	      "                    pass a host PCI device through (bound to vfio-pci: kasou host\n"
	      "                    vfio-bind); repeatable\n"
	      "  --config FILE     JSON configuration (same schema); options given here override it\n"
	      "  --print-config    print the effective configuration as JSON and exit\n"
	      "  --api-socket PATH HTTP/JSON control socket (default $XDG_RUNTIME_DIR/kasou/NAME.sock\n"
	      "                    or /run/kasou/NAME.sock; \"none\" for none)\n"
	      "  --metrics-listen ADDR:PORT  Prometheus metrics over TCP too\n"
	      "  --user USER[:GROUP]  drop to this user after opening devices and images\n"
	      "  --chroot DIR      and chroot into DIR (paths reopened on a guest reboot resolve\n"
	      "                    inside it)\n"
	      "  --seccomp on|log|off  system call filters (default on): a call outside them stops\n"
	      "                    kasou naming it (on), or is logged by the kernel (log)\n"
	      "  --shutdown-timeout S  seconds a guest gets to power off after the power button\n"
	      "                    (SIGTERM, kasou ctl NAME shutdown) before a hard stop (default 10)\n",
	      f);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_error("%s", buf);
	return EXIT_USAGE;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = strdup(src);
	if (!*dst)
		abort(); /* out of memory while parsing options */
}

/* Lists given on the command line replace those of a --config file. */
struct parse_state {
	bool cli_disks, cli_nets, print_config;
};

static int parse_one(int opt, const char *arg, struct vm_config *cfg, struct parse_state *st)
{
	uint64_t v;

	switch (opt) {
	case OPT_KERNEL:
	case OPT_INITRD:
		if (!*arg)
			return bad("--%s needs a path", opt == OPT_KERNEL ? "kernel" : "initrd");
		set_str(opt == OPT_KERNEL ? &cfg->kernel : &cfg->initrd, arg);
		return 0;
	case OPT_CMDLINE:
		set_str(&cfg->cmdline, arg);
		return 0;
	case OPT_NAME:
		if (!*arg || strlen(arg) > 64 || strpbrk(arg, "/ \t\n"))
			return bad("--name '%s': use 1-64 characters, no '/' or spaces", arg);
		set_str(&cfg->name, arg);
		return 0;
	case OPT_CPUS: {
		char why[CONFIG_ERR_LEN];

		if (config_parse_cpus(arg, cfg, why))
			return bad("--cpus %s", why);
		return 0;
	}
	case OPT_BALLOON: {
		char why[CONFIG_ERR_LEN];

		if (config_parse_balloon(arg ? arg : "", &cfg->balloon, why))
			return bad("--balloon %s", why);
		if (cfg->balloon.size > cfg->mem_size)
			return bad("--balloon size: larger than --memory");
		return 0;
	}
	case OPT_DEVICE: {
		char why[CONFIG_ERR_LEN];
		struct vfio_config dv;

		if (cfg->nr_vfio >= CONFIG_MAX_VFIO)
			return bad("--device: at most %d passed-through devices", CONFIG_MAX_VFIO);
		if (config_parse_device(arg, cfg->nr_vfio, &dv, why))
			return bad("--device '%s': %s", arg, why);
		for (unsigned int i = 0; i < cfg->nr_vfio; i++)
			if (!strcmp(cfg->vfio[i].addr, dv.addr) || !strcmp(cfg->vfio[i].id, dv.id))
				return bad("--device '%s': %s given twice", arg,
					   strcmp(cfg->vfio[i].addr, dv.addr) ? "id" : "device");
		cfg->vfio[cfg->nr_vfio++] = dv;
		return 0;
	}
	case OPT_EMULATOR:
	case OPT_IOTHREADS: {
		char why[CONFIG_ERR_LEN];

		if ((opt == OPT_EMULATOR ? config_parse_emulator : config_parse_iothreads)(arg, cfg, why))
			return bad("%s", why);
		return 0;
	}
	case OPT_MEMORY: {
		char why[CONFIG_ERR_LEN];

		if (config_parse_memory(arg, cfg, why))
			return bad("--memory %s", why);
		return 0;
	}
	case OPT_CGROUP: {
		char why[CONFIG_ERR_LEN];

		if (config_parse_cgroup(arg ? arg : "", &cfg->cgroup, why))
			return bad("--cgroup %s", why);
		return 0;
	}
	case OPT_NUMA: {
		char why[CONFIG_ERR_LEN];

		if (config_parse_numa(arg, cfg, why))
			return bad("--numa '%s': %s", arg, why);
		return 0;
	}
	case OPT_NO_REBOOT:
		cfg->no_reboot = true;
		return 0;
	case OPT_RNG:
		cfg->rng = true;
		return 0;
	case OPT_CONFIG:
		return 0; /* loaded before the other options */
	case OPT_PRINT_CONFIG:
		st->print_config = true;
		return 0;
	case OPT_API_SOCKET:
		if (!*arg || strlen(arg) >= 108)
			return bad("--api-socket '%s': a path of at most 107 bytes, or \"none\"", arg);
		set_str(&cfg->api_socket, strcmp(arg, "none") ? arg : "");
		return 0;
	case OPT_METRICS_LISTEN: {
		const char *colon = strrchr(arg, ':');

		if (!colon || colon == arg || config_parse_uint(colon + 1, 1, 65535, &v))
			return bad("--metrics-listen '%s': use ADDR:PORT, e.g. 127.0.0.1:9100", arg);
		set_str(&cfg->metrics_listen, arg);
		return 0;
	}
	case OPT_USER:
		if (!*arg || strlen(arg) > 64)
			return bad("--user '%s': USER or USER:GROUP (names or numbers)", arg);
		set_str(&cfg->user, arg);
		return 0;
	case OPT_CHROOT:
		if (arg[0] != '/')
			return bad("--chroot '%s': an absolute directory", arg);
		set_str(&cfg->chroot_dir, arg);
		return 0;
	case OPT_SECCOMP:
		if (config_parse_seccomp(arg, &cfg->seccomp))
			return bad("--seccomp '%s': use on, log or off", arg);
		return 0;
	case OPT_SHUTDOWN_TIMEOUT:
		if (config_parse_uint(arg, 0, 3600, &v))
			return bad("--shutdown-timeout '%s': seconds, 0 to 3600", arg);
		cfg->shutdown_timeout = (unsigned int)v;
		return 0;
	case OPT_NET: {
		char why[CONFIG_ERR_LEN];
		struct net_config *n;

		if (!st->cli_nets) {
			for (unsigned int i = 0; i < cfg->nr_nets; i++)
				config_free_net(&cfg->nets[i]);
			cfg->nr_nets = 0;
			st->cli_nets = true;
		}
		if (cfg->nr_nets == CONFIG_MAX_NETS)
			return bad("--net: at most %d interfaces", CONFIG_MAX_NETS);
		n = &cfg->nets[cfg->nr_nets];
		if (config_parse_net(arg, cfg->nr_nets, n, why))
			return bad("--net '%s': %s", arg, why);
		for (unsigned int i = 0; i < cfg->nr_nets; i++)
			if (!strcmp(cfg->nets[i].id, n->id)) {
				config_free_net(n);
				return bad("--net '%s': id '%s' is used twice", arg, cfg->nets[i].id);
			}
		cfg->nr_nets++;
		return 0;
	}
	case OPT_CONSOLE:
		if (!strcmp(arg, "serial"))
			cfg->console = CONSOLE_SERIAL;
		else if (!strcmp(arg, "virtio"))
			cfg->console = CONSOLE_VIRTIO;
		else if (!strcmp(arg, "off"))
			cfg->console = CONSOLE_OFF;
		else
			return bad("--console '%s': use serial, virtio or off", arg);
		return 0;
	case OPT_VERBOSE:
		log_verbosity = LOG_DEBUG;
		return 0;
	case OPT_QUIET:
		log_verbosity = LOG_WARN;
		return 0;
	case OPT_DISK: {
		char why[CONFIG_ERR_LEN];
		struct disk_config *d;

		if (!st->cli_disks) {
			for (unsigned int i = 0; i < cfg->nr_disks; i++)
				config_free_disk(&cfg->disks[i]);
			cfg->nr_disks = 0;
			st->cli_disks = true;
		}
		if (cfg->nr_disks == CONFIG_MAX_DISKS)
			return bad("--disk: at most %d disks", CONFIG_MAX_DISKS);
		d = &cfg->disks[cfg->nr_disks];
		if (config_parse_disk(arg, cfg->nr_disks, d, why))
			return bad("--disk '%s': %s", arg, why);
		for (unsigned int i = 0; i < cfg->nr_disks; i++)
			if (!strcmp(cfg->disks[i].id, d->id)) {
				config_free_disk(d);
				return bad("--disk '%s': id '%s' is used twice", arg, cfg->disks[i].id);
			}
		cfg->nr_disks++;
		return 0;
	}
	default:
		return EXIT_USAGE;
	}
}

/* --config FILE first, wherever it stands, so the other options override it. */
static int load_config_option(int argc, char **argv, struct vm_config *cfg)
{
	char why[CONFIG_ERR_LEN];

	for (int i = 1; i < argc; i++) {
		const char *path = NULL;

		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
		if (path && config_load_file(cfg, path, why)) {
			log_error("--config %s", why);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg)
{
	struct parse_state st = { 0 };
	const char *arg;
	int opt, err;

	err = load_config_option(argc, argv, cfg);
	if (err)
		return err;
	optind = 0; /* full re-initialisation: the parser can run more than once */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", run_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			cli_usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':') {
			if (optopt && optopt < 0x100)
				log_error("unknown option '-%c'", optopt);
			else if (optopt && strchr(argv[optind - 1], '='))
				log_error("option '%.*s' does not take a value",
					  (int)(strchr(argv[optind - 1], '=') - argv[optind - 1]),
					  argv[optind - 1]);
			else if (optopt)
				log_error("option '%s' needs a value", argv[optind - 1]);
			else
				log_error("unknown option '%s'", argv[optind - 1]);
			cli_usage(stderr);
			return EXIT_USAGE;
		}
		arg = optarg;
		/* "--balloon size=1G" as well as "--balloon=size=1G" */
		if (!arg && (opt == OPT_BALLOON || opt == OPT_CGROUP) && optind < argc &&
		    argv[optind][0] != '-')
			arg = argv[optind++];
		err = parse_one(opt, arg, cfg, &st);
		if (err)
			return err;
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	{
		char why[CONFIG_ERR_LEN];

		if (config_numa_finish(cfg, why)) {
			log_error("%s", why);
			return EXIT_USAGE;
		}
	}
	if (!cfg->cmdline)
		set_str(&cfg->cmdline, CLI_DEFAULT_CMDLINE);
	if (!cfg->name)
		set_str(&cfg->name, "kasou");
	if (st.print_config) {
		char *json = config_to_json(cfg);

		if (json)
			printf("%s\n", json);
		free(json);
		return -1; /* done: exit 0 */
	}
	if (!cfg->kernel) {
		log_error("--kernel is required");
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

static uint64_t host_mem_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb, total = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1 ||
		    sscanf(line, "SwapTotal: %llu kB", &kb) == 1)
			total += kb * 1024;
	}
	fclose(f);
	return total;
}

static void file_error(const char *what, const char *path, size_t max, int err)
{
	if (err == -EFBIG)
		log_error("%s '%s': file too large (limit %zu MiB)", what, path, max >> 20);
	else if (err == -EINVAL)
		log_error("%s '%s': not a regular file", what, path);
	else
		log_error("%s '%s': %s", what, path, strerror(-err));
}

/* Everything that can fail before the first boot, checked once. */
static int run_prepare(struct vm_persist *p, const struct vm_config *cfg)
{
	char why[BOOT_WHY_LEN];
	uint64_t host = host_mem_bytes();
	unsigned int max;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int err = file_read_all(cfg->kernel, KERNEL_MAX, &p->kernel, &p->kernel_len);

	if (err) {
		file_error("kernel", cfg->kernel, KERNEL_MAX, err);
		return EXIT_HOST_ERROR;
	}
	if (boot_parse(p->kernel, p->kernel_len, &p->image, why)) {
		log_error("kernel '%s': %s", cfg->kernel, why);
		return EXIT_HOST_ERROR;
	}
	if (cfg->initrd) {
		err = file_read_all(cfg->initrd, cfg->mem_size, &p->initrd, &p->initrd_len);
		if (err == -EFBIG)
			log_error("initrd '%s' does not fit in guest memory (%llu MiB); give the VM "
				  "more --memory", cfg->initrd,
				  (unsigned long long)(cfg->mem_size >> 20));
		else if (err)
			file_error("initrd", cfg->initrd, cfg->mem_size, err);
		if (err)
			return EXIT_HOST_ERROR;
	}
	if (strlen(cfg->cmdline) + 1 > p->image.cmdline_max) {
		log_error("kernel command line too long: %zu bytes, this kernel accepts at most %u",
			  strlen(cfg->cmdline), p->image.cmdline_max - 1);
		return EXIT_HOST_ERROR;
	}
	if (host && cfg->mem_size > host) {
		log_error("--memory %lluM is more than this host has (%lluM of RAM and swap)",
			  (unsigned long long)(cfg->mem_size >> 20), (unsigned long long)(host >> 20));
		return EXIT_HOST_ERROR;
	}
	p->kvm_fd = kvm_open();
	if (p->kvm_fd < 0)
		return EXIT_HOST_ERROR;
	max = kvm_max_vcpus(p->kvm_fd);
	if (cfg->cpus > max) {
		log_error("--cpus %u: this host's KVM allows at most %u vCPUs per VM", cfg->cpus, max);
		return EXIT_HOST_ERROR;
	}
	if (ncpu > 0 && cfg->cpus > (unsigned long)ncpu)
		log_warn("%u vCPUs on %ld host CPUs: overcommitted vCPUs slow the guest down",
			 cfg->cpus, ncpu);
	p->cpuid = cpuid_supported(p->kvm_fd);
	if (!p->cpuid) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return EXIT_HOST_ERROR;
	}
	return 0;
}

static void persist_free(struct vm_persist *p)
{
	free(p->kernel);
	free(p->initrd);
	free(p->cpuid);
	if (p->kvm_fd >= 0)
		close(p->kvm_fd);
	rtc_destroy(&p->rtc);
}

/* --user/--chroot, resolved before anything starts, entered after the first boot is built */
static struct jail jail;

static int boot_loop(struct vm_persist *p, const struct vm_config *cfg)
{
	for (;;) {
		struct vm vm;
		enum vm_stop_reason why;
		int sig;
		bool graceful;

		p->boots++;
		if (vm_create(&vm, p)) {
			sandbox_threads_release(SECCOMP_OFF); /* let them see the stop */
			vm_destroy(&vm);
			return EXIT_HOST_ERROR;
		}
		/* the API thread sees this boot's VM while it runs */
		pthread_mutex_lock(&p->lock);
		p->current = &vm;
		pthread_mutex_unlock(&p->lock);
		/* the first boot is built: from here on, kasou runs jailed (--user, --chroot)
		 * and every thread filtered */
		if (p->boots == 1) {
			if (sandbox_jail_enter(&jail) ||
			    sandbox_seccomp_process((enum seccomp_mode)cfg->seccomp)) {
				sandbox_threads_release(SECCOMP_OFF);
				vm_destroy(&vm);
				return EXIT_HOST_ERROR;
			}
			/* the threads started so far stack their own filters now */
			sandbox_threads_release((enum seccomp_mode)cfg->seccomp);
		}
		why = vm_run(&vm);
		sig = vm.stop_signal;
		graceful = __atomic_load_n(&vm.graceful, __ATOMIC_ACQUIRE);
		pthread_mutex_lock(&p->lock);
		p->current = NULL;
		pthread_mutex_unlock(&p->lock);
		vm_destroy(&vm);
		switch (why) {
		case VM_STOP_REBOOT:
			if (cfg->no_reboot) {
				log_info("guest reset; exiting (--no-reboot)");
				return 0;
			}
			if (graceful) { /* a shutdown was asked for: a reset does not cancel it */
				log_info("guest reset during a shutdown; stopping");
				return sig ? 128 + sig : 0;
			}
			log_info("guest reset; rebooting");
			continue;
		case VM_STOP_POWEROFF:
			/* a guest that powered off after SIGTERM's power button still says why */
			return sig ? 128 + sig : 0;
		case VM_STOP_SIGNAL:
			return 128 + sig;
		default:
			return EXIT_KVM_ERROR;
		}
	}
}

/* $KASOU_API_DIR/NAME.sock, $XDG_RUNTIME_DIR/kasou/NAME.sock or /run/kasou/NAME.sock
 * (the directory made 0700 if missing) — where kasou list/ctl/stats/top look. */
static int default_socket(const char *name, char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *api = getenv("KASOU_API_DIR");
	char dir[256];

	if (api && *api)
		snprintf(dir, sizeof(dir), "%s", api);
	else
		snprintf(dir, sizeof(dir), "%s/kasou", xdg && *xdg ? xdg : "/run");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(out, len, "%s/%s.sock", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The API socket and the metrics listener; a default socket that cannot be made is no reason to refuse the VM. */
static int start_servers(struct vm_persist *p, const struct vm_config *cfg,
			 struct api_server **api, struct api_server **metrics)
{
	char path[256], why[256];
	int err;

	if (!cfg->api_socket || *cfg->api_socket) {
		if (cfg->api_socket) {
			snprintf(path, sizeof(path), "%s", cfg->api_socket);
		} else if ((err = default_socket(cfg->name, path, sizeof(path)))) {
			log_warn("no API socket: cannot make its directory (%s); use --api-socket",
				 strerror(-err));
			path[0] = 0;
		}
		if (*path && api_server_start_unix(api, path, api_route, p, why)) {
			log_error("%s", why);
			return EXIT_HOST_ERROR;
		}
		if (*path)
			log_debug("API on %s", path);
	}
	if (cfg->metrics_listen &&
	    api_server_start_tcp(metrics, cfg->metrics_listen, api_route_metrics, p, why)) {
		log_error("%s", why);
		return EXIT_HOST_ERROR;
	}
	return 0;
}

int cli_run(int argc, char **argv)
{
	struct api_server *api = NULL, *metrics = NULL;
	struct timespec ts;
	struct vm_config cfg;
	struct vm_persist p = { .kvm_fd = -1 };
	struct term term;
	sigset_t block;
	int rc;

	config_init(&cfg);
	rc = cli_parse_run(argc, argv, &cfg);
	if (rc) {
		config_free(&cfg);
		return rc < 0 ? 0 : rc;
	}
	if (cfg.user || cfg.chroot_dir) {
		char why[256];

		if (sandbox_jail_resolve(&jail, cfg.user, cfg.chroot_dir, why, sizeof(why))) {
			log_error("%s", why);
			config_free(&cfg);
			return EXIT_USAGE;
		}
	}
	p.cfg = &cfg;
	pthread_mutex_init(&p.lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p.start_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	rtc_init(&p.rtc);
	signal(SIGPIPE, SIG_IGN);
	vcpu_signals_init();
	sandbox_seccomp_init();
	/* every thread inherits these blocked; the main loop reads them from a signalfd */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	/* threads started before the first boot is filtered wait for it */
	if (cfg.seccomp != SECCOMP_OFF)
		sandbox_threads_hold();

	rc = run_prepare(&p, &cfg);
	/* before any thread exists: they inherit the emulator set */
	if (!rc && affinity_init(cfg.cpu.emulator_pinned ? &cfg.cpu.emulator_affinity : NULL,
				 cfg.cpu.io_pinned ? &cfg.cpu.io_affinity : NULL)) {
		log_error("--emulator affinity=%s: %s (no such host CPU online?)",
			  cfg.cpu.emulator_str, strerror(errno));
		rc = EXIT_HOST_ERROR;
	}
	if (!rc) {
		char why[CONFIG_ERR_LEN];

		if (cgroup_setup(&p.cgroup, &cfg.cgroup, cfg.name, why)) {
			log_error("--cgroup: %s", why);
			rc = EXIT_HOST_ERROR;
		}
	}
	if (!rc)
		rc = start_servers(&p, &cfg, &api, &metrics);
	if (!rc) {
		if (cfg.console != CONSOLE_OFF) {
			term_open(&term, STDIN_FILENO);
			p.term = &term;
		}
		rc = boot_loop(&p, &cfg);
		term_restore();
	}
	sandbox_threads_release(SECCOMP_OFF); /* if no boot got that far */
	api_server_stop(api); /* waits for a request in progress */
	api_server_stop(metrics);
	cgroup_teardown(p.cgroup); /* after every thread but this one is gone */
	persist_free(&p);
	pthread_mutex_destroy(&p.lock);
	config_free(&cfg);
	return rc;
}
