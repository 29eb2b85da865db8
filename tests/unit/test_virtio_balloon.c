// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-balloon at device level: the real device and transport driven
 * through fake guest memory by tests/unit/vdriver.h. The fake RAM is a
 * private anonymous mapping, as guest_mem_create() makes it, so inflating a
 * page really drops it: it reads back as zero and mincore() says it is gone.
 */
#include <errno.h>
#include <poll.h>
#include <sys/mman.h>

#include "unit.h"
#include "vdriver.h"
#include "virtio/balloon.h"

#define MEM (8ULL << 20)
#define PAGE 4096ULL
#define BASE                                                                                  \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |                   \
	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_BALLOON_F_MUST_TELL_HOST))
#define F_STATS (1ULL << VIRTIO_BALLOON_F_STATS_VQ)
#define F_OOM (1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM)
#define F_REPORT (1ULL << VIRTIO_BALLOON_F_REPORTING)
#define CFG(field) (VPCI_DEVICE + offsetof(struct virtio_balloon_config, field))

struct fixture {
	struct vdrv d;
	struct vballoon b;
	struct vdrv_queue inflate, deflate, stats, report;
	bool ok;
};

/* vdrv's RAM is calloc'd; madvise() needs a real private anonymous mapping */
static void mem_init(struct vdrv *d)
{
	vdrv_init(d, MEM);
	free(d->mem.host);
	d->mem.host = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->mem.host == MAP_FAILED)
		abort();
}

/* Negotiate `features`, set up the queues they imply (dense numbering), DRIVER_OK. */
static void start(struct fixture *f, uint64_t features)
{
	unsigned int next = 2;

	CHECK(vdrv_negotiate(&f->d, features) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_queue_setup(&f->d, &f->inflate, 0, 64);
	vdrv_queue_setup(&f->d, &f->deflate, 1, 64);
	if (features & F_STATS)
		vdrv_queue_setup(&f->d, &f->stats, next++, 64);
	if (features & F_REPORT)
		vdrv_queue_setup(&f->d, &f->report, next++, 64);
	vdrv_driver_ok(&f->d);
	CHECK(vdrv_get_status(&f->d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void setup_only(struct fixture *f, const char *opts)
{
	struct virtio_env env = { 0 };
	struct balloon_config c;
	char err[CONFIG_ERR_LEN] = "";

	memset(f, 0, sizeof(*f));
	CHECK(config_parse_balloon(opts, &c, err) == 0);
	mem_init(&f->d);
	f->ok = vballoon_create(&f->b, &c, &f->d.mem, &env) == 0;
	CHECK(f->ok);
	f->d.t = &f->b.vpci;
}

static void setup(struct fixture *f, const char *opts, uint64_t features)
{
	setup_only(f, opts);
	if (f->ok)
		start(f, features);
}

static void teardown(struct fixture *f)
{
	vballoon_destroy(&f->b);
	munmap(f->d.mem.host, MEM);
}

static bool resident(struct fixture *f, uint64_t gpa)
{
	unsigned char v = 0;

	CHECK(mincore(vdrv_ptr(&f->d, gpa), PAGE, &v) == 0);
	return v & 1;
}

static void fill(struct fixture *f, uint64_t gpa, uint64_t len, uint8_t seed)
{
	uint8_t *p = vdrv_ptr(&f->d, gpa);

	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + 1) | 1; /* never zero */
}

static bool is_zero(struct fixture *f, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = vdrv_ptr(&f->d, gpa);

	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static bool is_fill(struct fixture *f, uint64_t gpa, uint64_t len, uint8_t seed)
{
	const uint8_t *p = vdrv_ptr(&f->d, gpa);

	for (uint64_t i = 0; i < len; i++)
		if (p[i] != ((uint8_t)(seed + i * 7 + 1) | 1))
			return false;
	return true;
}

/* Send one buffer of PFNs on inflateq/deflateq; 0 when the device used it. */
static int send_pfns(struct fixture *f, struct vdrv_queue *q, const uint32_t *pfns, unsigned int n)
{
	uint64_t buf = vdrv_alloc(&f->d, 4ULL * n, 8);
	struct vdrv_seg s = { buf, 4 * n, 0 };
	uint32_t id, len;

	memcpy(vdrv_ptr(&f->d, buf), pfns, 4ULL * n);
	vdrv_add(&f->d, q, &s, 1);
	vdrv_kick(&f->d, q);
	return vdrv_wait_used(&f->d, q, 2000, &id, &len);
}

static struct vballoon_stats stats(struct fixture *f)
{
	struct vballoon_stats st;

	vballoon_get_stats(&f->b, &st);
	return st;
}

static bool needs_reset(struct fixture *f)
{
	return vdrv_get_status(&f->d) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* Wait (bounded) for the worker to mark the device broken. */
static bool wait_needs_reset(struct fixture *f)
{
	uint64_t end = vdrv_now_ms() + 2000;

	while (!needs_reset(f) && vdrv_now_ms() < end)
		usleep(200);
	return needs_reset(f);
}

TEST(features_and_queues_per_config)
{
	struct fixture f;

	setup_only(&f, "");
	if (f.ok) {
		CHECK_EQ(pci_cfg_get16(&f.b.vpci.pci, PCI_DEVICE_ID), 0x1040 + VIRTIO_ID_BALLOON);
		CHECK_EQ(vdrv_device_features(&f.d), BASE);
		CHECK_EQ(vdrv_read(&f.d, VCOMMON(num_queues), 2), 2);
		CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), 0);
		CHECK_EQ(vdrv_read(&f.d, CFG(actual), 4), 0);
	}
	teardown(&f);

	setup_only(&f, "size=1M,deflate_on_oom=on,stats_period=5,free_page_reporting=on");
	if (f.ok) {
		CHECK_EQ(vdrv_device_features(&f.d), BASE | F_STATS | F_OOM | F_REPORT);
		CHECK_EQ(vdrv_read(&f.d, VCOMMON(num_queues), 2), 4);
		CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), 256);
		CHECK_EQ(stats(&f).target_bytes, 1ULL << 20);
	}
	teardown(&f);

	setup_only(&f, "free_page_reporting=on");
	if (f.ok) {
		CHECK_EQ(vdrv_device_features(&f.d), BASE | F_REPORT);
		CHECK_EQ(vdrv_read(&f.d, VCOMMON(num_queues), 2), 3);
	}
	teardown(&f);
}

TEST(create_refuses_size_beyond_ram)
{
	struct virtio_env env = { 0 };
	struct balloon_config c = { .enabled = true, .size = MEM + PAGE };
	struct vdrv d;
	struct vballoon b;

	mem_init(&d);
	CHECK_EQ(vballoon_create(&b, &c, &d.mem, &env), -EINVAL);
	vballoon_destroy(&b);
	munmap(d.mem.host, MEM);
}

TEST(set_target_raises_config_interrupt)
{
	struct fixture f;
	struct pollfd p;
	uint8_t ctrl[2];
	uint16_t c;
	uint64_t v;
	uint8_t gen;

	setup(&f, "", BASE);
	if (!f.ok)
		return teardown(&f);
	/* MSI-X on, config changes on vector 0, unmasked */
	c = pci_cfg_get16(&f.b.vpci.pci, f.b.vpci.msix.cap + PCI_MSIX_FLAGS) | PCI_MSIX_FLAGS_ENABLE;
	memcpy(ctrl, &c, 2);
	pci_cfg_write(&f.b.vpci.pci, f.b.vpci.msix.cap + PCI_MSIX_FLAGS, ctrl, 2);
	vdrv_write(&f.d, VCOMMON(msix_config), 2, 0);
	CHECK_EQ(vdrv_read(&f.d, VCOMMON(msix_config), 2), 0);
	vdrv_write(&f.d, VPCI_MSIX_TABLE + 12, 4, 0);
	gen = (uint8_t)vdrv_read(&f.d, VCOMMON(config_generation), 1);

	CHECK_EQ(vballoon_set_target(&f.b, (4ULL << 20) + 100), 0); /* rounded down */
	CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), 1024);
	CHECK(vdrv_read(&f.d, VCOMMON(config_generation), 1) != gen);
	p = (struct pollfd){ .fd = f.b.vpci.msix.v[0].efd, .events = POLLIN };
	CHECK(poll(&p, 1, 2000) == 1);
	CHECK(read(f.b.vpci.msix.v[0].efd, &v, 8) == 8 && v >= 1);
	CHECK_EQ(stats(&f).target_bytes, 4ULL << 20);

	/* more than guest RAM: refused, nothing changes, no interrupt */
	CHECK_EQ(vballoon_set_target(&f.b, MEM + 1), -EINVAL);
	CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), 1024);
	CHECK(poll(&p, 1, 0) == 0);
	CHECK_EQ(vballoon_set_target(&f.b, MEM), 0);
	CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), MEM / PAGE);
	CHECK_EQ(vballoon_set_target(&f.b, 0), 0);
	CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), 0);
	/* the driver cannot write num_pages */
	vdrv_write(&f.d, CFG(num_pages), 4, 77);
	CHECK_EQ(vdrv_read(&f.d, CFG(num_pages), 4), 0);
	teardown(&f);
}

TEST(inflate_drops_pages)
{
	struct fixture f;
	uint64_t a, bpage;
	uint32_t pfns[3];
	struct vballoon_stats st;

	setup(&f, "", BASE);
	if (!f.ok)
		return teardown(&f);
	/* two adjacent pages (one madvise call), a guard page, one page further on */
	a = vdrv_alloc(&f.d, 4 * PAGE, PAGE);
	bpage = a + 3 * PAGE;
	fill(&f, a, 4 * PAGE, 3);
	CHECK(resident(&f, a) && resident(&f, a + PAGE) && resident(&f, bpage));
	pfns[0] = (uint32_t)(a / PAGE);
	pfns[1] = (uint32_t)(a / PAGE + 1);
	pfns[2] = (uint32_t)(bpage / PAGE);
	CHECK(send_pfns(&f, &f.inflate, pfns, 3) == 0);
	CHECK(!resident(&f, a) && !resident(&f, a + PAGE) && !resident(&f, bpage));
	CHECK(is_zero(&f, a, 2 * PAGE));
	CHECK(is_zero(&f, bpage, PAGE));
	CHECK(is_fill(&f, a + 2 * PAGE, PAGE, (uint8_t)(3 + 2 * PAGE * 7))); /* guard kept */
	st = stats(&f);
	CHECK_EQ(st.inflated_pages, 3);
	CHECK_EQ(st.invalid_pfns, 0);
	CHECK_EQ(st.discard_errors, 0);
	CHECK(!needs_reset(&f));
	teardown(&f);
}

TEST(invalid_pfns_are_counted)
{
	struct fixture f;
	uint64_t a, buf;
	uint32_t pfns[4], id = 0, len = 1;
	struct vdrv_seg s;

	setup(&f, "", BASE);
	if (!f.ok)
		return teardown(&f);
	a = vdrv_alloc(&f.d, PAGE, PAGE);
	fill(&f, a, PAGE, 9);
	pfns[0] = 0xffffffffu;
	pfns[1] = (uint32_t)(MEM / PAGE); /* the first page past RAM */
	pfns[2] = (uint32_t)(a / PAGE);
	pfns[3] = 0x80000000u;
	CHECK(send_pfns(&f, &f.inflate, pfns, 4) == 0);
	CHECK_EQ(stats(&f).inflated_pages, 1);
	CHECK_EQ(stats(&f).invalid_pfns, 3);
	CHECK(is_zero(&f, a, PAGE));
	/* a partial entry at the end: one more invalid, the whole PFN before it is used */
	buf = vdrv_alloc(&f.d, 8, 8);
	memcpy(vdrv_ptr(&f.d, buf), &pfns[2], 4);
	s = (struct vdrv_seg){ buf, 6, 0 };
	vdrv_add(&f.d, &f.inflate, &s, 1);
	vdrv_kick(&f.d, &f.inflate);
	CHECK(vdrv_wait_used(&f.d, &f.inflate, 2000, &id, &len) == 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(stats(&f).inflated_pages, 2);
	CHECK_EQ(stats(&f).invalid_pfns, 4);
	/* the device keeps working */
	CHECK(!needs_reset(&f));
	fill(&f, a, PAGE, 9);
	CHECK(send_pfns(&f, &f.inflate, &pfns[2], 1) == 0);
	CHECK(is_zero(&f, a, PAGE));
	CHECK_EQ(stats(&f).inflated_pages, 3);
	teardown(&f);
}

TEST(pfns_across_segments)
{
	struct fixture f;
	uint64_t a, buf;
	uint32_t pfns[2], id, len;
	struct vdrv_seg s[2];

	setup(&f, "", BASE);
	if (!f.ok)
		return teardown(&f);
	a = vdrv_alloc(&f.d, 2 * PAGE, PAGE);
	fill(&f, a, 2 * PAGE, 1);
	pfns[0] = (uint32_t)(a / PAGE);
	pfns[1] = (uint32_t)(a / PAGE + 1);
	/* 8 bytes of PFNs split 3 + 5: the second PFN straddles the descriptors */
	buf = vdrv_alloc(&f.d, 64, 64);
	memcpy(vdrv_ptr(&f.d, buf), pfns, 3);
	memcpy(vdrv_ptr(&f.d, buf + 32), (uint8_t *)pfns + 3, 5);
	s[0] = (struct vdrv_seg){ buf, 3, 0 };
	s[1] = (struct vdrv_seg){ buf + 32, 5, 0 };
	vdrv_add(&f.d, &f.inflate, s, 2);
	vdrv_kick(&f.d, &f.inflate);
	CHECK(vdrv_wait_used(&f.d, &f.inflate, 2000, &id, &len) == 0);
	CHECK_EQ(stats(&f).inflated_pages, 2);
	CHECK_EQ(stats(&f).invalid_pfns, 0);
	CHECK(is_zero(&f, a, 2 * PAGE));
	teardown(&f);
}

TEST(deflate_counts)
{
	struct fixture f;
	uint32_t pfns[3];
	struct vballoon_stats st;
	uint64_t a;

	setup(&f, "", BASE);
	if (!f.ok)
		return teardown(&f);
	a = vdrv_alloc(&f.d, 2 * PAGE, PAGE);
	fill(&f, a, 2 * PAGE, 4);
	pfns[0] = (uint32_t)(a / PAGE);
	pfns[1] = (uint32_t)(a / PAGE + 1);
	pfns[2] = 0xfffffff0u;
	CHECK(send_pfns(&f, &f.deflate, pfns, 3) == 0);
	st = stats(&f);
	CHECK_EQ(st.deflated_pages, 2);
	CHECK_EQ(st.inflated_pages, 0);
	CHECK_EQ(st.invalid_pfns, 1);
	CHECK(is_fill(&f, a, 2 * PAGE, 4)); /* deflate touches nothing */
	teardown(&f);
}

TEST(actual_from_driver)
{
	struct fixture f;

	setup(&f, "size=2M", BASE);
	if (!f.ok)
		return teardown(&f);
	vdrv_write(&f.d, CFG(actual), 4, 300);
	CHECK_EQ(vdrv_read(&f.d, CFG(actual), 4), 300);
	CHECK_EQ(stats(&f).actual_bytes, 300 * PAGE);
	CHECK_EQ(stats(&f).target_bytes, 2ULL << 20);
	/* byte by byte, low to high, as legacy drivers did */
	vdrv_write(&f.d, CFG(actual), 1, 0x34);
	vdrv_write(&f.d, CFG(actual) + 1, 1, 0x02);
	vdrv_write(&f.d, CFG(actual) + 2, 1, 0);
	vdrv_write(&f.d, CFG(actual) + 3, 1, 0);
	CHECK_EQ(vdrv_read(&f.d, CFG(actual), 4), 0x234);
	CHECK_EQ(stats(&f).actual_bytes, 0x234 * PAGE);
	/* the fields the device does not offer read as zero and ignore writes */
	vdrv_write(&f.d, CFG(poison_val), 4, 0xaa);
	CHECK_EQ(vdrv_read(&f.d, CFG(poison_val), 4), 0);
	teardown(&f);
}

static uint64_t post_stats(struct fixture *f, const uint16_t *tags, const uint64_t *vals,
			   unsigned int n)
{
	uint64_t buf = vdrv_alloc(&f->d, 10ULL * n, 2);
	uint8_t *p = vdrv_ptr(&f->d, buf);
	struct vdrv_seg s = { buf, 10 * n, 0 };

	for (unsigned int i = 0; i < n; i++) {
		struct virtio_balloon_stat e = { .tag = tags[i], .val = vals[i] };

		memcpy(p + 10 * i, &e, 10);
	}
	vdrv_add(&f->d, &f->stats, &s, 1);
	vdrv_kick(&f->d, &f->stats);
	return buf;
}

static bool wait_stats(struct fixture *f, uint64_t free_memory)
{
	uint64_t end = vdrv_now_ms() + 2000;

	while (vdrv_now_ms() < end) {
		struct vballoon_stats st = stats(f);

		if (st.guest_stats_valid && st.free_memory == free_memory)
			return true;
		usleep(500);
	}
	return false;
}

TEST(stats_round_trip)
{
	struct fixture f;
	uint16_t tags[5] = { VIRTIO_BALLOON_S_MEMFREE, VIRTIO_BALLOON_S_MEMTOT, 99,
			     VIRTIO_BALLOON_S_MAJFLT, VIRTIO_BALLOON_S_HTLB_PGFAIL };
	uint64_t vals[5] = { 1000, 2000, 12345, 7, 3 };
	struct vballoon_stats st;
	struct vring_used *used;
	uint32_t id = 0, len = 1;
	uint64_t t0;

	t0 = vdrv_now_ms(); /* before the timer is armed */
	setup(&f, "stats_period=1", BASE | F_STATS);
	if (!f.ok)
		return teardown(&f);
	CHECK(!stats(&f).guest_stats_valid);
	post_stats(&f, tags, vals, 5);
	CHECK(wait_stats(&f, 1000));
	st = stats(&f);
	CHECK_EQ(st.total_memory, 2000);
	CHECK_EQ(st.major_faults, 7);
	CHECK_EQ(st.hugetlb_failures, 3);
	CHECK_EQ(st.swap_in, 0); /* not sent */
	CHECK(st.guest_stats_age_ms < 1000);
	/* the device holds the buffer until the period asks for fresh values */
	used = vdrv_ptr(&f.d, f.stats.used);
	if (vdrv_now_ms() - t0 < 900) /* (a loaded machine may be past that already) */
		CHECK_EQ(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE), 0);
	CHECK(vdrv_wait_used(&f.d, &f.stats, 3000, &id, &len) == 0);
	CHECK(vdrv_now_ms() - t0 >= 990);
	CHECK_EQ(len, 0);
	/* the driver answers with a new buffer */
	vals[0] = 555;
	vals[1] = 2001;
	post_stats(&f, tags, vals, 2);
	CHECK(wait_stats(&f, 555));
	CHECK_EQ(stats(&f).total_memory, 2001);
	CHECK_EQ(stats(&f).major_faults, 7); /* kept from before */
	CHECK(!needs_reset(&f));
	teardown(&f);
}

TEST(stats_buffer_writable_needs_reset)
{
	struct fixture f;
	uint64_t buf;
	struct vdrv_seg s;

	setup(&f, "stats_period=60", BASE | F_STATS);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 20, 8);
	s = (struct vdrv_seg){ buf, 20, 1 };
	vdrv_add(&f.d, &f.stats, &s, 1);
	vdrv_kick(&f.d, &f.stats);
	CHECK(wait_needs_reset(&f));
	CHECK(!stats(&f).guest_stats_valid);
	teardown(&f);
}

/* Report [gpa, gpa+len) through reporting_vq (device-writable, as Linux sends it). */
static int report(struct fixture *f, const struct vdrv_seg *s, unsigned int n)
{
	uint32_t id, len;

	vdrv_add(&f->d, &f->report, s, n);
	vdrv_kick(&f->d, &f->report);
	return vdrv_wait_used(&f->d, &f->report, 2000, &id, &len);
}

static void check_report(const char *opts, uint64_t features, unsigned int want_index)
{
	struct fixture f;
	uint64_t r, r2;
	struct vdrv_seg s[2];

	setup(&f, opts, features);
	if (!f.ok)
		return teardown(&f);
	CHECK_EQ(f.report.index, want_index);
	/* 3 pages and 100 bytes: the partial 4th page must stay */
	r = vdrv_alloc(&f.d, 4 * PAGE, PAGE);
	r2 = vdrv_alloc(&f.d, 16 * PAGE, PAGE);
	fill(&f, r, 4 * PAGE, 5);
	fill(&f, r2, 16 * PAGE, 6);
	s[0] = (struct vdrv_seg){ r, (uint32_t)(3 * PAGE + 100), 1 };
	s[1] = (struct vdrv_seg){ r2, (uint32_t)(16 * PAGE), 1 };
	CHECK(report(&f, s, 2) == 0);
	/* mincore() before reading: a read maps the zero page, which counts as resident */
	CHECK(!resident(&f, r) && !resident(&f, r + 2 * PAGE) && !resident(&f, r2 + 15 * PAGE));
	CHECK(resident(&f, r + 3 * PAGE));
	CHECK(is_zero(&f, r, 3 * PAGE));
	CHECK(is_fill(&f, r + 3 * PAGE, PAGE, (uint8_t)(5 + 3 * PAGE * 7)));
	CHECK(is_zero(&f, r2, 16 * PAGE));
	CHECK_EQ(stats(&f).reported_bytes, 19 * PAGE + 100);
	CHECK_EQ(stats(&f).discard_errors, 0);
	CHECK(!needs_reset(&f));
	teardown(&f);
}

TEST(reporting_drops_ranges)
{
	/* reporting_vq follows the queues that exist: 2 without stats, 3 with */
	check_report("free_page_reporting=on", BASE | F_REPORT, 2);
	check_report("free_page_reporting=on,stats_period=60", BASE | F_STATS | F_REPORT, 3);
	/* offered stats but the driver declined them: reporting_vq moves down to 2 */
	check_report("free_page_reporting=on,stats_period=60", BASE | F_REPORT, 2);
}

TEST(reporting_outside_ram_needs_reset)
{
	struct fixture f;
	struct vdrv_seg s = { MEM - PAGE, (uint32_t)(2 * PAGE), 1 };

	setup(&f, "free_page_reporting=on", BASE | F_REPORT);
	if (!f.ok)
		return teardown(&f);
	vdrv_add(&f.d, &f.report, &s, 1);
	vdrv_kick(&f.d, &f.report);
	CHECK(wait_needs_reset(&f));
	CHECK_EQ(stats(&f).reported_bytes, 0);
	teardown(&f);
}

TEST(inflate_writable_needs_reset)
{
	struct fixture f;
	uint64_t buf, a;
	struct vdrv_seg s;

	setup(&f, "", BASE);
	if (!f.ok)
		return teardown(&f);
	a = vdrv_alloc(&f.d, PAGE, PAGE);
	fill(&f, a, PAGE, 2);
	buf = vdrv_alloc(&f.d, 4, 4);
	*(uint32_t *)vdrv_ptr(&f.d, buf) = (uint32_t)(a / PAGE);
	s = (struct vdrv_seg){ buf, 4, 1 }; /* device-writable: wrong way round */
	vdrv_add(&f.d, &f.inflate, &s, 1);
	vdrv_kick(&f.d, &f.inflate);
	CHECK(wait_needs_reset(&f));
	CHECK(is_fill(&f, a, PAGE, 2)); /* nothing dropped */
	CHECK_EQ(stats(&f).inflated_pages, 0);
	teardown(&f);
}

TEST(descriptor_loop_needs_reset_then_reinit)
{
	struct fixture f;
	struct vring_desc *desc;
	uint64_t buf, a;
	struct vdrv_seg s[2];
	uint16_t head;
	uint32_t pfn;

	setup(&f, "stats_period=60,free_page_reporting=on", BASE | F_STATS | F_REPORT);
	if (!f.ok)
		return teardown(&f);
	buf = vdrv_alloc(&f.d, 8, 8);
	s[0] = (struct vdrv_seg){ buf, 4, 0 };
	s[1] = (struct vdrv_seg){ buf + 4, 4, 0 };
	head = vdrv_add(&f.d, &f.deflate, s, 2);
	desc = vdrv_ptr(&f.d, f.deflate.desc);
	desc[(head + 1) % f.deflate.size].flags |= VRING_DESC_F_NEXT;
	desc[(head + 1) % f.deflate.size].next = head; /* back to the start */
	vdrv_kick(&f.d, &f.deflate);
	CHECK(wait_needs_reset(&f));
	CHECK_EQ(stats(&f).deflated_pages, 0);

	/* reset and start again: everything works, counters survive, actual restarts at 0 */
	vdrv_write(&f.d, CFG(actual), 4, 5);
	vdrv_status(&f.d, 0);
	CHECK_EQ(vdrv_get_status(&f.d), 0);
	CHECK_EQ(vdrv_read(&f.d, CFG(actual), 4), 0);
	start(&f, BASE | F_STATS | F_REPORT);
	CHECK(!needs_reset(&f));
	a = vdrv_alloc(&f.d, PAGE, PAGE);
	fill(&f, a, PAGE, 8);
	pfn = (uint32_t)(a / PAGE);
	CHECK(send_pfns(&f, &f.inflate, &pfn, 1) == 0);
	CHECK(is_zero(&f, a, PAGE));
	CHECK(send_pfns(&f, &f.deflate, &pfn, 1) == 0);
	CHECK_EQ(stats(&f).inflated_pages, 1);
	CHECK_EQ(stats(&f).deflated_pages, 1);
	/* a stats buffer is taken (and held) after the reset too */
	{
		uint16_t tag = VIRTIO_BALLOON_S_MEMFREE;
		uint64_t v = 4242;

		post_stats(&f, &tag, &v, 1);
		CHECK(wait_stats(&f, 4242));
	}
	teardown(&f);
}

TEST(reset_with_held_stats_buffer)
{
	struct fixture f;
	uint16_t tag = VIRTIO_BALLOON_S_MEMFREE;
	uint64_t v = 1;
	uint32_t id, len;

	setup(&f, "stats_period=1", BASE | F_STATS);
	if (!f.ok)
		return teardown(&f);
	post_stats(&f, &tag, &v, 1);
	CHECK(wait_stats(&f, 1));
	/* reset while the device holds the buffer, then restart without stats */
	vdrv_status(&f.d, 0);
	start(&f, BASE);
	CHECK_EQ(f.b.statsq, -1);
	CHECK(vdrv_wait_used(&f.d, &f.stats, 0, &id, &len) == -1);
	CHECK(!needs_reset(&f));
	teardown(&f);
}

UNIT_MAIN("virtio_balloon", T(features_and_queues_per_config), T(create_refuses_size_beyond_ram),
	  T(set_target_raises_config_interrupt), T(inflate_drops_pages), T(invalid_pfns_are_counted),
	  T(pfns_across_segments), T(deflate_counts), T(actual_from_driver), T(stats_round_trip),
	  T(stats_buffer_writable_needs_reset), T(reporting_drops_ranges),
	  T(reporting_outside_ram_needs_reset), T(inflate_writable_needs_reset),
	  T(descriptor_loop_needs_reset_then_reinit), T(reset_with_held_stats_buffer))
