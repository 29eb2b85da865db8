// SPDX-License-Identifier: GPL-2.0-only
/* --disk option strings: defaults, every key, the FILE shorthand, every error and its text. */
#include <errno.h>

#include "backend/block.h"
#include "config/config.h"
#include "unit.h"

static struct disk_config d;
static char err[CONFIG_ERR_LEN];

static int parse(const char *s)
{
	memset(err, 0, sizeof(err));
	return config_parse_disk(s, 3, &d, err);
}

TEST(defaults)
{
	CHECK_EQ(parse("path=/tmp/a.img"), 0);
	CHECK_STR(d.path, "/tmp/a.img");
	CHECK_STR(d.id, "disk3");
	CHECK_STR(d.serial, "disk3");
	CHECK(!d.readonly);
	CHECK(!d.discard);
	CHECK_EQ(d.cache, BLK_CACHE_WRITEBACK);
	CHECK_EQ(d.aio, BLK_AIO_THREADS);
	CHECK_EQ(d.queues, 1);
	CHECK_EQ(d.queue_size, 256);
	CHECK_EQ(d.throttle.bps, 0);
	CHECK_EQ(d.throttle.iops, 0);
	CHECK_EQ(d.throttle.bps_wr_max, 0);
	CHECK_EQ(d.throttle.iops_rd_max, 0);
	CHECK_STR(err, "");
	config_free_disk(&d);
	CHECK(d.path == NULL && d.id == NULL && d.serial == NULL);

	/* the index names the default id */
	CHECK_EQ(config_parse_disk("path=x", 0, &d, err), 0);
	CHECK_STR(d.id, "disk0");
	config_free_disk(&d);
	CHECK_EQ(config_parse_disk("path=x", 15, &d, err), 0);
	CHECK_STR(d.id, "disk15");
	CHECK_STR(d.serial, "disk15");
	config_free_disk(&d);
}

TEST(every_key)
{
	CHECK_EQ(parse("path=/d/b.raw,id=root,serial=SN-0001,readonly=on,discard=on,cache=none,"
		       "aio=io_uring,queues=4,queue_size=128"),
		 0);
	CHECK_STR(d.path, "/d/b.raw");
	CHECK_STR(d.id, "root");
	CHECK_STR(d.serial, "SN-0001");
	CHECK(d.readonly);
	CHECK(d.discard);
	CHECK_EQ(d.cache, BLK_CACHE_NONE);
	CHECK_EQ(d.aio, BLK_AIO_IO_URING);
	CHECK_EQ(d.queues, 4);
	CHECK_EQ(d.queue_size, 128);
	config_free_disk(&d);

	/* serial defaults to an explicit id */
	CHECK_EQ(parse("path=x,id=data"), 0);
	CHECK_STR(d.serial, "data");
	config_free_disk(&d);

	/* every cache mode, and the other spellings of on/off */
	{
		static const struct {
			const char *name;
			int mode;
		} modes[] = { { "none", BLK_CACHE_NONE },
			      { "writeback", BLK_CACHE_WRITEBACK },
			      { "writethrough", BLK_CACHE_WRITETHROUGH },
			      { "directsync", BLK_CACHE_DIRECTSYNC },
			      { "unsafe", BLK_CACHE_UNSAFE } };
		char s[64];

		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			snprintf(s, sizeof(s), "path=x,cache=%s", modes[i].name);
			CHECK_EQ(parse(s), 0);
			CHECK_EQ(d.cache, modes[i].mode);
			config_free_disk(&d);
		}
	}
	CHECK_EQ(parse("path=x,readonly=true,discard=1,aio=threads"), 0);
	CHECK(d.readonly);
	CHECK(d.discard);
	CHECK_EQ(d.aio, BLK_AIO_THREADS);
	config_free_disk(&d);
	CHECK_EQ(parse("path=x,readonly=off,discard=false,readonly=0"), 0);
	CHECK(!d.readonly);
	CHECK(!d.discard);
	config_free_disk(&d);
	/* num_queues is an alias; the bounds are inclusive */
	CHECK_EQ(parse("path=x,num_queues=32,queue_size=1024"), 0);
	CHECK_EQ(d.queues, 32);
	CHECK_EQ(d.queue_size, 1024);
	config_free_disk(&d);
	CHECK_EQ(parse("path=x,queues=1,queue_size=2"), 0);
	CHECK_EQ(d.queues, 1);
	CHECK_EQ(d.queue_size, 2);
	config_free_disk(&d);
	/* 20 characters of serial, 32 of id */
	CHECK_EQ(parse("path=x,serial=ABCDEFGHIJKLMNOPQRST,"
		       "id=abcdefghijklmnopqrstuvwxyz012345"),
		 0);
	CHECK_STR(d.serial, "ABCDEFGHIJKLMNOPQRST");
	CHECK_STR(d.id, "abcdefghijklmnopqrstuvwxyz012345");
	config_free_disk(&d);
	/* a comma in the path, escaped */
	CHECK_EQ(parse("path=/a,,b.img,id=x"), 0);
	CHECK_STR(d.path, "/a,b.img");
	config_free_disk(&d);
	/* a later key wins */
	CHECK_EQ(parse("path=one,path=two,cache=none,cache=unsafe"), 0);
	CHECK_STR(d.path, "two");
	CHECK_EQ(d.cache, BLK_CACHE_UNSAFE);
	config_free_disk(&d);
}

TEST(shorthand)
{
	CHECK_EQ(parse("/var/disk.img"), 0);
	CHECK_STR(d.path, "/var/disk.img");
	CHECK_STR(d.id, "disk3");
	config_free_disk(&d);
	CHECK_EQ(parse("disk.img,readonly=on,id=boot"), 0);
	CHECK_STR(d.path, "disk.img");
	CHECK(d.readonly);
	CHECK_STR(d.id, "boot");
	config_free_disk(&d);
	/* only the first piece may be bare */
	CHECK_EQ(parse("readonly=on,disk.img"), -EINVAL);
	CHECK_STR(err, "'disk.img': expected key=value");
	CHECK_EQ(parse("a.img,b.img"), -EINVAL);
	CHECK_STR(err, "'b.img': expected key=value");
}

struct bad {
	const char *opt, *why;
};

TEST(errors)
{
	static const struct bad bad[] = {
		{ "path=x,size=1G", "unknown key 'size'" },
		{ "path=x,Path=y", "unknown key 'Path'" },
		{ "path=x,cache=fast",
		  "cache='fast': use none, writeback, writethrough, directsync or unsafe" },
		{ "path=x,cache=",
		  "cache='': use none, writeback, writethrough, directsync or unsafe" },
		{ "path=x,aio=native", "aio='native': use threads or io_uring" },
		{ "path=x,queues=0", "queues='0': between 1 and 32" },
		{ "path=x,queues=33", "queues='33': between 1 and 32" },
		{ "path=x,num_queues=-1", "queues='-1': between 1 and 32" },
		{ "path=x,queues=two", "queues='two': between 1 and 32" },
		{ "path=x,queue_size=100", "queue_size='100': a power of 2 from 2 to 1024" },
		{ "path=x,queue_size=1", "queue_size='1': a power of 2 from 2 to 1024" },
		{ "path=x,queue_size=2048", "queue_size='2048': a power of 2 from 2 to 1024" },
		{ "path=x,queue_size=0", "queue_size='0': a power of 2 from 2 to 1024" },
		{ "path=x,serial=ABCDEFGHIJKLMNOPQRSTU",
		  "serial='ABCDEFGHIJKLMNOPQRSTU': at most 20 characters" },
		{ "path=x,id=a/b", "id='a/b': use 1-32 characters, no '/', quotes or spaces" },
		{ "path=x,id=a b", "id='a b': use 1-32 characters, no '/', quotes or spaces" },
		{ "path=x,id=", "id='': use 1-32 characters, no '/', quotes or spaces" },
		{ "path=x,id=abcdefghijklmnopqrstuvwxyz0123456",
		  "id='abcdefghijklmnopqrstuvwxyz0123456': use 1-32 characters, no '/', quotes or "
		  "spaces" },
		{ "path=x,readonly=yes", "readonly='yes': use on or off" },
		{ "path=x,discard=", "discard='': use on or off" },
		{ "path=x,bps=fast", "bps='fast': not a byte rate (e.g. 10M)" },
		{ "path=x,bps_rd=10X", "bps_rd='10X': not a byte rate (e.g. 10M)" },
		{ "path=x,bps_wr_max=", "bps_wr_max='': not a byte rate (e.g. 10M)" },
		{ "path=x,iops=1k", "iops='1k': not a number" },
		{ "path=x,iops_wr=-5", "iops_wr='-5': not a number" },
		{ "path=x,iops_rd_max=", "iops_rd_max='': not a number" },
		{ "path=x,iops=99999999999999999999", "iops='99999999999999999999': not a number" },
		{ "path=", "path is empty" },
		{ "id=foo", "path= is required" },
		{ "", "path= is required" },
		{ "path=x,readonly", "'readonly': expected key=value" },
		{ "=x", "malformed option string" },
		{ "path=x,=1", "malformed option string" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].opt);

		if (rc != -EINVAL || strcmp(err, bad[i].why)) {
			CHECK_STR(bad[i].opt, "");
			CHECK_EQ(rc, -EINVAL);
			CHECK_STR(err, bad[i].why);
		}
		/* nothing is left allocated or half-filled */
		CHECK(d.path == NULL && d.id == NULL && d.serial == NULL);
	}
}

TEST(too_many_keys)
{
	char s[64 * 8];
	size_t n = (size_t)snprintf(s, sizeof(s), "path=x");

	for (int i = 0; i < 48; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, ",iops=%d", i);
	CHECK_EQ(parse(s), -EINVAL);
	CHECK_STR(err, "too many keys");
	CHECK(d.path == NULL);
}

TEST(limits)
{
	CHECK_EQ(parse("path=x,bps=10M,bps_rd=512K,bps_wr=1G,iops=100,iops_rd=7,iops_wr=0,"
		       "bps_max=20M,bps_rd_max=4096,bps_wr_max=2g,iops_max=200,iops_rd_max=8,"
		       "iops_wr_max=9"),
		 0);
	CHECK_EQ(d.throttle.bps, 10ULL << 20);
	CHECK_EQ(d.throttle.bps_rd, 512ULL << 10);
	CHECK_EQ(d.throttle.bps_wr, 1ULL << 30);
	CHECK_EQ(d.throttle.iops, 100);
	CHECK_EQ(d.throttle.iops_rd, 7);
	CHECK_EQ(d.throttle.iops_wr, 0);
	CHECK_EQ(d.throttle.bps_max, 20ULL << 20);
	CHECK_EQ(d.throttle.bps_rd_max, 4096);
	CHECK_EQ(d.throttle.bps_wr_max, 2ULL << 30);
	CHECK_EQ(d.throttle.iops_max, 200);
	CHECK_EQ(d.throttle.iops_rd_max, 8);
	CHECK_EQ(d.throttle.iops_wr_max, 9);
	config_free_disk(&d);

	/* each key lands in its own field */
	CHECK_EQ(parse("path=x,iops_wr=5"), 0);
	CHECK_EQ(d.throttle.iops_wr, 5);
	CHECK_EQ(d.throttle.iops, 0);
	CHECK_EQ(d.throttle.iops_rd, 0);
	CHECK_EQ(d.throttle.iops_wr_max, 0);
	config_free_disk(&d);
	CHECK_EQ(parse("path=x,bps_rd_max=1M"), 0);
	CHECK_EQ(d.throttle.bps_rd_max, 1ULL << 20);
	CHECK_EQ(d.throttle.bps_rd, 0);
	CHECK_EQ(d.throttle.bps_max, 0);
	config_free_disk(&d);
}

UNIT_MAIN("disk_config", T(defaults), T(every_key), T(shorthand), T(errors), T(too_many_keys),
	  T(limits))
