// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-sock-flags.c - sockets, accepted connections and pipes come back
 * close-on-exec and non-blocking, from this platform's calls (the atomic
 * flags on Linux) and from the fcntl() fallback macOS uses; errors leave no
 * fd open.  AF_UNIX only: unit tests run in the host's network namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"
#include "tap.h"

struct impl {
	const char *name;
	int (*socket)(int, int, int);
	int (*accept)(int);
	int (*pipe)(int[2]);
};

static const struct impl impls[] = {
	{ "platform", pg_socket_nb, pg_accept_nb, pg_pipe_nb },
	{ "fcntl", pg_socket_nb_fcntl, pg_accept_nb_fcntl, pg_pipe_nb_fcntl },
};

static bool
cloexec_nonblock(int fd)
{
	int fd_flags = fcntl(fd, F_GETFD), fl_flags = fcntl(fd, F_GETFL);

	return fd_flags >= 0 && fl_flags >= 0 && (fd_flags & FD_CLOEXEC) && (fl_flags & O_NONBLOCK);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	(void)closedir(d);
	return n;
}

static void
check_impl(const struct impl *m, const char *dir)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int lfd, cfd = -1, afd, p[2] = { -1, -1 };

	(void)snprintf(un.sun_path, sizeof(un.sun_path), "%s/%s.sock", dir, m->name);

	lfd = m->socket(AF_UNIX, SOCK_STREAM, 0);
	ok(lfd >= 0 && cloexec_nonblock(lfd), "%s: socket is close-on-exec and non-blocking",
	   m->name);
	ok(bind(lfd, (struct sockaddr *)&un, sizeof(un)) == 0 && listen(lfd, 4) == 0,
	   "%s: it binds and listens", m->name);
	is_int(m->accept(lfd), -EAGAIN, "%s: accept with nobody waiting: -EAGAIN", m->name);

	cfd = m->socket(AF_UNIX, SOCK_STREAM, 0);
	ok(cfd >= 0 && connect(cfd, (struct sockaddr *)&un, sizeof(un)) == 0,
	   "%s: a client connects", m->name);
	afd = m->accept(lfd);
	ok(afd >= 0 && cloexec_nonblock(afd),
	   "%s: the accepted socket is close-on-exec and non-blocking", m->name);
	if (afd >= 0) {
		char c;

		is_int(read(afd, &c, 1) < 0 ? -errno : 0, -EAGAIN,
		       "%s: ... and reading it without data says EAGAIN", m->name);
		(void)close(afd);
	}

	is_int(m->pipe(p), 0, "%s: pipe", m->name);
	ok(cloexec_nonblock(p[0]) && cloexec_nonblock(p[1]),
	   "%s: both ends of the pipe are close-on-exec and non-blocking", m->name);

	is_int(m->socket(-1, SOCK_STREAM, 0), -EAFNOSUPPORT, "%s: a bad family: -EAFNOSUPPORT",
	       m->name);
	is_int(m->accept(p[0]), -ENOTSOCK, "%s: accept on a pipe: -ENOTSOCK", m->name);

	(void)close(p[0]);
	(void)close(p[1]);
	(void)close(cfd);
	(void)close(lfd);
	(void)unlink(un.sun_path);
}

int
main(void)
{
	char dir[] = "/tmp/pg-test-sock-flags.XXXXXX";
	int before = count_fds();

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	for (size_t i = 0; i < nitems(impls); i++)
		check_impl(&impls[i], dir);
	(void)rmdir(dir);
	is_int(count_fds(), before, "no fd is left open");
	return tap_done();
}
