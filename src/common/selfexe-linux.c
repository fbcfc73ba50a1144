// SPDX-License-Identifier: BSD-2-Clause
/*
 * selfexe-linux.c - pg_self_exe() on Linux: the /proc/self/exe link.
 */
#include <unistd.h>

#include "compat.h"

ssize_t
pg_self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}
