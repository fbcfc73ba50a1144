// SPDX-License-Identifier: BSD-2-Clause
/*
 * zerocopy-linux.c - zerocopy.h on Linux: splice(2) through a pipe whose size
 * F_GETPIPE_SZ reads and F_SETPIPE_SZ grows (up to
 * /proc/sys/fs/pipe-max-size, within the user's pipe-user-pages-soft).
 */
#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "sock.h"
#include "zerocopy.h"

bool
pg_zerocopy_available(void)
{
	return true;
}

int
pg_zerocopy_pipe(int fds[2], size_t *ret_size)
{
	int p[2], r;

	r = pg_pipe_nb(p);
	if (r < 0)
		return r;
	r = fcntl(p[0], F_GETPIPE_SZ);
	if (r <= 0) {
		int err = r < 0 ? errno : EIO;

		(void)close(p[0]);
		(void)close(p[1]);
		return -err;
	}
	fds[0] = p[0];
	fds[1] = p[1];
	*ret_size = (size_t)r;
	return 0;
}

long
pg_zerocopy_resize(int fd, size_t want)
{
	int r = fcntl(fd, F_SETPIPE_SZ, (int)want);

	if (r <= 0)
		return r < 0 ? -errno : -EIO;
	return r;
}

ssize_t
pg_zerocopy_splice(int in, int out, size_t len)
{
	ssize_t n = splice(in, NULL, out, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	return n < 0 ? -errno : n;
}
#endif
