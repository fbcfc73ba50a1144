/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli-probe.h - what "portgate status" and "portgate kernel" both ask of the
 * system: is the broker answering (cli-probe.c), and does the kernel's loaded
 * policy match the files (cli-kpolicy-linux.c; cli-kpolicy-none.c where there
 * is no kernel path)?  Helpers of the CLI, so that no command depends on
 * another.  Runs as the invoking user; the kernel's maps need root.
 */
#ifndef PG_CLI_PROBE_H
#define PG_CLI_PROBE_H

#include <sys/types.h>

#include "kpolicy.h"
#include "policy.h"

/*
 * Is portgated answering at path?  0 and, when ret_pid is not NULL, its pid
 * and user (0 and -1 where unknown), or -errno: -ENOENT no socket there,
 * -ECONNREFUSED a socket nobody serves.
 */
int cli_broker_probe(const char *path, pid_t *ret_pid, uid_t *ret_uid);

/*
 * Add the authbind tree at dir to k, judging the users of the account
 * database; problems go to d.  0 or -errno (-EINVAL: the tree has problems).
 * Linux only (the kernel path).
 */
int cli_kernel_compile_authbind(const char *dir, struct pg_kpolicy *k, struct pg_diags *d);

/*
 * Does the kernel's loaded policy (its configuration c) match p compiled now,
 * with the accounts as they are?  1 yes, 0 no, -errno if p does not compile;
 * -EOPNOTSUPP without a kernel path.
 */
int cli_kernel_in_sync(const struct pg_policy *p, const struct pg_k_config *c);

#endif
