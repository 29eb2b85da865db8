// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: virtio-balloon's queues (inflate/deflate PFN arrays,
 * the stats queue, free page reporting) over a fuzzer-made guest RAM image;
 * layout in fuzz_vq.h. The worker thread is stopped once the device is live
 * and its handler runs here, twice: a plain pass, then a stats-timer pass
 * (which hands a held stats buffer back). Ends with a config-space read of
 * num_pages/actual and a device reset through the transport.
 */
#include "fuzz_vq.h"
#include "virtio/balloon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const opts[4] = {
		"", "deflate_on_oom=on", "stats_period=5,free_page_reporting=on",
		"size=16K,stats_period=1,free_page_reporting=on,deflate_on_oom=on",
	};
	struct virtio_env env = { 0 };
	struct balloon_config c;
	char err[CONFIG_ERR_LEN] = "";
	struct vballoon_stats st;
	struct fz_input in;
	struct vdrv d;
	struct vballoon *b;
	unsigned int nq;
	uint64_t f;

	if (fz_parse(data, size, &in))
		return 0;
	log_verbosity = -1; /* guest errors are expected here */
	if (config_parse_balloon(opts[data[8] >> 6], &c, err))
		abort();
	b = calloc(1, sizeof(*b)); /* big (an iovec array): not on the stack */
	fz_mem_init(&d);
	if (vballoon_create(b, &c, &d.mem, &env))
		abort();
	d.t = &b->vpci;
	/* dense numbering over what was accepted, as the device expects */
	f = fz_features(&d, &in);
	nq = 2 + !!(f & (1ULL << VIRTIO_BALLOON_F_STATS_VQ)) +
	     !!(f & (1ULL << VIRTIO_BALLOON_F_REPORTING));
	if (fz_start(&d, &in, f, nq)) {
		vworker_stop(&b->worker);
		fz_load(&d, &in);
		b->worker.run(&b->worker, false);
		b->worker.run(&b->worker, true);
		vdrv_read(&d, VPCI_DEVICE, 4);
		vdrv_write(&d, VPCI_DEVICE + 4, 4, data[0]);
		vballoon_get_stats(b, &st);
	}
	vdrv_status(&d, 0);
	vballoon_destroy(b);
	free(b);
	fz_mem_free(&d);
	return 0;
}
