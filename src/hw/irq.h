/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How a legacy device asserts its interrupt line and asks the VM to stop.
 * The VM fills these with KVM_IRQ_LINE and its stop request; device-level
 * tests fill them with recorders. Callable from any thread.
 */
#ifndef KASOU_HW_IRQ_H
#define KASOU_HW_IRQ_H

struct irq_sink {
	void (*set_level)(void *ctx, unsigned int irq, int level);
	void *ctx;
};

enum vm_stop_reason {
	VM_STOP_NONE = 0,
	VM_STOP_POWEROFF, /* guest powered off, or console quit */
	VM_STOP_REBOOT, /* guest reset (ACPI, keyboard controller, CF9, triple fault) */
	VM_STOP_SIGNAL, /* SIGINT/SIGTERM on the host */
	VM_STOP_ERROR, /* KVM internal error or a vCPU thread failure */
};

struct vm_control {
	void (*request_stop)(void *ctx, enum vm_stop_reason why);
	void *ctx;
};

#endif
