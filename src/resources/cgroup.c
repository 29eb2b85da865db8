// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM's cgroup v2 group (see cgroup.h): which controllers the limits
 * need, the limits as cgroupfs commands, the group's life. cgroupfs.c does
 * the filesystem work. A threaded sub-group needs a parent whose
 * subtree_control holds threaded controllers only (cpu, cpuset), so
 * threads=on enables just +cpu inside the VM's group, and only when a
 * sub-group limit needs it.
 */
#include "resources/cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resources/cgroupfs.h"
#include "util/log.h"

#define CGROUP_DEFAULT_ROOT "/sys/fs/cgroup"

struct vm_cgroup {
	pthread_mutex_t lock;	  /* cgroup_set(): cfg and the controller walk */
	struct cgroup_config cfg; /* the limits in force */
	struct cgroupfs fs;	  /* the cgroup2 mount */
	bool moved;		  /* the process is in the group */
	pid_t pid;
	char path[PATH_MAX];   /* the VM's group */
	char origin[PATH_MAX]; /* the group the process came from */
};

static struct {
	bool set, fake;
	char root[PATH_MAX];
} test_root;

void cgroup_set_root_for_tests(const char *root, bool fake)
{
	test_root.set = root != NULL;
	test_root.fake = fake;
	snprintf(test_root.root, sizeof(test_root.root), "%s", root ? root : "");
}

/* The controllers the group (and its sub-groups) need for the limits in c. */
static unsigned int sub_mask(const struct cgroup_config *c)
{
	return c->vcpus_cpu_weight || c->vcpus_cpu_max.set || c->emulator_cpu_weight ||
			       c->emulator_cpu_max.set
		       ? CTL_CPU
		       : 0;
}

static unsigned int group_mask(const struct cgroup_config *c)
{
	unsigned int m = sub_mask(c);

	if (c->cpuset_cpus[0] || c->cpuset_mems[0])
		m |= CTL_CPUSET;
	if (c->cpu_weight || c->cpu_max.set)
		m |= CTL_CPU;
	if (c->io_weight || c->nr_io_max)
		m |= CTL_IO;
	if (c->memory_max.kind || c->memory_high.kind || c->memory_min.kind ||
	    c->memory_swap_max.kind)
		m |= CTL_MEMORY;
	return m;
}

static void fmt_val(char *out, size_t len, struct cgroup_val v)
{
	if (v.kind == CGROUP_VAL_MAX)
		snprintf(out, len, "max");
	else
		snprintf(out, len, "%" PRIu64, v.num);
}

static void fmt_cpu_max(char *out, size_t len, const struct cgroup_cpu_max *m)
{
	if (m->unlimited)
		snprintf(out, len, "max %" PRIu64, m->period_us);
	else
		snprintf(out, len, "%" PRIu64 " %" PRIu64, m->quota_us, m->period_us);
}

static int put_cpu(const struct vm_cgroup *cg, const char *dir, unsigned int weight,
		   const struct cgroup_cpu_max *max, char *why)
{
	char text[64];
	int rc;

	if (weight) {
		snprintf(text, sizeof(text), "%u", weight);
		if ((rc = cgfs_put(&cg->fs, dir, "cpu.weight", text, why)))
			return rc;
	}
	if (max->set) {
		fmt_cpu_max(text, sizeof(text), max);
		if ((rc = cgfs_put(&cg->fs, dir, "cpu.max", text, why)))
			return rc;
	}
	return 0;
}

/* Write every limit set in c, in a fixed order. */
static int write_limits(const struct vm_cgroup *cg, const struct cgroup_config *c, char *why)
{
	static const char *const mem_files[] = { "memory.min", "memory.high", "memory.max",
						 "memory.swap.max" };
	const struct cgroup_val mem[] = { c->memory_min, c->memory_high, c->memory_max,
					  c->memory_swap_max };
	char text[256], dir[PATH_MAX];
	int rc;

	if (c->cpuset_cpus[0] &&
	    (rc = cgfs_put(&cg->fs, cg->path, "cpuset.cpus", c->cpuset_cpus, why)))
		return rc;
	if (c->cpuset_mems[0] &&
	    (rc = cgfs_put(&cg->fs, cg->path, "cpuset.mems", c->cpuset_mems, why)))
		return rc;
	if ((rc = put_cpu(cg, cg->path, c->cpu_weight, &c->cpu_max, why)))
		return rc;
	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		if (!mem[i].kind)
			continue;
		fmt_val(text, sizeof(text), mem[i]);
		if ((rc = cgfs_put(&cg->fs, cg->path, mem_files[i], text, why)))
			return rc;
	}
	if (c->io_weight) {
		snprintf(text, sizeof(text), "default %u", c->io_weight);
		if ((rc = cgfs_put(&cg->fs, cg->path, "io.weight", text, why)))
			return rc;
	}
	for (unsigned int i = 0; i < c->nr_io_max; i++) {
		const struct cgroup_io_max *io = &c->io_max[i];
		const struct cgroup_val vals[] = { io->rbps, io->wbps, io->riops, io->wiops };
		static const char *const keys[] = { "rbps", "wbps", "riops", "wiops" };
		size_t n = (size_t)snprintf(text, sizeof(text), "%u:%u", io->major, io->minor);

		for (size_t k = 0; k < 4; k++) {
			char v[24];

			if (!vals[k].kind)
				continue;
			fmt_val(v, sizeof(v), vals[k]);
			n += (size_t)snprintf(text + n, sizeof(text) - n, " %s=%s", keys[k], v);
		}
		if ((rc = cgfs_put(&cg->fs, cg->path, "io.max", text, why)))
			return rc;
	}
	if (!c->threads)
		return 0;
	if (cgfs_join(dir, cg->path, "vcpus"))
		return cgfs_fail(why, -ENAMETOOLONG, "%s: path too long", cg->path);
	if ((rc = put_cpu(cg, dir, c->vcpus_cpu_weight, &c->vcpus_cpu_max, why)))
		return rc;
	if (cgfs_join(dir, cg->path, "emulator"))
		return cgfs_fail(why, -ENAMETOOLONG, "%s: path too long", cg->path);
	return put_cpu(cg, dir, c->emulator_cpu_weight, &c->emulator_cpu_max, why);
}

/* threads=on: vcpus/ and emulator/, threaded, with +cpu above them if needed. */
static int make_subgroups(const struct vm_cgroup *cg, char *why)
{
	static const char *const subs[] = { "vcpus", "emulator" };
	char dir[PATH_MAX];
	int rc = cgfs_enable(&cg->fs, cg->path, sub_mask(&cg->cfg), why);

	for (size_t i = 0; i < 2 && !rc; i++) {
		if (cgfs_join(dir, cg->path, subs[i]))
			return cgfs_fail(why, -ENAMETOOLONG, "%s: path too long", cg->path);
		if ((rc = cgfs_mkdir(dir, why)))
			return rc;
		rc = cgfs_put(&cg->fs, dir, "cgroup.type", "threaded", why);
	}
	return rc;
}

static void move_back(struct vm_cgroup *cg)
{
	char pid[16];
	int rc;

	snprintf(pid, sizeof(pid), "%d", (int)cg->pid);
	rc = cgfs_write(&cg->fs, cg->origin, "cgroup.procs", pid);
	if (rc && strcmp(cg->origin, cg->fs.root))
		rc = cgfs_write(&cg->fs, cg->fs.root, "cgroup.procs", pid);
	if (rc)
		log_warn("cgroup %s: cannot move kasou back to %s: %s", cg->path, cg->origin,
			 strerror(-rc));
	else
		cg->moved = false;
}

static int init_paths(struct vm_cgroup *cg, const char *vm_name, char *why)
{
	const char *env = getenv("KASOU_CGROUP_ROOT");
	size_t rlen;
	int rc;

	cg->fs.fake = test_root.set && test_root.fake;
	snprintf(cg->fs.root, sizeof(cg->fs.root), "%s",
		 test_root.set ? test_root.root
		 : env && *env ? env
			       : CGROUP_DEFAULT_ROOT);
	rlen = strlen(cg->fs.root);
	while (rlen > 1 && cg->fs.root[rlen - 1] == '/')
		cg->fs.root[--rlen] = 0;
	if (!cg->fs.fake && (rc = cgfs_check_mount(cg->fs.root, why)))
		return rc;
	if (cg->cfg.path[0]) {
		snprintf(cg->path, sizeof(cg->path), "%s", cg->cfg.path);
	} else {
		if (!vm_name || !*vm_name || strchr(vm_name, '/') || !strcmp(vm_name, ".") ||
		    !strcmp(vm_name, ".."))
			return cgfs_fail(why, -EINVAL,
					 "VM name '%s' cannot name a cgroup: give path=",
					 vm_name ? vm_name : "");
		if ((size_t)snprintf(cg->path, sizeof(cg->path), "%s/kasou/%s", cg->fs.root,
				     vm_name) >= sizeof(cg->path) - 16)
			return cgfs_fail(why, -ENAMETOOLONG, "cgroup path for VM '%s' is too long",
					 vm_name);
	}
	if (strncmp(cg->path, cg->fs.root, rlen) || cg->path[rlen] != '/' || !cg->path[rlen + 1])
		return cgfs_fail(why, -EINVAL, "path=%s is not under the cgroup v2 mount %s",
				 cg->path, cg->fs.root);
	cgfs_origin(&cg->fs, cg->path, cg->origin);
	return 0;
}

int cgroup_setup(struct vm_cgroup **out, const struct cgroup_config *cfg, const char *vm_name,
		 char *why)
{
	struct vm_cgroup *cg;
	char pid[16], dir[PATH_MAX];
	int rc;

	*out = NULL;
	if (!cfg->enabled)
		return 0;
	if ((rc = config_cgroup_finish(cfg, why)))
		return rc;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return cgfs_fail(why, -ENOMEM, "cgroup: out of memory");
	pthread_mutex_init(&cg->lock, NULL);
	cg->cfg = *cfg;
	cg->pid = getpid();
	if ((rc = init_paths(cg, vm_name, why)))
		goto out_free;
	if ((rc = cgfs_ensure_parents(&cg->fs, cg->path, group_mask(cfg), why)))
		goto out_free;
	if ((rc = cgfs_create(&cg->fs, cg->path, why)))
		goto out_free;
	if (cfg->threads && (rc = make_subgroups(cg, why)))
		goto out_remove;
	if ((rc = write_limits(cg, cfg, why)))
		goto out_remove;
	snprintf(pid, sizeof(pid), "%d", (int)cg->pid);
	if ((rc = cgfs_put(&cg->fs, cg->path, "cgroup.procs", pid, why)))
		goto out_remove;
	cg->moved = true;
	if (cfg->threads) {
		/* every thread to emulator/; the VM moves the vCPUs to vcpus/ */
		if (cgfs_join(dir, cg->path, "emulator"))
			rc = cgfs_fail(why, -ENAMETOOLONG, "%s: path too long", cg->path);
		else
			rc = cgfs_move_threads(&cg->fs, dir, why);
		if (rc)
			goto out_remove;
	}
	*out = cg;
	return 0;

out_remove:
	if (cg->moved)
		move_back(cg);
	if (cgfs_remove(&cg->fs, cg->path))
		log_warn("cgroup %s: cannot remove it after a failed setup", cg->path);
out_free:
	pthread_mutex_destroy(&cg->lock);
	free(cg);
	return rc;
}

int cgroup_place_thread(struct vm_cgroup *cg, int tid, bool vcpu)
{
	char dir[PATH_MAX], text[16];

	if (!cg || !cg->cfg.threads)
		return 0;
	if (tid <= 0)
		return -EINVAL;
	if (cgfs_join(dir, cg->path, vcpu ? "vcpus" : "emulator"))
		return -ENAMETOOLONG;
	snprintf(text, sizeof(text), "%d", tid);
	return cgfs_write(&cg->fs, dir, "cgroup.threads", text);
}

int cgroup_set(struct vm_cgroup *cg, const char *key, const char *value, char *why)
{
	struct cgroup_config one, next;
	int rc;

	if (!cg)
		return cgfs_fail(why, -ENOENT, "the VM has no cgroup (start it with --cgroup)");
	if (!strcmp(key, "path") || !strcmp(key, "threads"))
		return cgfs_fail(why, -EINVAL, "%s cannot change while the VM runs", key);
	/* `one` holds just this key: its writes and the controllers it needs */
	memset(&one, 0, sizeof(one));
	one.threads = cg->cfg.threads;
	if ((rc = config_cgroup_set(&one, key, value, why)) ||
	    (rc = config_cgroup_finish(&one, why)))
		return rc;
	pthread_mutex_lock(&cg->lock);
	next = cg->cfg;
	rc = config_cgroup_set(&next, key, value, why); /* io.max: room for one more device? */
	if (!rc)
		rc = cgfs_ensure_parents(&cg->fs, cg->path, group_mask(&one), why);
	if (!rc && one.threads)
		rc = cgfs_enable(&cg->fs, cg->path, sub_mask(&one), why);
	if (!rc)
		rc = write_limits(cg, &one, why);
	if (!rc)
		cg->cfg = next;
	pthread_mutex_unlock(&cg->lock);
	return rc;
}

int cgroup_read(struct vm_cgroup *cg, const char *file, char *buf, size_t len)
{
	const char *name = file;
	char p[PATH_MAX];

	if (!cg)
		return -ENOENT;
	if (cg->cfg.threads && !strncmp(file, "vcpus/", 6))
		name = file + 6;
	else if (cg->cfg.threads && !strncmp(file, "emulator/", 9))
		name = file + 9;
	/* a file of the group, never a way out of it */
	if (!*name || *name == '.' || name[strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._")])
		return -EINVAL;
	if (cgfs_join(p, cg->path, file))
		return -ENAMETOOLONG;
	return cgfs_read(p, buf, len);
}

void cgroup_get_config(struct vm_cgroup *cg, struct cgroup_config *out)
{
	if (!cg) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&cg->lock);
	*out = cg->cfg;
	pthread_mutex_unlock(&cg->lock);
}

void cgroup_teardown(struct vm_cgroup *cg)
{
	int rc;

	if (!cg)
		return;
	if (cg->moved)
		move_back(cg);
	rc = cgfs_remove(&cg->fs, cg->path);
	if (rc)
		log_warn("cgroup %s: cannot remove it: %s", cg->path, strerror(-rc));
	pthread_mutex_destroy(&cg->lock);
	free(cg);
}

const char *cgroup_path(const struct vm_cgroup *cg)
{
	return cg ? cg->path : NULL;
}
