/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small AML (ACPI Machine Language) writer for the DSDT: names, scopes,
 * devices, packages, integers, strings, EISA IDs and resource templates.
 * Just the encodings kasou's tables use (ACPI 6.4 §20). Writes into a
 * caller buffer; on overflow it sets `overflow` and stops writing, so callers
 * check once at the end. Pure; main thread at VM build.
 */
#ifndef KASOU_ARCH_X86_AML_H
#define KASOU_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);

/* NameString: "\\_SB_.PCI0" style, segments of 4 chars separated by '.' */
void aml_name_string(struct aml *a, const char *name);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id); /* "PNP0A08" -> DWord */

/* Name(NAME, <object written next>) */
void aml_name(struct aml *a, const char *name);

/* Constructs with a PkgLength: begin returns a mark, end patches the length. */
size_t aml_scope_begin(struct aml *a, const char *name);
size_t aml_device_begin(struct aml *a, const char *name);
size_t aml_package_begin(struct aml *a, uint8_t nr_elements);
size_t aml_method_begin(struct aml *a, const char *name, uint8_t nargs);
size_t aml_buffer_begin(struct aml *a); /* ResourceTemplate: call aml_buffer_end */
void aml_end(struct aml *a, size_t mark);
void aml_buffer_end(struct aml *a, size_t mark);

/* Resource descriptors (inside a buffer). */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max);
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq(struct aml *a, uint8_t irq);
void aml_res_end(struct aml *a);

#endif
