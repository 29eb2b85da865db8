// SPDX-License-Identifier: GPL-2.0-only
/* API socket client: HTTP over a unix socket with libcurl, JSON with jansson. */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/client.h"

static void client_err(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void client_err(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static int put_path(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s%s", a, b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int client_api_dir(char *buf, size_t len)
{
	const char *d = getenv("KASOU_API_DIR");

	if (d && *d)
		return put_path(buf, len, d, "");
	d = getenv("XDG_RUNTIME_DIR");
	if (d && *d)
		return put_path(buf, len, d, "/kasou");
	return put_path(buf, len, "/run/kasou", "");
}

int client_socket_path(const char *name, char *buf, size_t len)
{
	char dir[CLIENT_PATH_LEN];
	int rc;

	if (!name || !*name)
		return -EINVAL;
	if (strchr(name, '/'))
		return put_path(buf, len, name, "");
	if (name[0] == '.')
		return -EINVAL; /* "..": never leave the directory */
	rc = client_api_dir(dir, sizeof(dir));
	if (rc)
		return rc;
	if (snprintf(buf, len, "%s/%s.sock", dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int client_open(struct client *c, const char *name)
{
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	rc = client_socket_path(name, c->path, sizeof(c->path));
	if (rc == -EINVAL) {
		client_err(c, "'%s' is not a VM name", c->name);
		return rc;
	}
	if (rc) {
		client_err(c, "socket path for '%s' is too long", c->name);
		return rc;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		client_err(c, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return -ENOMEM;
	}
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Accept: application/json");
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Expect:");
	if (!c->curl || !c->headers) {
		client_close(c);
		client_err(c, "libcurl: out of memory");
		return -ENOMEM;
	}
	return 0;
}

void client_close(struct client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	c->curl = NULL;
	c->headers = NULL;
}

struct buf {
	char *data;
	size_t len, cap;
};

static size_t on_data(char *p, size_t size, size_t n, void *opaque)
{
	struct buf *b = opaque;
	size_t add = size * n;

	if (b->len + add + 1 > CLIENT_MAX_REPLY)
		return 0; /* CURLE_WRITE_ERROR */
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + add + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = 0;
	return add;
}

/* The server's own words for a failed request, else the status and body. */
static void fault(struct client *c, const char *method, const char *path, const struct buf *b)
{
	json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "fault_message"));

	if (msg && *msg) {
		client_err(c, "%s", msg);
	} else if (b->len) {
		int n = (int)strcspn(b->data, "\r\n");

		client_err(c, "%s %s: HTTP %ld: %.*s", method, path, c->status, n > 200 ? 200 : n,
			   b->data);
	} else {
		client_err(c, "%s %s: HTTP %ld", method, path, c->status);
	}
	json_decref(j);
}

/* Why the connection failed, in the user's terms. */
static int transport_error(struct client *c, CURLcode cc, const char *errbuf)
{
	long os_errno = 0;
	struct stat st;

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	if (cc == CURLE_COULDNT_CONNECT) {
		if (os_errno == ENOENT || (stat(c->path, &st) && errno == ENOENT)) {
			client_err(c, "no VM '%s' (no socket %s)", c->name, c->path);
			return -ENOENT;
		}
		if (os_errno == ECONNREFUSED) {
			client_err(c, "VM '%s' is not running (stale socket %s)", c->name, c->path);
			return -ECONNREFUSED;
		}
		if (os_errno) {
			client_err(c, "%s: %s", c->path, strerror((int)os_errno));
			return -(int)os_errno;
		}
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		client_err(c, "VM '%s' did not answer within %d s", c->name,
			   CLIENT_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	client_err(c, "%s: %s", c->path, *errbuf ? errbuf : curl_easy_strerror(cc));
	return -EIO;
}

static int request(struct client *c, const char *method, const char *path, const json_t *body,
		   struct buf *b)
{
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	char *text = NULL;
	CURLcode cc;
	CURL *h = c->curl;

	c->status = 0;
	c->err[0] = 0;
	if (snprintf(url, sizeof(url), "http://localhost%s", path) >= (int)sizeof(url)) {
		client_err(c, "request path too long");
		return -ENAMETOOLONG;
	}
	if (body) {
		text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text) {
			client_err(c, "out of memory");
			return -ENOMEM;
		}
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)c->headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CLIENT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (!strcmp(method, "GET"))
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (text) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	}
	cc = curl_easy_perform(h);
	free(text);
	if (cc != CURLE_OK)
		return transport_error(c, cc, errbuf);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status < 200 || c->status > 299) {
		fault(c, method, path, b);
		return -EPROTO;
	}
	return 0;
}

int client_call_raw(struct client *c, const char *method, const char *path, const json_t *body,
		    char **text, size_t *len)
{
	struct buf b = { 0 };
	int rc = request(c, method, path, body, &b);

	if (rc) {
		free(b.data);
		return rc;
	}
	if (!b.data) {
		b.data = strdup("");
		if (!b.data) {
			client_err(c, "out of memory");
			return -ENOMEM;
		}
	}
	*text = b.data;
	*len = b.len;
	return 0;
}

int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **reply)
{
	struct buf b = { 0 };
	json_error_t je;
	int rc = request(c, method, path, body, &b);

	if (reply)
		*reply = NULL;
	if (rc || !reply || !b.len) {
		free(b.data);
		return rc;
	}
	*reply = json_loadb(b.data, b.len, 0, &je);
	free(b.data);
	if (!*reply) {
		client_err(c, "%s %s: bad JSON in the answer: %s", method, path, je.text);
		return -EBADMSG;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void client_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int client_scan(char ***names)
{
	char dir[CLIENT_PATH_LEN];
	struct dirent *de;
	char **v = NULL;
	int n = 0, cap = 0, rc;
	DIR *d;

	*names = NULL;
	rc = client_api_dir(dir, sizeof(dir));
	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char path[CLIENT_PATH_LEN];
		struct stat st;

		if (l <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + l - 5, ".sock"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		if (n == cap) {
			char **nv = realloc(v, sizeof(*v) * (cap = cap ? cap * 2 : 16));

			if (!nv)
				goto nomem;
			v = nv;
		}
		v[n] = strndup(de->d_name, l - 5);
		if (!v[n])
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	return n;
nomem:
	closedir(d);
	client_free_names(v, n);
	return -ENOMEM;
}

double client_num(const json_t *obj, const char *key, double def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

char *client_escape(const char *s)
{
	char *e, *r;

	pthread_once(&curl_once, curl_init);
	e = curl_easy_escape(NULL, s, 0);
	if (!e)
		return NULL;
	r = strdup(e);
	curl_free(e);
	return r;
}
