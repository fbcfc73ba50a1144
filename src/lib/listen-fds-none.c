// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen-fds-none.c - platforms whose service manager passes sockets only
 * through the environment (Linux: systemd, portgate run); built everywhere
 * for now.  launchd on macOS needs a listen-fds-launchd.c, asking
 * launch_activate_socket(3) for the Sockets keys and moving the fds to 3..,
 * selected by the Makefile on Darwin: not written yet (issue 12).
 */
#include "listen-fds-platform.h"

int
listen_fds_platform(int unset_environment, char ***ret_names)
{
	(void)unset_environment;
	(void)ret_names;
	return 0;
}
