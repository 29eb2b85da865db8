// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk at device level: the real device, transport and backend, driven
 * through fake guest memory by tests/unit/vdriver.h. No KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "unit.h"
#include "vdriver.h"
#include "virtio/blk.h"

#define MEM (16ULL << 20)
#define DISK (4ULL << 20)
#define FEATURES                                                                              \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_BLK_F_FLUSH) |                        \
	 (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |                   \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES))

static char path[256];

struct fixture {
	struct vdrv d;
	struct vblk b;
	struct vdrv_queue q;
	bool ok;
};

static void make_image(uint64_t size)
{
	const char *dir = getenv("BUILD") ? getenv("BUILD") : "build";
	int fd;

	snprintf(path, sizeof(path), "%s/test-vblk-%d.img", dir, getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	close(fd);
}

static struct disk_config disk(const char *opts)
{
	struct disk_config c;
	char buf[512], err[CONFIG_ERR_LEN] = "";

	snprintf(buf, sizeof(buf), "path=%s%s%s", path, *opts ? "," : "", opts);
	CHECK(config_parse_disk(buf, 0, &c, err) == 0);
	return c;
}

static void setup(struct fixture *f, const char *opts, uint64_t features)
{
	struct virtio_env env = { 0 };
	struct disk_config c;

	memset(f, 0, sizeof(*f));
	make_image(DISK);
	c = disk(opts);
	vdrv_init(&f->d, MEM);
	f->ok = vblk_create(&f->b, &c, &f->d.mem, &env) == 0;
	CHECK(f->ok);
	/* vblk keeps a shallow copy of the strings: free them at teardown */
	if (!f->ok)
		return;
	f->d.t = &f->b.vpci;
	CHECK(vdrv_negotiate(&f->d, features) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_queue_setup(&f->d, &f->q, 0, 64);
	vdrv_driver_ok(&f->d);
	CHECK(vdrv_get_status(&f->d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void teardown(struct fixture *f)
{
	struct disk_config c = f->b.cfg;

	if (f->ok) {
		vblk_destroy(&f->b);
		config_free_disk(&c);
	}
	vdrv_free(&f->d);
	unlink(path);
}

/* One request: header, optional data, status. Returns the status byte (or -1 on timeout). */
static int request(struct fixture *f, uint32_t type, uint64_t sector, uint64_t data_gpa,
		   uint32_t data_len, int data_write, uint32_t *used_len)
{
	uint64_t hdr = vdrv_alloc(&f->d, 16, 16), st = vdrv_alloc(&f->d, 1, 1);
	struct virtio_blk_outhdr *h = vdrv_ptr(&f->d, hdr);
	struct vdrv_seg s[3];
	unsigned int n = 0;
	uint32_t id, len;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(uint8_t *)vdrv_ptr(&f->d, st) = 0xee;
	s[n++] = (struct vdrv_seg){ hdr, 16, 0 };
	if (data_len)
		s[n++] = (struct vdrv_seg){ data_gpa, data_len, data_write };
	s[n++] = (struct vdrv_seg){ st, 1, 1 };
	vdrv_add(&f->d, &f->q, s, n);
	vdrv_kick(&f->d, &f->q);
	if (vdrv_wait_used(&f->d, &f->q, 5000, &id, &len))
		return -1;
	if (used_len)
		*used_len = len;
	return *(uint8_t *)vdrv_ptr(&f->d, st);
}

TEST(pci_identity)
{
	struct fixture f;

	setup(&f, "", FEATURES);
	if (f.ok) {
		CHECK_EQ(pci_cfg_get16(&f.b.vpci.pci, PCI_VENDOR_ID), 0x1af4);
		CHECK_EQ(pci_cfg_get16(&f.b.vpci.pci, PCI_DEVICE_ID), 0x1042);
		CHECK_EQ(f.b.vpci.pci.cfg[PCI_REVISION_ID], 1);
		CHECK_EQ(vdrv_read(&f.d, VCOMMON(num_queues), 2), 1);
		CHECK(vdrv_device_features(&f.d) & (1ULL << VIRTIO_F_VERSION_1));
		/* capacity in the device config: 4 MiB = 8192 sectors */
		CHECK_EQ(vdrv_read(&f.d, VPCI_DEVICE + offsetof(struct virtio_blk_config, capacity), 4),
			 DISK / 512);
	}
	teardown(&f);
}

TEST(write_read_roundtrip)
{
	struct fixture f;
	uint64_t buf, back;
	uint32_t len = 0;
	uint8_t file[4096];
	int fd;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 4096, 4096);
	back = vdrv_alloc(&f.d, 4096, 4096);
	for (int i = 0; i < 4096; i++)
		((uint8_t *)vdrv_ptr(&f.d, buf))[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_OUT, 8, buf, 4096, 0, &len), VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 1);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 8, back, 4096, 1, &len), VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 4097);
	CHECK(!memcmp(vdrv_ptr(&f.d, buf), vdrv_ptr(&f.d, back), 4096));
	/* and it is in the image file at 8 * 512 */
	fd = open(path, O_RDONLY);
	CHECK(pread(fd, file, sizeof(file), 8 * 512) == (ssize_t)sizeof(file));
	close(fd);
	CHECK(!memcmp(file, vdrv_ptr(&f.d, buf), 4096));
	CHECK_EQ(f.b.stats.wr_reqs, 1);
	CHECK_EQ(f.b.stats.rd_bytes, 4096);
	CHECK_EQ(f.b.stats.fl_reqs, 1);
	teardown(&f);
}

TEST(get_id)
{
	struct fixture f;
	uint64_t buf;

	setup(&f, "serial=abc123", FEATURES);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 20, 1);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_GET_ID, 0, buf, 20, 1, NULL), VIRTIO_BLK_S_OK);
	CHECK(!memcmp(vdrv_ptr(&f.d, buf), "abc123\0", 7));
	teardown(&f);
}

TEST(errors_fail_only_that_request)
{
	struct fixture f;
	uint64_t buf;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 4096, 4096);
	/* past the end, straddling the end, not a sector multiple, unknown type */
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, DISK / 512, buf, 512, 1, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, DISK / 512 - 1, buf, 1024, 1, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_OUT, 0, buf, 100, 0, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, UINT64_MAX / 256, buf, 512, 1, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(&f, 77, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	/* discard is off by default */
	CHECK_EQ(request(&f, VIRTIO_BLK_T_DISCARD, 0, buf, 16, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	/* the device still works */
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 0, buf, 512, 1, NULL), VIRTIO_BLK_S_OK);
	CHECK(!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	CHECK_EQ(f.b.stats.errors, 4);
	teardown(&f);
}

TEST(readonly)
{
	struct fixture f;
	uint64_t buf;

	setup(&f, "readonly=on", (FEATURES & ~(1ULL << VIRTIO_BLK_F_WRITE_ZEROES)) | (1ULL << VIRTIO_BLK_F_RO));
	if (!f.ok)
		return teardown(&f);
	CHECK(vdrv_device_features(&f.d) & (1ULL << VIRTIO_BLK_F_RO));
	buf = vdrv_alloc(&f.d, 512, 512);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_OUT, 0, buf, 512, 0, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 0, buf, 512, 1, NULL), VIRTIO_BLK_S_OK);
	teardown(&f);
}

TEST(write_zeroes_and_discard)
{
	struct fixture f;
	uint64_t buf, seg;
	struct virtio_blk_discard_write_zeroes *s;
	uint8_t zero[4096] = { 0 };

	setup(&f, "discard=on", FEATURES | (1ULL << VIRTIO_BLK_F_DISCARD));
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 4096, 4096);
	seg = vdrv_alloc(&f.d, 16, 16);
	memset(vdrv_ptr(&f.d, buf), 0xab, 4096);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_OUT, 16, buf, 4096, 0, NULL), VIRTIO_BLK_S_OK);
	s = vdrv_ptr(&f.d, seg);
	s->sector = 16;
	s->num_sectors = 8;
	s->flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	CHECK_EQ(request(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, 0, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 16, buf, 4096, 1, NULL), VIRTIO_BLK_S_OK);
	CHECK(!memcmp(vdrv_ptr(&f.d, buf), zero, 4096));
	s->flags = 0;
	CHECK_EQ(request(&f, VIRTIO_BLK_T_DISCARD, 0, seg, 16, 0, NULL), VIRTIO_BLK_S_OK);
	s->flags = 2; /* reserved bit */
	CHECK_EQ(request(&f, VIRTIO_BLK_T_DISCARD, 0, seg, 16, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	s->flags = 0;
	s->sector = DISK / 512;
	CHECK_EQ(request(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, 0, NULL), VIRTIO_BLK_S_IOERR);
	teardown(&f);
}

TEST(malformed_chain_no_status)
{
	struct fixture f;
	uint64_t hdr;
	struct vdrv_seg s[1];
	uint32_t id, len = 99;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	hdr = vdrv_alloc(&f.d, 16, 16);
	s[0] = (struct vdrv_seg){ hdr, 16, 0 }; /* header only: nowhere to put a status */
	vdrv_add(&f.d, &f.q, s, 1);
	vdrv_kick(&f.d, &f.q);
	CHECK(vdrv_wait_used(&f.d, &f.q, 5000, &id, &len) == 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(f.b.stats.bad_requests, 1);
	CHECK(!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown(&f);
}

TEST(descriptor_loop_needs_reset)
{
	struct fixture f;
	struct vring_desc *desc;
	struct vring_avail *avail;
	uint64_t hdr;
	uint64_t deadline;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	hdr = vdrv_alloc(&f.d, 16, 16);
	desc = vdrv_ptr(&f.d, f.q.desc);
	avail = vdrv_ptr(&f.d, f.q.avail);
	desc[0] = (struct vring_desc){ .addr = hdr, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1 };
	desc[1] = (struct vring_desc){ .addr = hdr, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 0 };
	avail->ring[0] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	vdrv_kick(&f.d, &f.q);
	deadline = vdrv_now_ms() + 5000;
	while (!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET) && vdrv_now_ms() < deadline)
		usleep(1000);
	CHECK(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK_EQ(f.b.vdev.needs_reset_count, 1);
	/* a reset brings it back */
	CHECK(vdrv_negotiate(&f.d, FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_queue_setup(&f.d, &f.q, 0, 64);
	vdrv_driver_ok(&f.d);
	CHECK(!(vdrv_get_status(&f.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
	CHECK_EQ(request(&f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	teardown(&f);
}

TEST(features_refused)
{
	struct fixture f;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	/* without VERSION_1, or with a bit the device never offered: FEATURES_OK stays clear */
	CHECK(!(vdrv_negotiate(&f.d, 1ULL << VIRTIO_BLK_F_FLUSH) & VIRTIO_CONFIG_S_FEATURES_OK));
	CHECK(!(vdrv_negotiate(&f.d, FEATURES | (1ULL << 40)) & VIRTIO_CONFIG_S_FEATURES_OK));
	teardown(&f);
}

TEST(reset_with_requests_in_flight)
{
	struct fixture f;
	uint64_t buf;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 64 * 4096, 4096);
	for (int i = 0; i < 30; i++) {
		uint64_t hdr = vdrv_alloc(&f.d, 16, 16), st = vdrv_alloc(&f.d, 1, 1);
		struct virtio_blk_outhdr *h = vdrv_ptr(&f.d, hdr);
		struct vdrv_seg s[3] = { { hdr, 16, 0 }, { buf + (uint64_t)i * 4096, 4096, 0 },
					 { st, 1, 1 } };

		h->type = VIRTIO_BLK_T_OUT;
		h->sector = (uint64_t)i * 8;
		vdrv_add(&f.d, &f.q, s, 3);
	}
	vdrv_kick(&f.d, &f.q);
	vdrv_status(&f.d, 0); /* returns only when the queue thread has stopped */
	CHECK_EQ(vdrv_get_status(&f.d), 0);
	CHECK_EQ(f.b.stats.inflight, 0);
	teardown(&f);
}

TEST(multiqueue)
{
	struct fixture f;
	struct vdrv_queue q1;
	uint64_t buf;

	setup(&f, "queues=2", FEATURES | (1ULL << VIRTIO_BLK_F_MQ));
	if (!f.ok)
		return teardown(&f);
	CHECK_EQ(vdrv_read(&f.d, VCOMMON(num_queues), 2), 2);
	/* set both queues up before DRIVER_OK */
	CHECK(vdrv_negotiate(&f.d, FEATURES | (1ULL << VIRTIO_BLK_F_MQ)) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_queue_setup(&f.d, &f.q, 0, 64);
	vdrv_queue_setup(&f.d, &q1, 1, 64);
	vdrv_driver_ok(&f.d);
	buf = vdrv_alloc(&f.d, 512, 512);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 0, buf, 512, 1, NULL), VIRTIO_BLK_S_OK);
	f.q = q1; /* the same request on queue 1 */
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 0, buf, 512, 1, NULL), VIRTIO_BLK_S_OK);
	teardown(&f);
}

TEST(throttled_requests_complete)
{
	struct fixture f;
	uint64_t buf;

	/* 200 IOPS with a burst of 4: 12 reads take ~40 ms, and none is dropped */
	setup(&f, "iops=200,iops_max=4", FEATURES);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 512, 512);
	for (int i = 0; i < 12; i++)
		CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 0, buf, 512, 1, NULL), VIRTIO_BLK_S_OK);
	CHECK(f.b.stats.throttled > 0);
	CHECK_EQ(f.b.stats.rd_reqs, 12);
	teardown(&f);
}

TEST(msix_interrupt)
{
	struct fixture f;
	uint8_t ctrl[2];
	uint16_t c;
	uint64_t v, buf;
	struct pollfd p;

	setup(&f, "", FEATURES);
	if (!f.ok)
		return teardown(&f);
	/* MSI-X on, queue 0 on vector 1, unmasked */
	c = pci_cfg_get16(&f.b.vpci.pci, f.b.vpci.msix.cap + PCI_MSIX_FLAGS) | PCI_MSIX_FLAGS_ENABLE;
	memcpy(ctrl, &c, 2);
	pci_cfg_write(&f.b.vpci.pci, f.b.vpci.msix.cap + PCI_MSIX_FLAGS, ctrl, 2);
	vdrv_write(&f.d, VCOMMON(queue_select), 2, 0);
	CHECK_EQ(vdrv_read(&f.d, VCOMMON(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	/* queue registers are frozen after DRIVER_OK: renegotiate with the vector set */
	CHECK(vdrv_negotiate(&f.d, FEATURES) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_queue_setup(&f.d, &f.q, 0, 64);
	vdrv_write(&f.d, VCOMMON(queue_msix_vector), 2, 1);
	CHECK_EQ(vdrv_read(&f.d, VCOMMON(queue_msix_vector), 2), 1);
	vdrv_write(&f.d, VCOMMON(queue_msix_vector), 2, 99); /* beyond the table: refused */
	CHECK_EQ(vdrv_read(&f.d, VCOMMON(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	vdrv_write(&f.d, VCOMMON(queue_msix_vector), 2, 1);
	vdrv_write(&f.d, VPCI_MSIX_TABLE + 16 + 12, 4, 0); /* unmask vector 1 */
	vdrv_driver_ok(&f.d);
	buf = vdrv_alloc(&f.d, 512, 512);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 0, buf, 512, 1, NULL), VIRTIO_BLK_S_OK);
	p = (struct pollfd){ .fd = f.b.vpci.msix.v[1].efd, .events = POLLIN };
	CHECK(poll(&p, 1, 2000) == 1);
	CHECK(read(f.b.vpci.msix.v[1].efd, &v, 8) == 8 && v >= 1);
	teardown(&f);
}

UNIT_MAIN("virtio_blk", T(pci_identity), T(write_read_roundtrip), T(get_id),
	  T(errors_fail_only_that_request), T(readonly), T(write_zeroes_and_discard),
	  T(malformed_chain_no_status), T(descriptor_loop_needs_reset), T(features_refused),
	  T(reset_with_requests_in_flight), T(multiqueue), T(throttled_requests_complete),
	  T(msix_interrupt))
