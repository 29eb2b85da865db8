// SPDX-License-Identifier: GPL-2.0-only
/*
 * The seccomp filters (sandbox/seccomp.c) in forked children: what a filter
 * allows still works; a call outside it stops the process with one line naming
 * the thread and the call (mode on), or goes through (mode log); ioctl on a
 * vCPU thread only for KVM/vhost/VFIO/tun numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

static void vcpu_then_socket(void)
{
	if (sandbox_seccomp_vcpu(SECCOMP_ON))
		_exit(3);
	if (write(STDOUT_FILENO, "", 0) < 0) /* allowed */
		_exit(4);
	socket(AF_INET, SOCK_STREAM, 0);
	_exit(0);
}

static void vcpu_log_socket(void)
{
	int fd;

	if (sandbox_seccomp_vcpu(SECCOMP_LOG))
		_exit(3);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	_exit(fd >= 0 ? 0 : 5);
}

static void vcpu_tty_ioctl(void)
{
	struct winsize ws;

	if (sandbox_seccomp_vcpu(SECCOMP_ON))
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

	if (sandbox_seccomp_process(SECCOMP_OFF) || sandbox_seccomp_vcpu(SECCOMP_OFF))
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
	char out[512];

	CHECK_EQ(in_child(vcpu_log_socket, out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

TEST(vcpu_ioctl_numbers)
{
	char out[512];

	CHECK_EQ(in_child(vcpu_tty_ioctl, out, sizeof(out)), 1);
	CHECK(strstr(out, "(ioctl)"));
}

TEST(process_denies_exec)
{
	char out[512];

	CHECK_EQ(in_child(process_then_execve, out, sizeof(out)), 1);
	CHECK(strstr(out, "(execve)"));
}

TEST(off_is_off)
{
	char out[512];

	CHECK_EQ(in_child(off_allows_all, out, sizeof(out)), 0);
}

TEST(counts)
{
	CHECK(sandbox_seccomp_count(0) > 100);
	CHECK(sandbox_seccomp_count(1) < sandbox_seccomp_count(0));
	CHECK(sandbox_seccomp_count(1) > 50);
}

UNIT_MAIN("seccomp", T(vcpu_denies_sockets), T(log_mode_lets_through), T(vcpu_ioctl_numbers),
	  T(process_denies_exec), T(off_is_off), T(counts))
