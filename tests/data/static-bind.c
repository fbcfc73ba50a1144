/*
 * static-bind.c - a tiny TCP server the kernel tests build with "gcc -static":
 * no libc to preload, like a Go binary.  Runs as an unprivileged test user.
 *
 *   static-bind ADDR PORT
 *
 * Binds ADDR:PORT (IPv4 or IPv6 literal), listens, prints "ready" and then
 * answers up to 100 connections with an HTTP/1.0 reply whose body is
 * "static-bind uid=UID".  On a failed
 * bind it prints the errno name and exits 1; bad usage exits 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;
	long port;

	if (argc != 3 || (port = strtol(argv[2], NULL, 10)) <= 0 || port > 65535) {
		fprintf(stderr, "usage: static-bind ADDR PORT\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "static-bind: bad address '%s'\n", argv[1]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		const char *name = strerrorname_np(errno);

		printf("%s\n", name ? name : "error");
		return 1;
	}
	printf("ready\n");
	(void)fflush(stdout);
	for (int i = 0; i < 100; i++) {
		struct timeval tv = { .tv_sec = 2 };
		struct linger abort_close = { .l_onoff = 1 };
		char body[64], reply[256], req[1024];
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		int n;

		if (c < 0)
			continue;
		(void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)!read(c, req, sizeof(req));
		n = snprintf(body, sizeof(body), "static-bind uid=%u\n", (unsigned)getuid());
		n = snprintf(reply, sizeof(reply),
			     "HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			     n, body);
		(void)!write(c, reply, (size_t)n);
		/*
		 * The client has the whole reply and closes first, so the TIME_WAIT
		 * is on its side: the tests bind this port again right after.  A
		 * client that does not close in time gets a reset, for the same reason.
		 */
		while (read(c, req, sizeof(req)) > 0)
			;
		(void)setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		(void)close(c);
	}
	return 0;
}
