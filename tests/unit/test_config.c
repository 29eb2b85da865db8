// SPDX-License-Identifier: GPL-2.0-only
/* Size and integer option parsing. */
#include <errno.h>

#include "config/config.h"
#include "unit.h"

#define MAGIC 0x5a5a5a5a5a5a5a5aULL

/* The parsed value, or MAGIC when the parser left *out alone. */
static int size(const char *s, uint64_t *v)
{
	*v = MAGIC;
	return config_parse_size(s, v);
}

TEST(size_accepted)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "512M", 512ULL << 20 },  { "2G", 2ULL << 30 },   { "1K", 1024 },
		{ "4096", 4096 },	   { "1GiB", 1ULL << 30 }, { "1gb", 1ULL << 30 },
		{ "16m", 16ULL << 20 },	   { "1T", 1ULL << 40 },   { "3k", 3072 },
		{ "0", 0 },		   { "64B", 64 },	   { "1MB", 1ULL << 20 },
		{ "2kib", 2048 },	   { "007M", 7ULL << 20 }, { "64T", 64ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ULL << 30 }, /* largest that fits */
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v;
		int rc = size(ok[i].s, &v);

		if (rc || v != ok[i].v) {
			CHECK_STR(ok[i].s, "(accepted with this value)");
			CHECK_EQ(rc, 0);
			CHECK_EQ(v, ok[i].v);
		}
	}
}

TEST(size_rejected)
{
	static const char *const bad[] = {
		"12Q", "", "M", "-1", "1.5G", "1GX", " 1G", "1G ", "+1G", "1 G", "0x10",
		"1iB", "1GBB", "1GiBx", "1KK", "G1", "1e3", "1Bx", "1b2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		int rc = size(bad[i], &v);

		if (rc != -EINVAL || v != MAGIC) {
			CHECK_STR(bad[i], "(rejected with -EINVAL)");
			CHECK_EQ(rc, -EINVAL);
			CHECK_EQ(v, MAGIC);
		}
	}
	CHECK_EQ(config_parse_size(NULL, &(uint64_t){ 0 }), -EINVAL);
}

TEST(size_out_of_range)
{
	uint64_t v;

	CHECK_EQ(size("99999999999999999999", &v), -ERANGE);
	CHECK_EQ(v, MAGIC);
	CHECK_EQ(size("18446744073709551616", &v), -ERANGE); /* 2^64 */
	CHECK_EQ(size("20000000000G", &v), -ERANGE);
	CHECK_EQ(v, MAGIC);
	CHECK_EQ(size("17179869184G", &v), -ERANGE); /* 2^64 exactly */
	CHECK_EQ(size("16777216T", &v), -ERANGE);
	CHECK_EQ(size("18014398509481984K", &v), -ERANGE);
	CHECK_EQ(size("16777215T", &v), 0);
	CHECK_EQ(v, 16777215ULL << 40);
}

TEST(uint_ranges)
{
	uint64_t v = MAGIC;

	CHECK_EQ(config_parse_uint("1", 1, 255, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(config_parse_uint("255", 1, 255, &v), 0);
	CHECK_EQ(v, 255);
	CHECK_EQ(config_parse_uint("0042", 1, 255, &v), 0);
	CHECK_EQ(v, 42);
	v = MAGIC;
	CHECK_EQ(config_parse_uint("0", 1, 255, &v), -ERANGE);
	CHECK_EQ(config_parse_uint("256", 1, 255, &v), -ERANGE);
	CHECK_EQ(config_parse_uint("99999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(config_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(v, MAGIC);
	CHECK_EQ(config_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(config_parse_uint("18446744073709551610", 0, UINT64_MAX, &v), 0);
	CHECK_EQ(v, UINT64_MAX - 5);
	CHECK_EQ(config_parse_uint("0", 0, 0, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(config_parse_uint("7", 7, 7, &v), 0);
	CHECK_EQ(config_parse_uint("8", 7, 7, &v), -ERANGE);
}

TEST(uint_rejected)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1k", "0x10", "1.0", "abc" };
	uint64_t v = MAGIC;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = config_parse_uint(bad[i], 0, UINT64_MAX, &v);

		if (rc != -EINVAL) {
			CHECK_STR(bad[i], "(rejected with -EINVAL)");
			CHECK_EQ(rc, -EINVAL);
		}
	}
	CHECK_EQ(config_parse_uint(NULL, 0, 10, &v), -EINVAL);
	CHECK_EQ(v, MAGIC);
}

TEST(config_defaults)
{
	struct vm_config cfg;

	config_init(&cfg);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.mem_size, CONFIG_MEM_DEFAULT);
	CHECK_EQ(cfg.console, CONSOLE_SERIAL);
	CHECK(cfg.kernel == NULL);
	CHECK(!cfg.no_reboot);
	cfg.kernel = strdup("bzImage");
	config_free(&cfg);
	CHECK(cfg.kernel == NULL);
}

UNIT_MAIN("config", T(size_accepted), T(size_rejected), T(size_out_of_range), T(uint_ranges),
	  T(uint_rejected), T(config_defaults))
