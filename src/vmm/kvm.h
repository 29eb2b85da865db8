/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /dev/kvm: open it with an error message that says what to do, check the API
 * version and the capabilities kasou needs. Main thread, at start.
 */
#ifndef KASOU_VMM_KVM_H
#define KASOU_VMM_KVM_H

/* Returns the fd, or -errno after logging one clear line. */
int kvm_open(void);
/* Highest vCPU count KVM allows for one VM. */
unsigned int kvm_max_vcpus(int kvm_fd);

#endif
