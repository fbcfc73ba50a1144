/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privdrop.h - become another user for good, as `portgate run -u` and
 * `portgate exec -u` do: supplementary groups, then gids, then uids, then a
 * check that the change took and cannot be undone.  CLI code: dies on error.
 * Runs as root, or as the user itself when -u names the caller.
 */
#ifndef PG_PRIVDROP_H
#define PG_PRIVDROP_H

#include <stdbool.h>

#include "cred.h"

struct privdrop_target {
	struct pg_cred cred;
	char *name;  /* login name, NULL for a uid without a passwd entry */
	char *home;  /* from the passwd entry, NULL without one */
	char *shell; /* from the passwd entry, NULL without one */
};

/*
 * Resolve a -u argument, "USER" or "USER:GROUP", into the credentials USER
 * will have.  A bad argument is a usage error of command cmd (exit 100).
 */
void privdrop_resolve(const char *cmd, const char *arg, struct privdrop_target *ret);

/* Become t for good and verify it; who names it in messages.  Exits 111 on failure. */
void privdrop_become(const struct privdrop_target *t, const char *who);

/*
 * Does this process hold any capability (effective or permitted)?  true when
 * it cannot tell.  privdrop-caps-linux.c asks capget(2); on a system without
 * capabilities (privdrop-caps-none.c, macOS) the answer is false: there,
 * getting root back is the only way back, and privdrop_become() checks that.
 */
bool privdrop_have_capabilities(void);

#endif
