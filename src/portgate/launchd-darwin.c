// SPDX-License-Identifier: BSD-2-Clause
/*
 * launchd-darwin.c - the sockets launchd bound for this job, from
 * launch_activate_socket(3) (macOS 10.10 and later).  Built only on macOS;
 * elsewhere launchd-double.c stands in.  Runs as the invoking user.
 */
#ifdef __APPLE__

#include <errno.h>
#include <fcntl.h>
#include <launch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launchd.h"

int
pg_launchd_sockets(const char *name, int **ret_fds, size_t *ret_n)
{
	int *lfds = NULL, *fds;
	size_t n = 0;
	int r;

	/* Returns 0 or an errno: ENOENT, ESRCH, EALREADY, ... */
	r = launch_activate_socket(name, &lfds, &n);
	if (r != 0)
		return r > 0 ? -r : -EIO;
	if (n == 0) {
		free(lfds);
		return -ENOENT;
	}
	/* Ours from here, in an array we allocated; launchd's is freed. */
	fds = calloc(n, sizeof(*fds));
	if (fds == NULL) {
		for (size_t i = 0; i < n; i++)
			(void)close(lfds[i]);
		free(lfds);
		return -ENOMEM;
	}
	memcpy(fds, lfds, n * sizeof(*fds));
	free(lfds);
	for (size_t i = 0; i < n; i++) {
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
			int err = errno;

			for (size_t j = 0; j < n; j++)
				(void)close(fds[j]);
			free(fds);
			return -err;
		}
	}
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}

#endif
