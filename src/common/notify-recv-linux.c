// SPDX-License-Identifier: BSD-2-Clause
/*
 * notify-recv-linux.c - notify-recv.h on Linux: an autobound abstract AF_UNIX
 * datagram socket with SO_PASSCRED, so that every message carries the
 * sender's pid and uid in SCM_CREDENTIALS (only a privileged sender can
 * claim another pid there).
 */
#ifdef __linux__
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "notify-recv.h"

int
pg_notify_listen(char addr[static PG_NOTIFY_ADDR_MAX])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int one = 1, fd;
	size_t n;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Only the family: the kernel binds a fresh abstract name (autobind). */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, len) < 0)
		goto fail;
	len = sizeof(sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0)
		goto fail;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n < 2 || n >= PG_NOTIFY_ADDR_MAX || sun.sun_path[0] != '\0' ||
	    memchr(sun.sun_path + 1, '\0', n - 1) != NULL) {
		errno = EAFNOSUPPORT;
		goto fail;
	}
	addr[0] = '@';
	memcpy(addr + 1, sun.sun_path + 1, n - 1);
	addr[n] = '\0';
	return fd;
fail:;
	int r = -errno;

	(void)close(fd);
	return r;
}

int
pg_notify_recv(int fd, char *buf, size_t size, pid_t *ret_pid, uid_t *ret_uid)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size > 0 ? size - 1 : 0 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	*ret_pid = 0;
	*ret_uid = (uid_t)-1;
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			*ret_pid = uc.pid;
			*ret_uid = uc.uid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < nfds; i++) {
				int sent;

				memcpy(&sent, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				(void)close(sent);
			}
		}
	}
	buf[n] = '\0';
	return (int)n;
}
#endif
