// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen-fds.c - the receiving side of the socket activation protocol
 * (sd_listen_fds(3)): LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES.
 * Runs inside the server process: no logging, no exit, errno-style returns.
 * Platform seam: listen_fds_platform() is asked when the environment carries
 * no sockets: launchd's on macOS (listen-fds-darwin.c), none elsewhere
 * (listen-fds-none.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portgate.h"
#include "listen-fds-platform.h"

static void
unsetenv_listen(void)
{
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_PIDFDID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
}

static int
parse_int(const char *s, long max, long *ret)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

void
portgate_free_names(char **names)
{
	if (names == NULL)
		return;
	for (char **p = names; *p != NULL; p++)
		free(*p);
	free(names);
}

/* Split "a:b::c" into n names, keeping empty ones; -EINVAL if the count differs. */
static int
split_names(const char *text, long n, char ***ret)
{
	char **names = calloc((size_t)n + 1, sizeof(char *));
	const char *p = text;
	long i;

	if (names == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *end;

		if (text == NULL) {
			names[i] = strdup("unknown");
		} else {
			if (p == NULL)
				break;
			end = strchr(p, ':');
			names[i] = end ? strndup(p, (size_t)(end - p)) : strdup(p);
			p = end ? end + 1 : NULL;
		}
		if (names[i] == NULL) {
			portgate_free_names(names);
			return -ENOMEM;
		}
	}
	if (i != n || (text != NULL && p != NULL)) {
		portgate_free_names(names);
		return -EINVAL;
	}
	*ret = names;
	return 0;
}

int
portgate_listen_fds(int unset_environment, char ***ret_names)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	char *names_s = NULL, **names = NULL;
	long pid, n;
	int r;

	if (getenv("LISTEN_FDNAMES") != NULL &&
	    (names_s = strdup(getenv("LISTEN_FDNAMES"))) == NULL)
		return -ENOMEM;
	if (pid_s == NULL) {
		free(names_s);
		return listen_fds_platform(unset_environment, ret_names);
	}
	if (parse_int(pid_s, INT_MAX, &pid) < 0) {
		r = -EINVAL;
		goto out;
	}
	if (pid != (long)getpid()) {
		r = 0; /* meant for another process */
		goto out;
	}
	if (fds_s == NULL) {
		r = 0;
		goto out;
	}
	if (parse_int(fds_s, INT_MAX - PORTGATE_LISTEN_FDS_START, &n) < 0 || n <= 0) {
		r = -EINVAL;
		goto out;
	}
	for (long fd = PORTGATE_LISTEN_FDS_START; fd < PORTGATE_LISTEN_FDS_START + n; fd++) {
		int flags = fcntl((int)fd, F_GETFD);

		if (flags < 0 || fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
			r = -errno;
			goto out;
		}
	}
	if (ret_names != NULL) {
		r = split_names(names_s, n, &names);
		if (r < 0)
			goto out;
		*ret_names = names;
	}
	r = (int)n;
out:
	free(names_s);
	if (unset_environment)
		unsetenv_listen();
	return r;
}
