/* apipoke: misbehaving API clients for lab 602 (HTTP over kasou's unix socket).
 *   apipoke SOCK            run the abrupt-disconnect cases once each, printing "LAB-POKE name"
 *   apipoke SOCK hold SECS  send half a request header and keep the connection open SECS s */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int dial(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

static void poke(const char *path, const char *name, const char *req, int readsome)
{
	int fd = dial(path);
	if (*req && write(fd, req, strlen(req)) < 0)
		perror("write");
	if (readsome) {
		char c;
		if (read(fd, &c, 1) < 0)
			perror("read");
	}
	close(fd);
	printf("LAB-POKE %s\n", name);
	fflush(stdout);
	usleep(100000);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && !strcmp(argv[2], "hold")) {
		int fd = dial(argv[1]);
		if (write(fd, "GET /vm HTTP/1.1\r\nHost: x\r\n", 27) < 0)
			perror("write");
		sleep((unsigned)atoi(argv[3]));
		close(fd);
		return 0;
	}
	if (argc != 2)
		return fprintf(stderr, "usage: apipoke SOCK [hold SECS]\n"), 64;
	const char *s = argv[1];
	poke(s, "connect-close", "", 0);
	poke(s, "half-header", "GET /vm/sta", 0);
	poke(s, "no-read-metrics", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	poke(s, "read-1-byte", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1);
	poke(s, "short-body",
	     "PUT /vm/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	     "Content-Length: 1000\r\n\r\n{\"a\":", 0);
	poke(s, "garbage", "\x01\x02\xff\xfe not http at all\r\n\r\n", 0);
	for (int i = 0; i < 200; i++) {
		int fd = dial(s);
		if (write(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35) < 0)
			perror("write");
		struct linger l = {1, 0}; /* RST on close */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
	}
	printf("LAB-POKE rst-x200\n");
	return 0;
}
