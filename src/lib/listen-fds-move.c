// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen-fds-move.c - sockets a platform handed over wherever they landed,
 * moved to where portgate_listen_fds() promises them (fds 3..): for
 * launchd's on macOS (listen-fds-darwin.c).  Portable, so Linux tests it
 * (test-listen-fds).  No logging, no exit, errno-style returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "portgate.h"
#include "listen-fds-platform.h"

static void
close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
}

static bool
contains(const int *fds, size_t n, int fd)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] == fd)
			return true;
	return false;
}

int
listen_fds_move(int *fds, size_t n)
{
	int *tmp;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int t = PORTGATE_LISTEN_FDS_START + (int)i;

		if (fcntl(t, F_GETFD) >= 0 && !contains(fds, n, t))
			return -EBUSY;
	}
	tmp = calloc(n, sizeof(*tmp));
	if (tmp == NULL)
		return -ENOMEM;
	/* Out of the way first, above the target range, so no move clobbers another. */
	for (size_t i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, PORTGATE_LISTEN_FDS_START + (int)n);
		if (tmp[i] < 0) {
			int err = errno;

			close_fds(tmp, i);
			free(tmp);
			return -err;
		}
	}
	close_fds(fds, n);
	for (size_t i = 0; i < n; i++) {
		int t = PORTGATE_LISTEN_FDS_START + (int)i;

		if (dup2(tmp[i], t) < 0 || fcntl(t, F_SETFD, FD_CLOEXEC) < 0) {
			int err = errno;

			close_fds(tmp, n);
			free(tmp);
			for (size_t j = i; j < n; j++)
				fds[j] = -1; /* closed above */
			return -err;
		}
		fds[i] = t;
	}
	close_fds(tmp, n);
	free(tmp);
	return 0;
}
