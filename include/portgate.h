/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * portgate.h - receive listening sockets handed over by portgate run or systemd
 * socket activation (LISTEN_FDS), or on macOS by launchd (the job's Sockets,
 * through launch_activate_socket; cross-built, never run on a Mac).
 *
 *	char **names = NULL;
 *	int n = portgate_listen_fds(1, &names);
 *	for (int i = 0; i < n; i++)
 *		serve(PORTGATE_LISTEN_FDS_START + i, names[i]);
 *
 * Link with -lportgate (pkg-config portgate).  See portgate_listen_fds(3).
 */
#ifndef PORTGATE_H
#define PORTGATE_H

#ifdef __cplusplus
extern "C" {
#endif

#define PORTGATE_LISTEN_FDS_START 3

/*
 * Returns the number of sockets passed to this process (0 if none, or if
 * they were meant for another process), or a negative errno value.  The
 * sockets are fds PORTGATE_LISTEN_FDS_START .. +n-1 and are made
 * close-on-exec.  If unset_environment is non-zero, LISTEN_PID, LISTEN_FDS,
 * LISTEN_FDNAMES and LISTEN_PIDFDID are removed from the environment.
 * If ret_names is not NULL, it receives a NULL-terminated array of n names
 * ("unknown" where none was given); free it with portgate_free_names().
 */
int portgate_listen_fds(int unset_environment, char ***ret_names);

void portgate_free_names(char **names);

#ifdef __cplusplus
}
#endif

#endif
