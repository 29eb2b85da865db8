// SPDX-License-Identifier: GPL-2.0-only
#include "hw/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* register offsets */
#define UART_RX 0 /* DLAB=0 read */
#define UART_TX 0 /* DLAB=0 write */
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void serial_init(struct serial *s, int out_fd, struct irq_sink irq, unsigned int irq_num)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq = irq;
	s->irq_num = irq_num;
	s->mcr = MCR_OUT2;
	s->dll = 12; /* 9600 baud, as after reset */
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

static uint8_t serial_iir(const struct serial *s)
{
	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

/* Called with the lock held after every state change. */
static void serial_update_irq(struct serial *s)
{
	int level = serial_iir(s) != IIR_NO_INT;

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->irq.set_level)
			s->irq.set_level(s->irq.ctx, s->irq_num, level);
	}
}

static void rx_put(struct serial *s, uint8_t c)
{
	if (s->rx_len == SERIAL_RX_FIFO) {
		s->rx_dropped++;
		return;
	}
	s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_FIFO] = c;
	s->rx_len++;
}

static uint8_t rx_get(struct serial *s)
{
	uint8_t c;

	if (!s->rx_len)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
	s->rx_len--;
	s->rx_bytes++;
	return c;
}

static void serial_tx(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		rx_put(s, c);
	} else if (s->out_fd >= 0) {
		ssize_t n;

		do {
			n = write(s->out_fd, &c, 1);
		} while (n < 0 && errno == EINTR);
		s->tx_bytes++;
	}
	s->thri_pending = 1;
}

static uint8_t serial_msr(const struct serial *s)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t serial_read_reg(struct serial *s, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RX:
		return (s->lcr & LCR_DLAB) ? s->dll : rx_get(s);
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR:
		v = serial_iir(s);
		if (v == IIR_THRI)
			s->thri_pending = 0; /* reading IIR acknowledges THRE */
		return v | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
	case UART_MSR:
		return serial_msr(s);
	default:
		return s->scr;
	}
}

static void serial_write_reg(struct serial *s, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case UART_TX:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			serial_tx(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
		} else {
			/* enabling THRI with an empty holding register raises it */
			if ((v & IER_THRI) && !(s->ier & IER_THRI))
				s->thri_pending = 1;
			s->ier = v & 0x0f;
		}
		break;
	case UART_FCR:
		if (v & FCR_CLEAR_RX)
			s->rx_len = 0;
		s->fcr = v & FCR_ENABLE;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default: /* LSR, MSR: read-only */
		break;
	}
}

static void serial_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	data[0] = serial_read_reg(s, (unsigned int)off & 7);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (size > 1)
		memset(data + 1, 0, size - 1);
}

static void serial_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	serial_write_reg(s, (unsigned int)off & 7, data[0]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

const struct bus_ops serial_ops = { .read = serial_read, .write = serial_write };

void serial_push_input(struct serial *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < len; i++)
		rx_put(s, buf[i]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}
