// SPDX-License-Identifier: BSD-2-Clause
/*
 * kernel-bind-bench.c - what the kernel bind hooks add to bind(): each bind()
 * of a fresh socket and the close() after it are timed with CLOCK_MONOTONIC
 * (socket() is not in the numbers).  Benchmark code, run by
 * bench/kernel-bind-bench.sh as an ordinary user inside a scratch cgroup.
 * Bounded: N binds (at most 10^7) and 60 seconds.
 *
 *   kernel-bind-bench tcp|udp ADDR PORT N
 *
 * Prints one line: "n=N bind_p50=A bind_mean=B bind_close_p50=C bind_close_mean=D
 * ok=E failed=F first_errno=NAME" (nanoseconds).
 */
#define _GNU_SOURCE
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

#define WARMUP	    2000
#define MAX_N	    10000000UL
#define MAX_SECONDS 60

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
mean(const uint64_t *v, unsigned long n)
{
	double sum = 0;

	for (unsigned long i = 0; i < n; i++)
		sum += (double)v[i];
	return n ? sum / (double)n : 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned long n, done = 0, ok = 0, failed = 0;
	uint64_t *tb, *tbc, start;
	int type, first_errno = 0;
	socklen_t len;
	long port;

	if (argc != 5 || (port = strtol(argv[3], NULL, 10)) < 0 || port > 65535 ||
	    (n = strtoul(argv[4], NULL, 10)) == 0 || n > MAX_N) {
		fprintf(stderr, "usage: kernel-bind-bench tcp|udp ADDR PORT N\n");
		return 2;
	}
	type = strcmp(argv[1], "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
	if (inet_pton(AF_INET, argv[2], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[2], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "kernel-bind-bench: bad address '%s'\n", argv[2]);
		return 2;
	}
	tb = calloc(n, sizeof(*tb));
	tbc = calloc(n, sizeof(*tbc));
	if (tb == NULL || tbc == NULL) {
		perror("kernel-bind-bench");
		return 1;
	}

	start = now_ns();
	for (unsigned long i = 0; done < n; i++) {
		int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
		uint64_t t0, t1, t2;
		int r;

		if (fd < 0) {
			perror("kernel-bind-bench: socket");
			return 1;
		}
		t0 = now_ns();
		r = bind(fd, (struct sockaddr *)&ss, len);
		t1 = now_ns();
		if (r < 0 && first_errno == 0)
			first_errno = errno;
		(void)close(fd);
		t2 = now_ns();
		if (i < WARMUP) /* caches, the allocator, the program's JIT image */
			continue;
		r == 0 ? ok++ : failed++;
		tb[done] = t1 - t0;
		tbc[done] = t2 - t0;
		done++;
		if (done % 1024 == 0 && t2 - start > (uint64_t)MAX_SECONDS * 1000000000u)
			break;
	}
	printf("n=%lu bind_mean=%.0f bind_close_mean=%.0f", done, mean(tb, done), mean(tbc, done));
	qsort(tb, done, sizeof(*tb), cmp_u64);
	qsort(tbc, done, sizeof(*tbc), cmp_u64);
	printf(" bind_p50=%llu bind_close_p50=%llu ok=%lu failed=%lu first_errno=%s\n",
	       (unsigned long long)tb[done / 2], (unsigned long long)tbc[done / 2], ok, failed,
	       first_errno ? strerrorname_np(first_errno) : "-");
	free(tb);
	free(tbc);
	return 0;
}
