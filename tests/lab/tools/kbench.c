// SPDX-License-Identifier: GPL-2.0-only
/*
 * kbench: a small static block I/O benchmark for lab guests (fio is ~84 MB
 * with its libraries). Linux native AIO through raw syscalls, O_DIRECT.
 *
 *   kbench FILE {randread|randwrite|read|write} BS IODEPTH SECONDS [SIZE_MB]
 *       prints one line: "kbench rw=.. bs=.. qd=.. ios=N secs=S iops=X mbps=Y"
 *   kbench zeroout DEV OFFSET LEN      BLKZEROOUT: WRITE_ZEROES that must not unmap
 *   kbench punch DEV OFFSET LEN        fallocate(PUNCH_HOLE): WRITE_ZEROES that may unmap
 *   kbench cpuid LEAF [SUBLEAF]        print the four CPUID registers (hex)
 *   kbench gen BYTES [SEED]            a deterministic byte stream on stdout
 *   kbench send HOST PORT BYTES SEED   connect, send that stream, wait for the peer to close;
 *                                      prints "kbench sent N fnv=H"
 *   kbench recv PORT                   accept one connection, read to EOF; prints
 *                                      "kbench received N fnv=H secs=S mbps=R t0=T t1=T"
 *                                      (t0, t1: CLOCK_MONOTONIC at the first byte and at
 *                                      EOF, to sum parallel streams over their wall time)
 *       (busybox nc loses data on bulk transfers; H is FNV-1a 64 taken a 64-bit word
 *       at a time, the last partial word zero-padded: 8 times fewer multiplies than a
 *       byte at a time, which in the nested lab's emulated CPUs capped the throughput)
 *   kbench verify DEV THREADS ROUNDS   each thread, pinned to CPU i, writes 4 KiB blocks
 *       tagged (thread, block, round) at random in its own slice with O_DIRECT, then
 *       reads every block back and checks the tags; prints "kbench verify ok N" or fails
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sched.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static int zeroout(int argc, char **argv, int punch)
{
	uint64_t r[2];
	int fd;

	if (argc < 5)
		return 2;
	fd = open(argv[2], O_WRONLY);
	r[0] = strtoull(argv[3], NULL, 0);
	r[1] = strtoull(argv[4], NULL, 0);
	if (fd < 0 || (punch ? fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					 (off_t)r[0], (off_t)r[1])
			     : ioctl(fd, BLKZEROOUT, r)) < 0) {
		perror(punch ? "fallocate(PUNCH_HOLE)" : "BLKZEROOUT");
		return 1;
	}
	printf("kbench %s ok\n", argv[1]);
	return 0;
}

struct vjob {
	const char *dev;
	int id, rounds;
	uint64_t first, nblocks;
	long errors, ios;
};

static void *verify_thread(void *arg)
{
	struct vjob *j = arg;
	uint32_t *round = calloc(j->nblocks, sizeof(*round));
	uint64_t *buf;
	cpu_set_t set;
	int fd = open(j->dev, O_RDWR | O_DIRECT);
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(j->id + 1);

	CPU_ZERO(&set);
	CPU_SET(j->id, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, 4096) || !round) {
		j->errors++;
		return NULL;
	}
	for (int r = 1; r <= j->rounds; r++) {
		for (uint64_t n = 0; n < j->nblocks; n++) {
			uint64_t b;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			b = seed % j->nblocks;
			for (int k = 0; k < 512; k++)
				buf[k] = ((uint64_t)j->id << 56) ^ ((j->first + b) << 16) ^ (uint64_t)r ^
					 (uint64_t)k * 0x100000001ULL;
			if (pwrite(fd, buf, 4096, (off_t)((j->first + b) * 4096)) != 4096)
				j->errors++;
			round[b] = (uint32_t)r;
			j->ios++;
		}
	}
	for (uint64_t b = 0; b < j->nblocks; b++) {
		if (!round[b])
			continue;
		if (pread(fd, buf, 4096, (off_t)((j->first + b) * 4096)) != 4096) {
			j->errors++;
			continue;
		}
		for (int k = 0; k < 512; k++)
			if (buf[k] != (((uint64_t)j->id << 56) ^ ((j->first + b) << 16) ^
				       (uint64_t)round[b] ^ (uint64_t)k * 0x100000001ULL)) {
				j->errors++;
				break;
			}
		j->ios++;
	}
	close(fd);
	free(round);
	free(buf);
	return NULL;
}

static int verify(int argc, char **argv)
{
	struct vjob jobs[64];
	pthread_t th[64];
	uint64_t size = 0, per;
	long errors = 0, ios = 0;
	int n, fd;

	if (argc < 5)
		return 2;
	n = atoi(argv[3]);
	if (n < 1 || n > 64)
		return 2;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
		perror(argv[2]);
		return 1;
	}
	close(fd);
	per = size / 4096 / (uint64_t)n;
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct vjob){ .dev = argv[2], .id = i, .rounds = atoi(argv[4]),
					 .first = per * (uint64_t)i, .nblocks = per };
		pthread_create(&th[i], NULL, verify_thread, &jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		errors += jobs[i].errors;
		ios += jobs[i].ios;
	}
	if (errors) {
		printf("kbench verify FAILED %ld errors in %ld ios\n", errors, ios);
		return 1;
	}
	printf("kbench verify ok %ld\n", ios);
	return 0;
}

/* FNV-1a 64 over little-endian 64-bit words of a byte stream fed in any pieces */
struct whash {
	uint64_t h;
	uint8_t part[8];
	size_t npart;
};

#define FNV_PRIME 0x100000001b3ULL

static void whash_add(struct whash *w, const uint8_t *p, size_t n)
{
	uint64_t v;

	while (w->npart && n) {
		w->part[w->npart++] = *p++;
		n--;
		if (w->npart == 8) {
			memcpy(&v, w->part, 8);
			w->h = (w->h ^ v) * FNV_PRIME;
			w->npart = 0;
		}
	}
	if (w->npart) /* all of p went into the partial word */
		return;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&v, p, 8);
		w->h = (w->h ^ v) * FNV_PRIME;
	}
	memcpy(w->part, p, n);
	w->npart = n;
}

static uint64_t whash_end(struct whash *w)
{
	uint64_t v = 0;

	if (w->npart) {
		memcpy(&v, w->part, w->npart);
		w->h = (w->h ^ v) * FNV_PRIME;
		w->npart = 0;
	}
	return w->h;
}

static int net_send(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static uint64_t buf[8192];
	struct whash h = { .h = 0xcbf29ce484222325ULL };
	uint64_t left, total;
	char drain[4096];
	int fd;

	if (argc < 6)
		return 2;
	left = total = strtoull(argv[4], NULL, 0);
	rnd_state = strtoull(argv[5], NULL, 0) * 2654435761ULL + 1;
	a.sin_port = htons((uint16_t)atoi(argv[3]));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || inet_pton(AF_INET, argv[2], &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("kbench send: connect");
		return 1;
	}
	while (left) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf), off = 0;

		for (size_t i = 0; i < sizeof(buf) / 8; i++)
			buf[i] = rnd();
		whash_add(&h, (uint8_t *)buf, n);
		while (off < n) {
			ssize_t w = write(fd, (char *)buf + off, n - off);

			if (w <= 0) {
				perror("kbench send: write");
				return 1;
			}
			off += (size_t)w;
		}
		left -= n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	printf("kbench sent %llu fnv=%016llx\n", (unsigned long long)total,
	       (unsigned long long)whash_end(&h));
	return 0;
}

static int net_recv(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	static uint8_t buf[65536];
	struct whash h = { .h = 0xcbf29ce484222325ULL };
	uint64_t total = 0;
	double t0 = 0, t1;
	int one = 1, ls, fd;
	ssize_t n;

	if (argc < 3)
		return 2;
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1) < 0) {
		perror("kbench recv: listen");
		return 1;
	}
	printf("kbench listening %s\n", argv[2]);
	fflush(stdout);
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		perror("kbench recv: accept");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!total)
			t0 = now();
		whash_add(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	t1 = now();
	close(fd);
	if (!total)
		t0 = t1;
	printf("kbench received %llu fnv=%016llx secs=%.2f mbps=%.2f t0=%.6f t1=%.6f\n",
	       (unsigned long long)total, (unsigned long long)whash_end(&h), t1 - t0,
	       t1 > t0 ? total * 8 / (t1 - t0) / 1e6 : 0.0, t0, t1);
	return 0;
}

static int gen(int argc, char **argv)
{
	static uint64_t buf[8192];
	uint64_t left = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;

	rnd_state = argc > 3 ? strtoull(argv[3], NULL, 0) * 2654435761ULL + 1 : rnd_state;
	while (left) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf), off = 0;

		for (size_t i = 0; i < sizeof(buf) / 8; i++)
			buf[i] = rnd();
		while (off < n) {
			ssize_t w = write(1, (char *)buf + off, n - off);

			if (w <= 0)
				return 1;
			off += (size_t)w;
		}
		left -= n;
	}
	return 0;
}

static int cpuid_cmd(int argc, char **argv)
{
	uint32_t leaf = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 0;
	uint32_t sub = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 0, a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
	printf("cpuid %#x.%u: eax=%08x ebx=%08x ecx=%08x edx=%08x\n", leaf, sub, a, b, c, d);
	return 0;
}

int main(int argc, char **argv)
{
	aio_context_t ctx = 0;
	struct iocb *cbs, **ptrs;
	struct io_event ev[256];
	uint64_t size, bs, qd, nblocks, next = 0, ios = 0;
	double secs, t0, t1;
	int fd, rnd_io, wr;
	char *buf;

	if (argc > 1 && !strcmp(argv[1], "cpuid"))
		return cpuid_cmd(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "gen"))
		return gen(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "send"))
		return net_send(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "recv"))
		return net_recv(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "zeroout"))
		return zeroout(argc, argv, 0);
	if (argc > 1 && !strcmp(argv[1], "punch"))
		return zeroout(argc, argv, 1);
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return verify(argc, argv);
	if (argc < 6) {
		fprintf(stderr, "usage: kbench FILE randread|randwrite|read|write BS IODEPTH SECONDS [SIZE_MB]\n");
		return 2;
	}
	rnd_io = !strncmp(argv[2], "rand", 4);
	wr = strstr(argv[2], "write") != NULL;
	bs = strtoull(argv[3], NULL, 0);
	qd = strtoull(argv[4], NULL, 0);
	secs = atof(argv[5]);
	if (!bs || bs % 512 || !qd || qd > 256 || secs <= 0) {
		fprintf(stderr, "kbench: bad arguments\n");
		return 2;
	}
	fd = open(argv[1], (wr ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (argc > 6) {
		size = strtoull(argv[6], NULL, 0) << 20;
	} else if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		size = (uint64_t)lseek(fd, 0, SEEK_END);
	}
	nblocks = size / bs;
	if (!nblocks) {
		fprintf(stderr, "kbench: file smaller than one block\n");
		return 1;
	}
	if (posix_memalign((void **)&buf, 4096, bs * qd))
		return 1;
	memset(buf, 0x5a, bs * qd);
	cbs = calloc(qd, sizeof(*cbs));
	ptrs = calloc(qd, sizeof(*ptrs));
	if (syscall(SYS_io_setup, qd, &ctx) < 0) {
		perror("io_setup");
		return 1;
	}
	for (uint64_t i = 0; i < qd; i++) {
		uint64_t blk = rnd_io ? rnd() % nblocks : next++ % nblocks;

		cbs[i].aio_fildes = (uint32_t)fd;
		cbs[i].aio_lio_opcode = wr ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cbs[i].aio_buf = (uint64_t)(uintptr_t)(buf + i * bs);
		cbs[i].aio_nbytes = bs;
		cbs[i].aio_offset = (int64_t)(blk * bs);
		cbs[i].aio_data = i;
		ptrs[i] = &cbs[i];
	}
	t0 = now();
	if (syscall(SYS_io_submit, ctx, qd, ptrs) != (long)qd) {
		perror("io_submit");
		return 1;
	}
	for (;;) {
		long n = syscall(SYS_io_getevents, ctx, 1, 256, ev, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("io_getevents");
			return 1;
		}
		t1 = now();
		for (long i = 0; i < n; i++) {
			struct iocb *cb = &cbs[ev[i].data];
			uint64_t blk = rnd_io ? rnd() % nblocks : next++ % nblocks;

			if (ev[i].res != (int64_t)bs) {
				fprintf(stderr, "kbench: I/O error %lld\n", (long long)ev[i].res);
				return 1;
			}
			ios++;
			if (t1 - t0 >= secs)
				continue;
			cb->aio_offset = (int64_t)(blk * bs);
			if (syscall(SYS_io_submit, ctx, 1, &ptrs[ev[i].data]) != 1) {
				perror("io_submit");
				return 1;
			}
		}
		if (t1 - t0 >= secs)
			break; /* the rest in flight is dropped with the context */
	}
	printf("kbench rw=%s bs=%llu qd=%llu ios=%llu secs=%.2f iops=%.0f mbps=%.1f\n", argv[2],
	       (unsigned long long)bs, (unsigned long long)qd, (unsigned long long)ios, t1 - t0,
	       ios / (t1 - t0), ios * bs / (t1 - t0) / 1e6);
	return 0;
}
