/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small legacy ports a Linux guest touches: the reset control register
 * (0xcf9), the keyboard controller's reset command (0x64 <- 0xfe) and the
 * POST/delay port 0x80 (ignored). Stateless apart from the VM control hook.
 */
#ifndef KASOU_HW_LEGACY_H
#define KASOU_HW_LEGACY_H

#include "bus/bus.h"
#include "hw/irq.h"

extern const struct bus_ops legacy_reset_ops; /* 0xcf9, opaque: struct vm_control * */
extern const struct bus_ops legacy_kbc_ops; /* 0x60-0x64, opaque: struct vm_control * */
extern const struct bus_ops legacy_sink_ops; /* reads 0, writes ignored */

#endif
