// SPDX-License-Identifier: GPL-2.0-only
#include "api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "sandbox/seccomp.h"
#include "util/log.h"

#define API_MAX_CONNECTIONS 256
#define API_CONN_TIMEOUT_S 10

struct api_server {
	struct MHD_Daemon *d;
	pthread_t thread;
	int fd, stop_fd;
	char *unlink_path;
	api_route_fn route;
	void *ctx;
};

struct api_req {
	char *body;
	size_t len;
	bool too_big;
};

void api_fault(struct api_response *resp, unsigned int status, const char *fmt, ...)
{
	char msg[512];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a client's path or value quoted back may hold any byte: JSON wants UTF-8 */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	o = json_pack("{s:s}", "fault_message", msg);
	free(resp->body);
	resp->body = json_dumps(o, JSON_COMPACT);
	resp->len = resp->body ? strlen(resp->body) : 0;
	resp->status = status;
	resp->content_type = "application/json";
	json_decref(o);
}

static enum MHD_Result respond(struct MHD_Connection *c, struct api_response *r)
{
	struct MHD_Response *m;
	enum MHD_Result ret;

	m = MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"",
					    r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!m) {
		free(r->body);
		return MHD_NO;
	}
	if (r->len || r->status != 204)
		MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->content_type ? r->content_type : "application/json");
	ret = MHD_queue_response(c, r->status, m);
	MHD_destroy_response(m);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct api_server *s = cls;
	struct api_req *req = *con_cls;
	struct api_response resp = { .status = 500 };

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		if (req->len + *upload_size > API_BODY_MAX) {
			req->too_big = true;
		} else {
			char *nb = realloc(req->body, req->len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			req->body = nb;
			memcpy(req->body + req->len, upload, *upload_size);
			req->len += *upload_size;
			req->body[req->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_big)
		api_fault(&resp, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than %d bytes",
			  API_BODY_MAX);
	else
		s->route(s->ctx, method, url, req->body ? req->body : "", req->len, &resp);
	return respond(c, &resp);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct api_req *req = *con_cls;

	if (req) {
		free(req->body);
		free(req);
	}
	*con_cls = NULL;
}

/*
 * The server's own thread (libmicrohttpd in external-epoll mode), so that it
 * runs under the API seccomp filter from before its first byte of input.
 */
static void *server_thread(void *arg)
{
	struct api_server *s = arg;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd pf[2] = { { .fd = info ? info->epoll_fd : -1, .events = POLLIN },
				{ .fd = s->stop_fd, .events = POLLIN } };

	sandbox_thread_enter(SANDBOX_API);
	for (;;) {
		MHD_UNSIGNED_LONG_LONG ms;
		int timeout = -1;

		if (MHD_get_timeout(s->d, &ms) == MHD_YES)
			timeout = ms > INT_MAX ? INT_MAX : (int)ms;
		if (poll(pf, 2, timeout) < 0 && errno != EINTR) {
			log_error("API server: poll: %s", strerror(errno));
			break;
		}
		if (pf[1].revents)
			break;
		MHD_run(s->d);
	}
	return NULL;
}

static void server_free(struct api_server *s)
{
	if (s->d)
		MHD_stop_daemon(s->d); /* closes the listening socket too */
	else
		close(s->fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->unlink_path)
		unlink(s->unlink_path);
	free(s->unlink_path);
	free(s);
}

static int start(struct api_server **out, int fd, const char *unlink_path, api_route_fn route,
		 void *ctx, char *why)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int err;

	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->route = route;
	s->ctx = ctx;
	s->unlink_path = unlink_path ? strdup(unlink_path) : NULL;
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		err = -errno;
		snprintf(why, 256, "API server: eventfd: %s", strerror(errno));
		server_free(s);
		return err;
	}
	s->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL,
				handle, s, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
				MHD_OPTION_END);
	if (!s->d) {
		snprintf(why, 256, "cannot start the HTTP server (libmicrohttpd)");
		server_free(s);
		return -EIO;
	}
	err = pthread_create(&s->thread, NULL, server_thread, s);
	if (err) {
		snprintf(why, 256, "API server: cannot start its thread: %s", strerror(err));
		server_free(s);
		return -err;
	}
	pthread_setname_np(s->thread, "kasou-api");
	*out = s;
	return 0;
}

int api_server_start_unix(struct api_server **out, const char *path, api_route_fn route,
			  void *ctx, char *why)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err, rc;

	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(why, 256, "api socket '%s': path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (rc < 0 && errno == EADDRINUSE) {
		/* a socket file is there: in use by a live VM, or left by a dead one? */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(probe);
			close(fd);
			snprintf(why, 256, "api socket '%s' is in use: is another VM with this name "
					   "running? (use --name or --api-socket)", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc < 0 || listen(fd, 64) < 0) {
		err = -errno;
		snprintf(why, 256, "api socket '%s': %s", path, strerror(errno));
		close(fd);
		return err;
	}
	chmod(path, 0600);
	return start(out, fd, path, route, ctx, why);
}

int api_server_start_tcp(struct api_server **out, const char *addr_port, api_route_fn route,
			 void *ctx, char *why)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strrchr(addr_port, ':');
	int fd, one = 1, err;

	if (!colon || (size_t)(colon - addr_port) >= sizeof(host)) {
		snprintf(why, 256, "metrics address '%s': use ADDR:PORT", addr_port);
		return -EINVAL;
	}
	memcpy(host, addr_port, (size_t)(colon - addr_port));
	host[colon - addr_port] = 0;
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		snprintf(why, 256, "metrics address '%s': not an IPv4 address", addr_port);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		err = -errno;
		snprintf(why, 256, "metrics address '%s': %s", addr_port, strerror(errno));
		close(fd);
		return err;
	}
	return start(out, fd, NULL, route, ctx, why);
}

void api_server_stop(struct api_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_error("API server: cannot stop its thread: %s", strerror(errno));
	else
		pthread_join(s->thread, NULL); /* after a request in progress */
	server_free(s);
}
