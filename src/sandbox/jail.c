// SPDX-License-Identifier: GPL-2.0-only
#include "sandbox/jail.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

static bool number(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	*out = strtoul(s, &end, 10);
	return *out < 0xffffffffUL;
}

int sandbox_jail_resolve(struct jail *j, const char *user, const char *dir, char *why, size_t len)
{
	char name[65], *colon;
	unsigned long n;
	struct stat st;

	memset(j, 0, sizeof(*j));
	if (dir) {
		if (stat(dir, &st) < 0) {
			snprintf(why, len, "--chroot '%s': %s", dir, strerror(errno));
			return -EINVAL;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, len, "--chroot '%s': not a directory", dir);
			return -EINVAL;
		}
		j->dir = dir;
	}
	if (!user)
		return 0;
	snprintf(name, sizeof(name), "%s", user);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = 0;
	if (number(name, &n)) {
		j->uid = (uid_t)n;
		j->gid = (gid_t)n;
	} else {
		struct passwd *pw = getpwnam(name);

		if (!pw) {
			snprintf(why, len, "--user '%s': no such user", name);
			return -EINVAL;
		}
		j->uid = pw->pw_uid;
		j->gid = pw->pw_gid;
	}
	if (colon && number(colon, &n)) {
		j->gid = (gid_t)n;
	} else if (colon) {
		struct group *gr = getgrnam(colon);

		if (!gr) {
			snprintf(why, len, "--user '%s': no such group '%s'", user, colon);
			return -EINVAL;
		}
		j->gid = gr->gr_gid;
	}
	j->set_user = true;
	return 0;
}

/* No capability left: bounding set, then effective/permitted/inheritable (root stays root). */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	for (int c = 0; c <= 63; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int sandbox_jail_enter(const struct jail *j)
{
	int err;

	if (j->dir && (chdir(j->dir) < 0 || chroot(".") < 0 || chdir("/") < 0)) {
		log_error("--chroot %s: %s", j->dir, strerror(errno));
		return -errno;
	}
	if (j->set_user) {
		/* the bounding set first: changing it needs CAP_SETPCAP, which setuid takes away */
		for (int c = 0; c <= 63; c++)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
		if (setgroups(0, NULL) < 0 && errno != EPERM) {
			log_error("--user: setgroups: %s", strerror(errno));
			return -errno;
		}
		if (setresgid(j->gid, j->gid, j->gid) < 0 || setresuid(j->uid, j->uid, j->uid) < 0) {
			log_error("--user %u:%u: %s (start kasou as root to use --user)",
				  (unsigned int)j->uid, (unsigned int)j->gid, strerror(errno));
			return -errno;
		}
		if (j->uid != 0 && setuid(0) == 0) {
			log_error("--user: could become root again; refusing to go on");
			return -EPERM;
		}
	}
	if ((j->dir || j->set_user) && (err = drop_caps())) {
		log_error("dropping capabilities: %s", strerror(-err));
		return err;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
