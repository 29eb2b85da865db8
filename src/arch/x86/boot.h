/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Linux x86 boot protocol: parse a bzImage (setup header, 64-bit entry) or an
 * ELF vmlinux, then place kernel, initrd, command line and the zero page
 * (boot_params with the e820 map) in guest memory.
 *
 * boot_parse() is pure and takes untrusted bytes (user-supplied file): every
 * offset is checked against the buffer. boot_load() runs once per VM boot on
 * the main thread, before any vCPU starts. Errors come back as -errno plus a
 * human reason in `why` (one line, no "kasou:" prefix).
 */
#ifndef KASOU_ARCH_X86_BOOT_H
#define KASOU_ARCH_X86_BOOT_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

#define BOOT_MIN_PROTOCOL 0x020c /* 2.12: xloadflags, 64-bit entry */
#define BOOT_WHY_LEN 160

enum boot_kind { BOOT_BZIMAGE, BOOT_ELF };

#define BOOT_MAX_SEGMENTS 8

struct boot_segment {
	uint64_t file_off, file_size, paddr, mem_size;
};

struct boot_image {
	enum boot_kind kind;
	struct setup_header hdr; /* copied from the bzImage, or synthesised for ELF */
	size_t hdr_len; /* bytes of setup header present in the file */
	uint64_t entry; /* guest-physical 64-bit entry point */
	unsigned int nr_segments; /* what to copy where */
	struct boot_segment segments[BOOT_MAX_SEGMENTS];
	uint64_t kernel_end; /* highest guest address the kernel uses while booting */
	uint32_t cmdline_max; /* bytes, including the terminating NUL */
	uint64_t initrd_addr_max; /* highest byte address an initrd may occupy */
};

/* Parse; 0 or -EINVAL/-ENOEXEC with `why` filled. */
int boot_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *why);

struct boot_load_args {
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_len;
	const char *cmdline;
	uint64_t acpi_rsdp; /* 0 if none */
};

/* Place everything in guest memory; fills *entry and *boot_params_gpa. */
int boot_load(const struct guest_mem *mem, const struct boot_image *img,
	      const struct boot_load_args *args, char *why);

/* Identity page tables and GDT for the 64-bit entry (boot protocol 64-bit). */
int boot_setup_pagetables(const struct guest_mem *mem);

#endif
