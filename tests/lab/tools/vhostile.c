// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhostile: a hostile virtio-pci driver in userspace, for the L2 guest (lab 620).
 *
 *   vhostile blk PCI-ADDR     broken rings against a virtio-blk device
 *   vhostile rng PCI-ADDR     the same kind of abuse against virtio-rng
 *   vhostile net PCI-ADDR     ... and against virtio-net's transmit queue (rx set up, empty)
 *
 * The device must already be unbound from its Linux driver. vhostile enables it,
 * sets bus master (INTx disabled: it polls), walks the capability list in
 * /sys/bus/pci/devices/ADDR/config for the virtio structures, mmaps the BAR via
 * resourceN and builds its rings in mlocked pages whose guest-physical address
 * comes from /proc/self/pagemap (every ring and every buffer stays inside one
 * page, so physical contiguity is never assumed across pages).
 *
 * Each case: reset, init, a misbehaving request, then device_status is read
 * (NEEDS_RESET 0x40 expected where kasou's virtqueue walker catches it), then a
 * reset and a well-formed request, which must complete. Prints
 * "LAB-PASS hostile-<dev>-<case>" / "LAB-FAIL hostile-<dev>-<case> why".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define QSZ 8

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

/* common cfg offsets (virtio 1.x struct virtio_pci_common_cfg) */
#define C_DFSEL 0
#define C_DF 4
#define C_GFSEL 8
#define C_GF 12
#define C_MSIX 16
#define C_NUMQ 18
#define C_STATUS 20
#define C_QSEL 22
#define C_QSIZE 24
#define C_QMSIX 26
#define C_QENABLE 28
#define C_QNOFF 30
#define C_QDESC 32
#define C_QDRIVER 40
#define C_QDEVICE 48

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
struct avail {
	uint16_t flags, idx, ring[QSZ], used_event;
};
struct used {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[QSZ];
	uint16_t avail_event;
};

struct page {
	uint8_t *va;
	uint64_t pa;
};

static const char *devkind, *addr;
static volatile uint8_t *common, *isr, *devcfg, *notify_base;
static uint32_t notify_mult;
static volatile uint16_t *notify;
static int failures;

/* ring page: desc at 0, avail at 512, used at 1024 */
static struct page ring, hdr, indir;
#define NDATA 72
static struct page data[NDATA];
static volatile struct desc *dt;
static volatile struct avail *av;
static volatile struct used *us;
static uint16_t avail_idx, used_seen;
static uint16_t qi;		/* the queue under attack: 0, or 1 (tx) for net */
static uint16_t bw = D_WRITE;	/* buffer flags outside blk: writable (rng), readable (net tx) */
static struct page ring_rx;	/* net: the receive queue's rings (no buffers) */
static uint64_t bad_desc_gpa; /* nonzero: dev_init points the descriptor table there */
static uint16_t bad_qsize;	/* nonzero: dev_init writes this queue size */
static char pre_msg[200];	/* bad-notify: the request made after the bad writes */
static int pre_ok = 1;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("LAB-FAIL hostile-%s-setup ", devkind);
	vprintf(fmt, ap);
	printf(" (%s)\n", strerror(errno));
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static void verdict(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s hostile-%s-%s ", ok ? "LAB-PASS" : "LAB-FAIL", devkind, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sysfs_write(const char *file, const char *val)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", addr, file);
	fd = open(p, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		printf("vhostile: write %s to %s: %s\n", val, p, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ---- PCI config and capabilities ---- */

static uint8_t cfg[256];

static void read_config(int fd)
{
	if (pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg))
		die("read config");
}

static volatile uint8_t *bar_map[6];

static volatile uint8_t *bar(int n)
{
	char p[256];
	int fd;
	off_t sz;
	void *m;

	if (n < 0 || n > 5)
		die("BAR %d", n);
	if (bar_map[n])
		return bar_map[n];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/resource%d", addr, n);
	fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0)
		die("open %s", p);
	{
		/* line n of .../resource: start end flags */
		char rp[256], line[128];
		unsigned long long st = 0, en = 0, fl = 0;
		FILE *f;

		snprintf(rp, sizeof(rp), "/sys/bus/pci/devices/%s/resource", addr);
		f = fopen(rp, "r");
		for (int i = 0; f && i <= n && fgets(line, sizeof(line), f); i++)
			if (i == n && sscanf(line, "%llx %llx %llx", &st, &en, &fl) != 3)
				st = en = 0;
		if (f)
			fclose(f);
		sz = en > st ? (off_t)(en - st + 1) : 0;
		printf("vhostile: BAR %d at 0x%llx size 0x%llx flags 0x%llx\n", n, st,
		       (unsigned long long)sz, fl);
		if (!sz)
			die("BAR %d not assigned", n);
		m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED) {
			printf("vhostile: mmap %s: %s; trying /dev/mem\n", p, strerror(errno));
			fd = open("/dev/mem", O_RDWR | O_SYNC);
			if (fd < 0)
				die("open /dev/mem");
			m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)st);
			if (m == MAP_FAILED)
				die("mmap /dev/mem at 0x%llx", st);
			close(fd);
		}
	}
	return bar_map[n] = m;
}

static void find_caps(void)
{
	char p[256];
	int fd, guard = 0;
	uint8_t off;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", addr);
	fd = open(p, O_RDWR);
	if (fd < 0)
		die("open %s", p);
	read_config(fd);
	printf("vhostile: %s vendor %02x%02x device %02x%02x command 0x%02x%02x\n", addr, cfg[1],
	       cfg[0], cfg[3], cfg[2], cfg[5], cfg[4]);
	/* memory space, bus master, INTx disabled (we poll; nobody handles the line) */
	{
		uint16_t cmd = (uint16_t)(cfg[4] | cfg[5] << 8) | 0x2 | 0x4 | 0x400;
		uint8_t b[2] = { cmd & 0xff, cmd >> 8 };

		if (pwrite(fd, b, 2, 4) != 2)
			die("write command");
	}
	read_config(fd);
	printf("vhostile: command now 0x%02x%02x\n", cfg[5], cfg[4]);
	if (!(cfg[6] & 0x10))
		die("no capability list");
	for (off = cfg[0x34] & 0xfc; off && guard++ < 48; off = cfg[off + 1] & 0xfc) {
		uint8_t type, b;
		uint32_t o, len;

		if (cfg[off] != 0x09)
			continue;
		type = cfg[off + 3];
		b = cfg[off + 4];
		memcpy(&o, &cfg[off + 8], 4);
		memcpy(&len, &cfg[off + 12], 4);
		printf("vhostile: cap at 0x%02x: cfg_type %u bar %u offset 0x%x length 0x%x\n", off,
		       type, b, o, len);
		switch (type) {
		case 1:
			if (!common)
				common = bar(b) + o;
			break;
		case 2:
			if (!notify_base) {
				notify_base = bar(b) + o;
				memcpy(&notify_mult, &cfg[off + 16], 4);
			}
			break;
		case 3:
			if (!isr)
				isr = bar(b) + o;
			break;
		case 4:
			if (!devcfg)
				devcfg = bar(b) + o;
			break;
		}
	}
	close(fd);
	if (!common || !notify_base || !isr || !devcfg)
		die("missing virtio capabilities");
	printf("vhostile: notify_off_multiplier %u\n", notify_mult);
}

/* ---- memory ---- */

static struct page get_page(void)
{
	static int pm = -1;
	struct page pg;
	uint64_t ent;

	pg.va = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		     -1, 0);
	if (pg.va == MAP_FAILED)
		die("mmap page");
	if (mlock(pg.va, PAGE))
		die("mlock");
	memset(pg.va, 0, PAGE);
	if (pm < 0)
		pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0 || pread(pm, &ent, 8, (uintptr_t)pg.va / PAGE * 8) != 8)
		die("pagemap");
	if (!(ent & (1ULL << 63)) || !(ent & ((1ULL << 55) - 1)))
		die("page not present or PFN hidden (0x%llx)", (unsigned long long)ent);
	pg.pa = (ent & ((1ULL << 55) - 1)) * PAGE;
	return pg;
}

/* ---- common cfg access ---- */

static uint8_t r8(int o)
{
	return common[o];
}
static uint16_t r16(int o)
{
	return *(volatile uint16_t *)(common + o);
}
static uint32_t r32(int o)
{
	return *(volatile uint32_t *)(common + o);
}
static void w8(int o, uint8_t v)
{
	common[o] = v;
}
static void w16(int o, uint16_t v)
{
	*(volatile uint16_t *)(common + o) = v;
}
static void w32(int o, uint32_t v)
{
	*(volatile uint32_t *)(common + o) = v;
}
static void w64(int o, uint64_t v)
{
	w32(o, (uint32_t)v);
	w32(o + 4, (uint32_t)(v >> 32));
}

static uint8_t status(void)
{
	return r8(C_STATUS);
}

/* write 0 and wait until it reads 0; returns seconds taken or -1 */
static double dev_reset(void)
{
	double t0 = now();

	w8(C_STATUS, 0);
	while (status() != 0) {
		if (now() - t0 > 5)
			return -1;
		usleep(1000);
	}
	return now() - t0;
}

static int dev_init(int want_indirect)
{
	uint32_t f0, f1, g0 = 0, g1 = 1; /* VERSION_1 */
	uint16_t qs;

	if (dev_reset() < 0) {
		printf("vhostile: reset did not complete (status 0x%x)\n", status());
		return -1;
	}
	w8(C_STATUS, S_ACK);
	w8(C_STATUS, S_ACK | S_DRIVER);
	w32(C_DFSEL, 0);
	f0 = r32(C_DF);
	w32(C_DFSEL, 1);
	f1 = r32(C_DF);
	if (want_indirect && (f0 & (1u << 28)))
		g0 |= 1u << 28;
	w32(C_GFSEL, 0);
	w32(C_GF, g0);
	w32(C_GFSEL, 1);
	w32(C_GF, g1);
	w8(C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(status() & S_FEATURES_OK)) {
		printf("vhostile: FEATURES_OK refused (features 0x%08x%08x)\n", f1, f0);
		return -1;
	}
	for (uint16_t i = 0; i <= qi; i++) {
		struct page *rp = i == qi ? &ring : &ring_rx;

		w16(C_QSEL, i);
		qs = r16(C_QSIZE);
		if (qs < QSZ) {
			printf("vhostile: queue %u max size %u\n", i, qs);
			return -1;
		}
		w16(C_QSIZE, bad_qsize && i == qi ? bad_qsize : QSZ);
		w16(C_QMSIX, 0xffff);
		memset(rp->va, 0, PAGE);
		w64(C_QDESC, bad_desc_gpa && i == qi ? bad_desc_gpa : rp->pa);
		w64(C_QDRIVER, rp->pa + 512);
		w64(C_QDEVICE, rp->pa + 1024);
		w16(C_QENABLE, 1);
		if (i == qi)
			notify = (volatile uint16_t *)(notify_base +
						       (uint32_t)r16(C_QNOFF) * notify_mult);
	}
	w8(C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	avail_idx = used_seen = 0;
	return (status() & S_NEEDS_RESET) ? -1 : 0;
}

static void kick(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*notify = qi;
}

static void publish(uint16_t head)
{
	av->ring[avail_idx % QSZ] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	av->idx = ++avail_idx;
	kick();
}

/* wait for n more used entries; 0 on success */
static int wait_used(int n, double secs)
{
	double t0 = now();

	while ((uint16_t)(us->idx - used_seen) < n) {
		if (now() - t0 > secs)
			return -1;
		usleep(200);
	}
	used_seen = (uint16_t)(used_seen + n);
	return 0;
}

/* wait (a little) for NEEDS_RESET; returns the last status read */
static uint8_t wait_needs_reset(double secs)
{
	double t0 = now();
	uint8_t s;

	while (!((s = status()) & S_NEEDS_RESET) && now() - t0 < secs)
		usleep(1000);
	return s;
}

static void setd(int i, uint64_t a, uint32_t len, uint16_t flags, uint16_t next)
{
	dt[i].addr = a;
	dt[i].len = len;
	dt[i].flags = flags;
	dt[i].next = next;
}

/* ---- well-formed requests ---- */

/* blk: GET_ID (into data[0]) and a 512-byte read of sector 0 (into data[1]) */
static int good_request(char *out, size_t outlen)
{
	if (!strcmp(devkind, "blk")) {
		struct {
			uint32_t type, reserved;
			uint64_t sector;
		} *h = (void *)hdr.va;

		memset(hdr.va, 0, PAGE);
		memset(data[0].va, 0, PAGE);
		memset(data[1].va, 0, PAGE);
		h[0].type = 8; /* GET_ID */
		setd(0, hdr.pa, 16, D_NEXT, 1);
		setd(1, data[0].pa, 20, D_NEXT | D_WRITE, 2);
		setd(2, hdr.pa + 256, 1, D_WRITE, 0);
		hdr.va[256] = 0xff;
		publish(0);
		h[1].type = 0; /* IN */
		h[1].sector = 0;
		setd(3, hdr.pa + 16, 16, D_NEXT, 4);
		setd(4, data[1].pa, 512, D_NEXT | D_WRITE, 5);
		setd(5, hdr.pa + 257, 1, D_WRITE, 0);
		hdr.va[257] = 0xff;
		publish(3);
		if (wait_used(2, 5) < 0) {
			snprintf(out, outlen, "requests not completed (used idx %u, status 0x%x)",
				 us->idx, status());
			return -1;
		}
		snprintf(out, outlen, "id '%.20s' status %u, read '%.15s' status %u",
			 (char *)data[0].va, hdr.va[256], (char *)data[1].va, hdr.va[257]);
		return hdr.va[256] == 0 && hdr.va[257] == 0 &&
				       !memcmp(data[1].va, "hostile-disk-ok", 15) ?
			       0 :
			       -1;
	} else if (!strcmp(devkind, "net")) {
		/* virtio_net_hdr (12 bytes, zero) + a broadcast ARP request, 42 bytes */
		static const uint8_t frame[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0,
						   0,	 1,    0x08, 0x06, 0,	 1,    0x08, 0,
						   6,	 4,    0,    1,	   0x02, 0,    0,    0,
						   0,	 1,    10,   0,	   2,	 99,   0,    0,
						   0,	 0,    0,    0,	   10,	 0,    2,    2 };

		memset(data[0].va, 0, PAGE);
		memcpy(data[0].va + 12, frame, sizeof(frame));
		setd(0, data[0].pa, 12 + sizeof(frame), 0, 0);
		publish(0);
		if (wait_used(1, 5) < 0) {
			snprintf(out, outlen, "tx not completed (used idx %u, status 0x%x)", us->idx,
				 status());
			return -1;
		}
		snprintf(out, outlen, "tx of a %zu-byte frame completed", sizeof(frame));
		return 0;
	} else {
		memset(data[0].va, 0, PAGE);
		setd(0, data[0].pa, 64, D_WRITE, 0);
		publish(0);
		if (wait_used(1, 5) < 0) {
			snprintf(out, outlen, "rng request not completed (used idx %u, status 0x%x)",
				 us->idx, status());
			return -1;
		}
		snprintf(out, outlen, "rng gave %u bytes", us->ring[(used_seen - 1) % QSZ].len);
		return us->ring[(used_seen - 1) % QSZ].len > 0 ? 0 : -1;
	}
}

/* ---- the hostile cases ---- */

enum {
	LOOP,
	OUT_OF_RAM,
	HUGE_LEN,
	IND_LOOP,
	IND_RANGE,
	AVAIL_JUMP,
	RING_OUT_OF_RAM,
	HEAD_RANGE,
	MIXED_RW,
	QSIZE_NPOT,
	NO_FEATURES_OK,
	BAD_NOTIFY,
	REPROGRAM,
	RESET_INFLIGHT,
	NCASES
};
static const char *case_name[] = {
	"desc-loop",	  "addr-outside-ram", "huge-len",	      "indirect-loop",
	"indirect-range", "avail-jump",	      "ring-outside-ram", "head-out-of-range",
	"read-after-write", "queue-size-7",   "driver-ok-without-features-ok",
	"bad-notify",	  "reprogram-live-queue", "reset-inflight"
};

/* a blk read request's header in hdr page slot i, status byte at 512 + i */
static void blk_hdr(int i, uint32_t type, uint64_t sector)
{
	uint32_t *h = (uint32_t *)(hdr.va + 16 * i);

	h[0] = type;
	h[1] = 0;
	memcpy(&h[2], &sector, 8);
	hdr.va[512 + i] = 0xff;
}

/* returns 1 if the device is expected to flag NEEDS_RESET */
static int submit_bad(int c)
{
	int blk = !strcmp(devkind, "blk");
	volatile struct desc *it = (volatile struct desc *)indir.va;

	if (blk)
		blk_hdr(0, 0, 0);
	switch (c) {
	case LOOP:
		if (blk) {
			setd(0, hdr.pa, 16, D_NEXT, 1);
			setd(1, data[0].pa, 16, D_NEXT, 0); /* readable, back to 0 */
		} else {
			setd(0, data[0].pa, 16, D_NEXT | bw, 1);
			setd(1, data[1].pa, 16, D_NEXT | bw, 0);
		}
		publish(0);
		return 1;
	case OUT_OF_RAM:
		if (blk) {
			setd(0, hdr.pa, 16, D_NEXT, 1);
			setd(1, 0x7ff000000000ULL, 512, D_NEXT | D_WRITE, 2);
			setd(2, hdr.pa + 512, 1, D_WRITE, 0);
		} else {
			setd(0, 0x7ff000000000ULL, 64, bw, 0);
		}
		publish(0);
		return 1;
	case HUGE_LEN:
		if (blk) {
			setd(0, hdr.pa, 16, D_NEXT, 1);
			setd(1, data[0].pa, 0xffffffffu, D_NEXT | D_WRITE, 2);
			setd(2, hdr.pa + 512, 1, D_WRITE, 0);
		} else {
			setd(0, data[0].pa, 0xffffffffu, bw, 0);
		}
		publish(0);
		return 1;
	case IND_LOOP:
		memset(indir.va, 0, PAGE);
		it[0] = (struct desc){ blk ? hdr.pa : data[0].pa, 16, D_NEXT | (blk ? 0 : bw), 1 };
		it[1] = (struct desc){ data[1].pa, 16, D_NEXT | (blk ? 0 : bw), 2 };
		it[2] = (struct desc){ data[2].pa, 16, D_NEXT | (blk ? 0 : bw), 0 };
		setd(0, indir.pa, 3 * 16, D_INDIRECT, 0);
		publish(0);
		return 1;
	case IND_RANGE:
		memset(indir.va, 0, PAGE);
		it[0] = (struct desc){ blk ? hdr.pa : data[0].pa, 16, D_NEXT | (blk ? 0 : bw), 1 };
		it[1] = (struct desc){ data[1].pa, 512, D_NEXT | (blk ? D_WRITE : bw), 7 }; /* table has 2 */
		setd(0, indir.pa, 2 * 16, D_INDIRECT, 0);
		publish(0);
		return 1;
	case HEAD_RANGE:
		setd(0, data[0].pa, 64, bw, 0);
		publish(200);
		return 1;
	case MIXED_RW:
		/* writable, then readable: forbidden order */
		setd(0, data[0].pa, 64, D_NEXT | D_WRITE, 1);
		setd(1, data[1].pa, 64, 0, 0);
		publish(0);
		return 1;
	case BAD_NOTIFY:
		/* kicks for queues that do not exist, writes past the notify capability,
		 * queue registers of an out-of-range queue_select; then a normal request
		 * (no reset) must still work */
		*(volatile uint16_t *)notify_base = 0x7fff;
		*(volatile uint16_t *)(notify_base + 4 * notify_mult * 64) = 3;
		*(volatile uint32_t *)(notify_base + 0xffc) = 0xffffffffu;
		*(volatile uint8_t *)(notify_base + 1) = 1;
		w16(C_QSEL, 0x7fff);
		w16(C_QSIZE, 3);
		w64(C_QDESC, 0x7ff000000000ULL);
		w16(C_QENABLE, 1);
		(void)r16(C_QSIZE);
		(void)r16(C_QNOFF);
		w16(C_QSEL, qi);
		(void)*(volatile uint8_t *)isr;
		pre_ok = good_request(pre_msg, sizeof(pre_msg)) == 0;
		printf("vhostile: %s bad-notify: then a request without reset: %s\n", devkind, pre_msg);
		return 0;
	case REPROGRAM:
		/* rewrite the live queue's registers after DRIVER_OK (forbidden), then kick */
		w16(C_QSEL, qi);
		w16(C_QSIZE, 3);
		w64(C_QDESC, 0x7ff000000000ULL);
		w64(C_QDRIVER, 0x7ff000001000ULL);
		w64(C_QDEVICE, 0x7ff000002000ULL);
		w16(C_QENABLE, 0);
		setd(0, data[0].pa, 64, bw, 0);
		publish(0);
		return 0;
	case AVAIL_JUMP:
		if (blk) {
			setd(0, hdr.pa, 16, D_NEXT, 1);
			setd(1, data[0].pa, 512, D_NEXT | D_WRITE, 2);
			setd(2, hdr.pa + 512, 1, D_WRITE, 0);
		} else {
			setd(0, data[0].pa, 64, bw, 0);
		}
		for (int i = 0; i < QSZ; i++)
			av->ring[i] = 0;
		avail_idx = 1000;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		av->idx = avail_idx;
		kick();
		return 1;
	case RESET_INFLIGHT: {
		/* QSZ requests, each an indirect table: header, 8 data pages (32 KiB), status */
		int ndp = blk ? 8 : 1;

		memset(indir.va, 0, PAGE);
		for (int r = 0; r < QSZ; r++) {
			volatile struct desc *t = it + r * 12;
			int k = 0;

			if (blk) {
				blk_hdr(r, 0, (uint64_t)r * 64);
				t[k] = (struct desc){ hdr.pa + 16 * r, 16, D_NEXT, k + 1 };
				k++;
			}
			for (int p = 0; p < ndp; p++, k++)
				t[k] = (struct desc){ data[r * 8 + p].pa, blk ? PAGE : 64,
						      D_NEXT | (blk ? D_WRITE : bw), k + 1 };
			if (blk) {
				t[k] = (struct desc){ hdr.pa + 512 + r, 1, D_WRITE, 0 };
				k++;
			}
			t[k - 1].flags &= ~D_NEXT;
			setd(r, indir.pa + r * 12 * 16, k * 16, D_INDIRECT, 0);
			av->ring[avail_idx % QSZ] = r;
			avail_idx++;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		av->idx = avail_idx;
		kick();
		return 0;
	}
	}
	return 0;
}

static void run_case(int c, unsigned int delay_us)
{
	char good[160];
	uint8_t st;
	double rt;
	int expect_nr;

	pre_ok = 1;
	if (c == RING_OUT_OF_RAM || c == QSIZE_NPOT) {
		/* descriptor table outside guest RAM, or a queue size not a power of 2:
		 * DRIVER_OK must be refused */
		if (c == RING_OUT_OF_RAM)
			bad_desc_gpa = 0x7ff000000000ULL;
		else
			bad_qsize = 7;
		dev_init(1);
		bad_desc_gpa = 0;
		bad_qsize = 0;
		expect_nr = 1;
	} else if (c == NO_FEATURES_OK) {
		dev_reset();
		w8(C_STATUS, S_ACK);
		w8(C_STATUS, S_ACK | S_DRIVER);
		w8(C_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
		expect_nr = 1;
	} else {
		if (dev_init(1) < 0) {
			verdict(case_name[c], 0, "init failed (status 0x%x)", status());
			return;
		}
		expect_nr = submit_bad(c);
	}
	/* reset-inflight: reset at once, while the device works on the requests */
	if (delay_us)
		usleep(delay_us);
	st = expect_nr ? wait_needs_reset(3) : status();
	{
		uint16_t before = us->idx, after, later;

		rt = dev_reset();
		after = us->idx;
		usleep(100000);
		later = us->idx;
		printf("vhostile: %s %s (+%u us): device_status 0x%02x%s, used idx %u before the "
		       "reset, %u after it, %u 100 ms later; reset took %.3f s\n",
		       devkind, case_name[c], delay_us, st,
		       (st & S_NEEDS_RESET) ? " (NEEDS_RESET)" : "", before, after, later, rt);
		if (rt < 0) {
			verdict(case_name[c], 0, "reset did not complete: status 0x%x", status());
			return;
		}
		if (later != after) {
			verdict(case_name[c], 0, "device wrote the used ring after the reset (%u -> %u)",
				after, later);
			return;
		}
	}
	if (!pre_ok) {
		verdict(case_name[c], 0, "request after the bad writes: %s", pre_msg);
		return;
	}
	if (expect_nr && !(st & S_NEEDS_RESET)) {
		verdict(case_name[c], 0, "status 0x%02x without NEEDS_RESET", st);
		return;
	}
	if (dev_init(0) < 0) {
		verdict(case_name[c], 0, "re-init failed (status 0x%x)", status());
		return;
	}
	if (good_request(good, sizeof(good)) < 0) {
		verdict(case_name[c], 0, "after reset: %s", good);
		return;
	}
	verdict(case_name[c], 1, "status 0x%02x; after reset: %s", st, good);
}

int main(int argc, char **argv)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 || (strcmp(argv[1], "blk") && strcmp(argv[1], "rng") &&
			  strcmp(argv[1], "net"))) {
		fprintf(stderr, "usage: vhostile blk|rng|net PCI-ADDR\n");
		return 2;
	}
	devkind = argv[1];
	if (!strcmp(devkind, "net")) {
		qi = 1;
		bw = 0;
	}
	addr = argv[2];
	/* keep compaction away from our mlocked pages (best effort) */
	fd = open("/proc/sys/vm/compact_unevictable_allowed", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0)
			perror("compact_unevictable_allowed");
		close(fd);
	}
	sysfs_write("enable", "1");
	find_caps();
	ring = get_page();
	ring_rx = get_page();
	hdr = get_page();
	indir = get_page();
	for (int i = 0; i < NDATA; i++)
		data[i] = get_page();
	dt = (volatile struct desc *)ring.va;
	av = (volatile struct avail *)(ring.va + 512);
	us = (volatile struct used *)(ring.va + 1024);
	printf("vhostile: ring page at 0x%llx, num_queues %u\n", (unsigned long long)ring.pa,
	       r16(C_NUMQ));

	for (int c = 0; c < NCASES; c++) {
		if (c != RESET_INFLIGHT) {
			run_case(c, 0);
			continue;
		}
		/* reset at several points: before the device sees the kick, during, after */
		static const unsigned int delays[] = { 0, 200, 500, 1000, 2000, 5000, 20000 };

		for (unsigned int i = 0; i < sizeof(delays) / sizeof(delays[0]); i++)
			run_case(c, delays[i]);
	}

	/* finally: a well-formed request after the last reset */
	{
		char good[160];
		int ok = dev_init(0) == 0 && good_request(good, sizeof(good)) == 0;

		verdict("final", ok, "%s", ok ? good : "device did not recover");
		dev_reset();
	}
	printf("vhostile: %s done, %d failure(s)\n", devkind, failures);
	return failures ? 1 : 0;
}
