// SPDX-License-Identifier: GPL-2.0-only
/*
 * bootinit: the /init of the boot-time benchmark's tiny initrd. It does what
 *   mount -t proc proc /proc; echo "BENCH-UPTIME $(cat /proc/uptime)"; echo BENCH-BOOTED; poweroff -f
 * would do, without a shell: the guest's uptime when /init starts, a marker line the host
 * times, then power off (sync + reboot(POWER_OFF), as busybox's poweroff -f).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *s)
{
	ssize_t n = write(1, s, strlen(s));

	(void)n;
}

int main(void)
{
	char buf[128], line[160] = "BENCH-UPTIME ";
	ssize_t n;
	int fd;

	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	fd = open("/proc/uptime", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n < 0)
		n = 0;
	buf[n] = 0;
	/* the kernel gives init /dev/console as fds 0-2; make sure of it */
	if (fcntl(1, F_GETFD) < 0) {
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	strncat(line, buf, sizeof(line) - strlen(line) - 1);
	if (!strchr(line, '\n'))
		strcat(line, "\n");
	say(line);
	say("BENCH-BOOTED\n");
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
