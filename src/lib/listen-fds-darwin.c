// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen-fds-darwin.c - portgate_listen_fds() on macOS: the sockets launchd
 * bound for this job's plist (its Sockets dictionary), from
 * launch_activate_socket(3) (macOS 10.10 and later), when the environment
 * carries no LISTEN_FDS.  Runs inside the server process: no logging, no
 * exit, errno-style returns.  Cross-built and link-checked by `make macos`;
 * never run on a Mac by this project (see README, "macOS").
 *
 * Which names: $LAUNCH_DAEMON_SOCKET_NAME (colon-separated; launch_socket_server
 * reads one name from it), else "Socket" (launch_socket_server's default) and
 * "Listeners" (the key `portgate unit launchd` writes), each only if the job
 * has it.  The sockets of every name, in that order, are moved to fds 3.. as
 * LISTEN_FDS has them, each close-on-exec, and named after the key they came
 * from.  Not started by launchd (ESRCH): 0, as without LISTEN_PID on Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <launch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portgate.h"
#include "listen-fds-platform.h"

#define LAUNCHD_NAME_ENV     "LAUNCH_DAEMON_SOCKET_NAME"
#define LAUNCHD_NAME_DEFAULT "Socket:Listeners" /* the drop-in's, `portgate unit launchd`'s */

static void
close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
}

int
listen_fds_launchd(const char *name, int **ret_fds, size_t *ret_n)
{
	int *lfds = NULL, *fds;
	size_t n = 0;
	int r;

	/* 0 or an errno: ESRCH not launchd's job, ENOENT no such key, EALREADY taken. */
	r = launch_activate_socket(name, &lfds, &n);
	if (r != 0)
		return r > 0 ? -r : -EIO;
	/* Ours from here, in an array we allocated; launchd's is freed. */
	fds = calloc(n > 0 ? n : 1, sizeof(*fds));
	if (fds == NULL) {
		close_fds(lfds, n);
		free(lfds);
		return -ENOMEM;
	}
	if (n > 0)
		memcpy(fds, lfds, n * sizeof(*fds));
	free(lfds);
	for (size_t i = 0; i < n; i++) {
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
			int err = errno;

			close_fds(fds, n);
			free(fds);
			return -err;
		}
	}
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}

int
listen_fds_platform(int unset_environment, char ***ret_names)
{
	const char *env = getenv(LAUNCHD_NAME_ENV);
	bool defaulted = env == NULL || env[0] == '\0';
	char *list = strdup(defaulted ? LAUNCHD_NAME_DEFAULT : env), *save = NULL;
	int *all = NULL, r = 0;
	char **names = NULL;
	size_t nall = 0;

	if (list == NULL)
		return -ENOMEM;
	for (char *name = strtok_r(list, ":", &save); name != NULL;
	     name = strtok_r(NULL, ":", &save)) {
		int *fds = NULL, *a;
		char **nm;
		size_t n = 0;

		r = listen_fds_launchd(name, &fds, &n);
		/* Not launchd's job: no sockets, as without LISTEN_PID. */
		if (r == -ESRCH) {
			r = 0;
			break;
		}
		/* A default key the job does not have: the next one. */
		if (r == -ENOENT && defaulted) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		a = realloc(all, (nall + n + 1) * sizeof(*all));
		nm = realloc(names, (nall + n + 1) * sizeof(*names));
		if (a != NULL)
			all = a;
		if (nm != NULL)
			names = nm;
		if (a == NULL || nm == NULL) {
			close_fds(fds, n);
			free(fds);
			r = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			all[nall] = fds[i];
			names[nall] = strdup(name);
			names[++nall] = NULL;
			if (names[nall - 1] == NULL) {
				close_fds(fds + i + 1, n - i - 1);
				r = -ENOMEM;
				break;
			}
		}
		free(fds);
		if (r < 0)
			break;
	}
	free(list);
	if (unset_environment)
		(void)unsetenv(LAUNCHD_NAME_ENV);
	if (r == 0 && nall > 0)
		r = listen_fds_move(all, nall);
	if (r < 0 || nall == 0) {
		close_fds(all, nall);
		portgate_free_names(names);
		free(all);
		return r;
	}
	free(all);
	if (ret_names != NULL)
		*ret_names = names;
	else
		portgate_free_names(names);
	return (int)nall;
}
