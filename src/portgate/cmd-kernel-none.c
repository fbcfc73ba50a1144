// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel-none.c - "portgate kernel" where there is no kernel path: the
 * eBPF cgroup bind hooks (cmd-kernel.c, cmd-kernel-watch.c, src/bpf/) are
 * Linux's.  Built instead of them on macOS (the Makefile's PLATFORM rule).
 */
#include <errno.h>

#include "cli.h"

/* For "portgate status": nothing is loaded to compare with. */
int
cli_kernel_in_sync(const struct pg_policy *p, const struct pg_k_config *c)
{
	(void)p;
	(void)c;
	return -EOPNOTSUPP;
}

int
cmd_kernel(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	die(EXIT_TEMPFAIL, "kernel: the kernel path is Linux-only (eBPF cgroup hooks); on macOS "
			   "use launchd sockets or portgated");
}
