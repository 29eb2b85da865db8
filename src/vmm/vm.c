// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"
#include "backend/term.h"
#include "hw/legacy.h"
#include "resources/affinity.h"
#include "util/log.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "vfio/vfio.h"
#include "vmm/numa.h"

static void vm_irq_set(void *ctx, unsigned int irq, int level)
{
	struct vm *vm = ctx;
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_guest("KVM_IRQ_LINE %u: %s", irq, strerror(errno));
}

static void vm_ctl_stop(void *ctx, enum vm_stop_reason why)
{
	vm_request_stop(ctx, why);
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason why)
{
	int expected = VM_STOP_NONE;
	uint64_t one = 1;

	if (__atomic_compare_exchange_n(&vm->stop_reason, &expected, (int)why, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (write(vm->stop_efd, &one, sizeof(one)) < 0)
			log_error("cannot signal VM stop: %s", strerror(errno));
	}
}

static int vm_setup_kvm(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = LAYOUT_IDENTITY_MAP;

	vm->vm_fd = ioctl(vm->persist->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		log_error("KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	vm->run_size = ioctl(vm->persist->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		log_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -EIO;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, LAYOUT_TSS) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) {
		log_error("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_error("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_error("KVM_CREATE_PIT2: %s", strerror(errno));
		return -errno;
	}
	if (vm->cfg->cpu.pmu_off &&
	    ioctl(vm->persist->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PMU_CAPABILITY) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PMU_CAPABILITY,
					      .args[0] = KVM_PMU_CAP_DISABLE };

		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			log_warn("pmu=off: KVM_CAP_PMU_CAPABILITY: %s", strerror(errno));
	}
	irq_router_init(&vm->router, vm->vm_fd);
	vm->router_ready = true;
	return 0;
}

static int vm_setup_memory(struct vm *vm)
{
	struct guest_mem_backing b = { .m = &vm->cfg->mem, .nr_nodes = vm->cfg->nr_numa };
	char why[256];
	int err;

	/* guest NUMA nodes take consecutive slices of RAM, node 0 first */
	for (unsigned int id = 0; id < vm->cfg->nr_numa; id++)
		for (unsigned int i = 0; i < vm->cfg->nr_numa; i++)
			if (vm->cfg->numa[i].id == id) {
				b.nodes[id].size = vm->cfg->numa[i].size;
				b.nodes[id].host_nodes = vm->cfg->numa[i].host_nodes;
			}
	err = guest_mem_create_backed(&vm->mem, vm->cfg->mem_size, &b, why);
	if (err) {
		log_error("--memory: %s", why);
		return err;
	}
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)(vm->mem.host + r->offset),
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
			err = -errno;
			log_error("KVM_SET_USER_MEMORY_REGION (%llu MiB at 0x%llx): %s",
				  (unsigned long long)(r->size >> 20), (unsigned long long)r->gpa,
				  strerror(errno));
			return err;
		}
	}
	return 0;
}

static int vm_ioeventfd(void *ctx, uint64_t addr, unsigned int len, int fd, bool assign)
{
	struct vm *vm = ctx;
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .fd = fd,
				    .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN };

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* vfio: map (or, size 0, remove) a KVM memory slot for a BAR piece. Any thread. */
static int vm_memslot(void *ctx, int slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct vm *vm = ctx;
	struct kvm_userspace_memory_region kr = { .guest_phys_addr = gpa, .memory_size = size,
						  .userspace_addr = (uint64_t)(uintptr_t)hva };
	int rc = 0;

	pthread_mutex_lock(&vm->slot_lock);
	if (slot < 0) {
		for (slot = 0; slot < 64 && (vm->slots_used >> slot & 1); slot++)
			;
		if (slot == 64) {
			rc = -ENOSPC;
			goto out;
		}
		slot += VM_SLOT_DYN;
	}
	kr.slot = (uint32_t)slot;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
		rc = -errno;
		goto out;
	}
	if (size)
		vm->slots_used |= 1ULL << (slot - VM_SLOT_DYN);
	else
		vm->slots_used &= ~(1ULL << (slot - VM_SLOT_DYN));
	rc = slot;
out:
	pthread_mutex_unlock(&vm->slot_lock);
	return rc;
}

/* Passed-through host PCI functions, after the virtio devices. */
static int vm_setup_vfio(struct vm *vm)
{
	struct vfio_env env = { .router = &vm->router, .memslot = vm_memslot, .ctx = vm };
	char why[256];
	int err;

	if (!vm->cfg->nr_vfio)
		return 0;
	vm->vfio = calloc(vm->cfg->nr_vfio, sizeof(*vm->vfio));
	if (!vm->vfio)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_vfio; i++) {
		struct vfio_pci *v = &vm->vfio[i];

		err = vfio_pci_open(v, &vm->cfg->vfio[i], &vm->mem, &env);
		vm->nr_vfio++;
		if (err)
			return err;
		err = pci_host_add(&vm->pci, &v->pci);
		if (err < 0) {
			log_error("%s: no room on the PCI bus: %s", v->name, strerror(-err));
			return err;
		}
		err = vfio_pci_wire(v, why, sizeof(why));
		if (err) {
			log_error("--device vfio=%s: %s", v->cfg.addr, why);
			return err;
		}
	}
	return 0;
}

/* The PCIe host bridge and the devices behind it, in option order. */
static int vm_setup_pci(struct vm *vm)
{
	const struct guest_region *top = &vm->mem.regions[vm->mem.nr_regions - 1];
	struct virtio_env env = { .ioeventfd = vm_ioeventfd, .set_intx = vm_irq_set, .ctx = vm,
				  .router = &vm->router };
	int err = 0;

	vm->mmio64_base = align_up(top->gpa + top->size > LAYOUT_RAM_ABOVE_4G
					   ? top->gpa + top->size
					   : LAYOUT_RAM_ABOVE_4G,
				   1ULL << 30);
	pci_host_init(&vm->pci, LAYOUT_PCI_ECAM, LAYOUT_PCI_ECAM_SIZE, LAYOUT_PCI_MMIO32,
		      LAYOUT_PCI_MMIO32_SIZE, vm->mmio64_base, LAYOUT_PCI_MMIO64_SIZE);
	pci_host_set_io(&vm->pci, PORT_PCI_IO, PORT_PCI_IO_SIZE);
	vm->pci_ready = true;
	vm->pci.cf9_ops = &legacy_reset_ops;
	vm->pci.cf9_opaque = &vm->ctl;
	err |= bus_register(&vm->pio, 0xcf8, 8, &pci_cf8_ops, &vm->pci, "pci-cf8+reset");
	err |= bus_register(&vm->mmio, LAYOUT_PCI_ECAM, LAYOUT_PCI_ECAM_SIZE, &pci_ecam_ops, &vm->pci,
			    "pci-ecam");
	err |= bus_register(&vm->mmio, LAYOUT_PCI_MMIO32, LAYOUT_PCI_MMIO32_SIZE, &pci_mmio_ops,
			    &vm->pci.win32, "pci-mmio32");
	err |= bus_register(&vm->mmio, vm->mmio64_base, LAYOUT_PCI_MMIO64_SIZE, &pci_mmio_ops,
			    &vm->pci.win64, "pci-mmio64");
	err |= bus_register(&vm->pio, PORT_PCI_IO, PORT_PCI_IO_SIZE, &pci_mmio_ops, &vm->pci.winio,
			    "pci-io");
	BUG_ON(err);

	vm->disks = calloc(vm->cfg->nr_disks ? vm->cfg->nr_disks : 1, sizeof(*vm->disks));
	if (!vm->disks)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_disks; i++) {
		struct vblk *b = &vm->disks[i];

		err = vblk_create(b, &vm->cfg->disks[i], &vm->mem, &env);
		if (err)
			return err;
		vm->nr_disks++;
		err = pci_host_add(&vm->pci, &b->vpci.pci);
		if (err < 0) {
			log_error("%s: no room on the PCI bus: %s", b->name, strerror(-err));
			return err;
		}
	}
	vm->nets = calloc(vm->cfg->nr_nets ? vm->cfg->nr_nets : 1, sizeof(*vm->nets));
	if (!vm->nets)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_nets; i++) {
		struct vnet *n = &vm->nets[i];

		err = vnet_create(n, &vm->cfg->nets[i], &vm->mem, &env);
		if (err)
			return err;
		vm->nr_nets++;
		err = pci_host_add(&vm->pci, &n->vpci.pci);
		if (err < 0) {
			log_error("%s: no room on the PCI bus: %s", n->name, strerror(-err));
			return err;
		}
	}
	if (vm->cfg->console == CONSOLE_VIRTIO) {
		vm->vcons = calloc(1, sizeof(*vm->vcons));
		if (!vm->vcons)
			return -ENOMEM;
		err = vcons_create(vm->vcons, STDOUT_FILENO, &vm->mem, &env);
		if (err || (err = pci_host_add(&vm->pci, &vm->vcons->vpci.pci)) < 0)
			return err < 0 ? err : -EIO;
	}
	if (vm->cfg->balloon.enabled) {
		vm->balloon = calloc(1, sizeof(*vm->balloon));
		if (!vm->balloon)
			return -ENOMEM;
		err = vballoon_create(vm->balloon, &vm->cfg->balloon, &vm->mem, &env);
		if (err || (err = pci_host_add(&vm->pci, &vm->balloon->vpci.pci)) < 0)
			return err < 0 ? err : -EIO;
	}
	if (vm->cfg->rng) {
		vm->rng = calloc(1, sizeof(*vm->rng));
		if (!vm->rng)
			return -ENOMEM;
		err = vrng_create(vm->rng, &vm->mem, &env);
		if (err || (err = pci_host_add(&vm->pci, &vm->rng->vpci.pci)) < 0)
			return err < 0 ? err : -EIO;
	}
	return vm_setup_vfio(vm);
}

static int vm_setup_devices(struct vm *vm)
{
	struct irq_sink irq = { .set_level = vm_irq_set, .ctx = vm };
	int out = vm->cfg->console == CONSOLE_SERIAL ? STDOUT_FILENO : -1;
	int err = 0;

	vm->ctl = (struct vm_control){ .request_stop = vm_ctl_stop, .ctx = vm };
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	serial_init(&vm->serial, out, irq, IRQ_COM1);
	pm_init(&vm->pm, irq, vm->ctl);
	err |= bus_register(&vm->pio, PORT_COM1, 8, &serial_ops, &vm->serial, "com1");
	err |= bus_register(&vm->pio, 0x70, 2, &rtc_ops, &vm->persist->rtc, "rtc");
	err |= bus_register(&vm->pio, PORT_PM_EVT, PM_RANGE_LEN, &pm_ops, &vm->pm, "acpi-pm");
	err |= bus_register(&vm->pio, 0x60, 5, &legacy_kbc_ops, &vm->ctl, "i8042");
	err |= bus_register(&vm->pio, 0x80, 1, &legacy_sink_ops, NULL, "post");
	BUG_ON(err);
	vm->devices_ready = true;
	return vm_setup_pci(vm);
}

static int vm_load_guest(struct vm *vm)
{
	struct vm_persist *p = vm->persist;
	uint8_t *acpi = gpa_to_hva(&vm->mem, LAYOUT_ACPI, LAYOUT_ACPI_SIZE);
	struct acpi_params ap = { .nr_cpus = vm->nr_vcpus, .nr_possible = vm->max_vcpus,
				  .apic_ids = vm->apic_ids,
				  .ecam_base = LAYOUT_PCI_ECAM, .ecam_size = LAYOUT_PCI_ECAM_SIZE,
				  .mmio32_base = LAYOUT_PCI_MMIO32, .mmio32_size = LAYOUT_PCI_MMIO32_SIZE,
				  .mmio64_base = vm->mmio64_base, .mmio64_size = LAYOUT_PCI_MMIO64_SIZE };
	struct boot_load_args args = {
		.kernel = p->kernel, .kernel_len = p->kernel_len,
		.initrd = p->initrd, .initrd_len = p->initrd_len,
		.cmdline = vm->cfg->cmdline, .acpi_rsdp = LAYOUT_ACPI,
	};
	char why[BOOT_WHY_LEN];
	uint8_t cpu_node[CONFIG_CPUS_MAX] = { 0 };
	int err;

	numa_acpi_params(vm->cfg, &vm->mem, vm->max_vcpus, &ap, cpu_node);
	if (!acpi || acpi_build(acpi, LAYOUT_ACPI_SIZE, LAYOUT_ACPI, &ap) < 0) {
		log_error("cannot build ACPI tables");
		return -ENOSPC;
	}
	err = boot_load(&vm->mem, &p->image, &args, why);
	if (err)
		log_error("%s", why);
	return err;
}

int vm_create(struct vm *vm, struct vm_persist *persist)
{
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->stop_efd = vm->ctl_efd = -1;
	vm->persist = persist;
	vm->cfg = persist->cfg;
	vm->vm_fd = -1;
	vm->mem.fd = -1;
	vm->nr_vcpus = vm->cfg->cpus;
	vm->max_vcpus = config_max_cpus(vm->cfg);
	vm->topo = (struct cpuid_topology){
		.nr_cpus = vm->max_vcpus,
		.sockets = vm->cfg->cpu.sockets, .dies = vm->cfg->cpu.dies,
		.cores = vm->cfg->cpu.cores, .threads = vm->cfg->cpu.threads,
		.model_base = vm->cfg->cpu.model_base, .pmu_off = vm->cfg->cpu.pmu_off,
	};
	vm->apic_ids = calloc(vm->max_vcpus, sizeof(*vm->apic_ids));
	if (!vm->apic_ids)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->max_vcpus; i++)
		vm->apic_ids[i] = cpuid_apic_id(&vm->topo, i);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->ctl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_mutex_init(&vm->slot_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (vm->stop_efd < 0 || vm->ctl_efd < 0 || !vm->vcpus) {
		log_error("cannot set up VM: %s", strerror(errno));
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].fd = -1;
		vm->vcpus[i].stats.fd = -1;
	}
	err = vm_setup_kvm(vm);
	if (!err)
		err = vm_setup_memory(vm);
	if (!err)
		err = vm_setup_devices(vm);
	if (!err)
		err = vm_load_guest(vm);
	for (unsigned int i = 0; !err && i < vm->nr_vcpus; i++)
		err = vcpu_create(vm, &vm->vcpus[i], i);
	return err;
}

static void vm_stop_vcpus(struct vm *vm)
{
	/* under the API's lock: a route that saw a vCPU thread running (to re-pin it) is done
	 * with it before it is joined */
	if (vm->persist)
		pthread_mutex_lock(&vm->persist->lock);
	__atomic_store_n(&vm->stopping, 1, __ATOMIC_RELEASE);
	if (vm->persist)
		pthread_mutex_unlock(&vm->persist->lock);
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond); /* parked vCPUs leave too */
	pthread_mutex_unlock(&vm->pause_lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
	}
}

#define PAUSE_TIMEOUT_S 5

static unsigned int started_vcpus(struct vm *vm)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		n += vm->vcpus[i].thread_started;
	return n;
}

int vm_pause(struct vm *vm)
{
	struct timespec deadline;
	int err = 0;

	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused || __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE)) {
		err = vm->paused ? 0 : -ESHUTDOWN;
		goto out;
	}
	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += PAUSE_TIMEOUT_S;
	while (vm->parked < started_vcpus(vm) && !err)
		err = -pthread_cond_timedwait(&vm->parked_cond, &vm->pause_lock, &deadline);
	if (err) {
		__atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->pause_cond);
		log_error("pause: vCPUs did not stop within %d s", PAUSE_TIMEOUT_S);
		err = -ETIMEDOUT;
		goto out;
	}
	/* freeze kvmclock, so the guest does not see the paused time pass */
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &vm->clock) < 0)
		log_warn("pause: KVM_GET_CLOCK: %s", strerror(errno));
	vm->paused = true;
	log_info("VM paused");
out:
	pthread_mutex_unlock(&vm->pause_lock);
	return err;
}

int vm_resume(struct vm *vm)
{
	struct kvm_clock_data c;

	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused) {
		memset(&c, 0, sizeof(c));
		c.clock = vm->clock.clock;
		if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
			log_warn("resume: KVM_SET_CLOCK: %s", strerror(errno));
		vm->paused = false;
		__atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->pause_cond);
		log_info("VM resumed");
	}
	pthread_mutex_unlock(&vm->pause_lock);
	return 0;
}

bool vm_is_paused(struct vm *vm)
{
	bool p;

	pthread_mutex_lock(&vm->pause_lock);
	p = vm->paused;
	pthread_mutex_unlock(&vm->pause_lock);
	return p;
}

void vm_shutdown_graceful(struct vm *vm, enum vm_stop_reason why)
{
	uint64_t one = 1;

	/* a paused guest cannot see the button, and no timeout means no grace */
	if (vm_is_paused(vm) || !vm->cfg->shutdown_timeout) {
		vm_request_stop(vm, why);
		return;
	}
	if (__atomic_exchange_n(&vm->graceful, true, __ATOMIC_ACQ_REL)) {
		vm_request_stop(vm, why); /* asked twice: stop now */
		return;
	}
	vm->graceful_reason = why;
	pm_power_button(&vm->pm);
	if (write(vm->ctl_efd, &one, sizeof(one)) < 0)
		vm_request_stop(vm, why);
}

static void vm_console_input(struct vm *vm)
{
	struct term *t = vm->persist->term;
	uint8_t in[256], out[512];
	size_t n_out;
	ssize_t n = read(t->in_fd, in, sizeof(in));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			t->eof = true;
		return;
	}
	if (term_filter(t, in, (size_t)n, out, &n_out)) {
		log_info("console: Ctrl-A x, quitting");
		vm_request_stop(vm, VM_STOP_POWEROFF);
		return;
	}
	if (vm->vcons)
		vcons_push_input(vm->vcons, out, n_out);
	else
		serial_push_input(&vm->serial, out, n_out);
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

enum vm_stop_reason vm_run(struct vm *vm)
{
	struct term *t = vm->persist->term;
	sigset_t sigs;
	int ep = epoll_create1(EPOLL_CLOEXEC), sfd, tfd;
	bool use_stdin = t && !t->eof && vm->cfg->console != CONSOLE_OFF;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ep < 0 || sfd < 0 || tfd < 0 || epoll_add(ep, vm->stop_efd) || epoll_add(ep, sfd) ||
	    epoll_add(ep, vm->ctl_efd) || epoll_add(ep, tfd)) {
		log_error("cannot set up the event loop: %s", strerror(errno));
		vm_request_stop(vm, VM_STOP_ERROR);
		goto out;
	}
	/* a regular file or /dev/null cannot be polled: no console input then */
	if (use_stdin && epoll_add(ep, t->in_fd) < 0) {
		t->eof = true;
		use_stdin = false;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		const struct cpu_config *cc = &vm->cfg->cpu;
		int err;

		if (vcpu_start(&vm->vcpus[i])) {
			vm_request_stop(vm, VM_STOP_ERROR);
			goto out;
		}
		err = affinity_vcpu(vm->vcpus[i].thread, cc->affinity_set && cc->affinity_set[i]
								 ? &cc->affinity[i]
								 : NULL);
		if (err) {
			log_error("vCPU %u: cannot pin to the host CPUs asked for: %s", i,
				  strerror(-err));
			vm_request_stop(vm, VM_STOP_ERROR);
			goto out;
		}
	}
	while (!__atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE)) {
		struct epoll_event ev[4];
		int n = epoll_wait(ep, ev, 4, -1);

		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					vm->stop_signal = (int)si.ssi_signo;
					log_info("got %s, stopping the VM", strsignal((int)si.ssi_signo));
					/* SIGTERM: the guest gets to shut down; SIGINT, SIGHUP: now */
					if (si.ssi_signo == SIGTERM)
						vm_shutdown_graceful(vm, VM_STOP_SIGNAL);
					else
						vm_request_stop(vm, VM_STOP_SIGNAL);
				}
			} else if (ev[i].data.fd == vm->ctl_efd) {
				struct itimerspec its = { .it_value.tv_sec = vm->cfg->shutdown_timeout };
				uint64_t v;

				if (read(vm->ctl_efd, &v, sizeof(v)) > 0)
					timerfd_settime(tfd, 0, &its, NULL);
			} else if (ev[i].data.fd == tfd) {
				uint64_t v;

				if (read(tfd, &v, sizeof(v)) > 0) {
					log_warn("the guest did not power off within %u s; stopping it",
						 vm->cfg->shutdown_timeout);
					vm_request_stop(vm, vm->graceful_reason);
				}
			} else if (use_stdin && ev[i].data.fd == t->in_fd) {
				vm_console_input(vm);
				if (t->eof) {
					epoll_ctl(ep, EPOLL_CTL_DEL, t->in_fd, NULL);
					use_stdin = false;
				}
			}
		}
	}
out:
	vm_stop_vcpus(vm);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (ep >= 0)
		close(ep);
	return (enum vm_stop_reason)__atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE);
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		vm_stop_vcpus(vm);
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	free(vm->apic_ids);
	vm->apic_ids = NULL;
	/* devices stop their threads (and finish in-flight I/O) before RAM goes away */
	for (unsigned int i = 0; i < vm->nr_disks; i++)
		vblk_destroy(&vm->disks[i]);
	if (vm->vcons) {
		vcons_destroy(vm->vcons);
		free(vm->vcons);
		vm->vcons = NULL;
	}
	if (vm->balloon) {
		vballoon_destroy(vm->balloon);
		free(vm->balloon);
		vm->balloon = NULL;
	}
	if (vm->rng) {
		vrng_destroy(vm->rng);
		free(vm->rng);
		vm->rng = NULL;
	}
	for (unsigned int i = 0; i < vm->nr_vfio; i++)
		vfio_pci_close(&vm->vfio[i]);
	free(vm->vfio);
	vm->vfio = NULL;
	vm->nr_vfio = 0;
	free(vm->disks);
	vm->disks = NULL;
	vm->nr_disks = 0;
	for (unsigned int i = 0; i < vm->nr_nets; i++)
		vnet_destroy(&vm->nets[i]);
	free(vm->nets);
	vm->nets = NULL;
	vm->nr_nets = 0;
	if (vm->pci_ready)
		pci_host_destroy(&vm->pci);
	if (vm->devices_ready) {
		serial_destroy(&vm->serial);
		pm_destroy(&vm->pm);
	}
	guest_mem_destroy(&vm->mem);
	if (vm->router_ready)
		irq_router_destroy(&vm->router);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->ctl_efd >= 0)
		close(vm->ctl_efd);
	vm->vm_fd = -1;
	vm->stop_efd = vm->ctl_efd = -1;
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
	pthread_cond_destroy(&vm->parked_cond);
}
