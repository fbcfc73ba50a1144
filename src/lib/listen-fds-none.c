// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen-fds-none.c - platforms whose service manager passes sockets only
 * through the environment (Linux: systemd, portgate run).  macOS builds
 * listen-fds-darwin.c instead (launchd's sockets).
 */
#include "listen-fds-platform.h"

int
listen_fds_platform(int unset_environment, char ***ret_names)
{
	(void)unset_environment;
	(void)ret_names;
	return 0;
}
