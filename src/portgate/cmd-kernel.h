/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd-kernel.h - what "portgate kernel watch" (cmd-kernel-watch.c) uses of
 * cmd-kernel.c, with the options "portgate kernel" was given.
 */
#ifndef PG_CMD_KERNEL_H
#define PG_CMD_KERNEL_H

#include "../bpf/bpf-loader.h"

/* Die unless the kernel path can run here. */
void kernel_require_bpf(void);

/* Die unless a policy is loaded in --pin-dir (attached to --cgroup, if given). */
void kernel_require_loaded(struct pg_bpf_status *st);

/* "portgate kernel reload": compile the files, swap the generation; dies on failure. */
int kernel_reload(void);

/* "portgate kernel watch": reload when what the policy is made of changes. */
int kernel_watch(const char *pin_dir);

#endif
