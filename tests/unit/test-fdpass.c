// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-fdpass.c - one message and at most one fd over AF_UNIX: round trip,
 * no fd, extra fds closed (and counted), a truncated control message, EOF.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "fdpass.h"
#include "tap.h"

/* How many fds this process has open. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	(void)closedir(d);
	return n - 1; /* the directory's own fd */
}

static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Send buf with nfds fds (copies of fd) in one SCM_RIGHTS message. */
static int
send_n(int sock, const void *buf, size_t len, int fd, size_t nfds)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(16 * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	memset(&control, 0, sizeof(control));
	msg.msg_control = control.bytes;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	for (size_t i = 0; i < nfds; i++)
		memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void
test_roundtrip(void)
{
	int sv[2], p[2], got = -2;
	char buf[16] = { 0 };
	size_t nfds = 99;
	ssize_t n;

	ok(pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	ok(pg_pipe2(p, O_CLOEXEC) == 0, "pipe");
	is_int(pg_fdpass_send(sv[0], "hello", 5, p[1]), 0, "send 5 bytes with an fd");
	n = pg_fdpass_recv_count(sv[1], buf, sizeof(buf), 0, &got, &nfds);
	is_int(n, 5, "5 bytes arrive");
	is_str(buf, "hello", "the bytes are intact");
	is_int(nfds, 1, "one fd counted");
	ok(got >= 0 && got != p[1], "a new fd arrives");
	ok(got >= 0 && same_file(got, p[1]), "it is the pipe's write end");
	ok(got >= 0 && (fcntl(got, F_GETFD) & FD_CLOEXEC), "it is close-on-exec");
	if (got >= 0) {
		char c = 0;

		ok(write(got, "x", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'x', "and it works");
		(void)close(got);
	}

	is_int(pg_fdpass_send(sv[0], "plain", 5, -1), 0, "send without an fd");
	got = -2;
	memset(buf, 0, sizeof(buf));
	n = pg_fdpass_recv(sv[1], buf, sizeof(buf), 0, &got);
	is_int(n, 5, "5 bytes arrive");
	is_int(got, -1, "no fd: -1");

	got = -2;
	n = pg_fdpass_recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT, &got);
	is_int(n, -EAGAIN, "nothing waiting: -EAGAIN with MSG_DONTWAIT");

	(void)close(sv[0]);
	n = pg_fdpass_recv(sv[1], buf, sizeof(buf), 0, &got);
	is_int(n, 0, "end of file: 0");
	is_int(pg_fdpass_send(sv[1], "x", 1, -1), -EPIPE, "sending to a closed peer: -EPIPE");
	(void)close(sv[1]);
	(void)close(p[0]);
	(void)close(p[1]);
}

static void
test_extra_fds(void)
{
	int sv[2], p[2], got = -2, before;
	char buf[8];
	size_t nfds = 0;
	ssize_t n;

	ok(pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	ok(pg_pipe2(p, O_CLOEXEC) == 0, "pipe");
	before = count_fds();
	is_int(send_n(sv[0], "two", 3, p[0], 3), 0, "send three fds with one message");
	n = pg_fdpass_recv_count(sv[1], buf, sizeof(buf), 0, &got, &nfds);
	is_int(n, 3, "the bytes arrive");
	is_int(nfds, 3, "all three are counted");
	ok(got >= 0 && same_file(got, p[0]), "the first fd is kept");
	is_int(count_fds(), before + 1, "the two extras are closed");
	if (got >= 0)
		(void)close(got);

	before = count_fds();
	is_int(send_n(sv[0], "many", 4, p[0], 8), 0, "send eight fds");
	got = -2;
	n = pg_fdpass_recv(sv[1], buf, sizeof(buf), 0, &got);
	is_int(n, -EMSGSIZE, "more than fit: the control message is cut, -EMSGSIZE");
	is_int(got, -2, "no fd is returned");
	is_int(count_fds(), before, "and none is left open");

	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)close(p[0]);
	(void)close(p[1]);
}

static void
test_short_buffer(void)
{
	int sv[2], got = -2;
	char buf[4] = { 0 };
	ssize_t n;

	ok(pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	is_int(pg_fdpass_send(sv[0], "abcdefgh", 8, sv[0]), 0, "send 8 bytes and an fd");
	n = pg_fdpass_recv(sv[1], buf, 3, 0, &got);
	is_int(n, 3, "a stream socket hands out what fits");
	ok(got >= 0, "the fd comes with the first bytes");
	if (got >= 0)
		(void)close(got);
	got = -2;
	n = pg_fdpass_recv(sv[1], buf, 3, 0, &got);
	is_int(n, 3, "the rest follows");
	is_int(got, -1, "without the fd again");
	(void)close(sv[0]);
	(void)close(sv[1]);
}

int
main(void)
{
	test_roundtrip();
	test_extra_fds();
	test_short_buffer();
	return tap_done();
}
