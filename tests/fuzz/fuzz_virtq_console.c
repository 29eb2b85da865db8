// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: virtio-console's transmit and receive queues over a
 * fuzzer-made guest RAM image; layout in fuzz_vq.h. Transmit goes to a pipe
 * (drained after each pass); the top byte of the feature mask says how much
 * host input (taken from the image's tail) waits for the receive buffers.
 * The worker thread is stopped once the device is live and its handler runs
 * here: once with the input queued before, once after.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz_vq.h"
#include "virtio/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(int fd)
{
	uint8_t buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_env env = { 0 };
	struct fz_input in;
	struct vdrv d;
	struct vcons *c;
	size_t n_in;
	int p[2];

	if (fz_parse(data, size, &in))
		return 0;
	log_verbosity = -1; /* guest errors are expected here */
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
		abort();
	c = calloc(1, sizeof(*c));
	fz_mem_init(&d);
	if (vcons_create(c, p[1], &d.mem, &env))
		abort();
	d.t = &c->vpci;
	n_in = (size_t)(in.mask >> 56) * 33;
	if (n_in > in.image_len)
		n_in = in.image_len;
	if (fz_start(&d, &in, fz_features(&d, &in), 2)) {
		vworker_stop(&c->worker);
		fz_load(&d, &in);
		vcons_push_input(c, in.image + in.image_len - n_in, n_in);
		c->worker.run(&c->worker, true);
		drain(p[0]);
		vcons_push_input(c, in.image, n_in / 2);
		c->worker.run(&c->worker, true);
		drain(p[0]);
		if (c->in_len > VCONS_INBUF)
			abort();
	}
	vdrv_status(&d, 0);
	vcons_destroy(c);
	free(c);
	fz_mem_free(&d);
	close(p[0]);
	close(p[1]);
	return 0;
}
