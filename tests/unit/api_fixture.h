/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM put together from fakes for the control API (tests/unit/test_api.c,
 * tests/fuzz/fuzz_api.c): no vCPU threads, no vm fd, two disks, two NICs and a
 * balloon with only the state the routes and stats read. setup() fills the
 * global F; fixture_teardown() frees it.
 */
#ifndef KASOU_TEST_API_FIXTURE_H
#define KASOU_TEST_API_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config/config.h"
#include "util/time.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "vmm/vm.h"

#define MIB (1ULL << 20)
#define GUEST_MEM (256 * MIB)

static const char config_text[] =
	"{\"name\": \"apivm\", \"kernel\": \"/k\", \"cpus\": 2, \"memory\": \"256M\","
	" \"disks\": [{\"path\": \"/r.img\", \"id\": \"root\"}, {\"path\": \"/d.img\", \"id\": \"data\"}],"
	" \"nets\": [{\"user\": true, \"id\": \"net0\"}, {\"tap\": \"tap1\", \"id\": \"net1\", \"vhost\": true}]}";

static struct fixture {
	struct vm_config cfg;
	struct vm_persist p;
	struct vm vm;
	struct vcpu vcpus[2];
	struct vblk disks[2];
	struct vnet nets[2];
	struct vballoon balloon;
	struct guest_mem mem;
	int vhost_stand_in; /* vm.nets[1].vhost points here: only "is there one" is read */
} F;

static const struct rl_bucket_cfg unlimited = { 0, 0 };

static bool setup(void)
{
	char err[CONFIG_ERR_LEN];
	struct vm *vm = &F.vm;

	memset(&F, 0, sizeof(F));
	config_init(&F.cfg);
	if (config_from_json(&F.cfg, config_text, strlen(config_text), err)) {
		fprintf(stderr, "test config: %s\n", err);
		return false;
	}
	F.p.cfg = &F.cfg;
	F.p.kvm_fd = -1;
	F.p.boots = 1;
	F.p.start_ns = mono_ns();
	pthread_mutex_init(&F.p.lock, NULL);
	F.p.current = vm;

	vm->persist = &F.p;
	vm->cfg = &F.cfg;
	vm->vm_fd = -1; /* pause/resume: KVM_GET/SET_CLOCK fail and only log */
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->ctl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pm_init(&vm->pm, (struct irq_sink){ 0 }, (struct vm_control){ 0 });
	vm->nr_vcpus = 2;
	vm->vcpus = F.vcpus;
	for (unsigned int i = 0; i < 2; i++) {
		F.vcpus[i] = (struct vcpu){ .vm = vm, .index = i, .fd = -1, .exits = 100 + i };
		F.vcpus[i].stats.fd = -1; /* no KVM stats: the exit counter is served */
	}
	vm->nr_disks = 2;
	vm->disks = F.disks;
	for (unsigned int i = 0; i < 2; i++) {
		F.disks[i].cfg = F.cfg.disks[i]; /* borrowed, as vblk_create() does */
		rl_group_init(&F.disks[i].throttle);
		F.disks[i].stats.rd_reqs = 7 + i;
	}
	vm->nr_nets = 2;
	vm->nets = F.nets;
	for (unsigned int i = 0; i < 2; i++) {
		F.nets[i].cfg = F.cfg.nets[i];
		rl_init(&F.nets[i].rx_rl, unlimited, unlimited);
		rl_init(&F.nets[i].tx_rl, unlimited, unlimited);
		F.nets[i].link_up = true;
		F.nets[i].stats.rx_packets = 40 + i;
	}
	F.nets[1].vhost = (struct vhost_net *)&F.vhost_stand_in;
	F.mem.size = GUEST_MEM;
	F.balloon.mem = &F.mem;
	pthread_mutex_init(&F.balloon.lock, NULL);
	vm->balloon = &F.balloon;
	return vm->stop_efd >= 0 && vm->ctl_efd >= 0;
}

static void fixture_teardown(void)
{
	close(F.vm.stop_efd);
	close(F.vm.ctl_efd);
	pm_destroy(&F.vm.pm);
	for (unsigned int i = 0; i < 2; i++) {
		rl_group_destroy(&F.disks[i].throttle);
		rl_destroy(&F.nets[i].rx_rl);
		rl_destroy(&F.nets[i].tx_rl);
	}
	pthread_mutex_destroy(&F.balloon.lock);
	pthread_mutex_destroy(&F.vm.pause_lock);
	pthread_cond_destroy(&F.vm.pause_cond);
	pthread_cond_destroy(&F.vm.parked_cond);
	pthread_mutex_destroy(&F.p.lock);
	config_free(&F.cfg);
}

#endif
