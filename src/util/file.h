/* SPDX-License-Identifier: GPL-2.0-only */
/* Whole-file reads for boot images. Main thread, at start. */
#ifndef KASOU_UTIL_FILE_H
#define KASOU_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read `path` into a malloc'd buffer; -errno, or -EFBIG when over `max`. */
int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
