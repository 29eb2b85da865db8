// SPDX-License-Identifier: GPL-2.0-only
#include "backend/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio;
static int saved_fd = -1;

void term_restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSAFLUSH, &saved_tio);
}

static void fatal_signal(int sig)
{
	term_restore(); /* tcsetattr is async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

void term_open(struct term *t, int in_fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT };
	struct termios tio;

	memset(t, 0, sizeof(*t));
	t->in_fd = in_fd;
	if (!isatty(in_fd) || tcgetattr(in_fd, &tio) < 0)
		return;
	saved_tio = tio;
	saved_fd = in_fd;
	atexit(term_restore);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], fatal_signal);
	cfmakeraw(&tio);
	tio.c_oflag |= OPOST | ONLCR; /* kasou's own messages still start on a new line */
	if (tcsetattr(in_fd, TCSAFLUSH, &tio) == 0)
		t->raw = true;
}

bool term_filter(struct term *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];

		if (t->escape) {
			t->escape = false;
			if (c == 'x' || c == 'X') {
				*out_n = o;
				return true;
			}
			out[o++] = TERM_ESCAPE;
			if (c != TERM_ESCAPE && c != 'a')
				out[o++] = c;
			continue;
		}
		if (c == TERM_ESCAPE)
			t->escape = true;
		else
			out[o++] = c;
	}
	*out_n = o;
	return false;
}
