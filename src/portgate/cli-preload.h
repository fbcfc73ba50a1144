/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli-preload.h - where the bind() shim is and how LD_PRELOAD names it, for
 * `portgate exec` and `portgate run --adopt`.  Runs as the invoking user.
 */
#ifndef PG_CLI_PRELOAD_H
#define PG_CLI_PRELOAD_H

/*
 * The shim to preload: $PORTGATE_PRELOAD, else the one next to this program
 * (the build tree), else the installed one; an absolute path, malloc'ed.
 * Dies when it cannot be named in LD_PRELOAD.
 */
char *cli_find_shim(void);

/* LD_PRELOAD's value old (NULL: unset) with shim appended unless it is there; malloc'ed. */
char *cli_preload_value(const char *old, const char *shim);

#endif
