// SPDX-License-Identifier: GPL-2.0-only
/* Console escape filter: Ctrl-A x quits, Ctrl-A Ctrl-A / Ctrl-A a send Ctrl-A. */
#include "backend/term.h"
#include "unit.h"

struct result {
	bool quit;
	size_t n;
	uint8_t out[64];
};

/* Feed a string through the filter; the output is NUL-terminated for CHECK_STR. */
static struct result feed(struct term *t, const char *in)
{
	struct result r;
	size_t len = strlen(in);

	memset(&r, 0, sizeof(r));
	memset(r.out, 0xee, sizeof(r.out) - 1);
	r.quit = term_filter(t, (const uint8_t *)in, len, r.out, &r.n);
	if (r.n < sizeof(r.out))
		r.out[r.n] = 0;
	return r;
}

TEST(plain_bytes_pass)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "hello\r\n\x1b[A\x7f");

	CHECK(!r.quit);
	CHECK_EQ(r.n, 11);
	CHECK_STR((char *)r.out, "hello\r\n\x1b[A\x7f");
	CHECK(!t.escape);
}

TEST(empty_input)
{
	struct term t = { .in_fd = -1 };
	uint8_t out[2] = { 0xee, 0xee };
	size_t n = 99;

	CHECK(!term_filter(&t, out, 0, out, &n));
	CHECK_EQ(n, 0);
}

TEST(ctrl_a_x_quits)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "ab\x01x" "cd");

	CHECK(r.quit);
	CHECK_EQ(r.n, 2);
	CHECK_STR((char *)r.out, "ab");
	CHECK(!t.escape);
}

TEST(ctrl_a_capital_x_quits)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "\x01X");

	CHECK(r.quit);
	CHECK_EQ(r.n, 0);
}

TEST(ctrl_a_a_sends_one_ctrl_a)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "1\x01" "a2");

	CHECK(!r.quit);
	CHECK_EQ(r.n, 3);
	CHECK_STR((char *)r.out, "1\x01" "2");
}

TEST(ctrl_a_ctrl_a_sends_one_ctrl_a)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "\x01\x01\x01\x01");

	CHECK(!r.quit);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.out[0], 0x01);
	CHECK_EQ(r.out[1], 0x01);
	CHECK(!t.escape);
}

TEST(ctrl_a_other_sends_both)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "\x01" "b\x01" "c");

	CHECK(!r.quit);
	CHECK_EQ(r.n, 4);
	CHECK_STR((char *)r.out, "\x01" "b\x01" "c");
	/* Ctrl-A then 'A' (capital) is not the literal-Ctrl-A escape */
	r = feed(&t, "\x01" "A");
	CHECK_EQ(r.n, 2);
	CHECK_STR((char *)r.out, "\x01" "A");
}

TEST(escape_split_across_calls)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "zz\x01");

	CHECK(!r.quit);
	CHECK_EQ(r.n, 2);
	CHECK(t.escape);
	r = feed(&t, "x");
	CHECK(r.quit);
	CHECK_EQ(r.n, 0);

	t = (struct term){ .in_fd = -1 };
	feed(&t, "\x01");
	r = feed(&t, "\x01y");
	CHECK(!r.quit);
	CHECK_EQ(r.n, 2);
	CHECK_STR((char *)r.out, "\x01y");

	t = (struct term){ .in_fd = -1 };
	feed(&t, "\x01");
	r = feed(&t, "q");
	CHECK(!r.quit);
	CHECK_STR((char *)r.out, "\x01q");
	/* the output never needs more than twice the input */
	CHECK(r.n <= 2);
}

TEST(trailing_escape_is_held)
{
	struct term t = { .in_fd = -1 };
	struct result r = feed(&t, "\x01");

	CHECK(!r.quit);
	CHECK_EQ(r.n, 0);
	CHECK(t.escape);
}

UNIT_MAIN("term", T(plain_bytes_pass), T(empty_input), T(ctrl_a_x_quits),
	  T(ctrl_a_capital_x_quits), T(ctrl_a_a_sends_one_ctrl_a), T(ctrl_a_ctrl_a_sends_one_ctrl_a),
	  T(ctrl_a_other_sends_both), T(escape_split_across_calls), T(trailing_escape_is_held))
