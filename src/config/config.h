/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * struct vm_config: the one schema for CLI options, the config file and the
 * API. Filled and validated at the edge (cli/), read-only afterwards: devices
 * and the VM builder receive an already-validated struct.
 */
#ifndef KASOU_CONFIG_CONFIG_H
#define KASOU_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MEM_DEFAULT (512ULL << 20)
#define CONFIG_MEM_MIN (16ULL << 20)
#define CONFIG_MEM_MAX (1ULL << 46) /* 64 TiB: far above what any host gives */
#define CONFIG_CPUS_MAX 255 /* xAPIC IDs; KVM's own limit is checked at start */

enum console_mode { CONSOLE_SERIAL, CONSOLE_VIRTIO, CONSOLE_OFF };

#include <sched.h>

/* --cpus boot=N,max=M,topology=S:D:C:T,model=host|base,pmu=on|off,affinity=[...] */
struct cpu_config {
	unsigned int max; /* possible vCPUs (MADT); 0 = the boot count */
	unsigned int sockets, dies, cores, threads; /* 0 = one socket of `max` cores */
	bool model_base; /* a conservative CPUID baseline instead of host-passthrough */
	bool pmu_off;
	cpu_set_t *affinity; /* per possible vCPU (calloc'd, `max` entries) or NULL */
	bool *affinity_set; /* which vCPUs have one */
	char *affinity_str; /* as given, for --print-config */
	/* --emulator affinity=, --iothreads affinity= */
	bool emulator_pinned, io_pinned;
	cpu_set_t emulator_affinity, io_affinity;
	char *emulator_str, *io_str;
	unsigned int iothreads;
};

#define CONFIG_MAX_DISKS 16
#define CONFIG_ERR_LEN 256

/* Per-disk I/O limits, QEMU/libvirt blkdeviotune names; 0 = unlimited. */
struct disk_throttle {
	uint64_t bps, bps_rd, bps_wr, iops, iops_rd, iops_wr;
	uint64_t bps_max, bps_rd_max, bps_wr_max, iops_max, iops_rd_max, iops_wr_max;
};

#define CONFIG_MAX_NETS 8
#define CONFIG_MAX_HOSTFWD 16

enum net_kind { NET_TAP, NET_FD, NET_USER };

struct net_config {
	enum net_kind kind;
	char *ifname; /* tap=NAME */
	int fd; /* fd=N (inherited tap) */
	char *id; /* default "netN" */
	uint8_t mac[6];
	bool mac_set; /* otherwise 52:54:00:xx:xx:xx derived from the id */
	unsigned int queues; /* queue pairs, default 1 */
	unsigned int queue_size; /* default 256 */
	bool vhost;
	unsigned int mtu; /* 0: not advertised */
	unsigned int nr_hostfwd;
	char *hostfwd[CONFIG_MAX_HOSTFWD]; /* user only: "tcp:HOSTPORT-:GUESTPORT" */
	uint64_t rx_bps, tx_bps, rx_pps, tx_pps; /* 0 = unlimited */
	uint64_t rx_bps_max, tx_bps_max, rx_pps_max, tx_pps_max; /* burst */
};

struct disk_config {
	char *path;
	char *id; /* default "diskN" */
	char *serial; /* default: the id */
	bool readonly;
	bool discard;
	int cache; /* enum blk_cache */
	int aio; /* enum blk_aio */
	unsigned int queues; /* default 1 */
	unsigned int queue_size; /* default 256 */
	struct disk_throttle throttle;
};

/* --balloon size=SIZE,deflate_on_oom=on,free_page_reporting=on,stats_period=S */
struct balloon_config {
	bool enabled;
	uint64_t size; /* initial target, bytes */
	bool deflate_on_oom, free_page_reporting;
	unsigned int stats_period; /* s, 0 = off */
};

/*
 * --cgroup: the VM's cgroup v2 group and its limits (config/cgroup.c parses,
 * resources/cgroup.c applies). All-zero means "not set" everywhere, so a
 * zeroed struct (config_init) is "no --cgroup"; `enabled` says the option
 * was given, even empty ("--cgroup" alone: a per-VM group, no limits).
 */
enum cgroup_val_kind { CGROUP_VAL_UNSET = 0, CGROUP_VAL_NUM, CGROUP_VAL_MAX };

/* A byte or ops limit: unset (the kernel's value stays), a number, or "max". */
struct cgroup_val {
	enum cgroup_val_kind kind;
	uint64_t num;
};

/* cpu.max: `quota_us` per `period_us`; unlimited = "max PERIOD". */
struct cgroup_cpu_max {
	bool set;
	bool unlimited;
	uint64_t quota_us, period_us;
};

/* One io.max line: MAJ:MIN and the four limits (rbps/wbps bytes/s, riops/wiops ops/s). */
struct cgroup_io_max {
	unsigned int major, minor;
	struct cgroup_val rbps, wbps, riops, wiops;
};

#define CGROUP_MAX_IO 8 /* io.max devices */
#define CGROUP_PATH_LEN 256
#define CGROUP_CPUSET_LEN 128
#define CGROUP_WEIGHT_MAX 10000 /* cpu.weight, io.weight: 1..10000, kernel default 100 */
#define CGROUP_CPU_PERIOD_DEFAULT 100000 /* us, the kernel's */

struct cgroup_config {
	bool enabled; /* --cgroup given */
	char path[CGROUP_PATH_LEN]; /* "" = <cgroup2 mount>/kasou/NAME */
	bool threads; /* threaded sub-groups vcpus/ and emulator/ */
	unsigned int cpu_weight; /* 0 = unset */
	struct cgroup_cpu_max cpu_max;
	struct cgroup_val memory_max, memory_high, memory_min, memory_swap_max;
	unsigned int io_weight; /* 0 = unset; written as "default N" */
	unsigned int nr_io_max;
	struct cgroup_io_max io_max[CGROUP_MAX_IO];
	char cpuset_cpus[CGROUP_CPUSET_LEN], cpuset_mems[CGROUP_CPUSET_LEN]; /* "" = unset */
	/* threads=on only: the sub-groups' own CPU limits */
	unsigned int vcpus_cpu_weight, emulator_cpu_weight;
	struct cgroup_cpu_max vcpus_cpu_max, emulator_cpu_max;
};

enum numa_policy { NUMA_DEFAULT, NUMA_BIND, NUMA_PREFERRED, NUMA_INTERLEAVE };

#define CONFIG_MAX_NUMA 8
#define CONFIG_MAX_HOST_NODES 64

/* --memory size=SIZE[,hugepages=off|2M|1G][,thp=on|off][,prefault=on][,locked=on]
 *          [,merge=on|off][,numa-policy=..][,host-nodes=LIST][,shared=on] */
struct mem_config {
	uint64_t hugepage_size; /* 0: normal pages */
	bool thp_off;
	bool prefault, locked, shared;
	int merge; /* -1 untouched, 0 MADV_UNMERGEABLE, 1 MADV_MERGEABLE */
	enum numa_policy policy;
	uint64_t host_nodes; /* bitmask of host NUMA nodes */
	char *host_nodes_str;
};

/* --numa node=ID,cpus=LIST,memory=SIZE[,host-nodes=LIST][,distance=N@D:N@D] */
struct numa_node_config {
	unsigned int id;
	cpu_set_t vcpus;
	char *cpus_str;
	uint64_t size;
	uint64_t host_nodes; /* 0: follow --memory */
	char *host_nodes_str;
	uint8_t distance[CONFIG_MAX_NUMA]; /* 0 = default (10 local, 20 remote) */
};

#define CONFIG_MAX_VFIO 8

/* --device vfio=DDDD:BB:DD.F|/sys/bus/pci/devices/...[,id=NAME][,rombar=on|off][,x-no-mmap=on] */
struct vfio_config {
	char addr[20]; /* DDDD:BB:DD.F, normalised (HOSTPCI_ADDR_LEN: domains up to 8 digits) */
	char id[32]; /* default vfio0, vfio1, ... */
	bool rombar; /* expose the option ROM (default on, as QEMU) */
	bool no_mmap; /* trap every BAR access instead of mapping BARs into the guest */
};

struct vm_config {
	char *name;
	char *kernel;
	char *initrd;
	char *cmdline;
	unsigned int cpus; /* vCPUs at boot */
	struct cpu_config cpu; /* max, topology, model, PMU, pinning */
	uint64_t mem_size;
	struct mem_config mem;
	unsigned int nr_numa;
	struct numa_node_config numa[CONFIG_MAX_NUMA];
	bool no_reboot;
	enum console_mode console;
	bool rng; /* virtio-rng */
	struct balloon_config balloon; /* virtio-balloon */
	char *api_socket; /* HTTP/JSON control socket; NULL: the default path; "" = none */
	char *metrics_listen; /* "ADDR:PORT" for Prometheus over TCP, or NULL */
	unsigned int shutdown_timeout; /* seconds a graceful shutdown may take (default 10) */
	unsigned int nr_disks;
	struct disk_config disks[CONFIG_MAX_DISKS];
	unsigned int nr_nets;
	struct net_config nets[CONFIG_MAX_NETS];
	struct cgroup_config cgroup; /* --cgroup; fixed-size, nothing to free */
	unsigned int nr_vfio;
	struct vfio_config vfio[CONFIG_MAX_VFIO]; /* --device vfio=...; fixed-size */
	int seccomp; /* --seccomp: enum seccomp_mode (0 on, 1 log, 2 off) */
	char *user; /* --user USER[:GROUP]: drop to it before the first vCPU runs */
	char *chroot_dir; /* --chroot DIR: and chroot there */
};

/* Parse one --disk option into d (defaults filled, index gives the default id). 0 or -EINVAL with err. */
int config_parse_disk(const char *s, unsigned int index, struct disk_config *d, char *err);
/* The same, one key at a time (the JSON config): init, set each key, finish. */
void config_disk_init(struct disk_config *d);
int config_disk_set(struct disk_config *d, const char *key, const char *value, char *err);
int config_disk_finish(struct disk_config *d, unsigned int index, char *err);
void config_free_disk(struct disk_config *d);
/* Parse one --net option (net.c). 0 or -EINVAL with err. */
int config_parse_net(const char *s, unsigned int index, struct net_config *n, char *err);
void config_net_init(struct net_config *n);
/* `bare`: a key without a value ("user") */
int config_net_set(struct net_config *n, const char *key, const char *value, bool bare, char *err);
int config_net_finish(struct net_config *n, unsigned int index, char *err);
void config_free_net(struct net_config *n);
/* Parse --balloon (balloon.c); "" = defaults. Sets enabled. 0 or -EINVAL with err. */
int config_parse_balloon(const char *s, struct balloon_config *b, char *err);
/* --seccomp on|log|off into *mode (0, 1, 2). 0 or -EINVAL. */
int config_parse_seccomp(const char *s, int *mode);
/* Parse one --device option (vfio.c); index gives the default id. 0 or -EINVAL with err. */
int config_parse_device(const char *s, unsigned int index, struct vfio_config *v, char *err);
/* json.c: apply a JSON document (config file, API body) on top of cfg; the
 * error names the JSON path ("$.disks[1].cache: ..."). */
int config_from_json(struct vm_config *cfg, const char *text, size_t len, char *err);
int config_load_file(struct vm_config *cfg, const char *path, char *err);
/* The configuration as JSON text (malloc'd), in the same schema. */
char *config_to_json(const struct vm_config *cfg);
/* A JSON object for one disk / one net (jansson json_t *, as void * to keep jansson out). */
void *config_disk_json(const struct disk_config *d);
void *config_net_json(const struct net_config *n);

/* cpus.c: --cpus (a plain number or key=value list), --emulator, --iothreads. */
int config_parse_cpus(const char *s, struct vm_config *cfg, char *err);
int config_cpus_set(struct vm_config *cfg, const char *key, const char *value, char *err);
int config_cpus_finish(struct vm_config *cfg, char *err);
int config_parse_emulator(const char *s, struct vm_config *cfg, char *err);
int config_parse_iothreads(const char *s, struct vm_config *cfg, char *err);
/* "0-3,8,10-11" -> a CPU set (every CPU must be < CPU_SETSIZE). 0 or -EINVAL. */
int config_parse_cpulist(const char *s, cpu_set_t *set);
void config_free_cpus(struct cpu_config *c);
unsigned int config_max_cpus(const struct vm_config *cfg);

/* --cgroup (cgroup.c): parse the whole option into c (zeroed first, enabled
 * set). 0 or -EINVAL with err; on error c is zeroed. */
int config_parse_cgroup(const char *s, struct cgroup_config *c, char *err);
/* One key at a time (the JSON config, live `kasou ctl set`), then finish for
 * the checks across keys (vcpus.* / emulator.* need threads=on). */
int config_cgroup_set(struct cgroup_config *c, const char *key, const char *value, char *err);
int config_cgroup_finish(const struct cgroup_config *c, char *err);
/* cgroup v1 cpu.shares (2..262144) -> v2 cpu.weight (1..10000), the OCI
 * runtimes' conversion (runc, crun): 1 + ((shares - 2) * 9999) / 262142. */
unsigned int config_cgroup_weight_from_shares(uint64_t shares);

/* memory.c: --memory (a plain size or key=value list) and --numa. */
int config_parse_memory(const char *s, struct vm_config *cfg, char *err);
int config_memory_set(struct vm_config *cfg, const char *key, const char *value, char *err);
int config_parse_numa(const char *s, struct vm_config *cfg, char *err);
/* After every option: the guest NUMA nodes cover the memory and the vCPUs. */
int config_numa_finish(struct vm_config *cfg, char *err);
/* "0,2-3" -> a bitmask of host NUMA nodes (< 64). */
int config_parse_nodelist(const char *s, uint64_t *mask);
void config_free_memory(struct vm_config *cfg);
void config_free_memory_numa(struct vm_config *cfg);

/* "52:54:00:12:34:56" -> bytes; 0 or -EINVAL. */
int config_parse_mac(const char *s, uint8_t mac[6]);

#define CONFIG_SHUTDOWN_TIMEOUT 10

void config_init(struct vm_config *cfg);
void config_free(struct vm_config *cfg);

/*
 * Parse a size: "512M", "2G", "1048576", "1.5G" is refused (integers only).
 * Suffixes K, M, G, T (powers of 1024), optional trailing "B" or "iB".
 * A bare number means bytes. Returns 0 or -EINVAL / -ERANGE.
 */
int config_parse_size(const char *s, uint64_t *out);
/* Parse an unsigned decimal integer within [min, max]. 0 or -EINVAL/-ERANGE. */
int config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
