// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU threads: initial state (64-bit boot for vCPU 0; APs wait for INIT/SIPI
 * in the in-kernel LAPIC), the KVM_RUN loop and exit dispatch. A vCPU thread
 * only dispatches PIO/MMIO to the bus; it never blocks on device I/O.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox/seccomp.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "resources/cgroup.h"
#include "util/log.h"
#include "vmm/vm.h"

#define SIG_VCPU_KICK SIGUSR1
#define BOOT_STACK 0x8ff0ULL

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MISC_ENABLE_FAST_STRING 1ULL
#define MTRR_ENABLE_WB ((1ULL << 11) | 6)

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static void kick_handler(int sig)
{
	(void)sig; /* only there to make KVM_RUN return -EINTR */
}

void vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIG_VCPU_KICK, &sa, NULL); /* no SA_RESTART */
}

static int set_msrs(struct vcpu *v)
{
	union {
		struct kvm_msrs hdr;
		uint8_t raw[sizeof(struct kvm_msrs) + 2 * sizeof(struct kvm_msr_entry)];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 2;
	m.hdr.entries[0] = (struct kvm_msr_entry){ .index = MSR_IA32_MISC_ENABLE,
						   .data = MISC_ENABLE_FAST_STRING };
	m.hdr.entries[1] = (struct kvm_msr_entry){ .index = MSR_MTRR_DEF_TYPE,
						   .data = MTRR_ENABLE_WB };
	return ioctl(v->fd, KVM_SET_MSRS, &m) == 2 ? 0 : -EIO;
}

static void lapic_set_lvt(struct kvm_lapic_state *l, unsigned int reg, uint32_t mode)
{
	uint32_t val;

	memcpy(&val, &l->regs[reg], 4);
	val = (val & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &val, 4);
}

/* Virtual wire mode: LINT0 takes the PIC's ExtINT, LINT1 is NMI. */
static int set_lapic(struct vcpu *v)
{
	struct kvm_lapic_state l;

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	lapic_set_lvt(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lapic_set_lvt(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	return ioctl(v->fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

static void seg64(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				   .type = type, .present = 1, .dpl = 0, .s = 1, .g = 1,
				   .l = code ? 1 : 0, .db = code ? 0 : 1 };
}

/* 64-bit boot protocol: long mode, flat segments 0x10/0x18, rsi = zero page. */
static int set_boot_state(struct vcpu *v)
{
	struct kvm_sregs s;
	struct kvm_regs r = { 0 };
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	seg64(&s.cs, 0x10, 0xb, 1);
	seg64(&s.ds, 0x18, 0x3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
	s.gdt.base = LAYOUT_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80000033; /* PG NE ET MP PE */
	s.cr3 = LAYOUT_PML4;
	s.cr4 = 0x20; /* PAE */
	s.efer = 0x500; /* LME LMA */
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	r.rflags = 2;
	r.rip = v->vm->persist->image.entry;
	r.rsi = LAYOUT_BOOT_PARAMS;
	r.rsp = r.rbp = BOOT_STACK;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int index)
{
	struct vm_persist *p = vm->persist;
	size_t cpuid_size = sizeof(*p->cpuid) + p->cpuid->nent * sizeof(p->cpuid->entries[0]);
	struct kvm_cpuid2 *cpuid;
	int err;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, vm->apic_ids[index]); /* vCPU id = APIC ID */
	if (v->fd < 0) {
		err = -errno;
		log_error("vCPU %u: KVM_CREATE_VCPU: %s", index, strerror(errno));
		return err;
	}
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		err = -errno;
		v->run = NULL;
		log_error("vCPU %u: mmap kvm_run: %s", index, strerror(errno));
		return err;
	}
	cpuid = malloc(cpuid_size + CPUID_PATCH_EXTRA * sizeof(p->cpuid->entries[0]));
	if (!cpuid)
		return -ENOMEM;
	memcpy(cpuid, p->cpuid, cpuid_size);
	cpuid_patch(cpuid, p->cpuid->nent + CPUID_PATCH_EXTRA, index, &vm->topo);
	err = ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (err) {
		log_error("vCPU %u: KVM_SET_CPUID2: %s", index, strerror(-err));
		return err;
	}
	if (kvm_stats_open(&v->stats, v->fd))
		v->stats.fd = -1; /* an older kernel: no exits-by-reason in the stats */
	err = set_msrs(v);
	if (!err)
		err = set_lapic(v);
	if (!err && index == 0)
		err = set_boot_state(v);
	if (err)
		log_error("vCPU %u: initial state: %s", index, strerror(-err));
	return err;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(&v->vm->pio, run->io.port, data, run->io.size);
		else
			bus_read(&v->vm->pio, run->io.port, data, run->io.size);
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int len = run->mmio.len > 8 ? 8 : run->mmio.len;

	if (run->mmio.is_write)
		bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_HLT:
		/* only without an in-kernel LAPIC; treat as a pause */
		return true;
	case KVM_EXIT_SHUTDOWN:
		log_warn("vCPU %u: guest triple fault (shutdown); resetting the VM", v->index);
		vcpu_dump(v); /* tells a guest crash from an intended reset (reboot=t) */
		vm_request_stop(v->vm, VM_STOP_REBOOT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_request_stop(v->vm, run->system_event.type == KVM_SYSTEM_EVENT_RESET
					       ? VM_STOP_REBOOT
					       : VM_STOP_POWEROFF);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("vCPU %u: KVM internal error, suberror %u", v->index,
			  run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vCPU %u: VM entry failed, hardware reason 0x%llx", v->index,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		log_error("vCPU %u: unexpected KVM exit reason %u", v->index, run->exit_reason);
		break;
	}
	vcpu_dump(v);
	vm_request_stop(v->vm, VM_STOP_ERROR);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	sigset_t set;

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	__atomic_store_n(&v->tid, (int)gettid(), __ATOMIC_RELEASE);
	if (v->vm->persist->cgroup && cgroup_place_thread(v->vm->persist->cgroup, (int)gettid(), true))
		log_warn("vCPU %u: cannot move into the vcpus cgroup", v->index);
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (sandbox_seccomp_thread(SANDBOX_VCPU, (enum seccomp_mode)v->vm->cfg->seccomp)) {
		vm_request_stop(v->vm, VM_STOP_ERROR);
		return NULL;
	}

	while (!__atomic_load_n(&v->vm->stopping, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&v->vm->pause_req, __ATOMIC_ACQUIRE)) {
			vcpu_park(v);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			log_error("vCPU %u: KVM_RUN: %s", v->index, strerror(errno));
			vcpu_dump(v);
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		v->exits++;
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

void vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->pause_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->parked_cond);
	while (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->pause_lock);
}

int vcpu_start(struct vcpu *v)
{
	int err = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (err) {
		log_error("vCPU %u: cannot start thread: %s", v->index, strerror(err));
		return -err;
	}
	__atomic_store_n(&v->thread_started, true, __ATOMIC_RELEASE); /* the API reads it */
	return 0;
}

/* Main thread, after vm->stopping is set: make KVM_RUN return now or next time. */
void vcpu_kick(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, SIG_VCPU_KICK);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->thread_started) {
		pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
	kvm_stats_close(&v->stats);
	if (v->run)
		munmap(v->run, (size_t)v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static void dump_seg(const char *n, const struct kvm_segment *s)
{
	fprintf(stderr, "  %-3s sel=%04x base=%016llx limit=%08x type=%x p=%u dpl=%u db=%u l=%u g=%u\n",
		n, s->selector, (unsigned long long)s->base, s->limit, s->type, s->present,
		s->dpl, s->db, s->l, s->g);
}

void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		log_error("vCPU %u: cannot read registers: %s", v->index, strerror(errno));
		return;
	}
	fprintf(stderr,
		"kasou: vCPU %u registers:\n"
		"  rip=%016llx rflags=%016llx rsp=%016llx rbp=%016llx\n"
		"  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
		"  rsi=%016llx rdi=%016llx r8 =%016llx r9 =%016llx\n"
		"  r10=%016llx r11=%016llx r12=%016llx r13=%016llx\n"
		"  r14=%016llx r15=%016llx\n"
		"  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
		v->index, r.rip, r.rflags, r.rsp, r.rbp, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4,
		s.efer);
	dump_seg("cs", &s.cs);
	dump_seg("ss", &s.ss);
	dump_seg("ds", &s.ds);
	dump_seg("tr", &s.tr);
	fprintf(stderr, "  gdt=%016llx/%04x idt=%016llx/%04x\n", (unsigned long long)s.gdt.base,
		s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);
}
