/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One boot of a VM: the KVM VM, guest RAM, legacy devices, vCPU threads, and
 * the main-thread event loop that runs until something asks the VM to stop.
 * A guest reboot is a new vm_create() with the same `struct vm_persist`
 * (loaded images, CMOS), so nothing of the old boot leaks into the new one.
 *
 * Threads: vm_run() is called on the main thread; it starts one thread per
 * vCPU, waits on epoll (stdin, signals, stop requests), then stops every vCPU
 * (immediate_exit + a signal) and joins them before it returns.
 */
#ifndef KASOU_VMM_VM_H
#define KASOU_VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "arch/x86/cpuid.h"
#include "bus/bus.h"
#include "config/config.h"
#include "hw/irq.h"
#include "hw/pm.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "pci/host.h"
#include "stats/kvm_stats.h"
#include "vmm/irq.h"
#include "vmm/guest_mem.h"

struct term;
struct vm_cgroup;
struct vblk;
struct vrng;
struct vnet;
struct vballoon;
struct vcons;
struct vfio_pci;

/* What survives a guest reboot. */
struct vm_persist {
	const struct vm_config *cfg;
	int kvm_fd;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, unpatched */
	uint8_t *kernel;
	size_t kernel_len;
	struct boot_image image;
	uint8_t *initrd;
	size_t initrd_len;
	struct rtc rtc;
	struct term *term; /* NULL when stdin is not the console */
	unsigned int boots;
	uint64_t start_ns; /* CLOCK_MONOTONIC when kasou started the first boot */
	struct vm_cgroup *cgroup; /* --cgroup: lives across reboots */
	/* the VM of the current boot, for the API thread; NULL between boots */
	pthread_mutex_t lock;
	struct vm *current;
	bool stopping; /* the last boot is ending: no more changes */
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	int tid; /* for /proc/self/task/TID (stats) */
	uint64_t exits;
	struct kvm_stats stats; /* KVM_GET_STATS_FD; fd -1 if the kernel has none */
};

struct vm {
	struct vm_persist *persist;
	const struct vm_config *cfg;
	int vm_fd;
	int run_size;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct serial serial;
	struct pm pm;
	struct vm_control ctl;
	struct irq_router router;
	bool router_ready;
	struct pci_host pci;
	bool pci_ready;
	uint64_t mmio64_base;
	unsigned int nr_disks;
	struct vblk *disks; /* one per cfg->disks[] */
	unsigned int nr_nets;
	struct vnet *nets; /* one per cfg->nets[] */
	struct vrng *rng;
	struct vballoon *balloon;
	struct vcons *vcons; /* --console virtio */
	unsigned int nr_vfio;
	struct vfio_pci *vfio; /* one per cfg->vfio[] */
	pthread_mutex_t slot_lock;
	uint64_t slots_used; /* KVM memory slots VM_SLOT_DYN.. for passed-through BARs */
	unsigned int nr_vcpus; /* at boot */
	unsigned int max_vcpus; /* possible (MADT) */
	struct cpuid_topology topo;
	uint32_t *apic_ids; /* per possible vCPU */
	struct vcpu *vcpus;
	int stop_efd;
	int stop_reason; /* enum vm_stop_reason, first writer wins (atomic) */
	int stop_signal; /* host signal number for VM_STOP_SIGNAL */
	int stopping; /* atomic: vCPUs leave their loop */
	bool devices_ready;
	/* pause: vCPUs park on pause_cond while pause_req is set */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond, parked_cond;
	int pause_req; /* atomic */
	unsigned int parked;
	bool paused;
	struct kvm_clock_data clock; /* kvmclock frozen at pause */
	/* graceful shutdown: power button now, hard stop when the timer fires */
	int ctl_efd;
	bool graceful; /* a graceful shutdown is under way */
	enum vm_stop_reason graceful_reason;
};

#define VM_SLOT_DYN 16 /* guest RAM uses the slots below */

/* Build a VM ready to run: -errno after logging one line. */
int vm_create(struct vm *vm, struct vm_persist *persist);
/* Run until stopped; returns the reason. */
enum vm_stop_reason vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Any thread: ask the VM to stop (first reason wins). */
void vm_request_stop(struct vm *vm, enum vm_stop_reason why);
/* Any thread: press the power button; hard stop with `why` after cfg->shutdown_timeout. */
void vm_shutdown_graceful(struct vm *vm, enum vm_stop_reason why);
/* Any thread but a vCPU's: park every vCPU and freeze the guest clock / undo. 0 or -errno. */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
bool vm_is_paused(struct vm *vm);

/* vcpu.c */
int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int index);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
void vcpu_dump(struct vcpu *v);
void vcpu_signals_init(void);
/* vCPU thread: wait while the VM is paused. */
void vcpu_park(struct vcpu *v);

#endif
