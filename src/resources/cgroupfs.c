// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroupfs mechanics (see cgroupfs.h). Everything here is a mkdir, an rmdir,
 * or one write() of one command to one file; the kernel's rules that shape
 * the order:
 *  - a controller is usable in a group only when every ancestor lists it in
 *    cgroup.subtree_control, and a group may enable controllers for its
 *    children only while it holds no processes itself (the root excepted);
 *  - a group still holding tasks, exiting ones included, cannot be removed
 *    (EBUSY), hence the retries;
 *  - processes move with cgroup.procs (all threads at once), threads inside
 *    one threaded subtree with cgroup.threads.
 */
#include "resources/cgroupfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "resources/cgroup.h"
#include "util/log.h"

#define RMDIR_TRIES 200 /* x 10 ms: exiting threads leave a group busy until reaped */

static const char *const ctl_names[] = { "cpuset", "cpu", "io", "memory" }; /* CTL_* order */
#define NR_CTL (sizeof(ctl_names) / sizeof(ctl_names[0]))

static char fail_file[64]; /* tests: fake writes to files of this name fail with fail_err */
static int fail_err;

void cgroup_fail_writes_for_tests(const char *file, int err)
{
	snprintf(fail_file, sizeof(fail_file), "%s", file ? file : "");
	fail_err = err;
}

int cgfs_fail(char *why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		va_start(ap, fmt);
		vsnprintf(why, CONFIG_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* What to do about an errno from cgroupfs, appended to the message. */
static const char *hint(int rc)
{
	switch (rc) {
	case -EACCES:
	case -EPERM:
		return ": run as root or delegate the subtree to this user";
	case -EROFS:
		return ": cgroupfs is mounted read-only (a container without a delegated cgroup?)";
	default:
		return "";
	}
}

int cgfs_join(char *out, const char *dir, const char *name)
{
	return (size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int cgfs_write(const struct cgroupfs *fs, const char *dir, const char *file, const char *text)
{
	char p[PATH_MAX], line[512];
	int fd, n, rc = 0;
	ssize_t w;

	if (cgfs_join(p, dir, file))
		return -ENAMETOOLONG;
	if (fs->fake && fail_file[0] && !strcmp(file, fail_file))
		return -fail_err;
	n = snprintf(line, sizeof(line), fs->fake ? "%s\n" : "%s", text);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	fd = open(p, O_WRONLY | O_CLOEXEC | (fs->fake ? O_CREAT | O_APPEND : 0), 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, line, (size_t)n);
	if (w < 0)
		rc = -errno;
	else if (w != n)
		rc = -EIO;
	close(fd);
	return rc;
}

int cgfs_put(const struct cgroupfs *fs, const char *dir, const char *file, const char *text,
	     char *why)
{
	int rc = cgfs_write(fs, dir, file, text);

	if (rc == -ENOENT)
		return cgfs_fail(why, rc,
				 "cannot write '%s' to %s/%s: no such file (the controller is not "
				 "enabled there, or this kernel lacks the feature)",
				 text, dir, file);
	if (rc)
		return cgfs_fail(why, rc, "cannot write '%s' to %s/%s: %s%s", text, dir, file,
				 strerror(-rc), hint(rc));
	return 0;
}

int cgfs_read(const char *p, char *buf, size_t len)
{
	size_t got = 0;
	int fd, rc = 0;
	char extra;

	if (!len)
		return -EINVAL;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (!rc && got == len - 1 && read(fd, &extra, 1) > 0)
		rc = -EOVERFLOW;
	close(fd);
	buf[got] = 0;
	return rc ? rc : (int)got;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

/* "cpu io memory" (or a fake file's "+cpu +io" lines) -> CTL_* mask */
static unsigned int ctl_mask(const char *text)
{
	char buf[512], *save = NULL, *tok;
	unsigned int m = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		for (size_t i = 0; i < NR_CTL; i++)
			if (!strcmp(tok + (*tok == '+'), ctl_names[i]))
				m |= 1u << i;
	return m;
}

static void ctl_str(unsigned int mask, bool plus, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; i < NR_CTL; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(out + n, len - n, "%s%s%s", n ? " " : "",
					      plus ? "+" : "", ctl_names[i]);
}

int cgfs_enable(const struct cgroupfs *fs, const char *dir, unsigned int mask, char *why)
{
	char p[PATH_MAX], text[512], names[64];
	unsigned int have, missing;
	int rc;

	if (!mask)
		return 0;
	if (cgfs_join(p, dir, "cgroup.controllers"))
		return cgfs_fail(why, -ENAMETOOLONG, "%s: path too long", dir);
	rc = cgfs_read(p, text, sizeof(text));
	if (rc < 0 && !(rc == -ENOENT && fs->fake))
		return cgfs_fail(why, rc, "cannot read %s: %s", p, strerror(-rc));
	have = rc < 0 ? mask : ctl_mask(text);
	missing = mask & ~have;
	if (missing) {
		trim(text);
		ctl_str(missing, false, names, sizeof(names));
		return cgfs_fail(why, -EOPNOTSUPP,
				 "controller%s %s %s not enabled in %s (cgroup.controllers %s%s)",
				 strchr(names, ' ') ? "s" : "", names,
				 strchr(names, ' ') ? "are" : "is", dir,
				 text[0] ? "lists " : "is empty", text);
	}
	if (cgfs_join(p, dir, "cgroup.subtree_control"))
		return cgfs_fail(why, -ENAMETOOLONG, "%s: path too long", dir);
	rc = cgfs_read(p, text, sizeof(text));
	if (rc < 0 && !(rc == -ENOENT && fs->fake))
		return cgfs_fail(why, rc, "cannot read %s: %s", p, strerror(-rc));
	missing = mask & ~(rc < 0 ? 0 : ctl_mask(text));
	if (!missing)
		return 0;
	ctl_str(missing, true, names, sizeof(names));
	rc = cgfs_write(fs, dir, "cgroup.subtree_control", names);
	if (rc == -EBUSY)
		return cgfs_fail(why, rc,
				 "cannot enable %s in %s/cgroup.subtree_control: %s (it holds "
				 "processes of its own: choose a path= whose parents hold none)",
				 names, dir, strerror(-rc));
	if (rc)
		return cgfs_fail(why, rc, "cannot enable %s in %s/cgroup.subtree_control: %s%s",
				 names, dir, strerror(-rc), hint(rc));
	return 0;
}

int cgfs_ensure_parents(const struct cgroupfs *fs, const char *path, unsigned int mask, char *why)
{
	const char *name = strrchr(path, '/'); /* the group's own component */
	const char *p = path + strlen(fs->root);
	char dir[PATH_MAX];
	int rc;

	snprintf(dir, sizeof(dir), "%s", fs->root);
	for (;;) {
		rc = cgfs_enable(fs, dir, mask, why);
		if (rc || p == name)
			return rc;
		p = strchr(p + 1, '/');
		memcpy(dir, path, (size_t)(p - path));
		dir[p - path] = 0;
		/* (live changes come from the API thread, whose filter has no mkdir: the
		 * parents are there by then) */
		if (access(dir, F_OK) && mkdir(dir, 0755) && errno != EEXIST) {
			rc = -errno;
			return cgfs_fail(why, rc, "cannot create %s: %s%s", dir, strerror(-rc),
					 hint(rc));
		}
	}
}

static bool populated(const char *dir)
{
	char p[PATH_MAX], text[256];
	int rc;

	if (!cgfs_join(p, dir, "cgroup.events") && cgfs_read(p, text, sizeof(text)) >= 0)
		return strstr(text, "populated 1") != NULL;
	if (cgfs_join(p, dir, "cgroup.procs"))
		return true;
	rc = cgfs_read(p, text, sizeof(text));
	return rc == -EOVERFLOW || (rc > 0 && text[strspn(text, " \n")]);
}

int cgfs_remove(const struct cgroupfs *fs, const char *dir)
{
	const struct timespec wait = { 0, 10 * 1000 * 1000 };
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		bool is_dir;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    cgfs_join(p, dir, e->d_name))
			continue;
		is_dir = e->d_type == DT_DIR ||
			 (e->d_type == DT_UNKNOWN && !lstat(p, &st) && S_ISDIR(st.st_mode));
		if (is_dir)
			cgfs_remove(fs, p);
		else if (fs->fake)
			unlink(p);
	}
	closedir(d);
	for (int i = 0;; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i == RMDIR_TRIES)
			return -errno;
		nanosleep(&wait, NULL);
	}
}

int cgfs_create(const struct cgroupfs *fs, const char *path, char *why)
{
	int rc;

	if (!mkdir(path, 0755))
		return 0;
	rc = -errno;
	if (rc != -EEXIST)
		return cgfs_fail(why, rc, "cannot create %s: %s%s", path, strerror(-rc), hint(rc));
	if (populated(path))
		return cgfs_fail(why, -EBUSY,
				 "%s already exists and holds processes (another VM of "
				 "that name?)",
				 path);
	rc = cgfs_remove(fs, path);
	if (rc)
		return cgfs_fail(why, rc,
				 "%s is left from an earlier run and cannot be removed: %s%s", path,
				 strerror(-rc), hint(rc));
	log_warn("cgroup %s was left from an earlier run: created afresh", path);
	return cgfs_mkdir(path, why);
}

int cgfs_mkdir(const char *dir, char *why)
{
	int rc;

	if (!mkdir(dir, 0755))
		return 0;
	rc = -errno;
	return cgfs_fail(why, rc, "cannot create %s: %s%s", dir, strerror(-rc), hint(rc));
}

int cgfs_move_threads(const struct cgroupfs *fs, const char *dir, char *why)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	int rc = 0;

	if (!d)
		return cgfs_fail(why, -errno, "cannot list /proc/self/task: %s", strerror(errno));
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		rc = cgfs_write(fs, dir, "cgroup.threads", e->d_name);
		if (rc == -ESRCH) /* it exited meanwhile */
			rc = 0;
		if (rc)
			rc = cgfs_fail(why, rc, "cannot move thread %s to %s: %s%s", e->d_name, dir,
				       strerror(-rc), hint(rc));
	}
	closedir(d);
	return rc;
}

void cgfs_origin(const struct cgroupfs *fs, const char *group, char *out)
{
	char line[PATH_MAX + 8];
	size_t glen = strlen(group);
	FILE *f = fopen("/proc/self/cgroup", "re");

	snprintf(out, PATH_MAX, "%s", fs->root);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		trim(line);
		if (line[4] &&
		    (size_t)snprintf(out, PATH_MAX, "%s%s", fs->root, line + 3) >= PATH_MAX)
			snprintf(out, PATH_MAX, "%s", fs->root);
		break;
	}
	if (f)
		fclose(f);
	/* already inside the group (an earlier setup): the way out is the root */
	if (!strncmp(out, group, glen) && (!out[glen] || out[glen] == '/'))
		snprintf(out, PATH_MAX, "%s", fs->root);
}

int cgfs_check_mount(const char *root, char *why)
{
	char line[PATH_MAX + 256], other[PATH_MAX] = "", tail[PATH_MAX + 64] = "";
	struct statfs st;
	FILE *f;

	if (!statfs(root, &st) && st.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	/* a hybrid host has cgroup2 elsewhere (/sys/fs/cgroup/unified) */
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", other) == 1)
			break;
	if (f)
		fclose(f);
	if (other[0] && strcmp(other, root))
		snprintf(tail, sizeof(tail),
			 " (cgroup2 is mounted at %s: KASOU_CGROUP_ROOT=%s uses it)", other, other);
	return cgfs_fail(why, -ENODEV, "cgroup v2 is not mounted at %s%s", root, tail);
}
