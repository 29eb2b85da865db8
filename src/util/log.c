// SPDX-License-Identifier: GPL-2.0-only
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int log_verbosity = LOG_INFO;

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024];
	int n;
	va_list ap;

	if ((int)level > log_verbosity)
		return;
	n = snprintf(buf, sizeof(buf), "kasou: %s", level == LOG_WARN ? "warning: " : "");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write() per line keeps lines from different threads whole. Leading
	 * "\r" is not used: the terminal is in raw mode only while the console
	 * runs, and term.c restores it before any final message. */
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere left to report */
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = now_ms();

	if (rl->burst_left) {
		rl->burst_left--;
		rl->last_ms = now;
		return 1;
	}
	if (now - rl->last_ms >= 5000) {
		if (rl->suppressed)
			log_msg(LOG_WARN, "(%u similar messages suppressed)", rl->suppressed);
		rl->suppressed = 0;
		rl->last_ms = now;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

void log_bug(const char *file, int line, const char *what)
{
	log_msg(LOG_ERROR, "BUG at %s:%d: %s", file, line, what);
	abort();
}
