/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd-kernel.h - what the files of "portgate kernel" share: the options it was
 * given (parsed in cmd-kernel.c) and each file's entry points.
 */
#ifndef PG_CMD_KERNEL_H
#define PG_CMD_KERNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "../bpf/bpf-loader.h"

struct kernel_args {
	const char *cgroup;
	const char *pin_dir;
	const char *netns;
	const char *broker_user;
	bool all_netns;
	int log_grants; /* -1: not given (reload keeps what load was given) */
	bool follow;
	bool json;
};
extern struct kernel_args kargs;

/* Die unless the kernel path can run here. */
void kernel_require_bpf(void);

/* Die unless a policy is loaded in --pin-dir (attached to --cgroup, if given). */
void kernel_require_loaded(struct pg_bpf_status *st);

/* With --cgroup: die unless the policy st describes is attached there. */
void kernel_check_cgroup(const struct pg_bpf_status *st);

/* "every network namespace" or "network namespace cookie N". */
const char *kernel_scope_text(const struct pg_k_config *c, char *buf, size_t size);

/* "portgate kernel status" (cmd-kernel-status.c). */
int kernel_status(void);

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
