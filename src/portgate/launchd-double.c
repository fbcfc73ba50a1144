// SPDX-License-Identifier: BSD-2-Clause
/*
 * launchd-double.c - a TEST DOUBLE for launch_activate_socket(3), built where
 * there is no launchd (every platform but macOS, which uses launchd-darwin.c).
 * It lets Linux run the --launchd code of `portgate run` and `portgate proxy`
 * exactly as macOS would, with the sockets coming from a helper instead of
 * launchd (tests/helpers/pg-launchd-double.c).
 *
 * If $PORTGATE_LAUNCHD_DOUBLE names an AF_UNIX SOCK_SEQPACKET socket, connect
 * to it and send NAME as one packet; the answer is one packet holding an int
 * (0 or an errno, as launch_activate_socket() returns) with the fds attached
 * (SCM_RIGHTS, at most PG_LAUNCHD_DOUBLE_MAX_FDS).  Without the variable this
 * process was not started by launchd: -ESRCH.  Runs as the invoking user and
 * trusts whoever set the variable as much as the rest of its environment.
 */
#ifndef __APPLE__

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "launchd.h"
#include "macro.h"

#define PG_LAUNCHD_DOUBLE_MAX_FDS 8

static void
close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		(void)close(fds[i]);
}

int
pg_launchd_sockets(const char *name, int **ret_fds, size_t *ret_n)
{
	const char *path = getenv("PORTGATE_LAUNCHD_DOUBLE");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * PG_LAUNCHD_DOUBLE_MAX_FDS)];
	} control;
	int answer = 0, got[PG_LAUNCHD_DOUBLE_MAX_FDS], *fds;
	struct iovec iov = { .iov_base = &answer, .iov_len = sizeof(answer) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	size_t n = 0, len = strlen(name);
	_cleanup_close_ int s = -1;
	ssize_t r;

	if (path == NULL || path[0] == '\0')
		return -ESRCH;
	if (strlen(path) >= sizeof(un.sun_path))
		return -ENAMETOOLONG;
	memcpy(un.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&un, sizeof(un)) < 0)
		return -errno;
	if (send(s, name, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -EPROTO;
	memset(&control, 0, sizeof(control));
	do
		r = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > PG_LAUNCHD_DOUBLE_MAX_FDS - n)
			k = PG_LAUNCHD_DOUBLE_MAX_FDS - n;
		memcpy(got + n, CMSG_DATA(c), k * sizeof(int));
		n += k;
	}
	if (r != (ssize_t)sizeof(answer) || (msg.msg_flags & MSG_CTRUNC) || answer < 0) {
		close_all(got, n);
		return -EPROTO;
	}
	if (answer != 0 || n == 0) {
		close_all(got, n);
		return answer != 0 ? -answer : -ENOENT;
	}
	fds = calloc(n, sizeof(*fds));
	if (fds == NULL) {
		close_all(got, n);
		return -ENOMEM;
	}
	memcpy(fds, got, n * sizeof(*fds));
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}

#endif
