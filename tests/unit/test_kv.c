// SPDX-License-Identifier: GPL-2.0-only
/* "key=value,key=value" option strings: splitting, ",," escapes, bare words, errors, limits. */
#include <errno.h>

#include "config/kv.h"
#include "unit.h"

static struct kv kv;

TEST(pairs)
{
	CHECK_EQ(kv_parse(&kv, "a=1,b=2"), 0);
	CHECK_EQ(kv.nr, 2);
	CHECK_STR(kv.pairs[0].key, "a");
	CHECK_STR(kv.pairs[0].value, "1");
	CHECK(!kv.pairs[0].bare);
	CHECK_STR(kv.pairs[1].key, "b");
	CHECK_STR(kv.pairs[1].value, "2");
	CHECK(!kv.pairs[1].bare);
	kv_free(&kv);
	CHECK(kv.buf == NULL);
	CHECK_EQ(kv.nr, 0);

	CHECK_EQ(kv_parse(&kv, "path=/var/lib/disk.img"), 0);
	CHECK_EQ(kv.nr, 1);
	CHECK_STR(kv.pairs[0].key, "path");
	CHECK_STR(kv.pairs[0].value, "/var/lib/disk.img");
	kv_free(&kv);

	/* an empty value is a value, not a bare word */
	CHECK_EQ(kv_parse(&kv, "a=,b=x"), 0);
	CHECK_EQ(kv.nr, 2);
	CHECK_STR(kv.pairs[0].key, "a");
	CHECK_STR(kv.pairs[0].value, "");
	CHECK(!kv.pairs[0].bare);
	CHECK_STR(kv.pairs[1].value, "x");
	kv_free(&kv);
}

TEST(escaped_comma)
{
	CHECK_EQ(kv_parse(&kv, "path=/a,,b.img,id=x"), 0);
	CHECK_EQ(kv.nr, 2);
	CHECK_STR(kv.pairs[0].key, "path");
	CHECK_STR(kv.pairs[0].value, "/a,b.img");
	CHECK_STR(kv.pairs[1].key, "id");
	CHECK_STR(kv.pairs[1].value, "x");
	kv_free(&kv);

	/* two escapes in a row, and one at the very end */
	CHECK_EQ(kv_parse(&kv, "v=a,,,,b,w=c,,"), 0);
	CHECK_EQ(kv.nr, 2);
	CHECK_STR(kv.pairs[0].value, "a,,b");
	CHECK_STR(kv.pairs[1].key, "w");
	CHECK_STR(kv.pairs[1].value, "c,");
	kv_free(&kv);

	/* ",,," is an escaped comma then a separator */
	CHECK_EQ(kv_parse(&kv, "v=a,,,w=b"), 0);
	CHECK_EQ(kv.nr, 2);
	CHECK_STR(kv.pairs[0].value, "a,");
	CHECK_STR(kv.pairs[1].key, "w");
	CHECK_STR(kv.pairs[1].value, "b");
	kv_free(&kv);
}

TEST(bare_words)
{
	CHECK_EQ(kv_parse(&kv, "disk.img,readonly=on,verbose"), 0);
	CHECK_EQ(kv.nr, 3);
	CHECK_STR(kv.pairs[0].key, "disk.img");
	CHECK_STR(kv.pairs[0].value, "");
	CHECK(kv.pairs[0].bare);
	CHECK_STR(kv.pairs[1].key, "readonly");
	CHECK_STR(kv.pairs[1].value, "on");
	CHECK(!kv.pairs[1].bare);
	CHECK_STR(kv.pairs[2].key, "verbose");
	CHECK(kv.pairs[2].bare);
	kv_free(&kv);

	/* a bare word may hold an escaped comma too */
	CHECK_EQ(kv_parse(&kv, "a,,b"), 0);
	CHECK_EQ(kv.nr, 1);
	CHECK_STR(kv.pairs[0].key, "a,b");
	CHECK(kv.pairs[0].bare);
	kv_free(&kv);
}

TEST(empty_pieces_skipped)
{
	CHECK_EQ(kv_parse(&kv, ""), 0);
	CHECK_EQ(kv.nr, 0);
	kv_free(&kv);
	CHECK_EQ(kv_parse(&kv, ","), 0);
	CHECK_EQ(kv.nr, 0);
	kv_free(&kv);
	CHECK_EQ(kv_parse(&kv, ",a=1,"), 0);
	CHECK_EQ(kv.nr, 1);
	CHECK_STR(kv.pairs[0].key, "a");
	CHECK_STR(kv.pairs[0].value, "1");
	kv_free(&kv);
	CHECK_EQ(kv_parse(&kv, ",x,"), 0);
	CHECK_EQ(kv.nr, 1);
	CHECK_STR(kv.pairs[0].key, "x");
	CHECK(kv.pairs[0].bare);
	kv_free(&kv);
}

TEST(rejects_empty_key)
{
	CHECK_EQ(kv_parse(&kv, "=v"), -EINVAL);
	kv_free(&kv);
	CHECK_EQ(kv_parse(&kv, "a=1,=v"), -EINVAL);
	kv_free(&kv);
	CHECK_EQ(kv_parse(&kv, "a=1,="), -EINVAL);
	kv_free(&kv);
	CHECK(kv.buf == NULL);
}

TEST(value_keeps_equals)
{
	CHECK_EQ(kv_parse(&kv, "a=b=c,d==,e=x=y=z"), 0);
	CHECK_EQ(kv.nr, 3);
	CHECK_STR(kv.pairs[0].key, "a");
	CHECK_STR(kv.pairs[0].value, "b=c");
	CHECK_STR(kv.pairs[1].key, "d");
	CHECK_STR(kv.pairs[1].value, "=");
	CHECK_STR(kv.pairs[2].key, "e");
	CHECK_STR(kv.pairs[2].value, "x=y=z");
	kv_free(&kv);
}

TEST(too_many_pairs)
{
	char s[KV_MAX * 8 + 16];
	size_t n = 0;

	for (int i = 0; i < KV_MAX; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%sk%d=%d", i ? "," : "", i, i);
	CHECK_EQ(kv_parse(&kv, s), 0);
	CHECK_EQ(kv.nr, KV_MAX);
	CHECK_STR(kv.pairs[KV_MAX - 1].key, "k47");
	CHECK_STR(kv.pairs[KV_MAX - 1].value, "47");
	kv_free(&kv);
	/* empty pieces do not count */
	snprintf(s + n, sizeof(s) - n, ",");
	CHECK_EQ(kv_parse(&kv, s), 0);
	CHECK_EQ(kv.nr, KV_MAX);
	kv_free(&kv);
	/* one more is too many, bare or not */
	snprintf(s + n, sizeof(s) - n, ",x=1");
	CHECK_EQ(kv_parse(&kv, s), -E2BIG);
	kv_free(&kv);
	snprintf(s + n, sizeof(s) - n, ",x");
	CHECK_EQ(kv_parse(&kv, s), -E2BIG);
	kv_free(&kv);
}

UNIT_MAIN("kv", T(pairs), T(escaped_comma), T(bare_words), T(empty_pieces_skipped),
	  T(rejects_empty_key), T(value_keeps_equals), T(too_many_pairs))
