// SPDX-License-Identifier: GPL-2.0-only
/*
 * The AML writer byte by byte against ACPI 6.4 §20.2 (PkgLength, integers,
 * EisaId, NameString, Buffer), its overflow handling, and the DSDT and MCFG:
 * the DSDT is decoded by a small AML reader here and its objects checked.
 */
#include <errno.h>

#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"
#include "arch/x86/layout.h"
#include "unit.h"

static uint8_t out[0x110000];
static struct aml a;

static void start(void)
{
	memset(out, 0xcc, sizeof(out));
	aml_init(&a, out, sizeof(out));
}

/* The output so far equals these bytes. */
static bool is(const void *want, size_t n)
{
	return !a.overflow && a.len == n && !memcmp(out, want, n);
}

#define IS(...)                                                                        \
	do {                                                                           \
		static const uint8_t want_[] = { __VA_ARGS__ };                        \
		CHECK(is(want_, sizeof(want_)));                                        \
	} while (0)

/* ---- PkgLength ---- */

/* Scope(ABCD) with `body` bytes after the PkgLength (name included). */
static void scope_with_body(size_t body)
{
	size_t m;

	start();
	m = aml_scope_begin(&a, "ABCD");
	for (size_t i = 4; i < body; i++)
		aml_byte(&a, (uint8_t)i);
	aml_end(&a, m);
}

/* out[0] is ScopeOp, then the PkgLength `pl`, then "ABCD" and the filler. */
static void check_scope(size_t body, const uint8_t *pl, size_t n)
{
	CHECK(!a.overflow);
	CHECK_EQ(a.len, 1 + n + body);
	CHECK_EQ(out[0], 0x10);
	CHECK(!memcmp(out + 1, pl, n));
	CHECK(!memcmp(out + 1 + n, "ABCD", 4));
	/* the body moved intact */
	for (size_t i = 4; i < body; i++)
		if (out[1 + n + i] != (uint8_t)i) {
			CHECK_EQ(out[1 + n + i], (uint8_t)i);
			break;
		}
}

TEST(pkglength_one_byte)
{
	static const uint8_t l4[] = { 0x05 }, l62[] = { 0x3f };

	scope_with_body(4);
	check_scope(4, l4, 1);
	IS(0x10, 0x05, 'A', 'B', 'C', 'D');
	scope_with_body(62); /* 62 + 1 = 63: the largest one-byte length */
	check_scope(62, l62, 1);
}

TEST(pkglength_two_bytes)
{
	/* lead byte: bits 7:6 = 1 following byte, bits 3:0 = low nybble; next = bits 11:4 */
	static const uint8_t l63[] = { 0x41, 0x04 }, l64[] = { 0x42, 0x04 },
			     l4093[] = { 0x4f, 0xff }, l300[] = { 0x4e, 0x12 };

	scope_with_body(63); /* 63 + 2 = 65 = 0x041 */
	check_scope(63, l63, 2);
	scope_with_body(64);
	check_scope(64, l64, 2);
	scope_with_body(300); /* 302 = 0x12e */
	check_scope(300, l300, 2);
	scope_with_body(4093); /* 4095 = 0xfff: the largest two-byte length */
	check_scope(4093, l4093, 2);
	/* bits 5:4 of a multi-byte lead byte are zero */
	CHECK_EQ(out[1] & 0x30, 0);
}

TEST(pkglength_three_and_four_bytes)
{
	static const uint8_t l4094[] = { 0x81, 0x00, 0x01 }, l4095[] = { 0x82, 0x00, 0x01 },
			     lmax3[] = { 0x8f, 0xff, 0xff }, lmin4[] = { 0xc1, 0x00, 0x00, 0x01 },
			     l4[] = { 0xc3, 0x00, 0x00, 0x01 };

	scope_with_body(4094); /* 4094 + 3 = 4097 = 0x1001 */
	check_scope(4094, l4094, 3);
	scope_with_body(4095);
	check_scope(4095, l4095, 3);
	scope_with_body(0xffffc); /* 0xfffff: the largest three-byte length */
	check_scope(0xffffc, lmax3, 3);
	scope_with_body(0xffffd); /* 0xffffd + 4 = 0x100001 */
	check_scope(0xffffd, lmin4, 4);
	scope_with_body(0xfffff); /* 0xfffff + 4 = 0x100003 */
	check_scope(0xfffff, l4, 4);
}

TEST(pkglength_nested)
{
	size_t outer, inner;

	start();
	outer = aml_scope_begin(&a, "OUTR");
	inner = aml_scope_begin(&a, "INNR");
	for (int i = 0; i < 66; i++)
		aml_byte(&a, 0x01);
	aml_end(&a, inner); /* body 70 -> 72 = 0x48 -> 48 04 */
	aml_end(&a, outer); /* body 4 + 1 + 2 + 70 = 77 -> 79 = 0x4f -> 4f 04 */
	CHECK(!a.overflow);
	CHECK_EQ(a.len, 1 + 2 + 77);
	CHECK_EQ(out[0], 0x10);
	CHECK_EQ(out[1], 0x4f);
	CHECK_EQ(out[2], 0x04);
	CHECK(!memcmp(out + 3, "OUTR", 4));
	CHECK_EQ(out[7], 0x10);
	CHECK_EQ(out[8], 0x48);
	CHECK_EQ(out[9], 0x04);
	CHECK(!memcmp(out + 10, "INNR", 4));
	CHECK_EQ(out[14], 0x01);
	CHECK_EQ(out[79], 0x01);
}

TEST(package_device_method)
{
	size_t m;

	start();
	m = aml_package_begin(&a, 2);
	aml_integer(&a, 0);
	aml_integer(&a, 7);
	aml_end(&a, m);
	IS(0x12, 0x05, 0x02, 0x00, 0x0a, 0x07);

	start();
	m = aml_device_begin(&a, "RES0");
	aml_end(&a, m);
	IS(0x5b, 0x82, 0x05, 'R', 'E', 'S', '0');

	start();
	m = aml_method_begin(&a, "_STA", 9); /* only 3 bits of argument count */
	aml_end(&a, m);
	IS(0x14, 0x06, '_', 'S', 'T', 'A', 0x01);
}

/* ---- data objects ---- */

TEST(integers)
{
	start();
	aml_integer(&a, 0);
	IS(0x00);
	start();
	aml_integer(&a, 1);
	IS(0x01);
	start();
	aml_integer(&a, 2);
	IS(0x0a, 0x02);
	start();
	aml_integer(&a, 0xff);
	IS(0x0a, 0xff);
	start();
	aml_integer(&a, 0x100);
	IS(0x0b, 0x00, 0x01);
	start();
	aml_integer(&a, 0xffff);
	IS(0x0b, 0xff, 0xff);
	start();
	aml_integer(&a, 0x10000);
	IS(0x0c, 0x00, 0x00, 0x01, 0x00);
	start();
	aml_integer(&a, 0xffffffff);
	IS(0x0c, 0xff, 0xff, 0xff, 0xff);
	start();
	aml_integer(&a, 1ULL << 32);
	IS(0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
	start();
	aml_integer(&a, 0x0123456789abcdefULL);
	IS(0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01);
}

TEST(strings_and_eisaid)
{
	start();
	aml_string(&a, "kasou");
	IS(0x0d, 'k', 'a', 's', 'o', 'u', 0x00);
	start();
	aml_string(&a, "");
	IS(0x0d, 0x00);
	start();
	aml_eisaid(&a, "PNP0A03");
	IS(0x0c, 0x41, 0xd0, 0x0a, 0x03);
	start();
	aml_eisaid(&a, "PNP0A08");
	IS(0x0c, 0x41, 0xd0, 0x0a, 0x08);
	start();
	aml_eisaid(&a, "PNP0C02");
	IS(0x0c, 0x41, 0xd0, 0x0c, 0x02);
	start();
	/* A=1 B=2 C=3: 00001 00010 00011 after a zero bit */
	aml_eisaid(&a, "ABC12EF");
	IS(0x0c, 0x04, 0x43, 0x12, 0xef);
}

TEST(name_strings)
{
	start();
	aml_name_string(&a, "ABCD");
	IS('A', 'B', 'C', 'D');
	start();
	aml_name_string(&a, "\\_SB_");
	IS('\\', '_', 'S', 'B', '_');
	start();
	aml_name_string(&a, "_SB_.PCI0");
	IS(0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	start();
	aml_name_string(&a, "\\_SB_.PCI0");
	IS('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	start();
	aml_name_string(&a, "\\_SB_.PCI0.RES0");
	IS('\\', 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'R', 'E', 'S', '0');
	start();
	aml_name_string(&a, "A.B.C.D");
	IS(0x2f, 0x04, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_', 'D', '_', '_',
	   '_');
	/* short segments are padded with '_' */
	start();
	aml_name_string(&a, "\\_SB.PCI");
	IS('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '_');
	start();
	aml_name_string(&a, "_S5");
	IS('_', 'S', '5', '_');
	/* the root alone is RootChar NullName */
	start();
	aml_name_string(&a, "\\");
	IS('\\', 0x00);
	start();
	aml_name(&a, "_UID");
	IS(0x08, '_', 'U', 'I', 'D');
}

TEST(buffer_size)
{
	size_t m;

	/* Buffer(5){...}: BufferOp PkgLength BufferSize bytes */
	start();
	m = aml_buffer_begin(&a);
	for (int i = 0; i < 5; i++)
		aml_byte(&a, (uint8_t)(0xa0 + i));
	aml_buffer_end(&a, m);
	IS(0x11, 0x08, 0x0a, 0x05, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4);

	start();
	m = aml_buffer_begin(&a);
	aml_buffer_end(&a, m);
	IS(0x11, 0x02, 0x00);

	start();
	m = aml_buffer_begin(&a);
	aml_byte(&a, 0x79);
	aml_buffer_end(&a, m);
	IS(0x11, 0x03, 0x01, 0x79);

	/* 256 bytes: WordPrefix size, two-byte PkgLength (2 + 3 + 256 = 0x105) */
	start();
	m = aml_buffer_begin(&a);
	for (int i = 0; i < 256; i++)
		aml_byte(&a, (uint8_t)i);
	aml_buffer_end(&a, m);
	CHECK(!a.overflow);
	CHECK_EQ(a.len, 1 + 2 + 3 + 256);
	CHECK_EQ(out[0], 0x11);
	CHECK_EQ(out[1], 0x45);
	CHECK_EQ(out[2], 0x10);
	CHECK_EQ(out[3], 0x0b);
	CHECK_EQ(out[4], 0x00);
	CHECK_EQ(out[5], 0x01);
	CHECK_EQ(out[6], 0x00);
	CHECK_EQ(out[6 + 255], 0xff);
}

TEST(resource_descriptors)
{
	start();
	aml_res_dword_mem(&a, 0xc0000000, 0xdfffffff);
	IS(0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff,
	   0xdf, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x20);
	start();
	aml_res_word_bus(&a, 0, 0xff);
	IS(0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x00, 0, 0, 0x00, 0x01);
	start();
	aml_res_qword_mem(&a, 0x1000000000ULL, 0x1fffffffffULL);
	CHECK(!a.overflow);
	CHECK_EQ(a.len, 46);
	CHECK_EQ(out[0], 0x8a);
	CHECK_EQ(out[1] | out[2] << 8, 43);
	CHECK_EQ(out[3], 0);
	CHECK_EQ(out[14 + 4], 0x10); /* min, byte 4 */
	CHECK_EQ(out[22 + 4], 0x1f); /* max, byte 4 */
	CHECK_EQ(out[38 + 4], 0x10); /* length 0x1000000000 */
	start();
	aml_res_io(&a, 0x3f8, 8);
	IS(0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08);
	start();
	aml_res_irq(&a, 4);
	IS(0x22, 0x10, 0x00);
	start();
	aml_res_end(&a);
	IS(0x79, 0x00);
}

/* ---- overflow ---- */

TEST(overflow)
{
	uint8_t small[32];
	size_t m;

	memset(small, 0xcc, sizeof(small));
	aml_init(&a, small, 8);
	m = aml_scope_begin(&a, "\\_SB_"); /* 1 + 4 + 5 bytes */
	aml_integer(&a, 0x12345678);
	aml_end(&a, m);
	CHECK(a.overflow);
	CHECK(a.len <= 8);
	for (size_t i = 8; i < sizeof(small); i++)
		CHECK_EQ(small[i], 0xcc);

	/* once set, it stays set and nothing more is written */
	aml_init(&a, small, 8);
	memset(small, 0xcc, sizeof(small));
	aml_integer(&a, 1ULL << 40);
	CHECK(a.overflow);
	aml_byte(&a, 0x42);
	CHECK(a.overflow);
	CHECK(a.len <= 8);
	for (size_t i = 0; i < sizeof(small); i++)
		CHECK(small[i] != 0x42);
	for (size_t i = 8; i < sizeof(small); i++)
		CHECK_EQ(small[i], 0xcc);

	/* a write that did not fit leaves room, but nothing later uses it */
	memset(small, 0xcc, sizeof(small));
	aml_init(&a, small, 8);
	aml_bytes(&a, "12345", 5);
	aml_name_string(&a, "ABCD");
	CHECK(a.overflow);
	CHECK_EQ(a.len, 5);
	aml_byte(&a, 0x42);
	CHECK_EQ(a.len, 5);
	CHECK_EQ(small[5], 0xcc);

	/* exactly full is not an overflow */
	aml_init(&a, small, 5);
	aml_integer(&a, 0x10000);
	CHECK(!a.overflow);
	CHECK_EQ(a.len, 5);
	aml_byte(&a, 0);
	CHECK(a.overflow);

	/* the BufferSize insertion that no longer fits */
	memset(small, 0xcc, sizeof(small));
	aml_init(&a, small, 10);
	m = aml_buffer_begin(&a); /* 1 + 4 */
	for (int i = 0; i < 5; i++)
		aml_byte(&a, 0x55);
	CHECK(!a.overflow);
	aml_buffer_end(&a, m); /* needs 2 more bytes before the PkgLength shrinks */
	CHECK(a.overflow);
	for (size_t i = 10; i < sizeof(small); i++)
		CHECK_EQ(small[i], 0xcc);

	/* the DSDT into too little room */
	{
		struct acpi_params p = { .nr_cpus = 1,
					 .ecam_base = LAYOUT_PCI_ECAM,
					 .ecam_size = LAYOUT_PCI_ECAM_SIZE,
					 .mmio32_base = LAYOUT_PCI_MMIO32,
					 .mmio32_size = LAYOUT_PCI_MMIO32_SIZE };

		memset(out, 0xcc, sizeof(out));
		CHECK_EQ(dsdt_build(out, 100, &p), -ENOSPC);
		for (size_t i = 100; i < 4096; i++)
			if (out[i] != 0xcc) {
				CHECK_EQ(out[i], 0xcc);
				break;
			}
	}
}

/* ---- a small AML reader for the DSDT ---- */

struct obj {
	char path[48];
	size_t at; /* offset of the data object in the Name() */
};

struct reader {
	const uint8_t *b;
	size_t len;
	bool bad;
	unsigned int nobj;
	struct obj objs[64];
};

static size_t rd_pkglen(struct reader *r, size_t p, size_t *val)
{
	unsigned int n;

	if (p >= r->len) {
		r->bad = true;
		*val = 0;
		return 0;
	}
	n = r->b[p] >> 6;
	if (n == 0) {
		*val = r->b[p] & 0x3f;
		return 1;
	}
	if (p + n >= r->len || (r->b[p] & 0x30)) {
		r->bad = true;
		*val = 0;
		return 0;
	}
	*val = r->b[p] & 0x0f;
	for (unsigned int i = 1; i <= n; i++)
		*val |= (size_t)r->b[p + i] << (4 + 8 * (i - 1));
	return n + 1;
}

/* A NameString at p into `name` ("\\_SB_.PCI0" form); returns bytes used. */
static size_t rd_name(struct reader *r, size_t p, char *name, size_t cap)
{
	size_t s = p, nseg = 1, k = 0;

	if (p < r->len && r->b[p] == '\\') {
		name[k++] = '\\';
		p++;
	}
	if (p < r->len && r->b[p] == 0x2e) {
		nseg = 2;
		p++;
	} else if (p < r->len && r->b[p] == 0x2f) {
		nseg = p + 1 < r->len ? r->b[p + 1] : 0;
		p += 2;
	} else if (p < r->len && r->b[p] == 0x00) {
		nseg = 0;
		p++;
	}
	for (size_t i = 0; i < nseg; i++) {
		if (p + 4 > r->len || k + 6 > cap) {
			r->bad = true;
			break;
		}
		if (i)
			name[k++] = '.';
		for (int j = 0; j < 4; j++) {
			char c = (char)r->b[p + j];

			if (!((c >= 'A' && c <= 'Z') || c == '_' || (j && c >= '0' && c <= '9')))
				r->bad = true;
			name[k++] = c;
		}
		p += 4;
	}
	name[k] = 0;
	return p - s;
}

static size_t rd_data(struct reader *r, size_t p, size_t end);

/* Integer at p: its value; *n = bytes. */
static uint64_t rd_int(struct reader *r, size_t p, size_t *n)
{
	static const unsigned int w[] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4, [0x0e] = 8 };
	uint8_t op = p < r->len ? r->b[p] : 0xaa;
	uint64_t v = 0;

	*n = 1;
	if (op == 0x00 || op == 0x01)
		return op;
	if (op == 0xff)
		return ~0ULL;
	if (op > 0x0e || !w[op] || p + 1 + w[op] > r->len) {
		r->bad = true;
		return 0;
	}
	for (unsigned int i = 0; i < w[op]; i++)
		v |= (uint64_t)r->b[p + 1 + i] << (8 * i);
	*n = 1 + w[op];
	return v;
}

/* Skip a package or buffer: returns the end offset, sets *body to where its contents start. */
static size_t rd_pkg(struct reader *r, size_t p, size_t *body)
{
	size_t v, n = rd_pkglen(r, p + 1, &v);

	*body = p + 1 + n;
	if (!n || v < n || p + 1 + v > r->len) {
		r->bad = true;
		return r->len;
	}
	return p + 1 + v;
}

static size_t rd_data(struct reader *r, size_t p, size_t end)
{
	size_t n, body, e;

	if (p >= end) {
		r->bad = true;
		return end;
	}
	switch (r->b[p]) {
	case 0x0d:
		n = p + 1;
		while (n < end && r->b[n])
			n++;
		return n + 1;
	case 0x11:
		return rd_pkg(r, p, &body);
	case 0x12: {
		unsigned int count, seen = 0;

		e = rd_pkg(r, p, &body);
		if (r->bad)
			return end;
		count = r->b[body];
		for (n = body + 1; n < e && !r->bad; seen++)
			n = rd_data(r, n, e);
		if (n != e || seen != count)
			r->bad = true;
		return e;
	}
	default:
		rd_int(r, p, &n);
		return p + n;
	}
}

/* The absolute path of `name` seen in `scope`. */
static void join(struct reader *r, char path[48], const char *scope, const char *name)
{
	size_t ls = strlen(scope), ln = strlen(name), k = 0;

	path[0] = 0;
	if (name[0] != '\\') {
		if (ls >= 48) {
			r->bad = true;
			return;
		}
		memcpy(path, scope, ls);
		k = ls;
		if (scope[ls - 1] != '\\')
			path[k++] = '.';
	}
	if (k + ln >= 48) {
		r->bad = true;
		path[0] = 0;
		return;
	}
	memcpy(path + k, name, ln + 1);
}

static void rd_terms(struct reader *r, size_t p, size_t end, const char *scope)
{
	char name[48], path[48];

	while (p < end && !r->bad) {
		uint8_t op = r->b[p];
		size_t body, e, n;

		if (op == 0x08) {
			n = rd_name(r, p + 1, name, sizeof(name));
			join(r, path, scope, name);
			if (r->nobj < 64) {
				memcpy(r->objs[r->nobj].path, path, sizeof(path));
				r->objs[r->nobj++].at = p + 1 + n;
			}
			p = rd_data(r, p + 1 + n, end);
		} else if (op == 0x10 || (op == 0x5b && p + 1 < end && r->b[p + 1] == 0x82)) {
			size_t q = op == 0x10 ? p : p + 1;

			e = rd_pkg(r, q, &body);
			if (r->bad || e > end)
				break;
			n = rd_name(r, body, name, sizeof(name));
			join(r, path, scope, name);
			rd_terms(r, body + n, e, path);
			p = e;
		} else {
			r->bad = true;
		}
	}
	if (p != end)
		r->bad = true;
}

static const struct obj *lookup(const struct reader *r, const char *path)
{
	for (unsigned int i = 0; i < r->nobj; i++)
		if (!strcmp(r->objs[i].path, path))
			return &r->objs[i];
	return NULL;
}

static struct reader rdr;
static uint8_t dsdt[16384];

static void read_dsdt(const struct acpi_params *p)
{
	long n = dsdt_build(dsdt, sizeof(dsdt), p);

	memset(&rdr, 0, sizeof(rdr));
	CHECK(n > 0);
	if (n <= 0)
		return;
	rdr.b = dsdt;
	rdr.len = (size_t)n;
	rd_terms(&rdr, 0, rdr.len, "\\");
	CHECK(!rdr.bad);
}

static const struct acpi_params pci_params = {
	.nr_cpus = 2,
	.ecam_base = LAYOUT_PCI_ECAM,
	.ecam_size = LAYOUT_PCI_ECAM_SIZE,
	.mmio32_base = LAYOUT_PCI_MMIO32,
	.mmio32_size = LAYOUT_PCI_MMIO32_SIZE,
	.mmio64_base = 0x4000000000ULL,
	.mmio64_size = LAYOUT_PCI_MMIO64_SIZE,
};

TEST(dsdt_s5)
{
	const struct obj *o;
	size_t body, e, n;

	read_dsdt(&pci_params);
	o = lookup(&rdr, "\\_S5_");
	CHECK(o != NULL);
	if (!o || rdr.bad)
		return;
	CHECK_EQ(dsdt[o->at], 0x12);
	e = rd_pkg(&rdr, o->at, &body);
	CHECK_EQ(dsdt[body], 4);
	CHECK_EQ(rd_int(&rdr, body + 1, &n), ACPI_SLP_TYP_S5);
	CHECK(body + 1 + n < e);
	CHECK_EQ(rd_int(&rdr, body + 1 + n, &n), ACPI_SLP_TYP_S5);

	/* without a PCI host, \_S5_ is all there is */
	{
		struct acpi_params p = { .nr_cpus = 1 };

		read_dsdt(&p);
		CHECK_EQ(rdr.nobj, 1);
		CHECK(lookup(&rdr, "\\_S5_") != NULL);
		CHECK(lookup(&rdr, "\\_SB_.PCI0._HID") == NULL);
	}
}

TEST(dsdt_pci_host)
{
	static const uint8_t pnp0a08[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	const struct obj *o;
	size_t n;

	read_dsdt(&pci_params);
	if (rdr.bad)
		return;
	o = lookup(&rdr, "\\_SB_.PCI0._HID");
	CHECK(o && !memcmp(dsdt + o->at, pnp0a08, 5));
	o = lookup(&rdr, "\\_SB_.PCI0._CID");
	CHECK(o && !memcmp(dsdt + o->at, pnp0a03, 5));
	o = lookup(&rdr, "\\_SB_.PCI0._SEG");
	CHECK(o && rd_int(&rdr, o->at, &n) == 0);
	o = lookup(&rdr, "\\_SB_.PCI0._BBN");
	CHECK(o && rd_int(&rdr, o->at, &n) == 0);
	o = lookup(&rdr, "\\_SB_.RES0._HID");
	CHECK(o && dsdt[o->at] == 0x0c && !memcmp(dsdt + o->at, "\x0c\x41\xd0\x0c\x02", 5));
}

/* The _CRS resource template of `path`: checks its framing, returns the descriptors' span. */
static bool crs(const char *path, size_t *start, size_t *end)
{
	const struct obj *o = lookup(&rdr, path);
	size_t body, e, n, p;
	uint64_t size;

	CHECK(o != NULL);
	if (!o)
		return false;
	CHECK_EQ(dsdt[o->at], 0x11);
	e = rd_pkg(&rdr, o->at, &body);
	size = rd_int(&rdr, body, &n);
	CHECK_EQ(size, e - (body + n)); /* BufferSize counts exactly the bytes */
	*start = body + n;
	*end = e;
	/* descriptors tile the buffer and end with an End Tag */
	for (p = *start; p < e;) {
		if (dsdt[p] & 0x80) {
			p += 3 + (size_t)(dsdt[p + 1] | dsdt[p + 2] << 8);
		} else {
			if (dsdt[p] == 0x79) {
				CHECK_EQ(p + 2, e);
				return !rdr.bad;
			}
			p += 1 + (dsdt[p] & 7);
		}
	}
	CHECK(!"no End Tag in the resource template");
	return false;
}

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

TEST(dsdt_pci_crs)
{
	size_t s, e, p;
	unsigned int dword = 0, qword = 0, bus = 0;

	read_dsdt(&pci_params);
	if (rdr.bad || !crs("\\_SB_.PCI0._CRS", &s, &e))
		return;
	for (p = s; p < e && dsdt[p] != 0x79; p += 3 + le(dsdt + p + 1, 2)) {
		CHECK(dsdt[p] & 0x80);
		if (dsdt[p] == 0x87 && dsdt[p + 3] == 0) { /* DWordMemory */
			CHECK_EQ(le(dsdt + p + 1, 2), 23);
			CHECK_EQ(le(dsdt + p + 10, 4), LAYOUT_PCI_MMIO32);
			CHECK_EQ(le(dsdt + p + 14, 4),
				 LAYOUT_PCI_MMIO32 + LAYOUT_PCI_MMIO32_SIZE - 1);
			CHECK_EQ(le(dsdt + p + 18, 4), 0); /* no translation */
			CHECK_EQ(le(dsdt + p + 22, 4), LAYOUT_PCI_MMIO32_SIZE);
			CHECK_EQ(dsdt[p + 4] & 0x0c, 0x0c); /* min and max fixed */
			dword++;
		} else if (dsdt[p] == 0x8a && dsdt[p + 3] == 0) { /* QWordMemory */
			CHECK_EQ(le(dsdt + p + 14, 8), pci_params.mmio64_base);
			CHECK_EQ(le(dsdt + p + 22, 8),
				 pci_params.mmio64_base + pci_params.mmio64_size - 1);
			CHECK_EQ(le(dsdt + p + 38, 8), pci_params.mmio64_size);
			qword++;
		} else if (dsdt[p] == 0x88 && dsdt[p + 3] == 2) { /* WordBusNumber */
			CHECK_EQ(le(dsdt + p + 8, 2), 0);
			CHECK_EQ(le(dsdt + p + 10, 2), (LAYOUT_PCI_ECAM_SIZE >> 20) - 1);
			bus++;
		}
	}
	CHECK_EQ(dword, 1);
	CHECK_EQ(qword, 1);
	CHECK_EQ(bus, 1);

	/* RES0 reserves exactly the ECAM area */
	if (!crs("\\_SB_.RES0._CRS", &s, &e))
		return;
	CHECK_EQ(dsdt[s], 0x8a);
	CHECK_EQ(le(dsdt + s + 14, 8), LAYOUT_PCI_ECAM);
	CHECK_EQ(le(dsdt + s + 22, 8), LAYOUT_PCI_ECAM + LAYOUT_PCI_ECAM_SIZE - 1);

	/* no 64-bit window: no QWordMemory in PCI0 */
	{
		struct acpi_params p2 = pci_params;

		p2.mmio64_size = 0;
		read_dsdt(&p2);
		if (rdr.bad || !crs("\\_SB_.PCI0._CRS", &s, &e))
			return;
		for (p = s; p < e && dsdt[p] != 0x79; p += 3 + le(dsdt + p + 1, 2))
			CHECK(dsdt[p] != 0x8a);
	}
}

TEST(dsdt_prt)
{
	const struct obj *o;
	size_t body, e, p, n;
	unsigned int entries = 0;
	bool seen[32][4] = { { false } };

	read_dsdt(&pci_params);
	if (rdr.bad)
		return;
	o = lookup(&rdr, "\\_SB_.PCI0._PRT");
	CHECK(o != NULL);
	if (!o)
		return;
	CHECK_EQ(dsdt[o->at], 0x12);
	e = rd_pkg(&rdr, o->at, &body);
	CHECK_EQ(dsdt[body], 128);
	for (p = body + 1; p < e && !rdr.bad; entries++) {
		size_t ib, ie = rd_pkg(&rdr, p, &ib), q = ib + 1;
		uint64_t addr, pin, src, gsi;

		CHECK_EQ(dsdt[p], 0x12);
		CHECK_EQ(dsdt[ib], 4);
		addr = rd_int(&rdr, q, &n);
		q += n;
		pin = rd_int(&rdr, q, &n);
		q += n;
		src = rd_int(&rdr, q, &n);
		q += n;
		gsi = rd_int(&rdr, q, &n);
		q += n;
		CHECK_EQ(q, ie);
		CHECK_EQ(addr & 0xffff, 0xffff); /* any function */
		CHECK((addr >> 16) < 32);
		CHECK(pin < 4);
		CHECK_EQ(src, 0); /* global GSI, no link device */
		if ((addr >> 16) < 32 && pin < 4) {
			CHECK(!seen[addr >> 16][pin]);
			seen[addr >> 16][pin] = true;
			/* the usual swizzle; INTA of slot S is what pci_host_add programs */
			CHECK_EQ(gsi, PCI_INTX_GSI_BASE + ((addr >> 16) + pin) % 4);
		}
		p = ie;
	}
	CHECK_EQ(entries, 128);
	CHECK_EQ(p, e);
}

/* ---- MCFG through acpi_build ---- */

static uint8_t area[LAYOUT_ACPI_SIZE];

static const uint8_t *table(const char *sig)
{
	uint64_t xsdt_gpa, p;
	uint32_t len;

	memcpy(&xsdt_gpa, area + 24, 8);
	if (xsdt_gpa < LAYOUT_ACPI || xsdt_gpa >= LAYOUT_ACPI + sizeof(area))
		return NULL;
	memcpy(&len, area + (xsdt_gpa - LAYOUT_ACPI) + 4, 4);
	for (uint32_t off = 36; off + 8 <= len; off += 8) {
		memcpy(&p, area + (xsdt_gpa - LAYOUT_ACPI) + off, 8);
		if (p < LAYOUT_ACPI || p >= LAYOUT_ACPI + sizeof(area))
			return NULL;
		if (!memcmp(area + (p - LAYOUT_ACPI), sig, 4))
			return area + (p - LAYOUT_ACPI);
	}
	return NULL;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

TEST(mcfg)
{
	struct acpi_params p = pci_params;
	const uint8_t *m, *d;
	uint32_t len;

	p.ecam_size = 16ULL << 20; /* buses 0-15 */
	memset(area, 0xcc, sizeof(area));
	CHECK(acpi_build(area, sizeof(area), LAYOUT_ACPI, &p) > 0);
	m = table("MCFG");
	CHECK(m != NULL);
	if (!m)
		return;
	memcpy(&len, m + 4, 4);
	CHECK_EQ(len, 60);
	CHECK_EQ(sum(m, len), 0);
	CHECK_EQ(m[8], 1); /* revision */
	CHECK_EQ(le(m + 36, 8), 0); /* reserved */
	CHECK_EQ(le(m + 44, 8), LAYOUT_PCI_ECAM);
	CHECK_EQ(le(m + 52, 2), 0); /* segment */
	CHECK_EQ(m[54], 0); /* start bus */
	CHECK_EQ(m[55], 15); /* end bus */
	CHECK_EQ(le(m + 56, 4), 0);

	/* the DSDT in the tables is dsdt_build()'s body under a valid header */
	{
		/* the FADT points at it: X_DSDT at offset 140 */
		const uint8_t *f = table("FACP");
		uint64_t g;

		CHECK(f != NULL);
		if (!f)
			return;
		g = le(f + 140, 8);
		CHECK(g >= LAYOUT_ACPI && g < LAYOUT_ACPI + sizeof(area));
		if (g < LAYOUT_ACPI || g >= LAYOUT_ACPI + sizeof(area))
			return;
		d = area + (g - LAYOUT_ACPI);
	}
	CHECK(!memcmp(d, "DSDT", 4));
	memcpy(&len, d + 4, 4);
	CHECK_EQ(sum(d, len), 0);
	CHECK_EQ((long)len - 36, dsdt_build(dsdt, sizeof(dsdt), &p));
	CHECK(!memcmp(d + 36, dsdt, len - 36));
	/* its _CRS bus range matches the MCFG */
	read_dsdt(&p);
	{
		size_t s, e;

		if (!rdr.bad && crs("\\_SB_.PCI0._CRS", &s, &e)) {
			CHECK_EQ(dsdt[s], 0x88);
			CHECK_EQ(le(dsdt + s + 10, 2), 15);
		}
	}

	/* the one-bus layout kasou uses */
	memset(area, 0xcc, sizeof(area));
	CHECK(acpi_build(area, sizeof(area), LAYOUT_ACPI, &pci_params) > 0);
	m = table("MCFG");
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(le(m + 44, 8), LAYOUT_PCI_ECAM);
		CHECK_EQ(m[55], 0);
		CHECK_EQ(sum(m, 60), 0);
	}

	/* no ECAM: no MCFG */
	p = (struct acpi_params){ .nr_cpus = 1 };
	memset(area, 0xcc, sizeof(area));
	CHECK(acpi_build(area, sizeof(area), LAYOUT_ACPI, &p) > 0);
	CHECK(table("MCFG") == NULL);
	CHECK(table("APIC") != NULL);
}

UNIT_MAIN("aml", T(pkglength_one_byte), T(pkglength_two_bytes), T(pkglength_three_and_four_bytes),
	  T(pkglength_nested), T(package_device_method), T(integers), T(strings_and_eisaid),
	  T(name_strings), T(buffer_size), T(resource_descriptors), T(overflow), T(dsdt_s5),
	  T(dsdt_pci_host), T(dsdt_pci_crs), T(dsdt_prt), T(mcfg))
