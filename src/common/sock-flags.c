// SPDX-License-Identifier: BSD-2-Clause
/*
 * sock-flags.c - sockets, accepted connections and pipes that are born
 * close-on-exec and non-blocking: with the atomic flags where the platform
 * has them (SOCK_NONBLOCK and SOCK_CLOEXEC, accept4(), pipe2()), and by
 * fcntl() right after the call elsewhere (macOS).  The fcntl versions are
 * built everywhere, so the Linux tests run them too (test-sock-flags.c).
 * Kept apart from sock.c, whose bind options are Linux's: this file is
 * portable.  Library code: returns -errno, never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

/*
 * Every platform that defines both flags has accept4() and pipe2() too:
 * Linux, FreeBSD 10, OpenBSD 5.7, NetBSD 8, DragonFly 4.4, illumos.  macOS
 * has neither.
 */
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
#define HAVE_ATOMIC_FLAGS 1
#else
#define HAVE_ATOMIC_FLAGS 0
#endif

/*
 * Make fd close-on-exec and non-blocking, or close it.  Returns fd or -errno.
 * Not atomic: a fork+exec in another thread between the call that made fd
 * and this one would leak it.  The callers are single-threaded processes.
 */
static int
set_flags_or_close(int fd)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = errno;

		(void)close(fd);
		return -err;
	}
	return fd;
}

int
pg_socket_nb_fcntl(int domain, int type, int protocol)
{
	int fd = socket(domain, type, protocol);

	return fd < 0 ? -errno : set_flags_or_close(fd);
}

int
pg_accept_nb_fcntl(int fd)
{
	int c = accept(fd, NULL, NULL);

	return c < 0 ? -errno : set_flags_or_close(c);
}

int
pg_pipe_nb_fcntl(int fds[2])
{
	int p[2], r;

	if (pipe(p) < 0)
		return -errno;
	r = set_flags_or_close(p[0]);
	if (r < 0) {
		(void)close(p[1]);
		return r;
	}
	r = set_flags_or_close(p[1]);
	if (r < 0) {
		(void)close(p[0]);
		return r;
	}
	fds[0] = p[0];
	fds[1] = p[1];
	return 0;
}

#if HAVE_ATOMIC_FLAGS
int
pg_socket_nb(int domain, int type, int protocol)
{
	int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);

	return fd < 0 ? -errno : fd;
}

int
pg_accept_nb(int fd)
{
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	return c < 0 ? -errno : c;
}

int
pg_pipe_nb(int fds[2])
{
	return pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0 ? -errno : 0;
}
#else
int
pg_socket_nb(int domain, int type, int protocol)
{
	return pg_socket_nb_fcntl(domain, type, protocol);
}

int
pg_accept_nb(int fd)
{
	return pg_accept_nb_fcntl(fd);
}

int
pg_pipe_nb(int fds[2])
{
	return pg_pipe_nb_fcntl(fds);
}
#endif
