/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host terminal as the guest's serial console. When stdin is a terminal
 * it is put in raw mode and restored on every exit path (normal return,
 * exit(), fatal signal). Ctrl-A x quits; Ctrl-A Ctrl-A sends one Ctrl-A.
 * Main thread only.
 */
#ifndef KASOU_BACKEND_TERM_H
#define KASOU_BACKEND_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TERM_ESCAPE 0x01 /* Ctrl-A */

struct term {
	int in_fd;
	bool raw; /* we changed the terminal and must restore it */
	bool escape; /* the previous byte was Ctrl-A */
	bool eof;
};

/* Take over stdin: raw mode if it is a terminal. */
void term_open(struct term *t, int in_fd);
void term_restore(void);

/*
 * Filter host input: copies bytes for the guest to `out` (room for 2*n) and
 * returns true when the user asked to quit (Ctrl-A x).
 */
bool term_filter(struct term *t, const uint8_t *in, size_t n, uint8_t *out, size_t *out_n);

#endif
