// SPDX-License-Identifier: GPL-2.0-only
#include "arch/x86/aml.h"

#include <string.h>

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_METHOD 0x14
#define AML_DUAL_NAME 0x2e
#define AML_MULTI_NAME 0x2f
#define AML_EXT 0x5b
#define AML_DEVICE 0x82
#define AML_ROOT '\\'

/* room reserved for a PkgLength until its size is known */
#define PKG_RESERVE 4

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->len = 0;
	a->cap = cap;
	a->overflow = false;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static void aml_nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	memcpy(seg, s, n > 4 ? 4 : n);
	aml_bytes(a, seg, 4);
}

void aml_name_string(struct aml *a, const char *name)
{
	const char *p = name;
	unsigned int nseg = 1;

	if (*p == AML_ROOT) {
		aml_byte(a, AML_ROOT);
		p++;
	}
	if (!*p) {
		aml_byte(a, 0x00); /* NullName: "\\" alone is the root itself */
		return;
	}
	for (const char *q = p; *q; q++)
		nseg += *q == '.';
	if (nseg == 2) {
		aml_byte(a, AML_DUAL_NAME);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)nseg);
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		aml_nameseg(a, p, n);
		p += n + (dot ? 1 : 0);
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

/* "PNP0A08": three letters in 5 bits each, then four hex digits, big-endian. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	v |= (uint32_t)((id[0] - '@') & 0x1f) << 26;
	v |= (uint32_t)((id[1] - '@') & 0x1f) << 21;
	v |= (uint32_t)((id[2] - '@') & 0x1f) << 16;
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t d = (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);

		v |= d << (4 * (6 - i));
	}
	aml_byte(a, AML_DWORD);
	/* stored so the bytes read in ID order */
	aml_byte(a, (uint8_t)(v >> 24));
	aml_byte(a, (uint8_t)(v >> 16));
	aml_byte(a, (uint8_t)(v >> 8));
	aml_byte(a, (uint8_t)v);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME);
	aml_name_string(a, name);
}

static size_t pkg_begin(struct aml *a)
{
	size_t mark = a->len;
	static const uint8_t zero[PKG_RESERVE];

	aml_bytes(a, zero, PKG_RESERVE);
	return mark;
}

/* Replace the reserved bytes at `mark` with the shortest PkgLength encoding. */
void aml_end(struct aml *a, size_t mark)
{
	size_t body, total, n;

	if (a->overflow)
		return;
	body = a->len - mark - PKG_RESERVE;
	for (n = 1; n <= 4; n++) {
		total = body + n;
		if ((n == 1 && total < 0x40) || (n == 2 && total < 0x1000) ||
		    (n == 3 && total < 0x100000) || (n == 4 && total < 0x10000000))
			break;
	}
	if (n > 4) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark + PKG_RESERVE, body);
	a->len = mark + n + body;
	if (n == 1) {
		a->buf[mark] = (uint8_t)total;
		return;
	}
	a->buf[mark] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
	for (size_t i = 1; i < n; i++)
		a->buf[mark + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

size_t aml_scope_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, AML_SCOPE);
	mark = pkg_begin(a);
	aml_name_string(a, name);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	mark = pkg_begin(a);
	aml_name_string(a, name);
	return mark;
}

size_t aml_package_begin(struct aml *a, uint8_t nr_elements)
{
	size_t mark;

	aml_byte(a, AML_PACKAGE);
	mark = pkg_begin(a);
	aml_byte(a, nr_elements);
	return mark;
}

size_t aml_method_begin(struct aml *a, const char *name, uint8_t nargs)
{
	size_t mark;

	aml_byte(a, AML_METHOD);
	mark = pkg_begin(a);
	aml_name_string(a, name);
	aml_byte(a, nargs & 7); /* not serialized, sync level 0 */
	return mark;
}

/* Buffer(size) { bytes }: the size integer is written at the end. */
size_t aml_buffer_begin(struct aml *a)
{
	size_t mark;

	aml_byte(a, AML_BUFFER);
	mark = pkg_begin(a);
	return mark;
}

void aml_buffer_end(struct aml *a, size_t mark)
{
	uint8_t tmp[16];
	struct aml t;
	size_t body, start = mark + PKG_RESERVE;

	if (a->overflow)
		return;
	body = a->len - start;
	aml_init(&t, tmp, sizeof(tmp));
	aml_integer(&t, body);
	if (t.len > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + start + t.len, a->buf + start, body);
	memcpy(a->buf + start, tmp, t.len);
	a->len += t.len;
	aml_end(a, mark);
}

/* Large address-space descriptors: producer, min and max fixed. */
#define RES_GEN_FLAGS 0x0c

static void res_addr(struct aml *a, uint8_t tag, uint8_t type, uint8_t tflags, unsigned int w,
		     uint64_t min, uint64_t max)
{
	uint16_t len = (uint16_t)(3 + 5 * w);

	aml_byte(a, tag);
	aml_le(a, len, 2);
	aml_byte(a, type);
	aml_byte(a, RES_GEN_FLAGS);
	aml_byte(a, tflags);
	aml_le(a, 0, w); /* granularity */
	aml_le(a, min, w);
	aml_le(a, max, w);
	aml_le(a, 0, w); /* translation */
	aml_le(a, max - min + 1, w);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	res_addr(a, 0x88, 2, 0, 2, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	res_addr(a, 0x88, 1, 3, 2, min, max); /* entire range */
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	res_addr(a, 0x87, 0, 1, 4, min, max); /* read-write, non-cacheable */
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max)
{
	res_addr(a, 0x8a, 0, 1, 8, min, max);
}

/* small I/O port descriptor, 16-bit decode */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, 0x47);
	aml_byte(a, 1);
	aml_le(a, base, 2);
	aml_le(a, base, 2);
	aml_byte(a, 1);
	aml_byte(a, len);
}

/* small IRQ descriptor: edge, active high */
void aml_res_irq(struct aml *a, uint8_t irq)
{
	aml_byte(a, 0x22);
	aml_le(a, 1u << irq, 2);
}

void aml_res_end(struct aml *a)
{
	aml_byte(a, 0x79);
	aml_byte(a, 0); /* checksum 0: "treat as correct" */
}
