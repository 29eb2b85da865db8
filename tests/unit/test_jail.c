// SPDX-License-Identifier: GPL-2.0-only
/* --user/--chroot resolution (sandbox/jail.c) and, in a forked child when root, entering it. */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/jail.h"
#include "unit.h"

static struct jail j;
static char why[256];

TEST(resolve_numbers_and_names)
{
	CHECK_EQ(sandbox_jail_resolve(&j, "1234", NULL, why, sizeof(why)), 0);
	CHECK(j.set_user && j.uid == 1234 && j.gid == 1234 && !j.dir);
	CHECK_EQ(sandbox_jail_resolve(&j, "1234:99", "/", why, sizeof(why)), 0);
	CHECK(j.uid == 1234 && j.gid == 99);
	CHECK_STR(j.dir, "/");
	CHECK_EQ(sandbox_jail_resolve(&j, "root", NULL, why, sizeof(why)), 0);
	CHECK(j.uid == 0 && j.gid == 0);
	CHECK_EQ(sandbox_jail_resolve(&j, "root:root", NULL, why, sizeof(why)), 0);
	CHECK_EQ(sandbox_jail_resolve(&j, NULL, "/tmp", why, sizeof(why)), 0);
	CHECK(!j.set_user);
}

TEST(resolve_errors)
{
	CHECK_EQ(sandbox_jail_resolve(&j, "no-such-user-kasou", NULL, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "--user 'no-such-user-kasou': no such user");
	CHECK_EQ(sandbox_jail_resolve(&j, "root:no-such-group-kasou", NULL, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "no such group 'no-such-group-kasou'"));
	CHECK_EQ(sandbox_jail_resolve(&j, NULL, "/no/such/dir", why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "--chroot '/no/such/dir'"));
	CHECK_EQ(sandbox_jail_resolve(&j, NULL, "/etc/passwd", why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "not a directory"));
}

TEST(enter_as_root)
{
	pid_t pid;
	int st = -1;

	if (geteuid() != 0)
		SKIP_TEST("needs root to change user and chroot");
	CHECK_EQ(sandbox_jail_resolve(&j, "65534:65534", "/tmp", why, sizeof(why)), 0);
	pid = fork();
	if (pid == 0) {
		char cwd[64];

		if (sandbox_jail_enter(&j))
			_exit(2);
		if (getuid() != 65534 || getgid() != 65534 || setuid(0) == 0)
			_exit(3);
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(4);
		if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/"))
			_exit(5);
		if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) != 0) /* CAP_CHOWN gone from the bounding set */
			_exit(6);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

UNIT_MAIN("jail", T(resolve_numbers_and_names), T(resolve_errors), T(enter_as_root))
