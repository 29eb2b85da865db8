/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging. One line per message on stderr, prefixed "kasou: ".
 * Safe from any thread. log_ratelimited() bounds guest-triggered messages
 * (error kind 2) so a hostile guest cannot flood the host log.
 */
#ifndef KASOU_UTIL_LOG_H
#define KASOU_UTIL_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int log_verbosity; /* messages above this level are dropped */

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A per-call-site budget: at most `burst` messages, then one per `interval_ms`. */
struct log_ratelimit {
	uint64_t last_ms;
	uint32_t burst_left;
	uint32_t suppressed;
};
int log_ratelimit_ok(struct log_ratelimit *rl);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#define log_guest(...)                                                    \
	do {                                                              \
		static struct log_ratelimit rl_ = { .burst_left = 10 };   \
		if (log_ratelimit_ok(&rl_))                               \
			log_msg(LOG_WARN, __VA_ARGS__);                   \
	} while (0)

/* Invariant broken (error kind 3): never reachable from guest or user input. */
#define BUG_ON(cond)                                                      \
	do {                                                              \
		if (cond)                                                 \
			log_bug(__FILE__, __LINE__, #cond);               \
	} while (0)
void log_bug(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
