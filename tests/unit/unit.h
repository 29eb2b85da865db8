/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal unit-test harness. Each TEST() is a function; CHECK() records a
 * failure with file:line and the expression, and the test goes on so one run
 * shows every broken assertion. main() runs every test registered in
 * UNIT_TESTS and prints "PASS suite/name" or "FAIL suite/name: why" for each
 * (tests/run.sh counts these lines). Exit status 1 when anything failed.
 */
#ifndef KASOU_TESTS_UNIT_H
#define KASOU_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed, unit_skipped;
static char unit_why[16384];

/* Skip the current test with a reason (printed as SKIP by the runner). */
#define SKIP_TEST(...)                                                                \
	do {                                                                          \
		unit_skipped = 1;                                                     \
		snprintf(unit_why, sizeof(unit_why), __VA_ARGS__);                    \
		return;                                                               \
	} while (0)

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond) && !unit_failed++)                                        \
			snprintf(unit_why, sizeof(unit_why), "%s:%d: %s", __FILE__, __LINE__, \
				 #cond);                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                                \
	do {                                                                          \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_ && !unit_failed++)                                       \
			snprintf(unit_why, sizeof(unit_why), "%s:%d: %s == %s (0x%llx != 0x%llx)", \
				 __FILE__, __LINE__, #a, #b, a_, b_);                 \
	} while (0)

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *a_ = (a), *b_ = (b);                                      \
		if ((!a_ || !b_ || strcmp(a_, b_)) && !unit_failed++)                 \
			snprintf(unit_why, sizeof(unit_why), "%s:%d: \"%s\" != \"%s\"", __FILE__, \
				 __LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)");   \
	} while (0)

#define TEST(name) static void test_##name(void)

struct unit_test {
	const char *name;
	void (*fn)(void);
};
#define T(name) { #name, test_##name }

static inline int unit_main(const char *suite, const struct unit_test *tests, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		unit_failed = 0;
		unit_skipped = 0;
		unit_why[0] = 0;
		tests[i].fn();
		if (unit_skipped && !unit_failed) {
			printf("SKIP %s/%s: %s\n", suite, tests[i].name, unit_why);
		} else if (unit_failed) {
			printf("FAIL %s/%s: %s\n", suite, tests[i].name, unit_why);
			failures++;
		} else {
			printf("PASS %s/%s\n", suite, tests[i].name);
		}
		fflush(stdout);
	}
	return failures ? 1 : 0;
}

#define UNIT_MAIN(suite, ...)                                                         \
	int main(void)                                                                \
	{                                                                             \
		static const struct unit_test tests_[] = { __VA_ARGS__ };             \
		return unit_main(suite, tests_, sizeof(tests_) / sizeof(tests_[0]));  \
	}

#endif
