// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: virtio-net's transmit path (virtio_net_hdr + frame
 * chains), receive buffers and control-queue commands over a fuzzer-made
 * guest RAM image; layout in fuzz_vq.h (queues: 0 rx, 1 tx, 2 ctrl). The tap
 * is a SOCK_SEQPACKET socketpair, as in tests/unit/test_virtio_net.c.
 *
 * Once the device is live its threads are stopped; the control queue is run
 * here, then the pair thread is started and stopped again: it runs one tx
 * pass and one rx pass before it looks at its stop eventfd. The top byte of
 * the feature mask says whether the backend carries vnet headers and how
 * many frames (cut from the image's tail) the network sends to the guest,
 * the byte below it how long they are.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_vq.h"
#include "virtio/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(int fd)
{
	static uint8_t buf[VNET_MAX_FRAME];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_env env = { 0 };
	struct net_config c, owned;
	char err[CONFIG_ERR_LEN] = "";
	struct fz_input in;
	struct vdrv d;
	struct vnet *n;
	unsigned int top, frames;
	int sv[2];

	if (fz_parse(data, size, &in))
		return 0;
	log_verbosity = -1; /* guest errors are expected here */
	top = (unsigned int)(in.mask >> 56);
	if (config_parse_net("user", 0, &c, err))
		abort();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	n = calloc(1, sizeof(*n));
	fz_mem_init(&d);
	if (vnet_create_fd(n, &c, sv[0], top & 1, &d.mem, &env))
		abort();
	d.t = &n->vpci;
	if (fz_start(&d, &in, fz_features(&d, &in), 3)) {
		vnet_pair_stop(&n->pairs[0]);
		vworker_stop(&n->ctrl);
		fz_load(&d, &in);
		vnet_ctrl_process(n);
		/* frames from the network: up to 3, 16 * mask byte 6 + 7 * i bytes each */
		frames = (top >> 1) & 3;
		for (unsigned int i = 0; i < frames; i++) {
			size_t len = (size_t)((in.mask >> 48) & 0xff) * 16 + 7 * i;

			if (len > in.image_len)
				len = in.image_len;
			if (send(sv[1], in.image + in.image_len - len, len, MSG_DONTWAIT) < 0)
				break;
		}
		if (vnet_pair_start(&n->pairs[0]))
			abort();
		vnet_pair_stop(&n->pairs[0]);
		drain(sv[1]);
		/* the config space reflects what the control queue set */
		for (unsigned int i = 0; i < 6; i++)
			if (vdrv_read(&d, VPCI_DEVICE + i, 1) != n->config.mac[i])
				abort();
	}
	vdrv_status(&d, 0);
	owned = n->cfg;
	vnet_destroy(n);
	config_free_net(&owned);
	free(n);
	fz_mem_free(&d);
	close(sv[1]);
	return 0;
}
