// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel-none.c - "portgate kernel" where there is no kernel path: the
 * eBPF cgroup bind hooks (cmd-kernel.c, cmd-kernel-watch.c, src/bpf/) are
 * Linux's.  Built instead of them on macOS (the Makefile's PLATFORM rule).
 */
#include "cli.h"

int
cmd_kernel(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	die(EXIT_TEMPFAIL, "kernel: the kernel path is Linux-only (eBPF cgroup hooks); on macOS "
			   "use launchd sockets or portgated");
}
