/* crashrec: numbered, checksummed 4 KiB records for the lab's fault scenarios (600, 601).
 *   crashrec write DEV FIRST COUNT   write records FIRST.. at offset n*4096 with O_DIRECT|O_DSYNC,
 *                                    fdatasync after each, print "LAB-ACK n" once it returned;
 *                                    on an error print "LAB-WERR n errno-text" and exit 2
 *   crashrec retry DEV N SECS        rewrite record N every 0.5 s until it is acknowledged
 *   crashrec check FILE FIRST LAST   read records FIRST..LAST; print "LAB-CHECK ok=K bad=B first-bad=N"
 *                                    and "LAB-FOUND n" = last valid record of the contiguous run
 *                                    from FIRST; exit 1 if any record in FIRST..LAST is bad */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RS 4096
#define MAGIC 0x4b41534f55524543ull /* "KASOUREC" */

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static void fill(unsigned char *b, uint64_t n)
{
	uint64_t x = n * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 24; i < RS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = (unsigned char)x;
	}
	uint64_t m = MAGIC;
	memcpy(b, &m, 8);
	memcpy(b + 8, &n, 8);
	uint64_t h = fnv(b + 24, RS - 24) ^ n;
	memcpy(b + 16, &h, 8);
}

static int valid(const unsigned char *b, uint64_t n)
{
	uint64_t m, s, h;
	memcpy(&m, b, 8);
	memcpy(&s, b + 8, 8);
	memcpy(&h, b + 16, 8);
	return m == MAGIC && s == n && h == (fnv(b + 24, RS - 24) ^ n);
}

static void say(const char *fmt, unsigned long long a, const char *s)
{
	char line[160];
	int len = snprintf(line, sizeof(line), fmt, a, s);
	if (write(1, line, (size_t)len) < 0)
		exit(3);
}

static int put(int fd, unsigned char *b, uint64_t n)
{
	fill(b, n);
	if (pwrite(fd, b, RS, (off_t)(n * RS)) != RS)
		return errno ? errno : EIO;
	if (fdatasync(fd) < 0)
		return errno;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *b;
	if (argc != 5 || posix_memalign((void **)&b, RS, RS))
		return fprintf(stderr, "usage: crashrec write|retry|check DEV A B\n"), 64;
	uint64_t a = strtoull(argv[3], NULL, 0), c = strtoull(argv[4], NULL, 0);
	if (!strcmp(argv[1], "write") || !strcmp(argv[1], "retry")) {
		int fd = open(argv[2], O_WRONLY | O_DIRECT | O_DSYNC);
		if (fd < 0)
			return perror(argv[2]), 1;
		if (argv[1][0] == 'w') {
			for (uint64_t n = a; n < a + c; n++) {
				int e = put(fd, b, n);
				if (e)
					return say("LAB-WERR %llu %s\n", n, strerror(e)), 2;
				say("LAB-ACK %llu%s\n", n, "");
			}
			return 0;
		}
		for (uint64_t i = 0; i < c * 2; i++) {
			int e = put(fd, b, a);
			if (!e)
				return say("LAB-ACK %llu%s\n", a, " (retry)"), 0;
			if (i == 0)
				say("LAB-RETRY %llu failing: %s\n", a, strerror(e));
			nanosleep(&(struct timespec){0, 500000000}, NULL);
		}
		return say("LAB-WERR %llu %s\n", a, "still failing"), 2;
	}
	if (strcmp(argv[1], "check"))
		return 64;
	int fd = open(argv[2], O_RDONLY);
	if (fd < 0)
		return perror(argv[2]), 1;
	unsigned long long ok = 0, bad = 0, firstbad = 0, run = 0;
	int inrun = 1;
	for (uint64_t n = a; n <= c; n++) {
		if (pread(fd, b, RS, (off_t)(n * RS)) == RS && valid(b, n)) {
			ok++;
			if (inrun)
				run = n;
		} else {
			if (!bad++)
				firstbad = n;
			inrun = 0;
		}
	}
	/* beyond LAST: records written but not (seen) acknowledged */
	unsigned long long extra = 0;
	for (uint64_t n = c + 1; pread(fd, b, RS, (off_t)(n * RS)) == RS && valid(b, n); n++)
		extra++;
	char s[64];
	snprintf(s, sizeof(s), " bad=%llu first-bad=%llu", bad, firstbad);
	say("LAB-CHECK ok=%llu%s", ok, s);
	say(" unacked-extra=%llu%s\n", extra, "");
	say("LAB-FOUND %llu%s\n", run, "");
	return bad ? 1 : 0;
}
