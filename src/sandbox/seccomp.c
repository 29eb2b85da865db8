// SPDX-License-Identifier: GPL-2.0-only
#include "sandbox/seccomp.h"

#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Everything kasou calls on any thread (glibc's own calls included). */
static const char *const process_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
	"ioctl", "openat", "open", "fstat", "newfstatat", "stat", "lstat", "statx", "statfs",
	"fstatfs", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"chmod", "fchmod", "fchmodat", "ftruncate", "fallocate", "fsync", "fdatasync",
	"sync_file_range", "getcwd", "umask", "flock",
	"mmap", "munmap", "mremap", "mprotect", "madvise", "brk", "mlock", "mlock2", "munlock",
	"mlockall", "munlockall", "mbind", "set_mempolicy", "get_mempolicy", "memfd_create",
	"msync", "mincore",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "io_setup", "io_submit",
	"io_getevents", "io_destroy",
	"eventfd2", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"poll", "ppoll", "select", "pselect6", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "signalfd4", "pipe2",
	"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "getsockopt", "setsockopt",
	"getsockname", "getpeername", "shutdown",
	"clone", "clone3", "exit", "exit_group", "futex", "set_robust_list", "get_robust_list",
	"rseq", "set_tid_address", "sched_yield", "sched_getaffinity", "sched_setaffinity",
	"sched_getparam", "sched_getscheduler", "getpriority", "setpriority", "nanosleep",
	"clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigpending",
	"sigaltstack", "tgkill", "tkill", "restart_syscall",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
	"getresuid", "getresgid", "getrlimit", "prlimit64", "setrlimit", "getrusage", "sysinfo",
	"uname", "prctl", "arch_prctl", "getrandom", "membarrier", "seccomp",
};

/*
 * A vCPU thread runs device code on its exits: virtio activation starts queue
 * threads, io_uring rings, timers and vhost, so its list is the process list
 * without these: no sockets, no file system changes, no memory policy or
 * locking, no new signal handlers; and ioctl only for KVM, VFIO, vhost and tun.
 */
static const char *const vcpu_denied[] = {
	"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "getsockopt", "setsockopt",
	"getsockname", "getpeername", "shutdown", "mkdir", "mkdirat", "rmdir", "unlink",
	"unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat", "umask",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "mbind", "set_mempolicy",
	"memfd_create", "rt_sigaction", "setrlimit", "prlimit64", "setpriority",
	"signalfd4",
};

/* What any kasou thread does: memory, locks, time, its own exit, logging, and
 * stacking a filter of its own (a thread it starts does that too; under ASan,
 * a new thread sets up its own signal stack). */
#define THREAD_BASE                                                                          \
	"read", "write", "writev", "close", "fcntl", "fstat", "newfstatat", "mmap", "munmap",    \
		"mremap", "mprotect", "madvise", "brk", "futex", "exit", "exit_group",           \
		"set_robust_list", "rseq", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",  \
		"sched_yield", "sched_getaffinity", "sched_setaffinity", "gettid", "getpid",     \
		"tgkill", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",       \
		"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "ppoll",       \
		"eventfd2", "prctl", "seccomp", "uname", "sigaltstack"

/*
 * I/O threads (virtio-blk queues and their worker pool, virtio-net queue
 * pairs, the console/rng/balloon/net-control workers): image and tap I/O,
 * io_uring and AIO, throttle timers, balloon page release (madvise,
 * fallocate), and starting a worker pool or queue pair on demand. No open,
 * no sockets, no file system changes; ioctl only for KVM (interrupts),
 * block devices (discard, write zeroes) and tun (queue enable).
 */
static const char *const io_calls[] = {
	THREAD_BASE, "readv", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"lseek", "fsync", "fdatasync", "fallocate", "sync_file_range", "ioctl", "io_uring_setup",
	"io_uring_enter", "io_uring_register", "io_setup", "io_submit", "io_getevents",
	"io_destroy", "timerfd_create", "timerfd_settime", "timerfd_gettime", "clone", "clone3",
	"getrandom",
};
static const unsigned int io_ioctls[] = { 0xae, 0x12, 0x54 };

/*
 * User networking (libslirp's thread): the I/O set's basics plus the guest's
 * connections (sockets of its own), and reading /etc/resolv.conf again when
 * it changes. ioctl only for tun/tty numbers (FIONREAD, FIONBIO).
 */
static const char *const net_calls[] = {
	THREAD_BASE, "readv", "timerfd_create", "timerfd_settime", "timerfd_gettime", "socket",
	"connect", "bind", "listen", "accept", "accept4", "sendto", "recvfrom", "sendmsg",
	"recvmsg", "getsockopt", "setsockopt", "getsockname", "getpeername", "shutdown", "openat",
	"open", "stat", "statx", "lseek", "ioctl", "getrandom",
};
static const unsigned int net_ioctls[] = { 0x54 };

/*
 * The API thread (libmicrohttpd and the routes): its clients' connections,
 * reading /proc and KVM's binary stats, writing cgroup files, re-pinning
 * threads, and KVM interrupts (balloon config change). No new sockets other
 * than accepted ones, no file system changes other than writes to open
 * files, no thread creation; ioctl only for KVM and tun/tty numbers.
 */
static const char *const api_calls[] = {
	THREAD_BASE, "readv", "pread64", "lseek", "openat", "open", "getdents64", "statx", "stat",
	"access", "faccessat", "faccessat2",
	"accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown",
	"setsockopt", "getsockopt", "getsockname", "getpeername", "ioctl", "getrusage", "sysinfo",
	"timerfd_settime", "timerfd_gettime", "clock_getres", "getuid", "geteuid",
	"getrandom",
};
static const unsigned int api_ioctls[] = { 0xae, 0x54 };

/* The vCPU one: the process list less vcpu_denied; the others: their own list. */
struct thread_filter {
	const char *name;
	const char *const *calls; /* NULL: process_calls less deny */
	size_t ncalls;
	const char *const *deny;
	size_t ndeny;
	const unsigned int *ioctls; /* the _IOC type bytes ioctl may carry */
	size_t nioctls;
};

static const unsigned int vcpu_ioctls[] = { 0xae, 0xaf, 0x3b, 0x54 };

static const struct thread_filter thread_filters[SANDBOX_NR_THREADS] = {
	[SANDBOX_VCPU] = { "vCPU", NULL, 0, vcpu_denied, N(vcpu_denied), vcpu_ioctls,
			   N(vcpu_ioctls) },
	[SANDBOX_IO] = { "I/O", io_calls, N(io_calls), NULL, 0, io_ioctls, N(io_ioctls) },
	[SANDBOX_NET] = { "user networking", net_calls, N(net_calls), NULL, 0, net_ioctls,
			  N(net_ioctls) },
	[SANDBOX_API] = { "API", api_calls, N(api_calls), NULL, 0, api_ioctls, N(api_ioctls) },
};

/* Append src to buf at *o (async-signal-safe). */
static void put(char *buf, size_t len, size_t *o, const char *src)
{
	while (*src && *o + 1 < len)
		buf[(*o)++] = *src++;
}

/* SIGSYS: name the thread and the call, then stop. Only write(2) and prctl(2). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char buf[320], name[17] = "?", num[12];
	const char *call;
	size_t o = 0;
	int i = (int)sizeof(num) - 1, nr = si->si_syscall;

	(void)sig;
	(void)uc;
	prctl(PR_GET_NAME, name);
	call = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	num[i] = 0;
	do {
		num[--i] = (char)('0' + (nr < 0 ? -(nr % 10) : nr % 10));
		nr /= 10;
	} while (nr && i > 1);
	if (si->si_syscall < 0)
		num[--i] = '-';
	put(buf, sizeof(buf), &o, "kasou: seccomp: thread ");
	put(buf, sizeof(buf), &o, name);
	put(buf, sizeof(buf), &o, " made system call ");
	put(buf, sizeof(buf), &o, num + i);
	put(buf, sizeof(buf), &o, " (");
	put(buf, sizeof(buf), &o, call ? call : "unknown");
	put(buf, sizeof(buf), &o, "), which its filter does not allow; stopping "
				  "(--seccomp=log lets it through, logged by the kernel)\n");
	/* exit_group directly: no atexit work (a sanitizer's leak check would need calls the
	 * filter denies) */
	if (write(STDERR_FILENO, buf, o) < 0)
		syscall(SYS_exit_group, 1);
	syscall(SYS_exit_group, 1);
	_exit(1);
}

void sandbox_seccomp_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
}

static bool listed(const char *call, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(call, list[i]))
			return true;
	return false;
}

/* Is call in f's set (f NULL: the process filter)? */
static bool allows(const struct thread_filter *f, const char *call)
{
	if (!listed(call, process_calls, N(process_calls)))
		return false;
	if (!f)
		return true;
	if (f->calls)
		return listed(call, f->calls, f->ncalls);
	return !listed(call, f->deny, f->ndeny);
}

static int install(const struct thread_filter *f, enum seccomp_mode mode)
{
	const char *what = f ? f->name : "process";
	scmp_filter_ctx ctx;
	int rc = 0;

	if (mode == SECCOMP_OFF)
		return 0;
	ctx = seccomp_init(mode == SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx) {
		log_error("seccomp: cannot make the %s filter", what);
		return -ENOMEM;
	}
	for (size_t i = 0; i < N(process_calls) && !rc; i++) {
		const char *call = process_calls[i];
		int nr = seccomp_syscall_resolve_name(call);

		if (nr == __NR_SCMP_ERROR || !allows(f, call))
			continue; /* not on this architecture, or not for this thread */
		if (f && f->ioctls && !strcmp(call, "ioctl")) {
			/* the _IOC type byte: KVM 0xAE, vhost 0xAF, VFIO ';', tun 'T', block 0x12 */
			for (size_t t = 0; t < f->nioctls && !rc; t++)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00,
							      f->ioctls[t] << 8));
			continue;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!rc && !f)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc && f) {
		/* a thread that blocks every signal would die of a blocked SIGSYS
		 * without the handler's line */
		sigset_t sys;

		sigemptyset(&sys);
		sigaddset(&sys, SIGSYS);
		pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	}
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		log_error("seccomp: cannot install the %s filter: %s", what, strerror(-rc));
		return rc;
	}
	return 0;
}

int sandbox_seccomp_process(enum seccomp_mode mode)
{
	return install(NULL, mode);
}

int sandbox_seccomp_thread(enum sandbox_thread kind, enum seccomp_mode mode)
{
	return install(&thread_filters[kind], mode);
}

/* ---- the gate: threads started before the process filter wait for it ---- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_held;
static enum seccomp_mode gate_mode = SECCOMP_OFF;

void sandbox_threads_hold(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_held = true;
	pthread_mutex_unlock(&gate_lock);
}

void sandbox_threads_release(enum seccomp_mode mode)
{
	pthread_mutex_lock(&gate_lock);
	if (gate_held) {
		gate_held = false;
		gate_mode = mode;
		pthread_cond_broadcast(&gate_cond);
	}
	pthread_mutex_unlock(&gate_lock);
}

void sandbox_thread_enter(enum sandbox_thread kind)
{
	enum seccomp_mode mode;

	pthread_mutex_lock(&gate_lock);
	while (gate_held)
		pthread_cond_wait(&gate_cond, &gate_lock);
	mode = gate_mode;
	pthread_mutex_unlock(&gate_lock);
	/* a thread that was to be filtered and cannot be must not run */
	if (sandbox_seccomp_thread(kind, mode))
		syscall(SYS_exit_group, 1);
}

unsigned int sandbox_seccomp_count(int kind)
{
	const struct thread_filter *f = kind < 0 ? NULL : &thread_filters[kind];
	unsigned int n = 0;

	for (size_t i = 0; i < N(process_calls); i++)
		n += allows(f, process_calls[i]);
	return n;
}

int sandbox_seccomp_selfcheck(char *why, size_t len)
{
	for (int k = 0; k < SANDBOX_NR_THREADS; k++) {
		const struct thread_filter *f = &thread_filters[k];
		const char *const *l = f->calls ? f->calls : f->deny;
		size_t n = f->calls ? f->ncalls : f->ndeny;

		for (size_t i = 0; i < n; i++)
			if (!listed(l[i], process_calls, N(process_calls))) {
				snprintf(why, len, "%s filter: '%s' is not in the process list",
					 f->name, l[i]);
				return -EINVAL;
			}
	}
	return 0;
}
