// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-bind-loop.c - test helper: bind and close sockets in a tight loop and
 * count what bind() returned, to catch a wrong verdict while the kernel
 * policy is being swapped.
 *
 *   pg-bind-loop tcp|udp ADDR PORT [--v6only 0|1] [--reuseaddr 0|1] [--go FILE]
 *                [--progress N] [--until FILE] [--max N] [--seconds S]
 *
 * Loops until FILE of --until exists, N binds (default 1000000) or S seconds
 * (default 30), whichever comes first: always bounded.  The files are looked
 * at every 16 binds.  Counts the binds made once FILE of --go exists (every
 * bind without --go), and with --progress prints "counted N" as soon as N of
 * them are made: t2000 creates the file before its first reload and reloads
 * until each loop has said so.  At the end prints
 * "total=T ok=A EACCES=B EADDRINUSE=D other=C counted=G" (and, when C > 0, a
 * line naming the first of those other errors), and exits 0; 2 on bad usage.
 *
 * EADDRINUSE is counted apart: it is no verdict of the policy, it means that
 * another socket holds the port.  That can be this loop's own previous
 * socket: close() releases the port only with the last reference to the file,
 * and a process listing /proc/PID/fd (ss -p, lsof, from any network
 * namespace) holds one for a moment, so the release may come after the next
 * bind().  --reuseaddr 1 (SO_REUSEADDR; none of the sockets listens) lets
 * that bind through: the policy's verdict comes before the port check and is
 * the same either way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: pg-bind-loop tcp|udp ADDR PORT [--v6only 0|1] [--reuseaddr 0|1] "
			"[--go FILE] [--progress N] [--until FILE] [--max N] [--seconds S]\n");
	exit(2);
}

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned long max = 1000000, total = 0, ok = 0, eacces = 0, inuse = 0, other = 0;
	unsigned long counted = 0, progress = 0;
	int first_other = 0;
	const char *go = NULL, *until = NULL;
	double seconds = 30, start;
	int type, v6only = -1, reuseaddr = 0;
	bool going;
	socklen_t len;
	long port;

	if (argc < 4)
		usage();
	if (strcmp(argv[1], "tcp") == 0)
		type = SOCK_STREAM;
	else if (strcmp(argv[1], "udp") == 0)
		type = SOCK_DGRAM;
	else
		usage();
	port = strtol(argv[3], NULL, 10);
	if (port < 0 || port > 65535)
		usage();
	if (inet_pton(AF_INET, argv[2], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[2], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		usage();
	}
	for (int i = 4; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--v6only") == 0)
			v6only = atoi(argv[i + 1]) != 0;
		else if (strcmp(argv[i], "--reuseaddr") == 0)
			reuseaddr = atoi(argv[i + 1]) != 0;
		else if (strcmp(argv[i], "--go") == 0)
			go = argv[i + 1];
		else if (strcmp(argv[i], "--progress") == 0)
			progress = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--until") == 0)
			until = argv[i + 1];
		else if (strcmp(argv[i], "--max") == 0)
			max = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = strtod(argv[i + 1], NULL);
		else
			usage();
	}

	going = go == NULL;
	start = now();
	while (total < max) {
		int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			perror("pg-bind-loop: socket");
			return 1;
		}
		if (v6only >= 0)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
		if (reuseaddr)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuseaddr,
					 sizeof(reuseaddr));
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			ok++;
		else if (errno == EACCES)
			eacces++;
		else if (errno == EADDRINUSE)
			inuse++;
		else if (other++ == 0)
			first_other = errno;
		(void)close(fd);
		total++;
		counted += going;
		if (progress > 0 && counted == progress) {
			printf("counted %lu\n", counted);
			(void)fflush(stdout);
		}
		if (total % 16 != 0)
			continue;
		if (!going)
			going = access(go, F_OK) == 0;
		if ((until != NULL && access(until, F_OK) == 0) || now() - start > seconds)
			break;
	}
	printf("total=%lu ok=%lu EACCES=%lu EADDRINUSE=%lu other=%lu counted=%lu\n", total, ok,
	       eacces, inuse, other, counted);
	if (other > 0)
		printf("first other error: %s\n", strerror(first_other));
	return 0;
}
