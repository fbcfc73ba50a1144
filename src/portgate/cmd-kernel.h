/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd-kernel.h - what "portgate kernel watch" (cmd-kernel-watch.c) uses of
 * cmd-kernel.c, with the options "portgate kernel" was given.
 */
#ifndef PG_CMD_KERNEL_H
#define PG_CMD_KERNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "../bpf/bpf-loader.h"

/* Die unless the kernel path can run here. */
void kernel_require_bpf(void);

/* Die unless a policy is loaded in --pin-dir (attached to --cgroup, if given). */
void kernel_require_loaded(struct pg_bpf_status *st);

/* "portgate kernel reload": compile the files, swap the generation; dies on failure. */
int kernel_reload(void);

/* "portgate kernel watch": reload when what the policy is made of changes; log the records. */
int kernel_watch(const char *pin_dir);

/* "portgate kernel log": print the decision records; with follow, until a signal or unload. */
int kernel_log(const char *pin_dir, bool follow, bool json);

/*
 * A reader of the decision records pinned in pin_dir (cmd-kernel-log.c), each
 * printed to out as one line (prefix first) or one JSON object.  NULL if the
 * loaded programs write none (an older portgate loaded them); dies on errors.
 */
struct kernel_log;
struct kernel_log *kernel_log_open(const struct pg_bpf_status *st, const char *pin_dir, FILE *out,
				   const char *prefix, bool json);
int kernel_log_fd(const struct kernel_log *l); /* readable when records wait */
int kernel_log_drain(struct kernel_log *l);    /* print what waits: how many, or -errno */
void kernel_log_close(struct kernel_log *l);

#endif
