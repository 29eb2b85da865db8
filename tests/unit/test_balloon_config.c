// SPDX-License-Identifier: GPL-2.0-only
/* --balloon option strings: defaults, every key, every error and its text. */
#include <errno.h>

#include "config/config.h"
#include "unit.h"

static struct balloon_config b;
static char err[CONFIG_ERR_LEN];

static int parse(const char *s)
{
	memset(err, 0, sizeof(err));
	return config_parse_balloon(s, &b, err);
}

TEST(defaults)
{
	struct vm_config cfg;

	CHECK_EQ(parse(""), 0);
	CHECK(b.enabled);
	CHECK_EQ(b.size, 0);
	CHECK(!b.deflate_on_oom);
	CHECK(!b.free_page_reporting);
	CHECK_EQ(b.stats_period, 0);
	CHECK_STR(err, "");
	/* a VM has no balloon unless asked */
	config_init(&cfg);
	CHECK(!cfg.balloon.enabled);
	config_free(&cfg);
}

TEST(every_key)
{
	CHECK_EQ(parse("size=1G,deflate_on_oom=on,free_page_reporting=on,stats_period=5"), 0);
	CHECK(b.enabled);
	CHECK_EQ(b.size, 1ULL << 30);
	CHECK(b.deflate_on_oom);
	CHECK(b.free_page_reporting);
	CHECK_EQ(b.stats_period, 5);
	CHECK_EQ(parse("size=512M,deflate_on_oom=off,free_page_reporting=false,stats_period=0"), 0);
	CHECK_EQ(b.size, 512ULL << 20);
	CHECK(!b.deflate_on_oom && !b.free_page_reporting);
	CHECK_EQ(b.stats_period, 0);
	CHECK_EQ(parse("size=4096"), 0);
	CHECK_EQ(b.size, 4096);
	CHECK_EQ(parse("stats_period=86400"), 0);
	CHECK_EQ(b.stats_period, 86400);
}

TEST(errors)
{
	CHECK_EQ(parse("size=lots"), -EINVAL);
	CHECK_STR(err, "size='lots': not a size (e.g. 512M, 2G)");
	CHECK(!b.enabled);
	CHECK_EQ(parse("size=1.5G"), -EINVAL);
	CHECK_EQ(parse("deflate_on_oom=yes"), -EINVAL);
	CHECK_STR(err, "deflate_on_oom='yes': use on or off");
	CHECK_EQ(parse("free_page_reporting="), -EINVAL);
	CHECK_STR(err, "free_page_reporting='': use on or off");
	CHECK_EQ(parse("stats_period=86401"), -EINVAL);
	CHECK_STR(err, "stats_period='86401': seconds, 0 (off) to 86400");
	CHECK_EQ(parse("stats_period=-1"), -EINVAL);
	CHECK_EQ(parse("target=1G"), -EINVAL);
	CHECK_STR(err, "unknown key 'target' (size, deflate_on_oom, free_page_reporting, "
		       "stats_period)");
	CHECK_EQ(parse("1G"), -EINVAL);
	CHECK_STR(err, "'1G': expected key=value");
	CHECK_EQ(parse("=1"), -EINVAL);
	CHECK_STR(err, "malformed option string");
	/* the first bad key is the one named */
	CHECK_EQ(parse("size=1G,stats_period=x,deflate_on_oom=maybe"), -EINVAL);
	CHECK_STR(err, "stats_period='x': seconds, 0 (off) to 86400");
	CHECK(!b.enabled && b.size == 0);
}

UNIT_MAIN("balloon_config", T(defaults), T(every_key), T(errors))
