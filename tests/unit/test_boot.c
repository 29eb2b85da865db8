// SPDX-License-Identifier: GPL-2.0-only
/* Boot header parsing and loading: valid, truncated, bad magic, old protocol, ELF. */
#include <elf.h>
#include <errno.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"
#include "unit.h"

#define SETUP_SECTS 4
#define PM_OFF ((SETUP_SECTS + 1) * 512)

static uint8_t img[PM_OFF + 8192];

static struct setup_header *hdr(void)
{
	return (struct setup_header *)(img + 0x1f1);
}

/* A synthetic bzImage: the fields boot_parse() reads, nothing else. */
static size_t make_bzimage(uint16_t version)
{
	struct setup_header *h = hdr();

	memset(img, 0, sizeof(img));
	h->setup_sects = SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->header = 0x53726448;
	h->version = version;
	h->loadflags = LOADED_HIGH;
	h->xloadflags = XLF_KERNEL_64;
	h->syssize = 8192 / 16;
	h->cmdline_size = 2047;
	h->initrd_addr_max = 0x7fffffff;
	h->pref_address = 0x1000000;
	h->init_size = 0x800000;
	img[0x200] = 0xeb;
	img[0x201] = (uint8_t)(0x1f1 + sizeof(*h) - 0x202);
	return sizeof(img);
}

TEST(bzimage_valid)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN] = "";

	CHECK_EQ(boot_parse(img, make_bzimage(0x020f), &b, why), 0);
	CHECK_EQ(b.kind, BOOT_BZIMAGE);
	CHECK_EQ(b.entry, LAYOUT_KERNEL + 0x200);
	CHECK_EQ(b.nr_segments, 1);
	CHECK_EQ(b.segments[0].file_off, PM_OFF);
	CHECK_EQ(b.segments[0].file_size, 8192);
	CHECK_EQ(b.segments[0].paddr, LAYOUT_KERNEL);
	CHECK_EQ(b.cmdline_max, 2048);
	CHECK_EQ(b.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(b.kernel_end, 0x1000000 + 0x800000);
}

TEST(bzimage_setup_sects_zero_means_four)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	make_bzimage(0x020f);
	hdr()->setup_sects = 0;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), 0);
	CHECK_EQ(b.segments[0].file_off, PM_OFF);
}

TEST(truncated)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	make_bzimage(0x020f);
	CHECK_EQ(boot_parse(img, 0x100, &b, why), -ENOEXEC);
	CHECK(strstr(why, "too short"));
	CHECK_EQ(boot_parse(img, 0x220, &b, why), -ENOEXEC);
	CHECK(strstr(why, "truncated setup header"));
	CHECK_EQ(boot_parse(img, PM_OFF, &b, why), -ENOEXEC);
	CHECK(strstr(why, "truncated kernel"));
	CHECK_EQ(boot_parse(img, PM_OFF + 4096, &b, why), -ENOEXEC); /* syssize says 8K */
	CHECK(strstr(why, "truncated kernel"));
	CHECK_EQ(boot_parse(img, 0, &b, why), -ENOEXEC);
}

TEST(bad_magic)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	make_bzimage(0x020f);
	hdr()->header = 0x12345678;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), -ENOEXEC);
	CHECK(strstr(why, "not a Linux kernel"));
	make_bzimage(0x020f);
	hdr()->boot_flag = 0;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), -ENOEXEC);
	memset(img, 'x', sizeof(img)); /* a text file */
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), -ENOEXEC);
}

TEST(old_protocol)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	CHECK_EQ(boot_parse(img, make_bzimage(0x0206), &b, why), -ENOEXEC);
	CHECK(strstr(why, "2.06 is too old"));
	CHECK_EQ(boot_parse(img, make_bzimage(0x020b), &b, why), -ENOEXEC);
	CHECK_EQ(boot_parse(img, make_bzimage(0x020c), &b, why), 0);
}

TEST(not_64bit_or_zimage)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	make_bzimage(0x020f);
	hdr()->xloadflags = 0;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), -ENOEXEC);
	CHECK(strstr(why, "64-bit"));
	make_bzimage(0x020f);
	hdr()->loadflags = 0;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), -ENOEXEC);
	CHECK(strstr(why, "zImage"));
}

static size_t make_elf(uint8_t cls, uint16_t machine, uint64_t filesz)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = cls;
	eh->e_machine = machine;
	eh->e_entry = 0x1000000;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 4096, .p_paddr = 0x1000000,
			      .p_filesz = filesz, .p_memsz = 0x10000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0, .p_filesz = 16, .p_memsz = 16 };
	return sizeof(img);
}

TEST(elf_valid)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	CHECK_EQ(boot_parse(img, make_elf(ELFCLASS64, EM_X86_64, 4096), &b, why), 0);
	CHECK_EQ(b.kind, BOOT_ELF);
	CHECK_EQ(b.entry, 0x1000000);
	CHECK_EQ(b.nr_segments, 1);
	CHECK_EQ(b.kernel_end, 0x1010000);
	CHECK_EQ(b.hdr.header, 0x53726448);
	CHECK_EQ(b.cmdline_max, 2048);
}

TEST(elf_bad)
{
	struct boot_image b;
	char why[BOOT_WHY_LEN];

	CHECK_EQ(boot_parse(img, make_elf(ELFCLASS32, EM_X86_64, 4096), &b, why), -ENOEXEC);
	CHECK(strstr(why, "64-bit"));
	CHECK_EQ(boot_parse(img, make_elf(ELFCLASS64, EM_AARCH64, 4096), &b, why), -ENOEXEC);
	CHECK(strstr(why, "x86-64"));
	/* segment runs past the end of the file */
	CHECK_EQ(boot_parse(img, make_elf(ELFCLASS64, EM_X86_64, sizeof(img)), &b, why), -ENOEXEC);
	CHECK(strstr(why, "outside the file"));
	/* program headers past the end */
	make_elf(ELFCLASS64, EM_X86_64, 4096);
	((Elf64_Ehdr *)img)->e_phnum = 60000;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), -ENOEXEC);
	CHECK_EQ(boot_parse(img, 20, &b, why), -ENOEXEC);
}

/* boot_load into a fake guest of `size` bytes (low RAM only). */
static struct guest_mem fake_mem(uint64_t size)
{
	struct guest_mem m;

	memset(&m, 0, sizeof(m));
	guest_mem_layout(&m, size);
	m.host = calloc(1, size);
	return m;
}

TEST(load_places_everything)
{
	struct guest_mem m = fake_mem(64 << 20);
	struct boot_image b;
	char why[BOOT_WHY_LEN];
	static uint8_t initrd[100000];
	struct boot_load_args a = { .kernel = img, .kernel_len = sizeof(img), .initrd = initrd,
				    .initrd_len = sizeof(initrd), .cmdline = "console=ttyS0 quiet",
				    .acpi_rsdp = LAYOUT_ACPI };
	struct boot_params *bp = (struct boot_params *)(m.host + LAYOUT_BOOT_PARAMS);

	memset(initrd, 0x5a, sizeof(initrd));
	CHECK_EQ(boot_parse(img, make_bzimage(0x020f), &b, why), 0);
	CHECK_EQ(boot_load(&m, &b, &a, why), 0);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	CHECK_STR((char *)m.host + LAYOUT_CMDLINE, "console=ttyS0 quiet");
	CHECK_EQ(bp->hdr.ramdisk_size, sizeof(initrd));
	CHECK_EQ(bp->hdr.ramdisk_image & 0xfff, 0);
	CHECK(bp->hdr.ramdisk_image >= b.kernel_end);
	CHECK(bp->hdr.ramdisk_image + sizeof(initrd) <= (64 << 20));
	CHECK(!memcmp(m.host + bp->hdr.ramdisk_image, initrd, sizeof(initrd)));
	CHECK_EQ(bp->acpi_rsdp_addr, LAYOUT_ACPI);
	CHECK_EQ(bp->e820_entries, 5);
	CHECK(!memcmp(m.host + LAYOUT_KERNEL, img + PM_OFF, 8192));
	/* identity map: PML4[0] -> PDPT, 2 MiB pages */
	CHECK_EQ(*(uint64_t *)(m.host + LAYOUT_PML4), LAYOUT_PDPT | 3);
	CHECK_EQ(((uint64_t *)(m.host + LAYOUT_PD))[3], (3ULL << 21) | 0x83);
	free(m.host);
}

TEST(load_initrd_addr_max)
{
	struct guest_mem m = fake_mem(256 << 20);
	struct boot_image b;
	char why[BOOT_WHY_LEN];
	static uint8_t initrd[4096];
	struct boot_load_args a = { .kernel = img, .kernel_len = sizeof(img), .initrd = initrd,
				    .initrd_len = sizeof(initrd), .cmdline = "" };
	struct boot_params *bp = (struct boot_params *)(m.host + LAYOUT_BOOT_PARAMS);

	make_bzimage(0x020f);
	hdr()->initrd_addr_max = (100 << 20) - 1;
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), 0);
	CHECK_EQ(boot_load(&m, &b, &a, why), 0);
	CHECK_EQ(bp->hdr.ramdisk_image + 4096, 100 << 20);
	free(m.host);
}

TEST(load_errors)
{
	struct guest_mem m = fake_mem(32 << 20);
	struct boot_image b;
	char why[BOOT_WHY_LEN], longline[4000];
	uint8_t *big = malloc(20 << 20);
	struct boot_load_args a = { .kernel = img, .kernel_len = sizeof(img), .initrd = big,
				    .initrd_len = 20 << 20, .cmdline = "" };

	CHECK_EQ(boot_parse(img, make_bzimage(0x020f), &b, why), 0);
	/* kernel needs 24 MiB from pref_address 16 MiB: fits; a 20 MiB initrd does not */
	CHECK_EQ(boot_load(&m, &b, &a, why), -E2BIG);
	CHECK(strstr(why, "initrd (20 MiB) does not fit"));
	a.initrd = NULL;
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	a.cmdline = longline;
	CHECK_EQ(boot_load(&m, &b, &a, why), -E2BIG);
	CHECK(strstr(why, "command line too long: 3999 bytes"));
	a.cmdline = "";
	hdr()->init_size = 0x2000000; /* needs 48 MiB */
	CHECK_EQ(boot_parse(img, sizeof(img), &b, why), 0);
	CHECK_EQ(boot_load(&m, &b, &a, why), -E2BIG);
	CHECK(strstr(why, "too small for this kernel"));
	free(big);
	free(m.host);
}

/* The real Debian kernel the lab uses, when it has been fetched. */
TEST(real_kernel)
{
	const char *path = getenv("KASOU_TEST_KERNEL");
	FILE *f = path ? fopen(path, "rb") : NULL;
	static uint8_t buf[64 << 20];
	struct boot_image b;
	char why[BOOT_WHY_LEN];
	size_t n;

	if (!f)
		SKIP_TEST("KASOU_TEST_KERNEL (the lab's Debian bzImage) not set or unreadable");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CHECK_EQ(boot_parse(buf, n, &b, why), 0);
	CHECK(b.hdr.version >= 0x020c);
	CHECK(b.hdr.xloadflags & XLF_KERNEL_64);
	CHECK(b.hdr.relocatable_kernel);
}

UNIT_MAIN("boot", T(bzimage_valid), T(bzimage_setup_sects_zero_means_four), T(truncated),
	  T(bad_magic), T(old_protocol), T(not_64bit_or_zimage), T(elf_valid), T(elf_bad),
	  T(load_places_everything), T(load_initrd_addr_max), T(load_errors), T(real_kernel))
