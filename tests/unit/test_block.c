// SPDX-License-Identifier: GPL-2.0-only
/*
 * Block backend on real files, for both engines: patterns written and read
 * back through multi-segment iovecs, O_DIRECT bounce and read-modify-write,
 * flush, discard, write-zeroes (fallocate and the zero-buffer fallback),
 * read-only refusal, open errors, drain on destroy, depth, a failed host
 * write failing only its request, io_uring refused, no leaked fds/threads.
 * Images live in build/ (or /var/tmp): /tmp may be tmpfs, which says little
 * about O_DIRECT and hole punching on real disks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/block.h"
#include "unit.h"

#define T_THREADS BLK_AIO_THREADS
#define T_URING BLK_AIO_IO_URING

static char test_dir[PATH_MAX];

static const char *dir(void)
{
	static const char *const cands[] = { "build", "/var/tmp", "/tmp" };
	struct statfs sf;

	if (test_dir[0])
		return test_dir;
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (statfs(cands[i], &sf) == 0 && sf.f_type != TMPFS_MAGIC) {
			snprintf(test_dir, sizeof(test_dir), "%s", cands[i]);
			return test_dir;
		}
	}
	snprintf(test_dir, sizeof(test_dir), "/tmp");
	return test_dir;
}

static void img_path(char *p, const char *where, const char *name)
{
	snprintf(p, PATH_MAX, "%s/kasou-blk-%d-%s.img", where ? where : dir(), (int)getpid(), name);
}

static uint8_t pat(uint32_t seed, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 32 | seed);

	return (uint8_t)(x >> 29);
}

static void fill(uint8_t *b, uint64_t len, uint32_t seed, uint64_t off)
{
	for (uint64_t i = 0; i < len; i++)
		b[i] = pat(seed, off + i);
}

static uint64_t csum(const uint8_t *b, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static bool all_zero(const uint8_t *b, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		if (b[i])
			return false;
	}
	return true;
}

/* An image of `size` bytes: the pattern for `seed`, or sparse when seed is 0. */
static int mkimg(const char *path, uint64_t size, uint32_t seed)
{
	uint8_t buf[65536];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return -1;
	for (uint64_t off = 0; seed && off < size; off += sizeof(buf)) {
		uint64_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		fill(buf, n, seed, off);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			return -1;
	}
	return close(fd);
}

/* The file's bytes through an ordinary fd (not the backend). */
static uint8_t *slurp(const char *path, uint64_t size)
{
	uint8_t *b = malloc(size);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!b || fd < 0 || pread(fd, b, size, 0) != (ssize_t)size) {
		free(b);
		b = NULL;
	}
	if (fd >= 0)
		close(fd);
	return b;
}

/* 4 KiB-aligned memory, as O_DIRECT wants it; tests cannot go on without it. */
static void *amalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n))
		abort();
	return p;
}

static const char *aio_name(enum blk_aio aio)
{
	return aio == T_URING ? "io_uring" : "threads";
}

/* Open an image and a queue, or skip the test when the host cannot. */
#define SETUP(img, q, path, ro, cache, aio, depth)                            \
	do {                                                                  \
		char why_[BLK_WHY_LEN] = "";                                  \
		int e_ = blk_image_open(img, path, ro, cache, why_);          \
		if (e_ && strstr(why_, "O_DIRECT")) {                         \
			unlink(path);                                         \
			SKIP_TEST("%s", why_);                                \
		}                                                             \
		CHECK_STR(e_ ? why_ : "", "");                                \
		if (e_) {                                                     \
			unlink(path);                                         \
			return;                                               \
		}                                                             \
		q = blk_queue_create(img, aio, depth, why_);                  \
		if (!q) {                                                     \
			blk_image_close(img);                                 \
			unlink(path);                                         \
			if (aio == T_URING)                                   \
				SKIP_TEST("io_uring refused here: %s", why_); \
			CHECK_STR(why_, "");                                  \
			return;                                               \
		}                                                             \
	} while (0)

#define TEARDOWN(img, q, path)                    \
	do {                                      \
		blk_queue_destroy(q, NULL, NULL); \
		blk_image_close(img);             \
		unlink(path);                     \
	} while (0)

/*
 * Reap until `want` requests are back (5 s at most), then check the level
 * contract: one more reap finds nothing and the fd is no longer readable.
 */
static unsigned int wait_reap(struct blk_queue *q, unsigned int want, struct blk_req **out)
{
	struct blk_req *d[16];
	unsigned int got = 0;

	while (got < want) {
		struct pollfd p = { .fd = blk_queue_fd(q), .events = POLLIN };
		unsigned int n;

		while ((n = blk_queue_reap(q, d, 16)) > 0) {
			for (unsigned int i = 0; i < n; i++) {
				if (out && got < want)
					out[got] = d[i];
				got++;
			}
		}
		if (got >= want)
			break;
		if (poll(&p, 1, 5000) <= 0) {
			CHECK(!"timed out waiting for completions");
			return got;
		}
	}
	struct pollfd p = { .fd = blk_queue_fd(q), .events = POLLIN };

	CHECK_EQ(blk_queue_reap(q, d, 16), 0);
	CHECK_EQ(poll(&p, 1, 0), 0);
	return got;
}

/* Submit one request and wait for it; its result. */
static int64_t run1(struct blk_queue *q, struct blk_req *r)
{
	struct blk_req *back = NULL;
	int err = blk_queue_submit(q, r);

	CHECK_EQ(err, 0);
	if (err)
		return err;
	CHECK_EQ(wait_reap(q, 1, &back), 1);
	CHECK(back == r);
	CHECK_EQ(blk_queue_inflight(q), 0);
	return r->result;
}

static int64_t rw(struct blk_queue *q, enum blk_op op, uint64_t off, const struct iovec *iov,
		  unsigned int cnt)
{
	struct blk_req r = { .op = op, .offset = off, .iov = iov, .iovcnt = cnt };

	for (unsigned int i = 0; i < cnt; i++)
		r.len += iov[i].iov_len;
	return run1(q, &r);
}

static int64_t range_op(struct blk_queue *q, enum blk_op op, uint64_t off, uint64_t len, bool unmap)
{
	struct blk_req r = { .op = op, .offset = off, .len = len, .unmap = unmap };

	return run1(q, &r);
}

/* Cut buf into iovecs of the given sizes. */
static unsigned int split(struct iovec *iov, uint8_t *buf, const size_t *sizes, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ buf, sizes[i] };
		buf += sizes[i];
	}
	return n;
}

/* ---- options and open errors ---- */

TEST(cache_names)
{
	static const char *const names[] = { "writeback", "none", "writethrough", "directsync",
					     "unsafe" };
	enum blk_cache c;

	for (size_t i = 0; i < 5; i++) {
		CHECK_EQ(blk_cache_parse(names[i], &c), 0);
		CHECK_STR(blk_cache_name(c), names[i]);
	}
	CHECK_EQ(blk_cache_parse("directio", &c), -EINVAL);
	CHECK_EQ(blk_cache_parse("", &c), -EINVAL);
	CHECK(blk_cache_writeback(BLK_CACHE_WRITEBACK));
	CHECK(blk_cache_writeback(BLK_CACHE_NONE));
	CHECK(blk_cache_writeback(BLK_CACHE_UNSAFE));
	CHECK(!blk_cache_writeback(BLK_CACHE_WRITETHROUGH));
	CHECK(!blk_cache_writeback(BLK_CACHE_DIRECTSYNC));
}

TEST(open_missing)
{
	struct blk_image img;
	char path[PATH_MAX], want[PATH_MAX + 64], why[BLK_WHY_LEN];

	img_path(path, NULL, "missing");
	CHECK_EQ(blk_image_open(&img, path, false, BLK_CACHE_WRITEBACK, why), -ENOENT);
	snprintf(want, sizeof(want), "disk '%s': No such file or directory", path);
	CHECK_STR(why, want);
}

TEST(open_size_not_multiple)
{
	struct blk_image img;
	char path[PATH_MAX], want[PATH_MAX + 64], why[BLK_WHY_LEN];

	img_path(path, NULL, "odd");
	CHECK_EQ(mkimg(path, 1000, 1), 0);
	CHECK_EQ(blk_image_open(&img, path, false, BLK_CACHE_WRITEBACK, why), -EINVAL);
	snprintf(want, sizeof(want), "disk '%s': size 1000 is not a multiple of 512 bytes", path);
	CHECK_STR(why, want);
	CHECK_EQ(img.fd, -1);
	unlink(path);
}

TEST(open_directory)
{
	struct blk_image img;
	char want[PATH_MAX + 64], why[BLK_WHY_LEN];

	CHECK_EQ(blk_image_open(&img, dir(), true, BLK_CACHE_WRITEBACK, why), -EISDIR);
	snprintf(want, sizeof(want), "disk '%s': Is a directory", dir());
	CHECK_STR(why, want);
	CHECK_EQ(blk_image_open(&img, dir(), false, BLK_CACHE_WRITEBACK, why), -EISDIR);
}

/* A file the user may not write, opened read-write (as nobody when run as root). */
TEST(open_readonly_file_rw)
{
	char path[PATH_MAX], why[BLK_WHY_LEN] = "";
	int pfd[2], status = 0;
	pid_t pid;

	img_path(path, NULL, "ro");
	CHECK_EQ(mkimg(path, 4096, 1), 0);
	CHECK_EQ(chmod(path, 0444), 0);
	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		struct blk_image img;
		int err;

		close(pfd[0]);
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(2);
		err = blk_image_open(&img, path, false, BLK_CACHE_WRITEBACK, why);
		if (write(pfd[1], why, strlen(why)) < 0)
			_exit(3);
		_exit(err == -EACCES ? 0 : 1);
	}
	close(pfd[1]);
	CHECK(read(pfd[0], why, sizeof(why) - 1) > 0);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(strstr(why, "Permission denied") && strstr(why, "readonly=on") && strstr(why, path));
	unlink(path);
}

TEST(open_flags_per_cache_mode)
{
	static const struct {
		enum blk_cache c;
		bool direct, dsync;
	} modes[] = { { BLK_CACHE_WRITEBACK, false, false },
		      { BLK_CACHE_NONE, true, false },
		      { BLK_CACHE_WRITETHROUGH, false, true },
		      { BLK_CACHE_DIRECTSYNC, true, true },
		      { BLK_CACHE_UNSAFE, false, false } };
	char path[PATH_MAX], why[BLK_WHY_LEN];
	struct blk_image img;

	img_path(path, NULL, "flags");
	CHECK_EQ(mkimg(path, 1 << 20, 0), 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		for (int ro = 0; ro < 2; ro++) {
			int err = blk_image_open(&img, path, ro, modes[i].c, why), fl;

			if (err && modes[i].direct && strstr(why, "O_DIRECT"))
				continue; /* the file system refuses O_DIRECT: open_* shows the message */
			CHECK_STR(err ? why : "", "");
			if (err)
				continue;
			fl = fcntl(img.fd, F_GETFL);
			CHECK_EQ(!!(fl & O_DIRECT), modes[i].direct);
			CHECK_EQ((fl & O_DSYNC) == O_DSYNC, modes[i].dsync);
			CHECK_EQ(fl & O_ACCMODE, ro ? O_RDONLY : O_RDWR);
			CHECK(fcntl(img.fd, F_GETFD) & FD_CLOEXEC);
			CHECK_EQ(img.direct, modes[i].direct);
			CHECK_EQ(img.dsync, modes[i].dsync);
			CHECK_EQ(img.readonly, ro);
			CHECK_EQ(img.cache, modes[i].c);
			CHECK_EQ(img.size, 1 << 20);
			CHECK_EQ(img.align, 512);
			CHECK(!img.is_blockdev);
			CHECK_STR(img.path, path);
			blk_image_close(&img);
			CHECK_EQ(img.fd, -1);
		}
	}
	unlink(path);
}

/* ---- data ---- */

/* Odd-sized segments written, read back with other segment boundaries. */
static void rw_pattern(enum blk_aio aio, enum blk_cache cache, size_t misalign)
{
	static const size_t wsz[] = { 1, 511, 1000, 2584, 4096, 8192 };
	static const size_t rsz[] = { 8192, 100, 8092 };
	const uint64_t len = 16384, off = 3 * 512, size = 4 << 20;
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct iovec iov[8];
	uint8_t *wbuf, *rbuf, *file;

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, size, 0), 0);
	SETUP(&img, q, path, false, cache, aio, 8);
	wbuf = amalloc(len + 4096);
	rbuf = amalloc(len + 4096);
	fill(wbuf + misalign, len, 7, off);
	CHECK_EQ(rw(q, BLK_OP_WRITE, off, iov, split(iov, wbuf + misalign, wsz, 6)), len);
	memset(rbuf, 0xaa, len + 4096);
	CHECK_EQ(rw(q, BLK_OP_READ, off, iov, split(iov, rbuf + misalign, rsz, 3)), len);
	CHECK_EQ(csum(rbuf + misalign, len), csum(wbuf + misalign, len));
	/* aligned single segment: the direct path without a bounce */
	CHECK_EQ(rw(q, BLK_OP_READ, off - 1536, &(struct iovec){ rbuf, 4096 }, 1), 4096);
	CHECK(all_zero(rbuf, 1536));
	CHECK(!memcmp(rbuf + 1536, wbuf + misalign, 4096 - 1536));
	/* and on disk, seen through an ordinary fd */
	file = slurp(path, size);
	CHECK(file && csum(file + off, len) == csum(wbuf + misalign, len));
	CHECK(file && all_zero(file, off) && all_zero(file + off + len, size - off - len));
	free(file);
	TEARDOWN(&img, q, path);
	free(wbuf);
	free(rbuf);
}

TEST(rw_pattern_threads)
{
	rw_pattern(T_THREADS, BLK_CACHE_WRITEBACK, 0);
}

TEST(rw_pattern_uring)
{
	rw_pattern(T_URING, BLK_CACHE_WRITEBACK, 0);
}

TEST(rw_direct_bounce_threads)
{
	rw_pattern(T_THREADS, BLK_CACHE_NONE, 1);
}

TEST(rw_direct_bounce_uring)
{
	rw_pattern(T_URING, BLK_CACHE_NONE, 1);
}

TEST(rw_directsync_threads)
{
	rw_pattern(T_THREADS, BLK_CACHE_DIRECTSYNC, 0);
}

TEST(rw_writethrough_uring)
{
	rw_pattern(T_URING, BLK_CACHE_WRITETHROUGH, 3);
}

/* cache=none on a "4Kn disk": 512-byte writes need read-modify-write, reads a wider bounce. */
static void direct_rmw(enum blk_aio aio)
{
	const uint64_t size = 65536;
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	uint8_t *exp = malloc(size), *buf, *file;

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, size, 11), 0);
	SETUP(&img, q, path, false, BLK_CACHE_NONE, aio, 8);
	img.align = 4096;
	buf = amalloc(size);
	fill(exp, size, 11, 0);
	/* inside one block: partial head and tail */
	fill(buf, 512, 12, 5120);
	memcpy(exp + 5120, buf, 512);
	CHECK_EQ(rw(q, BLK_OP_WRITE, 5120, &(struct iovec){ buf, 512 }, 1), 512);
	/* across a block boundary, from a misaligned buffer */
	fill(buf + 7, 1536, 13, 7680);
	memcpy(exp + 7680, buf + 7, 1536);
	CHECK_EQ(rw(q, BLK_OP_WRITE, 7680, &(struct iovec){ buf + 7, 1536 }, 1), 1536);
	memset(buf, 0, size);
	CHECK_EQ(rw(q, BLK_OP_READ, 512, &(struct iovec){ buf + 1, 1024 }, 1), 1024);
	CHECK(!memcmp(buf + 1, exp + 512, 1024));
	CHECK_EQ(rw(q, BLK_OP_READ, 0, &(struct iovec){ buf, size }, 1), size);
	CHECK_EQ(csum(buf, size), csum(exp, size));
	file = slurp(path, size);
	CHECK(file && csum(file, size) == csum(exp, size));
	free(file);
	free(buf);
	free(exp);
	TEARDOWN(&img, q, path);
}

TEST(direct_rmw_threads)
{
	direct_rmw(T_THREADS);
}

TEST(direct_rmw_uring)
{
	direct_rmw(T_URING);
}

/* More segments than IOV_MAX: the engines split them. */
static void many_iovecs(enum blk_aio aio)
{
	const unsigned int nseg = 2048;
	const uint64_t len = (uint64_t)nseg * 512;
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct iovec *iov = calloc(nseg, sizeof(*iov));
	uint8_t *w = malloc(len), *r = malloc(len);

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 2 * len, 0), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, 4);
	fill(w, len, 17, 4096);
	for (unsigned int i = 0; i < nseg; i++)
		iov[i] = (struct iovec){ w + (uint64_t)i * 512, 512 };
	CHECK_EQ(rw(q, BLK_OP_WRITE, 4096, iov, nseg), len);
	/* read back with the segments in reverse order in memory */
	for (unsigned int i = 0; i < nseg; i++)
		iov[i] = (struct iovec){ r + (uint64_t)(nseg - 1 - i) * 512, 512 };
	CHECK_EQ(rw(q, BLK_OP_READ, 4096, iov, nseg), len);
	for (unsigned int i = 0; i < nseg; i++)
		CHECK(!memcmp(r + (uint64_t)(nseg - 1 - i) * 512, w + (uint64_t)i * 512, 512));
	TEARDOWN(&img, q, path);
	free(iov);
	free(w);
	free(r);
}

TEST(many_iovecs_threads)
{
	many_iovecs(T_THREADS);
}

TEST(many_iovecs_uring)
{
	many_iovecs(T_URING);
}

static void flush(enum blk_aio aio)
{
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	uint8_t buf[4096];

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 65536, 0), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, 4);
	fill(buf, sizeof(buf), 3, 0);
	CHECK_EQ(rw(q, BLK_OP_WRITE, 0, &(struct iovec){ buf, sizeof(buf) }, 1), 4096);
	CHECK_EQ(range_op(q, BLK_OP_FLUSH, 0, 0, false), 0);
	blk_queue_destroy(q, NULL, NULL);
	blk_image_close(&img);
	/* unsafe: a flush completes at once, successfully */
	SETUP(&img, q, path, false, BLK_CACHE_UNSAFE, aio, 4);
	CHECK_EQ(range_op(q, BLK_OP_FLUSH, 0, 0, false), 0);
	blk_queue_destroy(q, NULL, NULL);
	blk_image_close(&img);
	SETUP(&img, q, path, true, BLK_CACHE_WRITEBACK, aio, 4);
	CHECK_EQ(range_op(q, BLK_OP_FLUSH, 0, 0, false), 0);
	TEARDOWN(&img, q, path);
}

TEST(flush_threads)
{
	flush(T_THREADS);
}

TEST(flush_uring)
{
	flush(T_URING);
}

/* Does `where` punch holes (and so free blocks)? */
static bool punch_supported(const char *where)
{
	char path[PATH_MAX];
	int fd, err;

	img_path(path, where, "punch-probe");
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	err = ftruncate(fd, 8192) ||
	      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096);
	close(fd);
	unlink(path);
	return !err;
}

static int64_t blocks_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int64_t)st.st_blocks;
}

/* DISCARD or WRITE_ZEROES over [off, off+len) of a patterned image, then look. */
static void zero_range_cache(enum blk_aio aio, const char *where, enum blk_cache cache,
			     enum blk_op op, bool unmap, uint64_t size, uint64_t off, uint64_t len)
{
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	uint8_t *exp = malloc(size), *got = malloc(size), *file;
	int64_t before, after;
	int fd;

	img_path(path, where, aio_name(aio));
	CHECK_EQ(mkimg(path, size, 21), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && fsync(fd) == 0); /* allocated for real, not delayed */
	close(fd);
	before = blocks_of(path);
	SETUP(&img, q, path, false, cache, aio, 4);
	CHECK_EQ(range_op(q, op, off, len, unmap), 0);
	fill(exp, size, 21, 0);
	memset(exp + off, 0, len);
	CHECK_EQ(rw(q, BLK_OP_READ, 0, &(struct iovec){ got, size }, 1), size);
	CHECK_EQ(csum(got, size), csum(exp, size));
	CHECK(all_zero(got + off, len));
	file = slurp(path, size);
	CHECK(file && csum(file, size) == csum(exp, size));
	after = blocks_of(path);
	if ((op == BLK_OP_DISCARD || unmap) && punch_supported(where ? where : dir()))
		CHECK(after < before);
	free(file);
	free(exp);
	free(got);
	TEARDOWN(&img, q, path);
}

static void zero_range(enum blk_aio aio, const char *where, enum blk_op op, bool unmap,
		       uint64_t size, uint64_t off, uint64_t len)
{
	zero_range_cache(aio, where, BLK_CACHE_WRITEBACK, op, unmap, size, off, len);
}

TEST(discard_threads)
{
	zero_range(T_THREADS, NULL, BLK_OP_DISCARD, false, 1 << 20, 256 << 10, 512 << 10);
}

TEST(discard_uring)
{
	zero_range(T_URING, NULL, BLK_OP_DISCARD, false, 1 << 20, 256 << 10, 512 << 10);
}

TEST(write_zeroes_unmap_threads)
{
	zero_range(T_THREADS, NULL, BLK_OP_WRITE_ZEROES, true, 1 << 20, 256 << 10, 512 << 10);
}

TEST(write_zeroes_unmap_uring)
{
	zero_range(T_URING, NULL, BLK_OP_WRITE_ZEROES, true, 1 << 20, 256 << 10, 512 << 10);
}

TEST(write_zeroes_threads)
{
	zero_range(T_THREADS, NULL, BLK_OP_WRITE_ZEROES, false, 1 << 20, 100 * 512, 300 << 10);
}

TEST(write_zeroes_uring)
{
	zero_range(T_URING, NULL, BLK_OP_WRITE_ZEROES, false, 1 << 20, 100 * 512, 300 << 10);
}

/* no write cache for the guest: zeroing is synced like a write */
TEST(write_zeroes_writethrough_threads)
{
	zero_range_cache(T_THREADS, NULL, BLK_CACHE_WRITETHROUGH, BLK_OP_WRITE_ZEROES, false,
			 1 << 20, 4096, 64 << 10);
}

TEST(write_zeroes_directsync_uring)
{
	zero_range_cache(T_URING, NULL, BLK_CACHE_DIRECTSYNC, BLK_OP_WRITE_ZEROES, true, 1 << 20,
			 4096, 64 << 10);
}

/* tmpfs has no FALLOC_FL_ZERO_RANGE: zeros are written from buffers, 1 MiB at a time. */
static void write_zeroes_fallback(enum blk_aio aio)
{
	const char *shm = "/dev/shm";
	char path[PATH_MAX];
	struct statfs sf;
	int fd, err;

	if (statfs(shm, &sf) || sf.f_type != TMPFS_MAGIC)
		SKIP_TEST("no tmpfs at %s to lack FALLOC_FL_ZERO_RANGE", shm);
	img_path(path, shm, "zr-probe");
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	err = fd < 0 || ftruncate(fd, 4096) ? -1 : fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096);
	if (fd >= 0)
		close(fd);
	unlink(path);
	if (err == 0)
		SKIP_TEST("tmpfs here supports FALLOC_FL_ZERO_RANGE: no fallback to test");
	zero_range(aio, shm, BLK_OP_WRITE_ZEROES, false, 4 << 20, 7 * 512, (5 << 20) / 2);
}

TEST(write_zeroes_fallback_threads)
{
	write_zeroes_fallback(T_THREADS);
}

TEST(write_zeroes_fallback_uring)
{
	write_zeroes_fallback(T_URING);
}

static void readonly(enum blk_aio aio)
{
	const uint64_t size = 65536;
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct stat st0, st1;
	uint8_t buf[4096], exp[4096], *file;

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, size, 31), 0);
	CHECK_EQ(stat(path, &st0), 0);
	SETUP(&img, q, path, true, BLK_CACHE_WRITEBACK, aio, 4);
	memset(buf, 0x5a, sizeof(buf));
	CHECK_EQ(rw(q, BLK_OP_WRITE, 0, &(struct iovec){ buf, sizeof(buf) }, 1), -EROFS);
	CHECK_EQ(range_op(q, BLK_OP_DISCARD, 0, 4096, false), -EROFS);
	CHECK_EQ(range_op(q, BLK_OP_WRITE_ZEROES, 0, 4096, true), -EROFS);
	CHECK_EQ(range_op(q, BLK_OP_WRITE_ZEROES, 0, 4096, false), -EROFS);
	CHECK_EQ(rw(q, BLK_OP_READ, 8192, &(struct iovec){ buf, sizeof(buf) }, 1), 4096);
	fill(exp, sizeof(exp), 31, 8192);
	CHECK(!memcmp(buf, exp, sizeof(buf)));
	CHECK_EQ(range_op(q, BLK_OP_FLUSH, 0, 0, false), 0);
	CHECK_EQ(stat(path, &st1), 0);
	CHECK(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
	      st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
	CHECK_EQ(st0.st_blocks, st1.st_blocks);
	file = slurp(path, size);
	fill(exp, sizeof(exp), 31, 0);
	CHECK(file && !memcmp(file, exp, sizeof(exp)));
	free(file);
	TEARDOWN(&img, q, path);
}

TEST(readonly_threads)
{
	readonly(T_THREADS);
}

TEST(readonly_uring)
{
	readonly(T_URING);
}

/* Requests the device should never send still fail cleanly. */
static void bad_requests(enum blk_aio aio)
{
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	uint8_t buf[1024];

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 65536, 0), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, 4);
	CHECK_EQ(rw(q, BLK_OP_READ, 65536 - 512, &(struct iovec){ buf, 1024 }, 1), -EINVAL);
	CHECK_EQ(range_op(q, BLK_OP_DISCARD, 65536, 512, false), -EINVAL);
	CHECK_EQ(range_op(q, BLK_OP_WRITE_ZEROES, UINT64_MAX - 511, 1024, false), -EINVAL);
	struct blk_req r = {
		.op = BLK_OP_WRITE, .len = 1024, .iov = &(struct iovec){ buf, 512 }, .iovcnt = 1
	};
	CHECK_EQ(run1(q, &r), -EINVAL);
	r = (struct blk_req){ .op = (enum blk_op)99 };
	CHECK_EQ(run1(q, &r), -EINVAL);
	CHECK_EQ(rw(q, BLK_OP_READ, 512, NULL, 0), 0);
	TEARDOWN(&img, q, path);
}

TEST(bad_requests_threads)
{
	bad_requests(T_THREADS);
}

TEST(bad_requests_uring)
{
	bad_requests(T_URING);
}

static void count_done(struct blk_req *r, void *ctx)
{
	(*(unsigned int *)ctx)++;
	CHECK_EQ(r->result, 4096);
}

/* 64 writes in flight, a 65th refused; destroy hands back all it did not reap. */
static void drain(enum blk_aio aio)
{
	enum { N = 64, BS = 4096 };
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct blk_req reqs[N + 1], *d[8];
	struct iovec iov[N + 1];
	uint8_t *buf = malloc((N + 1) * BS), *file;
	unsigned int reaped, dropped = 0;

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, N * BS, 0), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, N);
	fill(buf, (N + 1) * BS, 51, 0);
	for (unsigned int i = 0; i <= N; i++) {
		iov[i] = (struct iovec){ buf + i * BS, BS };
		reqs[i] = (struct blk_req){ .op = BLK_OP_WRITE,
					    .offset = (uint64_t)(i % N) * BS,
					    .len = BS,
					    .iov = &iov[i],
					    .iovcnt = 1 };
		CHECK_EQ(blk_queue_submit(q, &reqs[i]), i < N ? 0 : -EAGAIN);
	}
	CHECK_EQ(blk_queue_inflight(q), N);
	reaped = blk_queue_reap(q, d, 8); /* whatever happens to be done: maybe none */
	for (unsigned int i = 0; i < reaped; i++)
		CHECK_EQ(d[i]->result, BS);
	blk_queue_destroy(q, count_done, &dropped);
	CHECK_EQ(dropped + reaped, N);
	blk_image_close(&img);
	file = slurp(path, N * BS);
	CHECK(file && !memcmp(file, buf, N * BS));
	free(file);
	free(buf);
	unlink(path);
}

TEST(drain_threads)
{
	drain(T_THREADS);
}

TEST(drain_uring)
{
	drain(T_URING);
}

/* Completed but not reaped still counts against depth. */
static void depth(enum blk_aio aio)
{
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct blk_req r[3], *d[4];
	uint8_t buf[3][512];
	struct iovec iov[3];
	struct pollfd p;

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 65536, 0), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, 2);
	for (int i = 0; i < 3; i++) {
		iov[i] = (struct iovec){ buf[i], 512 };
		r[i] = (struct blk_req){ .op = BLK_OP_READ,
					 .offset = 512 * (uint64_t)i,
					 .len = 512,
					 .iov = &iov[i],
					 .iovcnt = 1 };
	}
	CHECK_EQ(blk_queue_submit(q, &r[0]), 0);
	CHECK_EQ(blk_queue_submit(q, &r[1]), 0);
	p = (struct pollfd){ .fd = blk_queue_fd(q), .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(blk_queue_submit(q, &r[2]), -EAGAIN);
	CHECK_EQ(wait_reap(q, 2, d), 2);
	CHECK_EQ(blk_queue_inflight(q), 0);
	CHECK_EQ(blk_queue_submit(q, &r[2]), 0);
	CHECK_EQ(wait_reap(q, 1, d), 1);
	CHECK(d[0] == &r[2] && r[2].result == 512);
	TEARDOWN(&img, q, path);
}

/* Reaping one at a time: the fd stays readable while completions wait. */
static void reap_one_by_one(enum blk_aio aio)
{
	enum { N = 8 };
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct blk_req r[N], *d[1];
	struct iovec iov[N];
	uint8_t buf[N][512];
	unsigned int got = 0;

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 65536, 71), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, N);
	for (int i = 0; i < N; i++) {
		iov[i] = (struct iovec){ buf[i], 512 };
		r[i] = (struct blk_req){ .op = BLK_OP_READ,
					 .offset = 512 * (uint64_t)i,
					 .len = 512,
					 .iov = &iov[i],
					 .iovcnt = 1 };
		CHECK_EQ(blk_queue_submit(q, &r[i]), 0);
	}
	usleep(20000); /* let most of them finish before the first reap */
	while (got < N) {
		struct pollfd p = { .fd = blk_queue_fd(q), .events = POLLIN };

		if (poll(&p, 1, 5000) != 1) {
			CHECK(!"fd not readable with completions outstanding");
			break;
		}
		got += blk_queue_reap(q, d, 1);
	}
	CHECK_EQ(got, N);
	CHECK_EQ(wait_reap(q, 0, NULL), 0);
	for (int i = 0; i < N; i++)
		CHECK_EQ(r[i].result, 512);
	TEARDOWN(&img, q, path);
}

TEST(reap_one_by_one_threads)
{
	reap_one_by_one(T_THREADS);
}

TEST(reap_one_by_one_uring)
{
	reap_one_by_one(T_URING);
}

TEST(depth_threads)
{
	depth(T_THREADS);
}

TEST(depth_uring)
{
	depth(T_URING);
}

/*
 * A host write failure fails only its own request: RLIMIT_FSIZE (SIGXFSZ
 * ignored) makes writes past 512 KiB fail with EFBIG, like a full disk would.
 */
static void host_error(enum blk_aio aio)
{
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	struct rlimit old, lim;
	struct blk_req r[2], *d[2];
	uint8_t buf[2][4096];
	void (*old_sig)(int);

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 1 << 20, 0), 0);
	SETUP(&img, q, path, false, BLK_CACHE_WRITEBACK, aio, 4);
	fill(buf[0], 4096, 61, 0);
	fill(buf[1], 4096, 62, 0);
	r[0] = (struct blk_req){ .op = BLK_OP_WRITE,
				 .offset = 0,
				 .len = 4096,
				 .iov = &(struct iovec){ buf[0], 4096 },
				 .iovcnt = 1 };
	r[1] = (struct blk_req){ .op = BLK_OP_WRITE,
				 .offset = 768 << 10,
				 .len = 4096,
				 .iov = &(struct iovec){ buf[1], 4096 },
				 .iovcnt = 1 };
	CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 512 << 10;
	old_sig = signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CHECK_EQ(blk_queue_submit(q, &r[1]), 0);
	CHECK_EQ(blk_queue_submit(q, &r[0]), 0);
	CHECK_EQ(wait_reap(q, 2, d), 2);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_sig);
	CHECK_EQ(r[0].result, 4096);
	CHECK_EQ(r[1].result, -EFBIG);
	/* the queue goes on working */
	CHECK_EQ(rw(q, BLK_OP_WRITE, 768 << 10, &(struct iovec){ buf[1], 4096 }, 1), 4096);
	TEARDOWN(&img, q, path);
}

TEST(host_error_fails_one_request_threads)
{
	host_error(T_THREADS);
}

TEST(host_error_fails_one_request_uring)
{
	host_error(T_URING);
}

/* The file shrank under the backend: reads past its end come back as zeros. */
static void short_read(enum blk_aio aio, enum blk_cache cache, size_t misalign)
{
	char path[PATH_MAX];
	struct blk_image img;
	struct blk_queue *q;
	uint8_t *mem, *buf, exp[4096];
	struct iovec iov[3];

	img_path(path, NULL, aio_name(aio));
	CHECK_EQ(mkimg(path, 65536, 41), 0);
	SETUP(&img, q, path, false, cache, aio, 4);
	CHECK_EQ(truncate(path, 32768), 0);
	mem = amalloc(12288 + misalign);
	buf = mem + misalign;
	memset(buf, 0xee, 12288);
	/* the zeros start at a later segment than the first */
	iov[0] = (struct iovec){ buf, 2048 };
	iov[1] = (struct iovec){ buf + 2048, 2048 };
	iov[2] = (struct iovec){ buf + 4096, 8192 };
	CHECK_EQ(rw(q, BLK_OP_READ, 28672, iov, 3), 12288);
	fill(exp, 4096, 41, 28672);
	CHECK(!memcmp(buf, exp, 4096));
	CHECK(all_zero(buf + 4096, 8192));
	free(mem);
	TEARDOWN(&img, q, path);
}

TEST(short_read_threads)
{
	short_read(T_THREADS, BLK_CACHE_WRITEBACK, 0);
}

TEST(short_read_uring)
{
	short_read(T_URING, BLK_CACHE_WRITEBACK, 0);
}

TEST(short_read_direct_uring)
{
	short_read(T_URING, BLK_CACHE_NONE, 0);
}

TEST(short_read_direct_bounce_uring)
{
	short_read(T_URING, BLK_CACHE_NONE, 5);
}

/* A seccomp filter refusing io_uring_setup, as in many containers. */
TEST(uring_refused)
{
	char path[PATH_MAX], why[BLK_WHY_LEN] = "";
	int pfd[2], status = 0;
	pid_t pid;

	img_path(path, NULL, "refused");
	CHECK_EQ(mkimg(path, 65536, 0), 0);
	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
		struct blk_image img;
		struct blk_queue *q, *t;
		int ok;

		close(pfd[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
		if (blk_image_open(&img, path, false, BLK_CACHE_WRITEBACK, why))
			_exit(3);
		q = blk_queue_create(&img, T_URING, 16, why);
		ok = !q && errno == EPERM;
		if (write(pfd[1], why, strlen(why)) < 0)
			_exit(4);
		t = blk_queue_create(&img, T_THREADS, 16, why); /* the fallback still works */
		ok = ok && t;
		blk_queue_destroy(t, NULL, NULL);
		blk_image_close(&img);
		_exit(ok ? 0 : 1);
	}
	close(pfd[1]);
	CHECK(read(pfd[0], why, sizeof(why) - 1) > 0);
	close(pfd[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(strstr(why, "io_uring_queue_init: Operation not permitted"));
	unlink(path);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the DIR's own */
}

static int count_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char p[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(p, "re");
		if (f && fgets(comm, sizeof(comm), f) && !strncmp(comm, "kasou-blk", 9))
			n++;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* Workers start with the first queue that needs them and stop with the last. */
TEST(pool_lifetime_no_leaks)
{
	char path[PATH_MAX], why[BLK_WHY_LEN];
	int fds = count_fds();
	struct blk_image img;
	struct blk_queue *t1, *t2, *u = NULL;
	uint8_t *buf;
	bool direct = true;

	CHECK_EQ(count_workers(), 0);
	img_path(path, NULL, "pool");
	CHECK_EQ(mkimg(path, 65536, 0), 0);
	if (blk_image_open(&img, path, false, BLK_CACHE_NONE, why)) {
		direct = false;
		CHECK_EQ(blk_image_open(&img, path, false, BLK_CACHE_WRITEBACK, why), 0);
	}
	t1 = blk_queue_create(&img, T_THREADS, 8, why);
	CHECK(t1);
	CHECK_EQ(count_workers(), 4);
	t2 = blk_queue_create(&img, T_THREADS, 8, why);
	CHECK_EQ(count_workers(), 4);
	u = blk_queue_create(&img, T_URING, 8, why);
	buf = amalloc(4096);
	memset(buf, 1, 4096);
	if (u && direct) {
		img.align = 4096; /* a misaligned range: read-modify-write on the pool */
		CHECK_EQ(rw(u, BLK_OP_WRITE, 512, &(struct iovec){ buf, 512 }, 1), 512);
		img.align = 512;
	}
	CHECK_EQ(rw(t1, BLK_OP_WRITE, 0, &(struct iovec){ buf, 512 }, 1), 512);
	CHECK_EQ(rw(t2, BLK_OP_READ, 0, &(struct iovec){ buf, 512 }, 1), 512);
	blk_queue_destroy(t1, NULL, NULL);
	CHECK_EQ(count_workers(), 4);
	blk_queue_destroy(t2, NULL, NULL);
	CHECK_EQ(count_workers(), u && direct ? 4 : 0);
	blk_queue_destroy(u, NULL, NULL);
	CHECK_EQ(count_workers(), 0);
	blk_image_close(&img);
	blk_image_close(&img); /* twice is harmless */
	CHECK_EQ(count_fds(), fds);
	free(buf);
	unlink(path);
}

UNIT_MAIN("block", T(cache_names), T(open_missing), T(open_size_not_multiple), T(open_directory),
	  T(open_readonly_file_rw), T(open_flags_per_cache_mode), T(rw_pattern_threads),
	  T(rw_pattern_uring), T(rw_direct_bounce_threads), T(rw_direct_bounce_uring),
	  T(rw_directsync_threads), T(rw_writethrough_uring), T(direct_rmw_threads),
	  T(direct_rmw_uring), T(many_iovecs_threads), T(many_iovecs_uring), T(flush_threads),
	  T(flush_uring), T(discard_threads), T(discard_uring), T(write_zeroes_unmap_threads),
	  T(write_zeroes_unmap_uring), T(write_zeroes_threads), T(write_zeroes_uring),
	  T(write_zeroes_writethrough_threads), T(write_zeroes_directsync_uring),
	  T(write_zeroes_fallback_threads), T(write_zeroes_fallback_uring), T(readonly_threads),
	  T(readonly_uring), T(bad_requests_threads), T(bad_requests_uring), T(drain_threads),
	  T(drain_uring), T(reap_one_by_one_threads), T(reap_one_by_one_uring), T(depth_threads),
	  T(depth_uring), T(host_error_fails_one_request_threads),
	  T(host_error_fails_one_request_uring), T(short_read_threads), T(short_read_uring),
	  T(short_read_direct_uring), T(short_read_direct_bounce_uring), T(uring_refused),
	  T(pool_lifetime_no_leaks))
