// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf-stats-hold.c - turn on the kernel's run-time statistics of BPF programs
 * (run_time_ns and run_cnt, as bpftool prog show prints them) for as long as
 * this program runs: BPF_ENABLE_STATS gives an fd that keeps them on until it
 * is closed.  Benchmark code, run as root by bench/kernel-bind-bench.sh, which
 * ends it when the run is over; it exits by itself when its stdin closes.
 *
 *   bpf-stats-hold </dev/... &
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	union bpf_attr attr;
	char buf[64];
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	fd = syscall(SYS_bpf, BPF_ENABLE_STATS, &attr, sizeof(attr));
	if (fd < 0) {
		fprintf(stderr, "bpf-stats-hold: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	printf("on\n");
	(void)fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
