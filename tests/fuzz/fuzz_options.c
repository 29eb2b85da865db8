// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: user option strings (--disk key=value lists, sizes, numbers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[CONFIG_ERR_LEN];
	struct disk_config d;
	struct kv kv;
	uint64_t v;

	memcpy(s, data, size);
	s[size] = 0;
	if (config_parse_disk(s, 3, &d, err) == 0)
		config_free_disk(&d);
	if (kv_parse(&kv, s) == 0) {
		for (unsigned int i = 0; i < kv.nr; i++) {
			config_parse_size(kv.pairs[i].value, &v);
			config_parse_uint(kv.pairs[i].value, 1, 255, &v);
		}
	}
	kv_free(&kv);
	free(s);
	return 0;
}
