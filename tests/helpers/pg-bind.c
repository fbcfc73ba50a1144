// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-bind.c - test helper: bind one socket and say what bind() returned.
 *
 *   pg-bind tcp|udp ADDR PORT [--v6only 0|1]
 *
 * ADDR is an IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]"); it picks the
 * socket's family.  --v6only sets IPV6_V6ONLY first (IPv6 only; otherwise the
 * kernel default stays).  The address length passed to bind() is exactly
 * sizeof(struct sockaddr_in) or sizeof(struct sockaddr_in6), so LD_PRELOAD
 * shims such as authbind intercept it.  Prints "ok" or the errno name
 * ("EACCES") on stdout; exit 0 on success, 1 if socket() or bind() failed,
 * 2 on bad usage.  The socket is closed on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: pg-bind tcp|udp ADDR PORT [--v6only 0|1]\n");
	exit(2);
}

static int
fail(int err)
{
	const char *name = strerrorname_np(err);

	if (name != NULL)
		printf("%s\n", name);
	else
		printf("E%d\n", err);
	return 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	char addr[INET6_ADDRSTRLEN + 2];
	int v6only = -1, type, family, fd;
	unsigned long port;
	size_t len;
	char *end;

	if (argc != 4 && argc != 6)
		usage();
	if (strcmp(argv[1], "tcp") == 0)
		type = SOCK_STREAM;
	else if (strcmp(argv[1], "udp") == 0)
		type = SOCK_DGRAM;
	else
		usage();
	if (argc == 6) {
		if (strcmp(argv[4], "--v6only") != 0 ||
		    (strcmp(argv[5], "0") != 0 && strcmp(argv[5], "1") != 0))
			usage();
		v6only = argv[5][0] == '1';
	}

	len = strlen(argv[2]);
	if (len >= sizeof(addr))
		usage();
	if (len >= 2 && argv[2][0] == '[' && argv[2][len - 1] == ']') {
		memcpy(addr, argv[2] + 1, len - 2);
		addr[len - 2] = '\0';
	} else {
		memcpy(addr, argv[2], len + 1);
	}
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1 && argv[2][0] != '[')
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1)
		family = AF_INET6;
	else
		usage();

	errno = 0;
	port = strtoul(argv[3], &end, 10);
	if (argv[3][0] < '0' || argv[3][0] > '9' || *end != '\0' || errno != 0 || port > 65535)
		usage();
	if (v6only >= 0 && family != AF_INET6) {
		fprintf(stderr, "pg-bind: --v6only needs an IPv6 address\n");
		return 2;
	}

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(errno);
	if (v6only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		return fail(errno);
	if (family == AF_INET) {
		sin.sin_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return fail(errno);
	} else {
		sin6.sin6_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0)
			return fail(errno);
	}
	printf("ok\n");
	(void)close(fd);
	return 0;
}
