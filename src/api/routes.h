/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kasou's control API over the HTTP server (Firecracker's resource names
 * where they exist): GET / , GET /vm/config, GET|PUT /machine-config,
 * PUT /actions, PATCH /vm, PATCH /drives/{id}, PATCH /network-interfaces/{id},
 * GET /vm/stats, GET /metrics. Runs on the server thread; takes the persist
 * lock to reach the current boot's VM, never waits on a vCPU except for the
 * bounded park of a pause.
 */
#ifndef KASOU_API_ROUTES_H
#define KASOU_API_ROUTES_H

#include "api/server.h"

struct vm_persist;

/* ctx: struct vm_persist * */
void api_route(void *ctx, const char *method, const char *path, const char *body, size_t len,
	       struct api_response *resp);
/* Only GET /metrics, for --metrics-listen. */
void api_route_metrics(void *ctx, const char *method, const char *path, const char *body,
		       size_t len, struct api_response *resp);

#endif
