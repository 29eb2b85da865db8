// SPDX-License-Identifier: GPL-2.0-only
#include "backend/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int tap_err(char *why, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int tap_err(char *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, TAP_WHY_LEN, fmt, ap);
	va_end(ap);
	return err;
}

static int set_vnet_hdr(int fd)
{
	int len = sizeof(struct virtio_net_hdr_v1);

	return ioctl(fd, TUNSETVNETHDRSZ, &len) < 0 ? -errno : 0;
}

int tap_open(struct tap *t, const char *ifname, unsigned int queues, char *why)
{
	struct ifreq ifr;

	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < TAP_MAX_QUEUES; i++)
		t->fds[i] = -1;
	if (queues < 1 || queues > TAP_MAX_QUEUES)
		return tap_err(why, -EINVAL, "tap '%s': %u queues (1-%d)", ifname, queues,
			       TAP_MAX_QUEUES);
	for (unsigned int i = 0; i < queues; i++) {
		int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), err;

		if (fd < 0) {
			err = -errno;
			tap_close(t);
			return tap_err(why, err, "tap '%s': /dev/net/tun: %s%s", ifname, strerror(-err),
				       err == -ENOENT ? " (load the tun module: modprobe tun)" : "");
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (queues > 1 ? IFF_MULTI_QUEUE : 0);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			err = -errno;
			close(fd);
			tap_close(t);
			if (err == -EPERM || err == -EACCES)
				return tap_err(why, err,
					       "tap '%s': not permitted: create it first "
					       "(ip tuntap add %s mode tap user $USER%s) or run as root",
					       ifname, ifname, queues > 1 ? " multi_queue" : "");
			if (err == -EINVAL && queues > 1)
				return tap_err(why, err,
					       "tap '%s': cannot attach %u queues: was it created "
					       "without multi_queue?",
					       ifname, queues);
			return tap_err(why, err, "tap '%s': TUNSETIFF: %s", ifname, strerror(-err));
		}
		t->fds[t->nr++] = fd;
		err = set_vnet_hdr(fd);
		if (err) {
			tap_close(t);
			return tap_err(why, err, "tap '%s': TUNSETVNETHDRSZ: %s", ifname, strerror(-err));
		}
		snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	}
	t->vnet_hdr = true;
	return 0;
}

int tap_adopt_fd(struct tap *t, int fd, char *why)
{
	struct ifreq ifr;
	int fl;

	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < TAP_MAX_QUEUES; i++)
		t->fds[i] = -1;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return tap_err(why, -errno, "fd=%d: not a tap device (%s)", fd, strerror(errno));
	if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI))
		return tap_err(why, -EINVAL, "fd=%d: '%s' is not a tap opened with IFF_NO_PI", fd,
			       ifr.ifr_name);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return tap_err(why, -errno, "fd=%d: %s", fd, strerror(errno));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	t->fds[0] = fd;
	t->nr = 1;
	t->inherited = true;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	t->vnet_hdr = (ifr.ifr_flags & IFF_VNET_HDR) && set_vnet_hdr(fd) == 0;
	return 0;
}

int tap_set_offload(struct tap *t, unsigned int tun_flags)
{
	for (unsigned int i = 0; i < t->nr; i++)
		if (ioctl(t->fds[i], TUNSETOFFLOAD, tun_flags) < 0)
			return -errno;
	return 0;
}

int tap_queue_enable(struct tap *t, unsigned int i, bool on)
{
	struct ifreq ifr;

	if (i >= t->nr || t->nr == 1)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	return ioctl(t->fds[i], TUNSETQUEUE, &ifr) < 0 && errno != EINVAL ? -errno : 0;
}

void tap_close(struct tap *t)
{
	for (unsigned int i = 0; i < TAP_MAX_QUEUES; i++) {
		if (t->fds[i] >= 0)
			close(t->fds[i]);
		t->fds[i] = -1;
	}
	t->nr = 0;
}
