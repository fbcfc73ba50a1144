// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-kpolicy-none.c - cli-probe.h's kernel side where there is no kernel path
 * (macOS): nothing is loaded to compare with.
 */
#include <errno.h>

#include "cli-probe.h"

int
cli_kernel_in_sync(const struct pg_policy *p, const struct pg_k_config *c)
{
	(void)p;
	(void)c;
	return -EOPNOTSUPP;
}
