// SPDX-License-Identifier: BSD-2-Clause
/*
 * status-kernel-none.c - the kernel line of "portgate status" where there is
 * no kernel path (macOS): the eBPF cgroup bind hooks are Linux's.
 */
#include <stdio.h>

#include "cli.h"

bool
cli_status_kernel(const char *pin_dir, const struct pg_policy *p, bool *stale)
{
	(void)pin_dir;
	(void)p;
	*stale = false;
	printf("kernel: none on this system (the kernel path is Linux-only: eBPF cgroup "
	       "hooks)\n");
	return false;
}
