// SPDX-License-Identifier: GPL-2.0-only
#include "sandbox/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
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
	"memfd_create", "rt_sigaction", "sigaltstack", "setrlimit", "prlimit64", "setpriority",
	"signalfd4",
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

static bool denied(const char *call, const char *const *deny, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(call, deny[i]))
			return true;
	return false;
}

static int install(const char *const *deny, size_t ndeny, enum seccomp_mode mode, bool tsync,
		   bool vcpu, const char *what)
{
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

		if (nr == __NR_SCMP_ERROR || denied(call, deny, ndeny))
			continue; /* not on this architecture, or not for this thread */
		if (vcpu && !strcmp(call, "ioctl")) {
			/* the _IOC type byte: KVM 0xAE, vhost 0xAF, VFIO ';', tun 'T' */
			static const unsigned int types[] = { 0xae, 0xaf, 0x3b, 0x54 };

			for (size_t t = 0; t < N(types) && !rc; t++)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, types[t] << 8));
			continue;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!rc && tsync)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
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
	return install(NULL, 0, mode, true, false, "process");
}

int sandbox_seccomp_vcpu(enum seccomp_mode mode)
{
	return install(vcpu_denied, N(vcpu_denied), mode, false, true, "vCPU");
}

unsigned int sandbox_seccomp_count(int vcpu)
{
	unsigned int n = 0;

	for (size_t i = 0; i < N(process_calls); i++)
		n += !vcpu || !denied(process_calls[i], vcpu_denied, N(vcpu_denied));
	return n;
}
