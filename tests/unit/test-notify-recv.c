// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-notify-recv.c - pg_notify_listen() and pg_notify_recv(): an abstract
 * address with "@", the sender's pid as the kernel gives it (ours, then a
 * forked child's), fds sent along closed, -EAGAIN when nothing waits, and the
 * socket close-on-exec and non-blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "notify-recv.h"
#include "tap.h"

#ifdef __linux__
/* What a server does with NOTIFY_SOCKET: one datagram to the address. */
static int
send_to(const char *addr, const char *msg, int pass_fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = strlen(msg) };
	struct msghdr m = { .msg_name = &sun,
			    .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n),
			    .msg_iov = &iov,
			    .msg_iovlen = 1 };
	int fd, r;

	memcpy(sun.sun_path, addr, n);
	sun.sun_path[0] = '\0';
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = control.buf;
		m.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	fd = pg_socket(AF_UNIX, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = sendmsg(fd, &m, 0) < 0 ? -errno : 0;
	(void)close(fd);
	return r;
}

static int
count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

int
main(void)
{
	char addr[PG_NOTIFY_ADDR_MAX], buf[64];
	pid_t pid, child;
	uid_t uid;
	int fd, st = -1, before, p[2];

	fd = pg_notify_listen(addr);
	ok(fd >= 0, "listen: %s", fd < 0 ? strerror(-fd) : "an fd");
	if (fd < 0)
		return tap_done();
	ok(addr[0] == '@' && strlen(addr) > 1, "the address is abstract: '%s'", addr);
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
	ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "non-blocking");
	is_int(pg_notify_recv(fd, buf, sizeof(buf), &pid, &uid), -EAGAIN, "nothing yet: -EAGAIN");

	is_int(send_to(addr, "READY=1\nSTATUS=up", -1), 0, "send from this process");
	is_int(pg_notify_recv(fd, buf, sizeof(buf), &pid, &uid), 17, "the whole message");
	is_str(buf, "READY=1\nSTATUS=up", "its text, NUL-terminated");
	ok(pid == getpid() && uid == geteuid(), "the sender is this process (pid %d uid %u)",
	   (int)pid, (unsigned)uid);

	child = fork();
	if (child == 0)
		_exit(send_to(addr, "READY=1", -1) == 0 ? 0 : 1);
	(void)waitpid(child, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child sent one");
	is_int(pg_notify_recv(fd, buf, sizeof(buf), &pid, &uid), 7, "the child's message");
	ok(pid == child, "its sender is the child (pid %d, got %d)", (int)child, (int)pid);

	is_int(send_to(addr,
		       "0123456789012345678901234567890123456789012345678901234567890123456789",
		       -1),
	       0, "send a long message");
	is_int(pg_notify_recv(fd, buf, 8, &pid, &uid), 7, "a long message is cut to size - 1");
	is_str(buf, "0123456", "and NUL-terminated");

	if (pipe(p) < 0)
		return tap_done();
	before = count_fds();
	is_int(send_to(addr, "READY=1", p[0]), 0, "send with an fd attached");
	is_int(pg_notify_recv(fd, buf, sizeof(buf), &pid, &uid), 7, "received");
	is_int(count_fds(), before, "the fd sent along was closed, not kept");
	(void)close(p[0]);
	(void)close(p[1]);
	(void)close(fd);
	return tap_done();
}
#else
int
main(void)
{
	char addr[PG_NOTIFY_ADDR_MAX];

	is_int(pg_notify_listen(addr), -ENOSYS, "no credentials with a datagram here: -ENOSYS");
	return tap_done();
}
#endif
