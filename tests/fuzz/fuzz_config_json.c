// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the JSON configuration (--config FILE, the same schema as
 * --print-config and GET /vm/config) into a struct vm_config.
 *
 * Checks beyond "no crash, no leak": a refused document leaves a message in
 * err; an accepted one prints as JSON that is accepted again and prints the
 * same (what --print-config writes, --config must read back).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct vm_config *cfg)
{
	struct vm_config again;
	char err[CONFIG_ERR_LEN] = "";
	char *json = config_to_json(cfg), *json2;

	if (!json)
		abort();
	config_init(&again);
	if (config_from_json(&again, json, strlen(json), err)) {
		fprintf(stderr, "printed config refused: %s\n%s\n", err, json);
		abort();
	}
	json2 = config_to_json(&again);
	if (!json2 || strcmp(json, json2)) {
		fprintf(stderr, "printed config changed on reload:\n%s\n---\n%s\n", json,
			json2 ? json2 : "(null)");
		abort();
	}
	free(json2);
	free(json);
	config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg;
	char err[CONFIG_ERR_LEN] = "";

	config_init(&cfg);
	if (config_from_json(&cfg, (const char *)data, size, err)) {
		/* every refusal says why, and the partial config still frees cleanly */
		if (!err[0] || !memchr(err, 0, sizeof(err)))
			abort();
	} else if (!config_numa_finish(&cfg, err)) {
		roundtrip(&cfg);
	}
	config_free(&cfg);
	return 0;
}
