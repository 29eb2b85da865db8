// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: one control-API request (method, path, JSON body) through
 * api_route() and api_route_metrics() against the VM of fakes of
 * tests/unit/api_fixture.h, built fresh for each input.
 *
 * Input: [method][path bytes up to the first '\n'][body...]; method % 6 picks
 * GET, PUT, PATCH, POST, DELETE or a made-up one.
 *
 * Checked for every answer: a status from 200 to 599; a 4xx/5xx body is
 * exactly {"fault_message": "<non-empty string>"}; a JSON body parses; the
 * VM's configuration still prints and reads back.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/api_fixture.h"
#include "api/routes.h"
#include "api/server.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct api_response *r)
{
	json_t *o = NULL;

	if (r->status < 200 || r->status > 599)
		abort();
	if (r->body && (!r->content_type || !strcmp(r->content_type, "application/json"))) {
		o = json_loadb(r->body, r->len, 0, NULL);
		if (!o)
			abort(); /* a JSON answer that does not parse */
	}
	if (r->status >= 400) {
		json_t *m = o ? json_object_get(o, "fault_message") : NULL;

		if (!m || !json_is_string(m) || !*json_string_value(m) || json_object_size(o) != 1)
			abort();
	}
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "PUT", "PATCH", "POST", "DELETE", "BREW" };
	const uint8_t *nl;
	char *path, *body, *json;
	size_t plen, blen;

	log_verbosity = -1; /* refusals and fake-VM warnings are expected */
	if (size < 1 || size > API_BODY_MAX)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	plen = nl ? (size_t)(nl - data - 1) : size - 1;
	blen = nl ? size - 2 - plen : 0;
	path = strndup((const char *)data + 1, plen); /* cut at a NUL, as the server's URL is */
	body = malloc(blen + 1);
	if (!path || !body || !setup())
		abort();
	memcpy(body, nl ? nl + 1 : data, blen);
	body[blen] = 0;
	for (int metrics = 0; metrics < 2; metrics++) {
		struct api_response r = { .status = 0 };

		(metrics ? api_route_metrics : api_route)(&F.p, methods[data[0] % 6], path, body,
							    blen, &r);
		check(&r);
		free(r.body);
	}
	json = config_to_json(&F.cfg); /* a PATCH left the configuration whole */
	if (!json)
		abort();
	free(json);
	fixture_teardown();
	free(path);
	free(body);
	return 0;
}
