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

struct vm_config {
	char *name;
	char *kernel;
	char *initrd;
	char *cmdline;
	unsigned int cpus;
	uint64_t mem_size;
	bool no_reboot;
	enum console_mode console;
	bool rng; /* virtio-rng */
	char *api_socket; /* HTTP/JSON control socket; NULL: the default path; "" = none */
	char *metrics_listen; /* "ADDR:PORT" for Prometheus over TCP, or NULL */
	unsigned int shutdown_timeout; /* seconds a graceful shutdown may take (default 10) */
	unsigned int nr_disks;
	struct disk_config disks[CONFIG_MAX_DISKS];
	unsigned int nr_nets;
	struct net_config nets[CONFIG_MAX_NETS];
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
/* json.c: apply a JSON document (config file, API body) on top of cfg; the
 * error names the JSON path ("$.disks[1].cache: ..."). */
int config_from_json(struct vm_config *cfg, const char *text, size_t len, char *err);
int config_load_file(struct vm_config *cfg, const char *path, char *err);
/* The configuration as JSON text (malloc'd), in the same schema. */
char *config_to_json(const struct vm_config *cfg);
/* A JSON object for one disk / one net (jansson json_t *, as void * to keep jansson out). */
void *config_disk_json(const struct disk_config *d);
void *config_net_json(const struct net_config *n);

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
