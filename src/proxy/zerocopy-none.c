// SPDX-License-Identifier: BSD-2-Clause
/*
 * zerocopy-none.c - zerocopy.h where there is no splice(2) (macOS, the BSDs):
 * no pipe to give, so the shovel goes on copying through its buffer.  Built
 * on Linux too with PG_ZEROCOPY_NONE, for test-shovel-none.
 */
#if !defined(__linux__) || defined(PG_ZEROCOPY_NONE)
#include <errno.h>

#include "zerocopy.h"

bool
pg_zerocopy_available(void)
{
	return false;
}

int
pg_zerocopy_pipe(int fds[2], size_t *ret_size)
{
	(void)fds;
	(void)ret_size;
	return -ENOSYS;
}

long
pg_zerocopy_resize(int fd, size_t want)
{
	(void)fd;
	(void)want;
	return -EINVAL;
}

ssize_t
pg_zerocopy_splice(int in, int out, size_t len)
{
	(void)in;
	(void)out;
	(void)len;
	return -EINVAL;
}
#endif
