/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * 16550A UART (8250 family) on COM1. Transmit goes to `out_fd` at once;
 * receive comes from serial_push_input() (main thread: stdin). Register
 * accesses arrive from vCPU threads; one mutex guards the state.
 */
#ifndef KASOU_HW_SERIAL_H
#define KASOU_HW_SERIAL_H

#include <pthread.h>
#include <stdint.h>

#include "bus/bus.h"
#include "hw/irq.h"

#define SERIAL_RX_FIFO 4096

struct serial {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	int thri_pending;
	int irq_level;
	uint8_t rx[SERIAL_RX_FIFO];
	unsigned int rx_head, rx_len;
	int out_fd; /* -1: output discarded (--console off) */
	struct irq_sink irq;
	unsigned int irq_num;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
};

extern const struct bus_ops serial_ops;

void serial_init(struct serial *s, int out_fd, struct irq_sink irq, unsigned int irq_num);
void serial_destroy(struct serial *s);
/* Queue host input for the guest; bytes that do not fit are dropped and counted. */
void serial_push_input(struct serial *s, const uint8_t *buf, size_t len);

#endif
