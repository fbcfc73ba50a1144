// SPDX-License-Identifier: BSD-2-Clause
/*
 * selfexe-darwin.c - pg_self_exe() on macOS: _NSGetExecutablePath(3), made
 * canonical with realpath() as /proc/self/exe is on Linux.
 */
#include <errno.h>
#include <limits.h>
#include <mach-o/dyld.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

ssize_t
pg_self_exe(char *buf, size_t size)
{
	char raw[PATH_MAX], real[PATH_MAX];
	uint32_t len = sizeof(raw);
	size_t n;

	if (_NSGetExecutablePath(raw, &len) != 0 || realpath(raw, real) == NULL) {
		errno = errno != 0 ? errno : ENAMETOOLONG;
		return -1;
	}
	n = strlen(real);
	if (n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, real, n + 1);
	return (ssize_t)n;
}
