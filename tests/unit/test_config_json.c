// SPDX-License-Identifier: GPL-2.0-only
/*
 * The JSON configuration (src/config/json.c): what --print-config writes,
 * --config reads back the same; objects built into option strings (numa,
 * balloon) keep their keys and values whole. tests/fuzz/fuzz_config_json.c
 * checks the same round trip on arbitrary input.
 */
#include <errno.h>

#include "config/config.h"
#include "unit.h"

static char err[CONFIG_ERR_LEN];

static int load(struct vm_config *cfg, const char *text)
{
	config_init(cfg);
	err[0] = 0;
	return config_from_json(cfg, text, strlen(text), err);
}

/* text -> config -> JSON -> config -> the same JSON. */
static bool round_trips(const char *text)
{
	struct vm_config a, b;
	char *ja = NULL, *jb = NULL;
	bool ok = false;

	config_init(&b);
	if (!load(&a, text) && !config_numa_finish(&a, err)) {
		ja = config_to_json(&a);
		if (ja && !load(&b, ja)) {
			jb = config_to_json(&b);
			ok = jb && !strcmp(ja, jb);
		}
		config_free(&b);
	}
	if (!ok)
		fprintf(stderr, "round trip of %s: %s\n%s\n%s\n", text, err, ja ? ja : "",
			jb ? jb : "");
	free(ja);
	free(jb);
	config_free(&a);
	return ok;
}

TEST(full_config_round_trips)
{
	CHECK(round_trips("{\"kernel\": \"/k\"}"));
	CHECK(round_trips(
		"{\"name\": \"vm1\", \"kernel\": \"/boot/vmlinuz\", \"initrd\": \"/i\", \"cmdline\": \"quiet\","
		" \"cpus\": {\"boot\": 2, \"max\": 4, \"topology\": \"1:1:2:2\", \"pmu\": false},"
		" \"memory\": {\"size\": \"1G\", \"hugepages\": \"2M\", \"locked\": true, \"merge\": false},"
		" \"no_reboot\": true, \"console\": \"virtio\", \"rng\": true, \"shutdown_timeout\": 30,"
		" \"api_socket\": \"/tmp/vm1.sock\", \"metrics_listen\": \"127.0.0.1:9100\","
		" \"balloon\": {\"size\": \"64M\", \"deflate_on_oom\": true, \"stats_period\": 5},"
		" \"cgroup\": {\"cpu.weight\": 200, \"cpu.max\": \"50%\", \"memory.max\": \"2G\"},"
		" \"iothreads\": {\"count\": 2},"
		" \"disks\": [{\"path\": \"/r.img\", \"id\": \"root\", \"cache\": \"none\", \"iops\": 100,"
		" \"bps_max\": \"20M\"}, {\"path\": \"/d.img\", \"readonly\": true}],"
		" \"nets\": [{\"tap\": \"tap0\", \"mac\": \"52:54:00:12:34:56\", \"queues\": 2, \"mtu\": 9000},"
		" {\"user\": true, \"hostfwd\": [\"tcp:2222-:22\"], \"rx_bps\": \"10M\"}]}"));
}

TEST(numa_lists_with_commas)
{
	struct vm_config c;

	/* "0,2" is one value, not "cpus=0" and a key "2" */
	CHECK_EQ(load(&c, "{\"cpus\": 4, \"memory\": \"1G\", \"numa\": ["
			  "{\"node\": 0, \"cpus\": \"0,2\", \"memory\": \"512M\"},"
			  "{\"node\": 1, \"cpus\": \"[1,3]\", \"memory\": \"512M\"}]}"),
		 0);
	CHECK_STR(err, "");
	CHECK_EQ(c.nr_numa, 2);
	CHECK(CPU_ISSET(0, &c.numa[0].vcpus) && CPU_ISSET(2, &c.numa[0].vcpus) &&
	      CPU_COUNT(&c.numa[0].vcpus) == 2);
	CHECK(CPU_ISSET(1, &c.numa[1].vcpus) && CPU_ISSET(3, &c.numa[1].vcpus) &&
	      CPU_COUNT(&c.numa[1].vcpus) == 2);
	CHECK_STR(c.numa[0].cpus_str, "0,2");
	config_free(&c);
	CHECK(round_trips("{\"cpus\": 4, \"memory\": \"1G\", \"numa\": ["
			  "{\"node\": 0, \"cpus\": \"0,2\", \"memory\": \"512M\"},"
			  "{\"node\": 1, \"cpus\": \"1,3\", \"memory\": \"512M\", \"distance\": \"0@20\"}]}"));
}

TEST(option_string_injection_refused)
{
	struct vm_config c;

	/* a key that the option parser would split into two */
	CHECK_EQ(load(&c, "{\"cpus\": 2, \"numa\": [{\"node=0,cpus\": \"0-1\", \"memory\": \"512M\"}]}"),
		 -EINVAL);
	CHECK_STR(err, "$.numa[0].node=0,cpus: unknown key");
	CHECK_EQ(c.nr_numa, 0);
	config_free(&c);
	CHECK_EQ(load(&c, "{\"balloon\": {\"size=1G,deflate_on_oom\": \"on\"}}"), -EINVAL);
	CHECK_STR(err, "$.balloon.size=1G,deflate_on_oom: unknown key");
	CHECK(!c.balloon.enabled);
	config_free(&c);
	/* a value with a comma stays one (bad) value */
	CHECK_EQ(load(&c, "{\"balloon\": {\"size\": \"64M,deflate_on_oom=on\"}}"), -EINVAL);
	CHECK(!c.balloon.enabled);
	config_free(&c);
}

TEST(long_option_strings_refused)
{
	struct vm_config c;
	size_t n = 1100;
	char *text = malloc(n + 128);

	if (!text)
		return;
	/* a key longer than the option buffer: refused, nothing written past it (ASan) */
	strcpy(text, "{\"cpus\": 2, \"numa\": [{\"");
	memset(text + strlen(text), 'x', n);
	strcpy(text + strlen("{\"cpus\": 2, \"numa\": [{\"") + n, "\": \"1\", \"node\": \"0\"}]}");
	CHECK_EQ(load(&c, text), -EINVAL);
	CHECK_STR(err, "$.numa[0]: too long");
	config_free(&c);
	/* the same for a --device's address */
	strcpy(text, "{\"devices\": [{\"vfio\": \"");
	memset(text + strlen(text), 'x', n);
	strcpy(text + strlen("{\"devices\": [{\"vfio\": \"") + n, "\", \"id\": \"a\"}]}");
	CHECK_EQ(load(&c, text), -EINVAL);
	CHECK_STR(err, "$.devices[0]: too long");
	CHECK_EQ(c.nr_vfio, 0);
	config_free(&c);
	free(text);
}

TEST(errors_name_the_path)
{
	struct vm_config c;

	CHECK_EQ(load(&c, "{\"disks\": [{\"path\": \"/a\"}, {\"path\": \"/b\", \"cache\": \"x\"}]}"),
		 -EINVAL);
	CHECK(!strncmp(err, "$.disks[1].cache: ", 18));
	CHECK_EQ(c.nr_disks, 1); /* the first is kept, freed by config_free */
	config_free(&c);
	CHECK_EQ(load(&c, "{\"nets\": [{\"user\": true, \"hostfwd\": [\"tcp:1-:2\", 3]}]}"), -EINVAL);
	CHECK_STR(err, "$.nets[0].hostfwd[1]: expected a string");
	config_free(&c);
	CHECK_EQ(load(&c, "{\"name\": \"a\", \"name\": \"b\"}"), -EINVAL);
	CHECK(strstr(err, "duplicate object key") != NULL);
	config_free(&c);
	CHECK_EQ(load(&c, "{\"bogus\": 1}"), -EINVAL);
	CHECK_STR(err, "$.bogus: unknown key");
	config_free(&c);
}

UNIT_MAIN("config_json", T(full_config_round_trips), T(numa_lists_with_commas),
	  T(option_string_injection_refused), T(long_option_strings_refused), T(errors_name_the_path))
