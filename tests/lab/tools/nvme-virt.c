// SPDX-License-Identifier: GPL-2.0-only
/*
 * nvme-virt: the few NVMe admin commands the lab needs to bring SR-IOV secondary
 * controllers (VFs) online, sent with NVME_IOCTL_ADMIN_CMD on a controller's character
 * device (nvme-cli is not in the lab images).
 *
 *   nvme-virt DEV list                  Identify CNS 14h (primary controller capabilities)
 *                                       and CNS 15h (secondary controller list):
 *       "primary cntlid=C vq total=T sec=S prim-flex=P private=R max-per-sec=M gran=G"
 *       "primary cntlid=C vi ..."       (the same for interrupt resources)
 *       "secondary scid=N pcid=P vfn=V state=online|offline nvq=Q nvi=I"  (one per entry)
 *   nvme-virt DEV mgmt CNTLID RT ACT NR Virtualization Management (opcode 1Ch):
 *       cdw10 = ACT | RT << 8 | CNTLID << 16, cdw11 = NR; RT 0 VQ, 1 VI; ACT 1 primary
 *       flexible allocation, 7 secondary offline, 8 secondary assign, 9 secondary online
 *   nvme-virt DEV ctrls NSID            Identify CNS 12h: controllers attached to NSID
 *   nvme-virt DEV attach|detach NSID CNTLID   Namespace Attachment (opcode 15h)
 *
 * A command the device completes with an error prints "nvme-virt: WHAT: status 0xSSSS
 * (SCT s SC c[, DNR]: NAME)" and exits 1; a failed ioctl prints errno and exits 1;
 * bad arguments exit 2. The status is the kernel's (CQE DW3 bits 31:17): SC | SCT << 8 |
 * CRD << 11 | M << 13 | DNR << 14.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *status_name(unsigned int st)
{
	switch (st & 0x7ff) {
	case 0x000: return "Successful Completion";
	case 0x001: return "Invalid Command Opcode";
	case 0x002: return "Invalid Field in Command";
	case 0x006: return "Internal Error";
	case 0x00b: return "Invalid Namespace or Format";
	case 0x118: return "Namespace Already Attached";
	case 0x119: return "Namespace Is Private";
	case 0x11a: return "Namespace Not Attached";
	case 0x11c: return "Controller List Invalid";
	case 0x11f: return "Invalid Controller Identifier";
	case 0x120: return "Invalid Secondary Controller State";
	case 0x121: return "Invalid Number of Controller Resources";
	case 0x122: return "Invalid Resource Identifier";
	default: return "?";
	}
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* admin: send one admin command; 0 on success (result in *res), 1 after saying why not */
static int admin(int fd, const char *what, uint8_t opc, uint32_t nsid, uint32_t cdw10,
		 uint32_t cdw11, void *buf, uint32_t len, uint32_t *res)
{
	struct nvme_passthru_cmd c;
	int r;

	memset(&c, 0, sizeof(c));
	c.opcode = opc;
	c.nsid = nsid;
	c.addr = (uint64_t)(uintptr_t)buf;
	c.data_len = len;
	c.cdw10 = cdw10;
	c.cdw11 = cdw11;
	c.timeout_ms = 10000;
	r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
	if (r < 0) {
		fprintf(stderr, "nvme-virt: %s: ioctl(NVME_IOCTL_ADMIN_CMD): %s\n", what,
			strerror(errno));
		return 1;
	}
	if (r > 0) {
		printf("nvme-virt: %s: status 0x%04x (SCT %u SC 0x%02x%s: %s)\n", what,
		       (unsigned int)r, (r >> 8) & 7, r & 0xff, r & 0x4000 ? ", DNR" : "",
		       status_name((unsigned int)r));
		return 1;
	}
	if (res)
		*res = c.result;
	return 0;
}

static int identify(int fd, const char *what, uint8_t cns, uint16_t cntid, uint32_t nsid,
		    uint8_t *buf)
{
	memset(buf, 0, 4096);
	return admin(fd, what, 0x06, nsid, cns | (uint32_t)cntid << 16, 0, buf, 4096, NULL);
}

static int list(int fd)
{
	static uint8_t b[4096] __attribute__((aligned(4096)));
	unsigned int i, n;
	int k;

	if (identify(fd, "identify primary controller capabilities (CNS 14h)", 0x14, 0, 0, b))
		return 1;
	for (k = 0; k < 2; k++) {
		const uint8_t *p = b + 32 + 32 * k; /* VQ at byte 32, VI at byte 64 */

		printf("primary cntlid=%u %s total=%u sec=%u prim-flex=%u private=%u "
		       "max-per-sec=%u gran=%u\n",
		       le16(b), k ? "vi" : "vq", le32(p), le32(p + 4), le16(p + 8), le16(p + 10),
		       le16(p + 12), le16(p + 14));
	}
	if (identify(fd, "identify secondary controller list (CNS 15h)", 0x15, 0, 0, b))
		return 1;
	n = b[0];
	for (i = 0; i < n && i < 127; i++) {
		const uint8_t *e = b + 32 + 32 * i;

		printf("secondary scid=%u pcid=%u vfn=%u state=%s nvq=%u nvi=%u\n", le16(e),
		       le16(e + 2), le16(e + 8), e[4] & 1 ? "online" : "offline", le16(e + 10),
		       le16(e + 12));
	}
	printf("secondary controllers: %u\n", n);
	return 0;
}

static unsigned long num(const char *s, unsigned long max, int *bad)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		*bad = 1;
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: nvme-virt DEV list\n"
			"       nvme-virt DEV mgmt CNTLID RT ACT NR\n"
			"       nvme-virt DEV ctrls NSID\n"
			"       nvme-virt DEV attach|detach NSID CNTLID\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const char *const acts[16] = { [1] = "primary-flexible", [7] = "secondary-offline",
					      [8] = "secondary-assign", [9] = "secondary-online" };
	static uint8_t b[4096] __attribute__((aligned(4096)));
	char what[128];
	uint32_t res = 0;
	int fd, bad = 0, r;

	if (argc < 3)
		return usage();
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "nvme-virt: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!strcmp(argv[2], "list") && argc == 3)
		return list(fd);
	if (!strcmp(argv[2], "mgmt") && argc == 7) {
		unsigned long cntlid = num(argv[3], 0xffff, &bad), rt = num(argv[4], 7, &bad);
		unsigned long act = num(argv[5], 15, &bad), nr = num(argv[6], 0xffff, &bad);

		if (bad)
			return usage();
		snprintf(what, sizeof(what), "virt-mgmt cntlid=%lu rt=%s act=%lu(%s) nr=%lu", cntlid,
			 rt == 0 ? "VQ" : rt == 1 ? "VI" : "?", act, acts[act] ? acts[act] : "?", nr);
		r = admin(fd, what, 0x1c, 0, (uint32_t)(act | rt << 8 | cntlid << 16), (uint32_t)nr,
			  NULL, 0, &res);
		if (!r)
			printf("nvme-virt: %s: ok, result %u\n", what, res);
		return r;
	}
	if (!strcmp(argv[2], "ctrls") && argc == 4) {
		unsigned long nsid = num(argv[3], 0xffffffff, &bad);
		unsigned int i, n;

		if (bad)
			return usage();
		snprintf(what, sizeof(what), "identify controllers attached to nsid %lu (CNS 12h)",
			 nsid);
		if (identify(fd, what, 0x12, 0, (uint32_t)nsid, b))
			return 1;
		n = le16(b);
		printf("nsid %lu attached to %u controller(s):", nsid, n);
		for (i = 0; i < n && i < 2047; i++)
			printf(" %u", le16(b + 2 + 2 * i));
		printf("\n");
		return 0;
	}
	if ((!strcmp(argv[2], "attach") || !strcmp(argv[2], "detach")) && argc == 5) {
		unsigned long nsid = num(argv[3], 0xffffffff, &bad), cntlid = num(argv[4], 0xffff, &bad);
		int det = argv[2][0] == 'd';

		if (bad)
			return usage();
		memset(b, 0, sizeof(b));
		b[0] = 1;
		b[2] = (uint8_t)cntlid;
		b[3] = (uint8_t)(cntlid >> 8);
		snprintf(what, sizeof(what), "namespace %s nsid=%lu cntlid=%lu", argv[2], nsid, cntlid);
		r = admin(fd, what, 0x15, (uint32_t)nsid, det ? 1 : 0, 0, b, 4096, NULL);
		if (!r)
			printf("nvme-virt: %s: ok\n", what);
		return r;
	}
	return usage();
}
