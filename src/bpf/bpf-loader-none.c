// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf-loader-none.c - bpf-loader.h where there is no kernel path (macOS): what
 * "portgate status" reads says so (-EOPNOTSUPP).  Built instead of
 * bpf-loader.c by the Makefile on darwin; `portgate kernel` itself is
 * cmd-kernel-none.c there.
 */
#include <errno.h>
#include <string.h>

#include "bpf-loader.h"

int
pg_bpf_status(const char *pin_dir, struct pg_bpf_status *ret)
{
	(void)pin_dir;
	memset(ret, 0, sizeof(*ret));
	return -EOPNOTSUPP;
}

void
pg_bpf_status_clear(struct pg_bpf_status *s)
{
	(void)s;
}

int
pg_cgroup2_root(char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return -EOPNOTSUPP;
}

int
pg_cgroup_path(const char *root, uint64_t id, char *buf, size_t size)
{
	(void)root;
	(void)id;
	(void)buf;
	(void)size;
	return -EOPNOTSUPP;
}
