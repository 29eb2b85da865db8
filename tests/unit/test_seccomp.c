// SPDX-License-Identifier: GPL-2.0-only
/*
 * The seccomp filters (sandbox/seccomp.c) in forked children: what a filter
 * allows still works; a call outside it stops the process with one line naming
 * the thread and the call (mode on), or goes through (mode log); ioctl on a
 * vCPU thread only for KVM/vhost/VFIO/tun numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/seccomp.h"
#include "unit.h"

/* Run fn in a child with its stderr in a pipe: exit status, and what it wrote. */
static int in_child(void (*fn)(void), char *out, size_t len)
{
	int p[2], st = -1;
	pid_t pid;
	ssize_t n;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		prctl(PR_SET_NAME, "tester");
		sandbox_seccomp_init();
		fn();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, len - 1);
	out[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* fn's child stops on a denied call, with the line naming it (and `call`). */
static void expect_stop(void (*fn)(void), const char *call)
{
	char out[512];

	CHECK_EQ(in_child(fn, out, sizeof(out)), 1);
	CHECK(strstr(out, "which its filter does not allow"));
	CHECK(strstr(out, call));
}

/* fn's child ends well and says nothing. */
static void expect_ok(void (*fn)(void))
{
	char out[512];

	CHECK_EQ(in_child(fn, out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

static void vcpu_then_socket(void)
{
	if (sandbox_seccomp_thread(SANDBOX_VCPU, SECCOMP_ON))
		_exit(3);
	if (write(STDOUT_FILENO, "", 0) < 0) /* allowed */
		_exit(4);
	socket(AF_INET, SOCK_STREAM, 0);
	_exit(0);
}

static void vcpu_log_socket(void)
{
	int fd;

	if (sandbox_seccomp_thread(SANDBOX_VCPU, SECCOMP_LOG))
		_exit(3);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	_exit(fd >= 0 ? 0 : 5);
}

static void vcpu_tty_ioctl(void)
{
	struct winsize ws;

	if (sandbox_seccomp_thread(SANDBOX_VCPU, SECCOMP_ON))
		_exit(3);
	/* a KVM ioctl number on a non-KVM fd is allowed through (and fails with ENOTTY) */
	if (ioctl(STDIN_FILENO, KVM_GET_API_VERSION, 0) >= 0 || errno != ENOTTY)
		_exit(6);
	ioctl(STDIN_FILENO, TIOCGWINSZ & ~0xff00u, &ws); /* type byte 0: not allowed */
	_exit(0);
}

static void process_then_execve(void)
{
	char *argv[] = { "/bin/true", NULL };

	if (sandbox_seccomp_process(SECCOMP_ON))
		_exit(3);
	if (socket(AF_UNIX, SOCK_STREAM, 0) < 0) /* allowed for the API */
		_exit(4);
	execve("/bin/true", argv, NULL);
	_exit(0);
}

static void off_allows_all(void)
{
	char *argv[] = { "/bin/true", NULL };

	if (sandbox_seccomp_process(SECCOMP_OFF) || sandbox_seccomp_thread(SANDBOX_API, SECCOMP_OFF))
		_exit(3);
	execve("/bin/true", argv, NULL);
	_exit(7);
}

TEST(vcpu_denies_sockets)
{
	char out[512];

	CHECK_EQ(in_child(vcpu_then_socket, out, sizeof(out)), 1);
	CHECK(strstr(out, "kasou: seccomp: thread tester made system call 41 (socket), which its "
			  "filter does not allow"));
}

TEST(log_mode_lets_through)
{
	expect_ok(vcpu_log_socket);
}

TEST(vcpu_ioctl_numbers)
{
	expect_stop(vcpu_tty_ioctl, "(ioctl)");
}

TEST(process_denies_exec)
{
	expect_stop(process_then_execve, "(execve)");
}

TEST(off_is_off)
{
	expect_ok(off_allows_all);
}

/* An I/O thread reads and writes what it was given, and opens nothing. */
static void io_then_open(void)
{
	int p[2];
	char c;

	if (pipe(p))
		_exit(2);
	sandbox_thread_enter(SANDBOX_IO); /* no hold: mode off, nothing installed */
	if (sandbox_seccomp_thread(SANDBOX_IO, SECCOMP_ON))
		_exit(3);
	if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'x')
		_exit(4);
	openat(AT_FDCWD, "/etc/hostname", O_RDONLY);
	_exit(0);
}

/* ... and its ioctl numbers are KVM, block and tun ones only. */
static void io_vfio_ioctl(void)
{
	if (sandbox_seccomp_thread(SANDBOX_IO, SECCOMP_ON))
		_exit(3);
	if (ioctl(STDIN_FILENO, BLKDISCARD, NULL) >= 0 || errno == ENOSYS) /* allowed, fails */
		_exit(6);
	ioctl(STDIN_FILENO, VFIO_GET_API_VERSION, 0);
	_exit(0);
}

/* The API thread answers on accepted sockets but makes none, and starts no thread. */
static void api_then_socket(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		_exit(2);
	if (sandbox_seccomp_thread(SANDBOX_API, SECCOMP_ON))
		_exit(3);
	if (send(sv[0], "x", 1, 0) != 1 || shutdown(sv[0], SHUT_WR))
		_exit(4);
	socket(AF_INET, SOCK_STREAM, 0);
	_exit(0);
}

/* (a raw clone3: glibc's pthread_create blocks every signal around it, so a
 * SIGSYS there ends the process without the handler's line) */
static void api_then_thread(void)
{
	if (sandbox_seccomp_thread(SANDBOX_API, SECCOMP_ON))
		_exit(3);
	syscall(SYS_clone3, NULL, 0);
	_exit(0);
}

/* An I/O thread starts another (a disk's worker pool), which stacks its own filter and works. */
static void *io_child(void *arg)
{
	int *p = arg;
	char c = 0;

	if (sandbox_seccomp_thread(SANDBOX_IO, SECCOMP_ON))
		return (void *)1;
	return write(p[1], "y", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'y' ? NULL : (void *)2;
}

static void *warm_up(void *arg)
{
	return arg;
}

static void io_starts_io(void)
{
	pthread_t t;
	void *ret = (void *)3;
	int p[2];

	if (pipe(p) || pthread_create(&t, NULL, warm_up, NULL) || pthread_join(t, NULL))
		_exit(2); /* (the first thread sets glibc's handlers up, as kasou's do) */
	if (sandbox_seccomp_process(SECCOMP_ON) || sandbox_seccomp_thread(SANDBOX_IO, SECCOMP_ON))
		_exit(3);
	if (pthread_create(&t, NULL, io_child, p) || pthread_join(t, &ret))
		_exit(4);
	_exit(ret ? 5 : 0);
}

/* A thread that blocks every signal still gets SIGSYS's line once filtered. */
static void blocked_then_denied(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	if (sandbox_seccomp_thread(SANDBOX_IO, SECCOMP_ON))
		_exit(3);
	socket(AF_UNIX, SOCK_STREAM, 0);
	_exit(0);
}

/* User networking makes the guest's connections, but never writes a file. */
static void net_then_unlink(void)
{
	int fd;

	if (sandbox_seccomp_thread(SANDBOX_NET, SECCOMP_ON))
		_exit(3);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		_exit(4);
	close(fd);
	unlink("/nonexistent/kasou-seccomp-test");
	_exit(0);
}

TEST(io_denies_open)
{
	expect_stop(io_then_open, "(openat)");
}

TEST(io_ioctl_numbers)
{
	expect_stop(io_vfio_ioctl, "(ioctl)");
}

TEST(api_denies_socket)
{
	expect_stop(api_then_socket, "(socket)");
}

TEST(api_denies_threads)
{
	expect_stop(api_then_thread, "(clone");
}

TEST(io_thread_starts_io_thread)
{
	expect_ok(io_starts_io);
}

TEST(denied_with_signals_blocked)
{
	expect_stop(blocked_then_denied, "(socket)");
}

TEST(net_denies_unlink)
{
	expect_stop(net_then_unlink, "(unlink)");
}

/* A thread that enters while the gate is held waits for the release, then gets the filter. */
static int gate_stage;

static void *gate_thread(void *arg)
{
	(void)arg;
	sandbox_thread_enter(SANDBOX_API);
	__atomic_store_n(&gate_stage, 1, __ATOMIC_RELEASE);
	socket(AF_UNIX, SOCK_STREAM, 0); /* denied: the filter is on this thread */
	__atomic_store_n(&gate_stage, 2, __ATOMIC_RELEASE);
	return NULL;
}

static void gate_holds(void)
{
	pthread_t t;

	sandbox_threads_hold();
	if (pthread_create(&t, NULL, gate_thread, NULL))
		_exit(2);
	usleep(100 * 1000);
	if (__atomic_load_n(&gate_stage, __ATOMIC_ACQUIRE) != 0)
		_exit(4); /* went through a held gate */
	if (sandbox_seccomp_process(SECCOMP_ON))
		_exit(3);
	sandbox_threads_release(SECCOMP_ON);
	pthread_join(t, NULL); /* SIGSYS ends the process first */
	_exit(5);
}

TEST(gate_holds_then_filters)
{
	expect_stop(gate_holds, "made system call 41 (socket)");
}

TEST(counts)
{
	char why[128] = "";
	unsigned int all = sandbox_seccomp_count(-1);

	CHECK_EQ(sandbox_seccomp_selfcheck(why, sizeof(why)), 0);
	CHECK_STR(why, "");
	CHECK(all > 100);
	for (int k = 0; k < SANDBOX_NR_THREADS; k++) {
		CHECK(sandbox_seccomp_count(k) < all);
		CHECK(sandbox_seccomp_count(k) > 30);
	}
	CHECK(sandbox_seccomp_count(SANDBOX_IO) < sandbox_seccomp_count(SANDBOX_VCPU));
	CHECK(sandbox_seccomp_count(SANDBOX_API) < sandbox_seccomp_count(SANDBOX_VCPU));
}

UNIT_MAIN("seccomp", T(vcpu_denies_sockets), T(log_mode_lets_through), T(vcpu_ioctl_numbers),
	  T(process_denies_exec), T(off_is_off), T(io_denies_open), T(io_ioctl_numbers),
	  T(api_denies_socket), T(api_denies_threads), T(io_thread_starts_io_thread),
	  T(denied_with_signals_blocked),
	  T(net_denies_unlink),
	  T(gate_holds_then_filters), T(counts))
