// SPDX-License-Identifier: BSD-2-Clause
/*
 * bind-bench.c - time bind() of one TCP port: socket(), bind(), close(), N
 * times in one process, after a short warm-up.  Benchmark code, run by
 * bench/run-bind-bench.sh as root (the floor) or as a user under a preload
 * (portgate exec, authbind).  Bounded: at most N iterations and 60 seconds.
 *
 *   bind-bench [-n N] [-w WARMUP] ADDR PORT
 *
 * Prints one line: n=N bind_mean_us=M bind_p50_us=P bind_p99_us=Q iter_mean_us=I
 * (bind: the bind() call alone; iter: socket + bind + close).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ITER    1000000
#define MAX_SECONDS 60

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: bind-bench [-n N] [-w WARMUP] ADDR PORT\n");
	exit(2);
}

/* One socket, bound and closed; the bind() call's duration goes to *ret_ns. */
static int
bind_once(const struct sockaddr *sa, socklen_t len, uint64_t *ret_ns)
{
	uint64_t t0, t1;
	int fd, r;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	t0 = now_ns();
	r = bind(fd, sa, len);
	t1 = now_ns();
	r = r < 0 ? errno : 0;
	(void)close(fd);
	*ret_ns = t1 - t0;
	return r;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	long n = 10000, warmup = 50;
	uint64_t *ns, start, total = 0, sum = 0;
	socklen_t len;
	long done = 0, port;
	int c, err;

	while ((c = getopt(argc, argv, "n:w:")) != -1) {
		switch (c) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'w':
			warmup = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || n < 1 || n > MAX_ITER || warmup < 0 || warmup > MAX_ITER)
		usage();
	port = strtol(argv[optind + 1], NULL, 10);
	if (port < 1 || port > 65535)
		usage();
	if (inet_pton(AF_INET, argv[optind], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[optind], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		usage();
	}
	ns = calloc((size_t)n, sizeof(*ns));
	if (ns == NULL)
		return 1;

	for (long i = 0; i < warmup; i++) {
		uint64_t d;

		err = bind_once((struct sockaddr *)&ss, len, &d);
		if (err != 0) {
			fprintf(stderr, "bind-bench: warm-up bind %s:%ld: %s\n", argv[optind], port,
				strerror(err));
			return 1;
		}
	}
	start = now_ns();
	for (; done < n; done++) {
		err = bind_once((struct sockaddr *)&ss, len, &ns[done]);
		if (err != 0) {
			fprintf(stderr, "bind-bench: bind %ld of %s:%ld: %s\n", done + 1,
				argv[optind], port, strerror(err));
			return 1;
		}
		sum += ns[done];
		if ((done & 63) == 0 && now_ns() - start > (uint64_t)MAX_SECONDS * 1000000000u) {
			done++;
			break;
		}
	}
	total = now_ns() - start;
	qsort(ns, (size_t)done, sizeof(*ns), cmp_u64);
	printf("n=%ld bind_mean_us=%.2f bind_p50_us=%.2f bind_p99_us=%.2f iter_mean_us=%.2f\n",
	       done, (double)sum / (double)done / 1000.0, (double)ns[done / 2] / 1000.0,
	       (double)ns[done * 99 / 100] / 1000.0, (double)total / (double)done / 1000.0);
	free(ns);
	return 0;
}
