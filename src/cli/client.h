/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The client side of the API socket, for `kasou list|ctl|stats|top`: finds a
 * VM's socket by name and speaks HTTP/1.1 + JSON to it through libcurl
 * (CURLOPT_UNIX_SOCKET_PATH) and jansson. Main thread of a short-lived CLI
 * process; every call blocks for at most CLIENT_TIMEOUT_MS.
 *
 * Errors: a function that fails returns -errno and leaves one line in
 * c->err (no "kasou:" prefix, no newline) for the caller to print:
 *   -ENOENT       no socket: no VM by that name
 *   -ECONNREFUSED a socket nobody listens on (the VM died: a stale socket)
 *   -ETIMEDOUT    the VM did not answer in time
 *   -EPROTO       the server answered 4xx/5xx: c->err is its fault_message
 *   -EBADMSG      the answer is not the JSON we asked for
 */
#ifndef KASOU_CLI_CLIENT_H
#define KASOU_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CLIENT_TIMEOUT_MS 5000
#define CLIENT_ERR_LEN 512
#define CLIENT_PATH_LEN 108 /* sun_path */
#define CLIENT_MAX_REPLY (64u << 20)

struct client {
	void *curl; /* CURL *, one connection kept alive across calls */
	void *headers; /* struct curl_slist * */
	char name[CLIENT_PATH_LEN]; /* what the user typed: a VM name or a socket path */
	char path[CLIENT_PATH_LEN]; /* the socket */
	long status; /* HTTP status of the last answer, 0 when none came */
	char err[CLIENT_ERR_LEN];
};

/* The directory of VM sockets: $KASOU_API_DIR, else $XDG_RUNTIME_DIR/kasou,
 * else /run/kasou. 0 or -ENAMETOOLONG. */
int client_api_dir(char *buf, size_t len);
/* A VM name -> its socket path (a name with a '/' is the path itself).
 * 0, -EINVAL (empty or unusable name) or -ENAMETOOLONG. */
int client_socket_path(const char *name, char *buf, size_t len);

/* Set up a client for `name` (no connection yet). 0 or -errno with c->err. */
int client_open(struct client *c, const char *name);
void client_close(struct client *c);

/*
 * One request. `body` (may be NULL) is sent as application/json. On a 2xx
 * answer returns 0 and, when `reply` is not NULL, the parsed JSON of a
 * non-empty body (NULL for 204). Otherwise -errno as above.
 */
int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **reply);
/* The same, the raw body of a 2xx answer (malloc'd, NUL-terminated). */
int client_call_raw(struct client *c, const char *method, const char *path, const json_t *body,
		    char **text, size_t *len);

/*
 * The VM names in the socket directory (files NAME.sock that are sockets),
 * sorted; *names is a malloc'd array of malloc'd strings. A missing
 * directory is an empty list. Returns the count or -errno.
 */
int client_scan(char ***names);
void client_free_names(char **names, int n);

/* `s` escaped for a URL path segment (malloc'd), NULL when out of memory. */
char *client_escape(const char *s);

/* Numbers from a JSON object; `def` when the key is missing or not a number. */
double client_num(const json_t *obj, const char *key, double def);

#endif
