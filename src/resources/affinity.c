// SPDX-License-Identifier: GPL-2.0-only
#include "resources/affinity.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cpu_set_t original, io_set;
static bool have_original, io_pinned;

int affinity_init(const cpu_set_t *emulator, const cpu_set_t *io)
{
	pthread_mutex_lock(&lock);
	if (!have_original) {
		if (sched_getaffinity(0, sizeof(original), &original) < 0)
			CPU_ZERO(&original);
		have_original = true;
	}
	io_pinned = io != NULL;
	if (io)
		io_set = *io;
	pthread_mutex_unlock(&lock);
	if (emulator && sched_setaffinity(0, sizeof(*emulator), emulator) < 0)
		return -errno;
	return 0;
}

static const cpu_set_t *base(void)
{
	return have_original && CPU_COUNT(&original) ? &original : NULL;
}

void affinity_io_thread(void)
{
	cpu_set_t s;
	bool any;

	pthread_mutex_lock(&lock);
	any = io_pinned || base();
	if (any)
		s = io_pinned ? io_set : original;
	pthread_mutex_unlock(&lock);
	if (any)
		sched_setaffinity(0, sizeof(s), &s);
}

int affinity_vcpu(pthread_t t, const cpu_set_t *set)
{
	cpu_set_t s;

	pthread_mutex_lock(&lock);
	if (set)
		s = *set;
	else if (base())
		s = original;
	else
		CPU_ZERO(&s);
	pthread_mutex_unlock(&lock);
	if (!CPU_COUNT(&s))
		return 0;
	return -pthread_setaffinity_np(t, sizeof(s), &s);
}

/* thread class from its name: vcpuN, io-*, or the emulator */
static int class_of(int tid)
{
	char path[64], name[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	fclose(f);
	if (!strncmp(name, "vcpu", 4))
		return 0;
	if (!strncmp(name, "io-", 3))
		return 1;
	return 2;
}

static int repin(int cls, const cpu_set_t *set)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int err = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		int tid = atoi(e->d_name);

		if (tid > 0 && class_of(tid) == cls && sched_setaffinity(tid, sizeof(*set), set) < 0)
			err = -errno;
	}
	closedir(d);
	return err;
}

int affinity_set_emulator(const cpu_set_t *set)
{
	cpu_set_t s;

	pthread_mutex_lock(&lock);
	s = set ? *set : original;
	pthread_mutex_unlock(&lock);
	return repin(2, &s);
}

int affinity_set_io(const cpu_set_t *set)
{
	cpu_set_t s;

	pthread_mutex_lock(&lock);
	io_pinned = set != NULL;
	if (set)
		io_set = *set;
	s = set ? *set : original;
	pthread_mutex_unlock(&lock);
	return repin(1, &s);
}

void affinity_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (int c = 0; c < CPU_SETSIZE && o < len; c++) {
		int end = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
			end++;
		o += (size_t)snprintf(buf + o, len - o, o ? ",%d" : "%d", c);
		if (end > c && o < len)
			o += (size_t)snprintf(buf + o, len - o, "-%d", end);
		c = end;
	}
}

int affinity_of_tid(int tid, cpu_set_t *set)
{
	return sched_getaffinity(tid, sizeof(*set), set) < 0 ? -errno : 0;
}
