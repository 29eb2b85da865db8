// SPDX-License-Identifier: GPL-2.0-only
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->mem_size = CONFIG_MEM_DEFAULT;
	cfg->console = CONSOLE_SERIAL;
	cfg->shutdown_timeout = CONFIG_SHUTDOWN_TIMEOUT;
	cfg->mem.merge = -1;
}

void config_free(struct vm_config *cfg)
{
	free(cfg->name);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	config_free_cpus(&cfg->cpu);
	config_free_memory(cfg);
	free(cfg->api_socket);
	free(cfg->metrics_listen);
	free(cfg->user);
	free(cfg->chroot_dir);
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		config_free_disk(&cfg->disks[i]);
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		config_free_net(&cfg->nets[i]);
	memset(cfg, 0, sizeof(*cfg));
}

int config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (toupper((unsigned char)*p)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case 'B':
		if (p[1])
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		p++;
		if (!strcasecmp(p, "iB") || !strcasecmp(p, "B"))
			p += strlen(p);
		if (*p)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
