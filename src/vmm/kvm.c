// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/log.h"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
};

int kvm_open(void)
{
	const char *path = "/dev/kvm";
	int fd = open(path, O_RDWR | O_CLOEXEC), ver, err;

	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
			log_error("%s not available (%s): load the KVM modules (modprobe kvm_intel "
				  "or kvm_amd) and enable virtualization (VT-x/AMD-V) in the firmware",
				  path, strerror(-err));
		else if (err == -EACCES || err == -EPERM)
			log_error("no permission to open %s: add your user to the 'kvm' group "
				  "(sudo usermod -aG kvm $USER, then log in again) or run as root",
				  path);
		else
			log_error("%s: %s", path, strerror(-err));
		return err;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		log_error("%s: KVM API version %d, kasou needs %d", path, ver, KVM_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			log_error("%s: the host KVM lacks %s, which kasou needs", path,
				  required_caps[i].name);
			close(fd);
			return -ENOTSUP;
		}
	}
	return fd;
}

unsigned int kvm_max_vcpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? (unsigned int)n : 4; /* api.rst: assume 4 if neither is known */
}
