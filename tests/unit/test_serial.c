// SPDX-License-Identifier: GPL-2.0-only
/* 16550A UART: register semantics, interrupt priorities and the IRQ line. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "hw/serial.h"
#include "unit.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define TEST_IRQ 4

struct irq_log {
	unsigned int n;
	int level[64];
	unsigned int irq[64];
};

static void log_level(void *ctx, unsigned int irq, int level)
{
	struct irq_log *l = ctx;

	if (l->n < 64) {
		l->irq[l->n] = irq;
		l->level[l->n] = level;
	}
	l->n++;
}

static uint8_t rd(struct serial *s, unsigned int reg)
{
	uint8_t v = 0;

	serial_ops.read(s, reg, &v, 1);
	return v;
}

static void wr(struct serial *s, unsigned int reg, uint8_t v)
{
	serial_ops.write(s, reg, &v, 1);
}

static void setup(struct serial *s, int out_fd, struct irq_log *log)
{
	memset(log, 0, sizeof(*log));
	serial_init(s, out_fd, (struct irq_sink){ .set_level = log_level, .ctx = log }, TEST_IRQ);
}

/* A pipe whose read end does not block, so "nothing was written" is testable. */
static int make_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	return fcntl(fds[0], F_SETFL, O_NONBLOCK);
}

TEST(thr_writes_reach_out_fd)
{
	static struct serial s;
	struct irq_log log;
	int fds[2];
	char buf[8] = { 0 };

	CHECK_EQ(make_pipe(fds), 0);
	setup(&s, fds[1], &log);
	wr(&s, THR, 'h');
	wr(&s, THR, 'i');
	wr(&s, THR, '\n');
	CHECK_EQ(read(fds[0], buf, sizeof(buf)), 3);
	CHECK_STR(buf, "hi\n");
	CHECK_EQ(s.tx_bytes, 3);
	/* THRI was not enabled: the line never moved */
	CHECK_EQ(log.n, 0);
	serial_destroy(&s);
	close(fds[0]);
	close(fds[1]);
}

TEST(out_fd_minus_one_discards)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	wr(&s, THR, 'x');
	CHECK_EQ(s.tx_bytes, 0);
	/* the transmitter still looks idle and still interrupts */
	CHECK_EQ(rd(&s, LSR) & 0x60, 0x60);
	wr(&s, IER, 0x02);
	CHECK_EQ(rd(&s, IIR), 0x02);
	wr(&s, THR, 'y');
	CHECK_EQ(s.irq_level, 1);
	serial_destroy(&s);
}

TEST(lsr_bits)
{
	static struct serial s;
	struct irq_log log;
	const uint8_t in = 'k';

	setup(&s, -1, &log);
	CHECK_EQ(rd(&s, LSR), 0x60); /* THRE | TEMT, no data */
	serial_push_input(&s, &in, 1);
	CHECK_EQ(rd(&s, LSR), 0x61); /* + DR */
	CHECK_EQ(rd(&s, RBR), 'k');
	CHECK_EQ(rd(&s, LSR), 0x60);
	/* reading an empty receiver gives 0 and leaves DR clear */
	CHECK_EQ(rd(&s, RBR), 0);
	CHECK_EQ(rd(&s, LSR), 0x60);
	CHECK_EQ(s.rx_bytes, 1);
	/* LSR is read-only */
	wr(&s, LSR, 0x00);
	CHECK_EQ(rd(&s, LSR), 0x60);
	serial_destroy(&s);
}

TEST(iir_no_interrupt_and_ier_mask)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	CHECK_EQ(rd(&s, IIR), 0x01);
	wr(&s, IER, 0xff);
	CHECK_EQ(rd(&s, IER), 0x0f); /* upper nibble reserved */
	wr(&s, IER, 0x00);
	CHECK_EQ(rd(&s, IER), 0x00);
	serial_destroy(&s);
}

TEST(enabling_thri_raises_it_and_iir_read_acks)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	wr(&s, IER, 0x02);
	CHECK_EQ(log.n, 1);
	CHECK_EQ(log.irq[0], TEST_IRQ);
	CHECK_EQ(log.level[0], 1);
	CHECK_EQ(rd(&s, IIR), 0x02);
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.level[1], 0);
	/* acknowledged: a second read shows nothing pending */
	CHECK_EQ(rd(&s, IIR), 0x01);
	CHECK_EQ(log.n, 2);
	/* rewriting IER with THRI still set does not re-raise */
	wr(&s, IER, 0x02);
	CHECK_EQ(rd(&s, IIR), 0x01);
	/* a transmitted byte empties the holding register again */
	wr(&s, THR, 'a');
	CHECK_EQ(log.n, 3);
	CHECK_EQ(log.level[2], 1);
	CHECK_EQ(rd(&s, IIR), 0x02);
	CHECK_EQ(log.level[3], 0);
	/* disabling THRI drops a pending one from IIR and the line */
	wr(&s, THR, 'b');
	CHECK_EQ(log.n, 5);
	wr(&s, IER, 0x00);
	CHECK_EQ(log.n, 6);
	CHECK_EQ(log.level[5], 0);
	CHECK_EQ(rd(&s, IIR), 0x01);
	serial_destroy(&s);
}

TEST(rdi_has_priority_over_thri)
{
	static struct serial s;
	struct irq_log log;
	const uint8_t in[2] = { '1', '2' };

	setup(&s, -1, &log);
	wr(&s, IER, 0x03);
	serial_push_input(&s, in, 2);
	CHECK_EQ(rd(&s, IIR), 0x04);
	/* reading IIR while RDI shows must not swallow the pending THRI */
	CHECK_EQ(rd(&s, IIR), 0x04);
	CHECK_EQ(rd(&s, RBR), '1');
	CHECK_EQ(rd(&s, IIR), 0x04);
	CHECK_EQ(rd(&s, RBR), '2');
	CHECK_EQ(rd(&s, IIR), 0x02);
	CHECK_EQ(rd(&s, IIR), 0x01);
	/* one rise when IER was written, one fall after the THRI ack */
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.level[0], 1);
	CHECK_EQ(log.level[1], 0);
	serial_destroy(&s);
}

TEST(rdi_line_follows_receive_buffer)
{
	static struct serial s;
	struct irq_log log;
	const uint8_t in = 'z';

	setup(&s, -1, &log);
	/* data without RDI enabled: no interrupt */
	serial_push_input(&s, &in, 1);
	CHECK_EQ(log.n, 0);
	CHECK_EQ(rd(&s, IIR), 0x01);
	wr(&s, IER, 0x01);
	CHECK_EQ(log.n, 1);
	CHECK_EQ(log.level[0], 1);
	CHECK_EQ(rd(&s, RBR), 'z');
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.level[1], 0);
	serial_push_input(&s, &in, 1);
	CHECK_EQ(log.n, 3);
	CHECK_EQ(log.level[2], 1);
	/* pushing more while high is no new edge */
	serial_push_input(&s, &in, 1);
	CHECK_EQ(log.n, 3);
	/* FCR clear-RX drops the data and the line */
	wr(&s, FCR, 0x03);
	CHECK_EQ(log.n, 4);
	CHECK_EQ(log.level[3], 0);
	CHECK_EQ(rd(&s, LSR) & 0x01, 0);
	serial_destroy(&s);
}

TEST(fifo_bits_in_iir)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	CHECK_EQ(rd(&s, IIR) & 0xc0, 0);
	wr(&s, FCR, 0x01);
	CHECK_EQ(rd(&s, IIR), 0xc1);
	wr(&s, IER, 0x02);
	CHECK_EQ(rd(&s, IIR), 0xc2);
	wr(&s, FCR, 0x00);
	CHECK_EQ(rd(&s, IIR), 0x01);
	serial_destroy(&s);
}

TEST(dlab_selects_divisor_latch)
{
	static struct serial s;
	struct irq_log log;
	int fds[2];
	char c;

	CHECK_EQ(make_pipe(fds), 0);
	setup(&s, fds[1], &log);
	wr(&s, IER, 0x05);
	wr(&s, LCR, 0x83);
	CHECK_EQ(rd(&s, LCR), 0x83);
	CHECK_EQ(rd(&s, DLL), 12); /* 9600 baud after reset */
	CHECK_EQ(rd(&s, DLM), 0);
	wr(&s, DLL, 0x01);
	wr(&s, DLM, 0x02);
	CHECK_EQ(rd(&s, DLL), 0x01);
	CHECK_EQ(rd(&s, DLM), 0x02);
	/* the divisor write was not transmitted, IER was not touched */
	CHECK_EQ(read(fds[0], &c, 1), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(s.tx_bytes, 0);
	wr(&s, LCR, 0x03);
	CHECK_EQ(rd(&s, IER), 0x05);
	CHECK_EQ(s.dll, 0x01);
	CHECK_EQ(s.dlm, 0x02);
	wr(&s, THR, 'q');
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_EQ(c, 'q');
	serial_destroy(&s);
	close(fds[0]);
	close(fds[1]);
}

TEST(scratch_register)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	CHECK_EQ(rd(&s, SCR), 0);
	wr(&s, SCR, 0xa5);
	CHECK_EQ(rd(&s, SCR), 0xa5);
	wr(&s, SCR, 0x5a);
	CHECK_EQ(rd(&s, SCR), 0x5a);
	serial_destroy(&s);
}

TEST(msr_without_loopback)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	CHECK_EQ(rd(&s, MCR), 0x08); /* OUT2 after reset */
	CHECK_EQ(rd(&s, MSR), 0xb0); /* DCD | DSR | CTS: a cable is attached */
	wr(&s, MCR, 0x00);
	CHECK_EQ(rd(&s, MSR), 0xb0);
	wr(&s, MCR, 0xff);
	CHECK_EQ(rd(&s, MCR), 0x1f);
	serial_destroy(&s);
}

TEST(loopback_tx_goes_to_rx)
{
	static struct serial s;
	struct irq_log log;
	int fds[2];
	char c;

	CHECK_EQ(make_pipe(fds), 0);
	setup(&s, fds[1], &log);
	wr(&s, IER, 0x01);
	wr(&s, MCR, 0x10);
	wr(&s, THR, 0x55);
	CHECK_EQ(read(fds[0], &c, 1), -1); /* nothing went out */
	CHECK_EQ(s.tx_bytes, 0);
	CHECK_EQ(rd(&s, LSR) & 0x01, 0x01);
	CHECK_EQ(rd(&s, IIR), 0x04);
	CHECK_EQ(log.n, 1);
	CHECK_EQ(log.level[0], 1);
	CHECK_EQ(rd(&s, RBR), 0x55);
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.level[1], 0);
	/* leaving loopback sends to the host again */
	wr(&s, MCR, 0x08);
	wr(&s, THR, 0x66);
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_EQ((uint8_t)c, 0x66);
	CHECK_EQ(rd(&s, LSR) & 0x01, 0);
	serial_destroy(&s);
	close(fds[0]);
	close(fds[1]);
}

TEST(loopback_msr_mirrors_mcr)
{
	static struct serial s;
	struct irq_log log;

	setup(&s, -1, &log);
	wr(&s, MCR, 0x10);
	CHECK_EQ(rd(&s, MSR), 0x00);
	wr(&s, MCR, 0x11); /* DTR -> DSR */
	CHECK_EQ(rd(&s, MSR), 0x20);
	wr(&s, MCR, 0x12); /* RTS -> CTS */
	CHECK_EQ(rd(&s, MSR), 0x10);
	wr(&s, MCR, 0x14); /* OUT1 -> RI */
	CHECK_EQ(rd(&s, MSR), 0x40);
	wr(&s, MCR, 0x18); /* OUT2 -> DCD */
	CHECK_EQ(rd(&s, MSR), 0x80);
	wr(&s, MCR, 0x1f);
	CHECK_EQ(rd(&s, MSR), 0xf0);
	serial_destroy(&s);
}

TEST(push_input_order_and_overflow)
{
	static struct serial s;
	static uint8_t big[SERIAL_RX_FIFO + 10];
	struct irq_log log;
	unsigned int bad = 0;

	setup(&s, -1, &log);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	serial_push_input(&s, big, sizeof(big));
	CHECK_EQ(s.rx_len, SERIAL_RX_FIFO);
	CHECK_EQ(s.rx_dropped, 10);
	/* the first SERIAL_RX_FIFO bytes come out in order, the rest were dropped */
	for (unsigned int i = 0; i < SERIAL_RX_FIFO; i++)
		if (rd(&s, RBR) != big[i])
			bad++;
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd(&s, LSR) & 0x01, 0);
	CHECK_EQ(s.rx_bytes, SERIAL_RX_FIFO);
	/* the ring wraps: room again after draining */
	serial_push_input(&s, big, 3);
	CHECK_EQ(rd(&s, RBR), big[0]);
	CHECK_EQ(rd(&s, RBR), big[1]);
	CHECK_EQ(rd(&s, RBR), big[2]);
	CHECK_EQ(s.rx_dropped, 10);
	serial_destroy(&s);
}

TEST(wide_read_zero_fills)
{
	static struct serial s;
	struct irq_log log;
	uint8_t v[4] = { 0xee, 0xee, 0xee, 0xee };

	setup(&s, -1, &log);
	serial_ops.read(&s, LSR, v, 4);
	CHECK_EQ(v[0], 0x60);
	CHECK_EQ(v[1], 0);
	CHECK_EQ(v[3], 0);
	serial_destroy(&s);
}

TEST(no_irq_sink_is_safe)
{
	static struct serial s;

	serial_init(&s, -1, (struct irq_sink){ 0 }, TEST_IRQ);
	wr(&s, IER, 0x02);
	CHECK_EQ(s.irq_level, 1);
	CHECK_EQ(rd(&s, IIR), 0x02);
	CHECK_EQ(s.irq_level, 0);
	serial_destroy(&s);
}

UNIT_MAIN("serial", T(thr_writes_reach_out_fd), T(out_fd_minus_one_discards), T(lsr_bits),
	  T(iir_no_interrupt_and_ier_mask), T(enabling_thri_raises_it_and_iir_read_acks),
	  T(rdi_has_priority_over_thri), T(rdi_line_follows_receive_buffer), T(fifo_bits_in_iir),
	  T(dlab_selects_divisor_latch), T(scratch_register), T(msr_without_loopback),
	  T(loopback_tx_goes_to_rx), T(loopback_msr_mirrors_mcr), T(push_input_order_and_overflow),
	  T(wide_read_zero_fills), T(no_irq_sink_is_safe))
