// SPDX-License-Identifier: BSD-2-Clause
/*
 * fdpass.c - one message and at most one fd over AF_UNIX (SCM_RIGHTS).
 * Library code: returns -errno, never logs; safe inside the preload shim.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat.h"
#include "fdpass.h"
#include "macro.h"

#define FDPASS_MAX_FDS 4 /* room to notice (and close) fds a peer should not send */

int
pg_fdpass_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	const char *p = buf;
	ssize_t n;

	memcpy(&iov.iov_base, &buf, sizeof(buf)); /* sendmsg does not write through it */
	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.bytes;
		msg.msg_controllen = sizeof(control.bytes);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	n = RETRY_EINTR(sendmsg(sock, &msg, MSG_NOSIGNAL));
	if (n < 0)
		return -errno;
	/* The fd went with the first byte; the rest of a short write follows plainly. */
	for (size_t done = (size_t)n; done < len; done += (size_t)n) {
		n = RETRY_EINTR(send(sock, p + done, len - done, MSG_NOSIGNAL));
		if (n < 0)
			return -errno;
	}
	return 0;
}

ssize_t
pg_fdpass_recv(int sock, void *buf, size_t size, int flags, int *ret_fd)
{
	size_t nfds;

	return pg_fdpass_recv_count(sock, buf, size, flags, ret_fd, &nfds);
}

ssize_t
pg_fdpass_recv_count(int sock, void *buf, size_t size, int flags, int *ret_fd, size_t *ret_nfds)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.bytes,
		.msg_controllen = sizeof(control.bytes),
	};
	struct cmsghdr *cmsg;
	size_t total = 0;
	ssize_t n;
	int fd = -1;

	n = RETRY_EINTR(recvmsg(sock, &msg, flags | PG_MSG_CMSG_CLOEXEC));
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t nfds;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		total += nfds;
		for (size_t i = 0; i < nfds; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(f));
			if (fd == -1)
				fd = f;
			else
				(void)close(f); /* a well-behaved peer sends one */
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		if (fd >= 0)
			(void)close(fd);
		return -EMSGSIZE;
	}
	/* Without MSG_CMSG_CLOEXEC (macOS) the flag comes right after. */
	if (PG_MSG_CMSG_CLOEXEC == 0 && fd >= 0 && pg_fd_set_flags(fd, 1, 0) < 0)
		return -errno;
	*ret_fd = fd;
	*ret_nfds = total;
	return n;
}
