/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli-bind.h - bind the sockets a command line asks for, shared by `portgate
 * run` and `portgate proxy`.  CLI code: dies on failure with a message that
 * says what would make the bind work.  Runs as the invoking user.
 */
#ifndef PG_CLI_BIND_H
#define PG_CLI_BIND_H

#include <stdbool.h>

#include "policy.h"
#include "privdrop.h"
#include "spec.h"

/*
 * As root for another user: exit 1 if the policy denies b (the -l text) to t
 * (named who), freeing policy first.
 */
void cli_judge_bind(struct pg_policy *policy, const struct privdrop_target *t,
		    const struct pg_bind *b, const char *text, const char *who);

/*
 * Bind b (parsed from spec, given as text) directly; when the kernel refuses
 * and we are not root, or the port is in use (portgated --hold may hold it),
 * ask portgated.  Returns the new close-on-exec socket.
 */
int cli_bind_listen(const char *text, const struct pg_spec *spec, const struct pg_bind *b,
		    bool root);

#endif
