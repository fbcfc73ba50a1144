// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-preload.c - where the bind() shim is and how LD_PRELOAD names it, for
 * `portgate exec` (the broker) and `portgate run --adopt` (held sockets).
 * Runs as the invoking user.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "cli-preload.h"
#include "cli.h"
#include "../preload/preload.h"

/*
 * The shim to preload: $PORTGATE_PRELOAD, else the one next to this program
 * (the build tree), else the installed one.  The result is absolute: programs
 * change directory, and LD_PRELOAD is resolved in each one they exec.
 */
char *
cli_find_shim(void)
{
	const char *env = getenv(PG_PRELOAD_ENV);
	char self[PATH_MAX], *path, *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		if (env[0] == '/')
			path = strdup(env);
		else if ((path = realpath(env, NULL)) == NULL)
			die_errno(EXIT_TEMPFAIL, errno, "find the preload library '%s' (from %s)",
				  env, PG_PRELOAD_ENV);
	} else {
		n = pg_self_exe(self, sizeof(self));
		slash = n > 0 ? pg_memrchr(self, '/', (size_t)n) : NULL;
		path = NULL;
		self[n > 0 ? n : 0] = '\0';
		if (slash != NULL) {
			/* Beside us (the build tree), then BINDIR/../lib/portgate (installed). */
			static const char *const where[] = { "", "/../lib/portgate" };

			*slash = '\0';
			for (size_t i = 0; i < nitems(where) && path == NULL; i++) {
				if (asprintf(&path, "%s%s/%s", self, where[i], PG_PRELOAD_LIB) <
				    0) {
					path = NULL;
				} else if (access(path, F_OK) < 0) {
					free(path);
					path = NULL;
				}
			}
		}
		if (path == NULL)
			path = strdup(PG_PKGLIBDIR "/" PG_PRELOAD_LIB);
	}
	if (path == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "allocate memory");
	/* ld.so splits LD_PRELOAD at spaces and colons. */
	if (strpbrk(path, " :") != NULL)
		die(EXIT_TEMPFAIL,
		    "the preload library path '%s' has a space or a colon: LD_PRELOAD "
		    "cannot name it",
		    path);
	return path;
}

/* Is path already one of the entries of LD_PRELOAD value v? */
static bool
preload_has(const char *v, const char *path)
{
	size_t len = strlen(path);

	for (const char *p = v; *p != '\0';) {
		size_t n = strcspn(p, " :");

		if (n == len && strncmp(p, path, n) == 0)
			return true;
		p += n;
		p += strspn(p, " :");
	}
	return false;
}

char *
cli_preload_value(const char *old, const char *shim)
{
	char *v;

	if (old == NULL || strspn(old, " :") == strlen(old))
		v = strdup(shim);
	else if (preload_has(old, shim))
		v = strdup(old);
	else if (asprintf(&v, "%s:%s", old, shim) < 0)
		v = NULL;
	if (v == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "allocate memory");
	return v;
}
