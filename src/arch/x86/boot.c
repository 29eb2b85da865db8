// SPDX-License-Identifier: GPL-2.0-only
#include "arch/x86/boot.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"

#define SETUP_HDR_OFF 0x1f1
#define HDRS_MAGIC 0x53726448 /* "HdrS" */
#define BOOT_FLAG 0xaa55
#define LOADER_UNDEFINED 0xff
#define ELF_CMDLINE_MAX 2048 /* x86 COMMAND_LINE_SIZE */
#define ELF_KERNEL_ALIGN 0x1000000

static int why_set(char *why, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_set(char *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, BOOT_WHY_LEN, fmt, ap);
	va_end(ap);
	return err;
}

static int parse_bzimage(const uint8_t *buf, size_t len, struct boot_image *img, char *why)
{
	struct setup_header *h = &img->hdr;
	size_t hdr_end, setup_len;
	unsigned int setup_sects;

	/* "jump" (2 bytes at 0x200) + the byte at 0x201 gives the header's length */
	if (len < 0x202 + 4 + 2)
		return why_set(why, -ENOEXEC, "file too short to be a Linux kernel (%zu bytes)", len);
	hdr_end = 0x202 + buf[0x201];
	if (hdr_end > len)
		return why_set(why, -ENOEXEC, "truncated setup header");
	img->hdr_len = hdr_end - SETUP_HDR_OFF;
	if (img->hdr_len > sizeof(*h))
		img->hdr_len = sizeof(*h);
	memset(h, 0, sizeof(*h));
	memcpy(h, buf + SETUP_HDR_OFF, img->hdr_len);

	if (h->header != HDRS_MAGIC || h->boot_flag != BOOT_FLAG)
		return why_set(why, -ENOEXEC, "not a Linux kernel image (no bzImage or ELF header)");
	if (h->version < BOOT_MIN_PROTOCOL)
		return why_set(why, -ENOEXEC,
			       "boot protocol %u.%02u is too old (kasou needs %u.%02u or newer)",
			       h->version >> 8, h->version & 0xff, BOOT_MIN_PROTOCOL >> 8,
			       BOOT_MIN_PROTOCOL & 0xff);
	if (!(h->loadflags & LOADED_HIGH))
		return why_set(why, -ENOEXEC, "not a bzImage (zImage kernels are not supported)");
	if (!(h->xloadflags & XLF_KERNEL_64))
		return why_set(why, -ENOEXEC, "kernel has no 64-bit entry point (32-bit kernel?)");

	setup_sects = h->setup_sects ? h->setup_sects : 4;
	setup_len = (size_t)(setup_sects + 1) * 512;
	if (setup_len >= len)
		return why_set(why, -ENOEXEC, "truncated kernel: setup is %zu bytes, file %zu",
			       setup_len, len);
	if ((uint64_t)h->syssize * 16 > len - setup_len)
		return why_set(why, -ENOEXEC, "truncated kernel: %zu bytes of %llu present",
			       len - setup_len, (unsigned long long)h->syssize * 16);

	img->kind = BOOT_BZIMAGE;
	img->nr_segments = 1;
	img->segments[0] = (struct boot_segment){ .file_off = setup_len,
						  .file_size = len - setup_len,
						  .paddr = LAYOUT_KERNEL,
						  .mem_size = len - setup_len };
	img->entry = LAYOUT_KERNEL + 0x200; /* startup_64 */
	/* The decompressor runs in place, then extracts to pref_address (it never
	 * goes below it), using init_size bytes from there. */
	img->kernel_end = LAYOUT_KERNEL + (len - setup_len);
	if (h->pref_address + h->init_size > img->kernel_end)
		img->kernel_end = h->pref_address + h->init_size;
	img->cmdline_max = h->cmdline_size ? h->cmdline_size + 1 : 256;
	if (img->cmdline_max > LAYOUT_CMDLINE_MAX)
		img->cmdline_max = LAYOUT_CMDLINE_MAX;
	img->initrd_addr_max = h->initrd_addr_max ? h->initrd_addr_max : 0x37ffffff;
	return 0;
}

static int parse_elf(const uint8_t *buf, size_t len, struct boot_image *img, char *why)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	uint64_t end = 0;

	if (len < sizeof(*eh) || buf[EI_CLASS] != ELFCLASS64)
		return why_set(why, -ENOEXEC, "ELF kernel is not 64-bit");
	if (eh->e_machine != EM_X86_64)
		return why_set(why, -ENOEXEC, "ELF kernel is not for x86-64 (e_machine %u)",
			       eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return why_set(why, -ENOEXEC, "ELF kernel has a bad program header table");

	img->kind = BOOT_ELF;
	img->nr_segments = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (img->nr_segments == BOOT_MAX_SEGMENTS)
			return why_set(why, -ENOEXEC, "ELF kernel has too many segments");
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset || ph.p_filesz > ph.p_memsz)
			return why_set(why, -ENOEXEC, "ELF kernel segment %u lies outside the file", i);
		if (ph.p_paddr < LAYOUT_HIGHMEM || ph.p_paddr + ph.p_memsz < ph.p_paddr)
			return why_set(why, -ENOEXEC, "ELF kernel segment %u at 0x%llx is not loadable",
				       i, (unsigned long long)ph.p_paddr);
		img->segments[img->nr_segments++] = (struct boot_segment){
			.file_off = ph.p_offset, .file_size = ph.p_filesz,
			.paddr = ph.p_paddr, .mem_size = ph.p_memsz };
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	if (!img->nr_segments)
		return why_set(why, -ENOEXEC, "ELF kernel has no loadable segment");

	/* vmlinux enters at phys_startup_64, a physical address */
	img->entry = eh->e_entry;
	img->kernel_end = end;
	memset(&img->hdr, 0, sizeof(img->hdr));
	img->hdr.boot_flag = BOOT_FLAG;
	img->hdr.header = HDRS_MAGIC;
	img->hdr.version = 0x020f;
	img->hdr.kernel_alignment = ELF_KERNEL_ALIGN;
	img->hdr.cmdline_size = ELF_CMDLINE_MAX - 1;
	img->hdr_len = sizeof(img->hdr);
	img->cmdline_max = ELF_CMDLINE_MAX;
	img->initrd_addr_max = 0x7fffffff;
	return 0;
}

int boot_parse(const uint8_t *buf, size_t len, struct boot_image *img, char *why)
{
	memset(img, 0, sizeof(*img));
	if (len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG))
		return parse_elf(buf, len, img, why);
	return parse_bzimage(buf, len, img, why);
}

int boot_setup_pagetables(const struct guest_mem *mem)
{
	/* flat 64-bit code (0x10) and data (0x18) as the boot protocol wants */
	static const uint64_t gdt[4] = { 0, 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL };
	uint64_t *pml4 = gpa_to_hva(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = gpa_to_hva(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = gpa_to_hva(mem, LAYOUT_PD, 4 * 4096);

	if (!pml4 || !pdpt || !pd || guest_mem_write(mem, LAYOUT_GDT, gdt, sizeof(gdt)))
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | 0x3; /* present, writable */
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096ULL) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB page */
	return 0;
}

static int place_initrd(const struct guest_mem *mem, const struct boot_image *img,
			const struct boot_load_args *args, struct boot_params *bp, char *why)
{
	uint64_t top = guest_mem_low_size(mem), addr;

	if (!args->initrd)
		return 0;
	if (img->initrd_addr_max + 1 < top)
		top = img->initrd_addr_max + 1;
	if (args->initrd_len > top || ((top - args->initrd_len) & ~0xfffULL) < img->kernel_end)
		return why_set(why, -E2BIG,
			       "initrd (%zu MiB) does not fit in guest memory: %llu MiB free "
			       "below 0x%llx after the kernel; give the VM more --memory",
			       args->initrd_len >> 20,
			       (unsigned long long)(top > img->kernel_end ? (top - img->kernel_end) >> 20 : 0),
			       (unsigned long long)top);
	addr = (top - args->initrd_len) & ~0xfffULL;
	if (guest_mem_write(mem, addr, args->initrd, args->initrd_len))
		return why_set(why, -EFAULT, "initrd does not fit in guest memory");
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)args->initrd_len;
	return 0;
}

int boot_load(const struct guest_mem *mem, const struct boot_image *img,
	      const struct boot_load_args *args, char *why)
{
	struct boot_params *bp = gpa_to_hva(mem, LAYOUT_BOOT_PARAMS, sizeof(*bp));
	size_t cmdlen = strlen(args->cmdline);
	int n, err;

	if (!bp)
		return why_set(why, -EFAULT, "guest memory too small for boot_params");
	if (img->kernel_end > guest_mem_low_size(mem))
		return why_set(why, -E2BIG,
			       "guest memory too small for this kernel: it needs at least %llu MiB "
			       "below 3 GiB to boot",
			       (unsigned long long)(img->kernel_end >> 20) + 1);
	if (cmdlen + 1 > img->cmdline_max)
		return why_set(why, -E2BIG,
			       "kernel command line too long: %zu bytes, this kernel accepts at most %u",
			       cmdlen, img->cmdline_max - 1);

	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct boot_segment *s = &img->segments[i];
		uint8_t *dst = gpa_to_hva(mem, s->paddr, s->mem_size);

		if (!dst)
			return why_set(why, -E2BIG, "kernel segment at 0x%llx does not fit in guest memory",
				       (unsigned long long)s->paddr);
		memcpy(dst, args->kernel + s->file_off, s->file_size);
		memset(dst + s->file_size, 0, s->mem_size - s->file_size);
	}

	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &img->hdr, img->hdr_len);
	bp->hdr.type_of_loader = LOADER_UNDEFINED;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = LAYOUT_CMDLINE;
	bp->hdr.cmdline_size = (uint32_t)cmdlen;
	if (guest_mem_write(mem, LAYOUT_CMDLINE, args->cmdline, cmdlen + 1))
		return why_set(why, -EFAULT, "no room for the command line");
	err = place_initrd(mem, img, args, bp, why);
	if (err)
		return err;
	bp->acpi_rsdp_addr = args->acpi_rsdp;
	n = e820_build(mem, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0)
		return why_set(why, n, "e820 table overflow");
	bp->e820_entries = (uint8_t)n;
	err = boot_setup_pagetables(mem);
	if (err)
		return why_set(why, err, "guest memory too small for the boot page tables");
	return 0;
}
