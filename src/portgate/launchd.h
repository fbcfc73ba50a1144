/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * launchd.h - the sockets launchd bound for this job (the Sockets key of its
 * plist), for `portgate run --launchd` and `portgate proxy --launchd`.  A
 * platform seam: launchd-darwin.c asks launch_activate_socket(3) on macOS;
 * elsewhere launchd-double.c is a test double that gets them from a helper
 * over a UNIX socket, so the same callers run on Linux.  Runs as the
 * invoking user (launchd's UserName).
 */
#ifndef PG_LAUNCHD_H
#define PG_LAUNCHD_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

/*
 * The sockets of NAME: on success *ret_fds is a malloc'ed array (the caller
 * frees it) of *ret_n >= 1 fds, each close-on-exec, and 0 is returned.
 * Otherwise -errno, *ret_fds untouched: -ENOENT the job has no socket named
 * NAME, -ESRCH this process was not started by launchd, -EALREADY the sockets
 * of NAME were already taken; anything else is a system error.
 */
int pg_launchd_sockets(const char *name, int **ret_fds, size_t *ret_n);

/*
 * What an error from pg_launchd_sockets() for NAME means, written to buf;
 * false (buf untouched) for a plain system error.
 */
static inline bool
pg_launchd_strerror(int err, const char *name, char *buf, size_t size)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
		snprintf(buf, size, "launchd has no socket named '%s' in this job's Sockets", name);
		return true;
	case ESRCH:
		snprintf(buf, size,
			 "--launchd '%s': not started by launchd (launchctl), so there are no "
			 "launchd sockets",
			 name);
		return true;
	case EALREADY:
		snprintf(buf, size, "the sockets of '%s' were already taken", name);
		return true;
	default:
		return false;
	}
}

/*
 * Why fd cannot be served, or NULL when it is a listening TCP or UNIX stream
 * socket (SockPathName) or a bound UDP socket.  launchd hands over a socket
 * that is not listening when another process holds the port.
 */
static inline const char *
pg_launchd_fd_problem(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int), slen = sizeof(ss);
	int type = 0, on = 0;

	/* SO_TYPE, not SO_PROTOCOL: macOS has no SO_PROTOCOL. */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &slen) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 && ss.ss_family != AF_UNIX) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM) ||
	    (ss.ss_family == AF_UNIX && type != SOCK_STREAM))
		return "is not a TCP, UDP or UNIX stream socket";
	if (type == SOCK_DGRAM)
		return NULL; /* launchd binds datagram sockets; there is nothing to listen */
	len = sizeof(on);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on)
		return ss.ss_family == AF_UNIX ? "is a UNIX socket that is not listening"
					       : "is a TCP socket that is not listening: the port "
						 "is probably in use";
	return NULL;
}

#endif
