// SPDX-License-Identifier: BSD-2-Clause
/*
 * launchd-darwin.c - the sockets launchd bound for this job, through
 * libportgate's launchd receiver (src/lib/listen-fds-darwin.c, which asks
 * launch_activate_socket(3)), so `portgate run --launchd`, `portgate proxy
 * --launchd` and the launch_socket_server drop-in take them exactly as
 * portgate_listen_fds() does.  Built only on macOS; elsewhere
 * launchd-double.c stands in.  Runs as the invoking user.
 */
#include <errno.h>
#include <stdlib.h>

#include "../lib/listen-fds-platform.h"
#include "launchd.h"

int
pg_launchd_sockets(const char *name, int **ret_fds, size_t *ret_n)
{
	int *fds = NULL;
	size_t n = 0;
	int r = listen_fds_launchd(name, &fds, &n);

	if (r < 0)
		return r;
	if (n == 0) {
		free(fds);
		return -ENOENT;
	}
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}
