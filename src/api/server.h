/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/1.1 on a unix socket (or a TCP address for metrics), served by
 * libmicrohttpd on kasou's API thread (under the API seccomp filter). The
 * server collects each request's body (refusing more than API_BODY_MAX with
 * 413) and hands method, path and body to the route function, which fills a
 * response. Errors the server itself finds (bad method for a path is the
 * route's job) come back as {"fault_message": "..."}. The route runs on the
 * server thread and must never block on a vCPU.
 */
#ifndef KASOU_API_SERVER_H
#define KASOU_API_SERVER_H

#include <stddef.h>

#define API_BODY_MAX (64 * 1024)

struct api_response {
	unsigned int status;
	char *body; /* malloc'd, or NULL for none */
	size_t len;
	const char *content_type; /* default application/json */
};

typedef void (*api_route_fn)(void *ctx, const char *method, const char *path, const char *body,
			     size_t len, struct api_response *resp);

struct api_server;

/* Listen on a unix socket at `path` (a stale socket there is replaced; a live one is an error). */
int api_server_start_unix(struct api_server **out, const char *path, api_route_fn route,
			  void *ctx, char *why /* 256 */);
/* Listen on "ADDR:PORT" (IPv4). */
int api_server_start_tcp(struct api_server **out, const char *addr_port, api_route_fn route,
			 void *ctx, char *why);
void api_server_stop(struct api_server *s);

/* Fill resp with {"fault_message": msg} and a status. */
void api_fault(struct api_response *resp, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
