// SPDX-License-Identifier: GPL-2.0-only
#include "hw/legacy.h"

#include <string.h>

#define CF9_RST_CPU 0x04
#define KBC_CMD_PULSE_RESET 0xfe

static void sink_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	memset(data, 0, size);
}

static void sink_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
}

static void reset_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	const struct vm_control *ctl = opaque;

	if (data[0] & CF9_RST_CPU)
		ctl->request_stop(ctl->ctx, VM_STOP_REBOOT);
}

static void kbc_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	const struct vm_control *ctl = opaque;

	if (off == 4 && data[0] == KBC_CMD_PULSE_RESET)
		ctl->request_stop(ctl->ctx, VM_STOP_REBOOT);
}

/* status 0: output buffer empty, input buffer empty — a reset poll never spins */
const struct bus_ops legacy_kbc_ops = { .read = sink_read, .write = kbc_write };
const struct bus_ops legacy_reset_ops = { .read = sink_read, .write = reset_write };
const struct bus_ops legacy_sink_ops = { .read = sink_read, .write = sink_write };
