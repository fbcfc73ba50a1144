// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-broker-client.c - test helper: talk to portgated as a client would, or
 * as a hostile one.  Runs as whatever user the test chooses; trusts nothing
 * but its arguments.
 *
 *   pg-broker-client [-s SOCKET] bind-new tcp|udp ADDR PORT [--v6only] [--listen] [--print]
 * [--wait] pg-broker-client [-s SOCKET] bind-this tcp|udp ADDR PORT [--v6only 0|1] [--reuseport]
 *                    [--print] [--wait]
 *   pg-broker-client [-s SOCKET] hostile MODE [tcp|udp ADDR PORT]
 *   pg-broker-client [-s SOCKET] idle N SECONDS
 *   pg-broker-client [-s SOCKET] noread N
 *   pg-broker-client notify-listen PATH|@NAME COUNT SECONDS
 *   pg-broker-client connect tcp ADDR PORT
 *   pg-broker-client plain tcp|udp ADDR PORT [--reuseaddr] [--reuseport] [--v6only 0|1]
 *
 * bind-*: prints "ok" or the reply's errno name, then "reason=..."; --print
 * adds "local=... family=... type=... v6only=... reuseport=... listening=..."
 * and "reuseaddr=... rcvbuf=..." read back from the socket; --wait then blocks until stdin reaches
 * EOF and prints "accepted=N" (connections waiting on a TCP listener).  Exit 0 when bound, 1 when
 * refused, 3 when the daemon could not be asked ("error=ENAME").
 *
 * hostile MODE (request defaults: tcp 127.0.0.1 81) prints "reply=ENAME|ok|none",
 * "reason=...", "id=match|mismatch", then "conn=closed|open": for a malformed
 * message whether the daemon hung up (waiting up to 5 s); for a well-formed one
 * whether the same connection still answers a second request.  MODEs: garbage,
 * truncated (20 bytes, then silence until the daemon hangs up: "conn=closed
 * after=SECONDS"), oversized, short-len, bad-magic, bad-version, bad-type,
 * bad-field, this-nofd, this-pipe, this-unix, this-tcp-for-udp, this-family,
 * this-two-fds, this-many-fds, this-netns (a socket made in a new network
 * namespace by a child), this-bound (a socket bound already), hangup (a
 * BIND_NEW sent, then the connection closed before the reply: "conn=hungup").
 *
 * idle: opens N connections, prints "connected=C", watches them for up to
 * SECONDS (less if all are closed) and prints "open=K closed=J".
 * noread: sends up to N requests (tcp 127.0.0.1 80) without reading a reply;
 * prints "dropped after=K" when the daemon hangs up, else "not dropped".
 * notify-listen: binds a datagram socket, prints "listening", then each
 * datagram received (newlines shown as spaces), and exits 0 after COUNT of
 * them or 1 after SECONDS.
 * connect: a TCP connection to ADDR:PORT; prints "ok" or the errno name.
 * plain: bind() directly, without the daemon, with those options set first;
 * prints "ok" or the errno name (exit 0 or 1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "fdpass.h"
#include "macro.h"
#include "wire.h"

static const char *sock_path;

static _noreturn_ void
usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of pg-broker-client.c\n");
	exit(2);
}

static const char *
ename(int err)
{
	static char buf[16];
	const char *n = strerrorname_np(err);

	if (n != NULL)
		return n;
	(void)snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static _noreturn_ void
die_errno(const char *what)
{
	fprintf(stderr, "pg-broker-client: %s: %s\n", what, strerror(errno));
	exit(3);
}

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
parse_bind(char **argv, struct pg_bind *b)
{
	const char *a = argv[1];
	char addr[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(a);
	char *end;
	unsigned long port;

	memset(b, 0, sizeof(*b));
	if (strcmp(argv[0], "tcp") == 0)
		b->proto = PG_PROTO_TCP;
	else if (strcmp(argv[0], "udp") == 0)
		b->proto = PG_PROTO_UDP;
	else
		usage();
	if (len >= sizeof(addr))
		usage();
	if (len >= 2 && a[0] == '[' && a[len - 1] == ']') {
		memcpy(addr, a + 1, len - 2);
		addr[len - 2] = '\0';
	} else {
		memcpy(addr, a, len + 1);
	}
	if (a[0] != '[' && inet_pton(AF_INET, addr, b->addr) == 1)
		b->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, b->addr) == 1)
		b->family = AF_INET6;
	else
		usage();
	errno = 0;
	port = strtoul(argv[2], &end, 10);
	if (*end != '\0' || errno != 0 || port > 65535)
		usage();
	b->port = (uint16_t)port;
}

static int
connect_daemon(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock_path) >= sizeof(sun.sun_path))
		usage();
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die_errno(sock_path);
	return fd;
}

/* --- bind-new / bind-this ------------------------------------------------------ */

static int
getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) < 0)
		return -1;
	return v;
}

static void
print_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	int family = getint(fd, SOL_SOCKET, SO_DOMAIN), port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			(void)inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			(void)inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
			port = ntohs(sin6->sin6_port);
		}
	}
	printf("local=%s%s%s:%d family=%s type=%s v6only=%d reuseport=%d listening=%d cloexec=%d\n",
	       family == AF_INET6 ? "[" : "", a, family == AF_INET6 ? "]" : "", port,
	       family == AF_INET6 ? "inet6" : "inet",
	       getint(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM ? "stream" : "dgram",
	       family == AF_INET6 ? getint(fd, IPPROTO_IPV6, IPV6_V6ONLY) : -1,
	       getint(fd, SOL_SOCKET, SO_REUSEPORT), getint(fd, SOL_SOCKET, SO_ACCEPTCONN),
	       (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	printf("reuseaddr=%d rcvbuf=%d\n", getint(fd, SOL_SOCKET, SO_REUSEADDR),
	       getint(fd, SOL_SOCKET, SO_RCVBUF));
}

/* Block until stdin ends, then count connections queued on a listener. */
static void
wait_stdin(int fd)
{
	char buf[256];
	int accepted = 0;

	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	if (getint(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1) {
		int fl = fcntl(fd, F_GETFL);

		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		for (int c; accepted < 100 && (c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;
		     accepted++)
			(void)close(c);
	}
	printf("accepted=%d\n", accepted);
}

static int
cmd_bind(bool this, int argc, char **argv)
{
	struct pg_broker_result res = { .fd = -1 };
	bool print = false, wait = false, reuseport = false;
	int v6only = -1, r, fd = -1;
	unsigned flags = 0;
	struct pg_bind b;

	if (argc < 3)
		usage();
	parse_bind(argv, &b);
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--print") == 0)
			print = true;
		else if (strcmp(argv[i], "--wait") == 0)
			wait = true;
		else if (strcmp(argv[i], "--listen") == 0 && !this)
			flags |= PG_WIRE_F_LISTEN;
		else if (strcmp(argv[i], "--v6only") == 0 && !this)
			flags |= PG_WIRE_F_V6ONLY;
		else if (strcmp(argv[i], "--v6only") == 0 && this && i + 1 < argc)
			v6only = atoi(argv[++i]);
		else if (strcmp(argv[i], "--reuseport") == 0 && this)
			reuseport = true;
		else
			usage();
	}
	if (this) {
		int one = 1;

		fd = socket(b.family,
			    (b.proto == PG_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die_errno("socket");
		if (v6only >= 0 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			die_errno("IPV6_V6ONLY");
		if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
			die_errno("SO_REUSEPORT");
		r = pg_broker_bind_this(sock_path, fd, &b, &res);
	} else {
		r = pg_broker_bind_new(sock_path, &b, flags, &res);
		fd = res.fd;
	}
	if (r < 0) {
		printf("error=%s\n", ename(-r));
		return 3;
	}
	printf("%s\nreason=%s\n", res.error ? ename(res.error) : "ok", res.reason);
	if (res.error == 0 && print)
		print_socket(fd);
	(void)fflush(stdout);
	if (res.error == 0 && wait) {
		wait_stdin(fd);
	}
	return res.error ? 1 : 0;
}

/* --- hostile ------------------------------------------------------------------------ */

/* Read one reply (5 s at most); prints reply=, reason=, id=.  false if none came. */
static bool
read_reply(int fd, uint32_t id)
{
	union {
		struct pg_wire_reply r;
		char b[PG_WIRE_MAX_MSG];
	} in;
	size_t have = 0;
	double end = now_s() + 5;

	while (have < sizeof(in.r)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int got = -1;
		ssize_t n;

		if (poll(&p, 1, (int)((end - now_s()) * 1000) + 1) <= 0 || now_s() > end)
			break;
		n = pg_fdpass_recv(fd, in.b + have, sizeof(in.r) - have, 0, &got);
		if (got >= 0)
			(void)close(got);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (have < sizeof(in.r) || pg_wire_decode_reply(in.b, have, &in.r) < 0) {
		printf("reply=none\n");
		return false;
	}
	printf("reply=%s\nreason=%s\nid=%s\n", in.r.error ? ename(in.r.error) : "ok", in.r.reason,
	       in.r.hdr.id == id ? "match" : "mismatch");
	return true;
}

/* Did the daemon hang up within 5 s? */
static void
print_closed(int fd)
{
	double end = now_s() + 5;
	char buf[256];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now_s() > end || poll(&p, 1, 100) < 0)
			break;
		if (p.revents == 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			printf("conn=closed\n");
			return;
		}
	}
	printf("conn=open\n");
}

static void
send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(16 * sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.bytes;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		die_errno("sendmsg");
}

/* A socket created in a fresh network namespace by a child, passed back. */
static int
foreign_netns_socket(int family, int type)
{
	int sv[2], fd = -1, status;
	char byte;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die_errno("socketpair");
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		int s;

		if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(1);
		s = socket(family, type | SOCK_CLOEXEC, 0);
		if (s < 0 || pg_fdpass_send(sv[1], "s", 1, s) < 0)
			_exit(1);
		_exit(0);
	}
	(void)close(sv[1]);
	if (pg_fdpass_recv(sv[0], &byte, 1, 0, &fd) != 1 || fd < 0) {
		fprintf(stderr, "pg-broker-client: no socket from a new network namespace "
				"(unshare refused?)\n");
		exit(3);
	}
	(void)waitpid(pid, &status, 0);
	(void)close(sv[0]);
	return fd;
}

static int
cmd_hostile(int argc, char **argv)
{
	const char *mode;
	struct pg_wire_bind_req req;
	struct pg_bind b;
	int conn, fds[8], nfds = 0, type;
	bool malformed = true;
	uint32_t id = 0x5eed0001;
	char *defaults[] = { "tcp", "127.0.0.1", "81" };

	if (argc != 1 && argc != 4)
		usage();
	mode = argv[0];
	parse_bind(argc == 4 ? argv + 1 : defaults, &b);
	if (strcmp(mode, "this-tcp-for-udp") == 0)
		b.proto = PG_PROTO_UDP;
	type = b.proto == PG_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	pg_wire_encode_req(PG_WIRE_BIND_THIS, id, &b, 0, &req);
	conn = connect_daemon();

	if (strcmp(mode, "hangup") == 0) {
		pg_wire_encode_req(PG_WIRE_BIND_NEW, id, &b, 0, &req);
		send_fds(conn, &req, sizeof(req), NULL, 0);
		(void)close(conn);
		printf("conn=hungup\n");
		return 0;
	} else if (strcmp(mode, "garbage") == 0) {
		uint8_t junk[64];
		unsigned x = 12345;

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
		memcpy(&id, junk + 12, sizeof(id));
		send_fds(conn, junk, sizeof(junk), NULL, 0);
	} else if (strcmp(mode, "truncated") == 0) {
		double t0 = now_s();
		char buf[256];
		ssize_t n;

		if (send(conn, &req, 20, MSG_NOSIGNAL) != 20)
			die_errno("send");
		/* Silence; the daemon must hang up on its own (after --timeout). */
		for (;;) {
			struct pollfd p = { .fd = conn, .events = POLLIN };

			if (now_s() - t0 > 30 || poll(&p, 1, 1000) < 0)
				break;
			if (p.revents == 0)
				continue;
			n = recv(conn, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				printf("conn=closed after=%.1f\n", now_s() - t0);
				return 0;
			}
			printf("unexpected=%zd bytes\n", n);
		}
		printf("conn=open after=%.1f\n", now_s() - t0);
		return 0;
	} else if (strcmp(mode, "oversized") == 0) {
		req.hdr.len = 1u << 20;
		send_fds(conn, &req, sizeof(req), NULL, 0);
	} else if (strcmp(mode, "short-len") == 0) {
		req.hdr.len = sizeof(req.hdr);
		send_fds(conn, &req, sizeof(req), NULL, 0);
	} else if (strcmp(mode, "bad-magic") == 0) {
		req.hdr.magic ^= 0x01000000;
		send_fds(conn, &req, sizeof(req), NULL, 0);
	} else if (strcmp(mode, "bad-version") == 0) {
		req.hdr.version = PG_WIRE_VERSION + 1;
		send_fds(conn, &req, sizeof(req), NULL, 0);
	} else if (strcmp(mode, "bad-type") == 0) {
		req.hdr.type = 3;
		send_fds(conn, &req, sizeof(req), NULL, 0);
	} else if (strcmp(mode, "bad-field") == 0) {
		req.reserved0 = 1;
		send_fds(conn, &req, sizeof(req), NULL, 0);
	} else {
		malformed = false;
		if (strcmp(mode, "this-nofd") == 0) {
			nfds = 0;
		} else if (strcmp(mode, "this-pipe") == 0) {
			if (pipe2(fds, O_CLOEXEC) < 0)
				die_errno("pipe");
			nfds = 1;
		} else if (strcmp(mode, "this-unix") == 0) {
			fds[0] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			nfds = 1;
		} else if (strcmp(mode, "this-tcp-for-udp") == 0) {
			fds[0] = socket(b.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			nfds = 1;
		} else if (strcmp(mode, "this-family") == 0) {
			fds[0] = socket(b.family == AF_INET ? AF_INET6 : AF_INET,
					type | SOCK_CLOEXEC, 0);
			nfds = 1;
		} else if (strcmp(mode, "this-two-fds") == 0) {
			fds[0] = socket(b.family, type | SOCK_CLOEXEC, 0);
			fds[1] = socket(b.family, type | SOCK_CLOEXEC, 0);
			nfds = 2;
		} else if (strcmp(mode, "this-many-fds") == 0) {
			for (nfds = 0; nfds < 8; nfds++)
				fds[nfds] = socket(b.family, type | SOCK_CLOEXEC, 0);
			malformed = true; /* more than the daemon makes room for */
		} else if (strcmp(mode, "this-netns") == 0) {
			fds[0] = foreign_netns_socket(b.family, type);
			nfds = 1;
		} else if (strcmp(mode, "this-bound") == 0) {
			struct sockaddr_storage ss;
			struct pg_bind any = b;

			any.port = 0;
			fds[0] = socket(b.family, type | SOCK_CLOEXEC, 0);
			if (bind(fds[0], (struct sockaddr *)&ss, pg_bind_to_sockaddr(&any, &ss)) <
			    0)
				die_errno("bind");
			nfds = 1;
		} else {
			usage();
		}
		for (int i = 0; i < nfds; i++)
			if (fds[i] < 0)
				die_errno("socket");
		send_fds(conn, &req, sizeof(req), fds, (size_t)nfds);
	}
	if (!read_reply(conn, id) || malformed) {
		print_closed(conn);
		return 0;
	}
	/* A well-formed request keeps the connection: it must answer another. */
	req.hdr.id = id + 1;
	send_fds(conn, &req, sizeof(req), NULL, 0);
	{
		union {
			struct pg_wire_reply r;
			char b[PG_WIRE_MAX_MSG];
		} in;
		size_t have = 0;
		ssize_t n = 0;
		struct timeval tv = { .tv_sec = 5 };

		(void)setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (have < sizeof(in.r) &&
		       (n = recv(conn, in.b + have, sizeof(in.r) - have, 0)) > 0)
			have += (size_t)n;
		printf("conn=%s\n", have == sizeof(in.r) &&
						    pg_wire_decode_reply(in.b, have, &in.r) == 0 &&
						    in.r.hdr.id == id + 1
					    ? "open"
					    : "closed");
	}
	return 0;
}

/* --- idle / noread ------------------------------------------------------------------ */

static int
cmd_idle(int argc, char **argv)
{
	int n, secs, connected = 0, closed = 0;
	struct pollfd *p;
	double end;

	if (argc != 2)
		usage();
	n = atoi(argv[0]);
	secs = atoi(argv[1]);
	if (n <= 0 || n > 10000 || secs < 0)
		usage();
	p = calloc((size_t)n, sizeof(*p));
	if (p == NULL)
		die_errno("calloc");
	for (int i = 0; i < n; i++) {
		p[i].fd = connect_daemon();
		p[i].events = POLLIN;
		connected++;
	}
	printf("connected=%d\n", connected);
	(void)fflush(stdout);
	end = now_s() + secs;
	while (closed < n && now_s() < end) {
		int ms = (int)((end - now_s()) * 1000) + 1;

		if (poll(p, (nfds_t)n, ms) <= 0)
			break;
		for (int i = 0; i < n; i++) {
			char buf[256];

			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if (recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				continue;
			(void)close(p[i].fd);
			p[i].fd = -1;
			closed++;
		}
	}
	printf("open=%d closed=%d\n", n - closed, closed);
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0)
			(void)close(p[i].fd);
	free(p);
	return 0;
}

static int
cmd_noread(int argc, char **argv)
{
	struct timeval tv = { .tv_sec = 10 };
	struct pg_wire_bind_req req;
	struct pg_bind b;
	char *target[] = { "tcp", "127.0.0.1", "80" };
	int conn, n;

	if (argc != 1 || (n = atoi(argv[0])) <= 0)
		usage();
	parse_bind(target, &b);
	conn = connect_daemon();
	(void)setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < n; i++) {
		pg_wire_encode_req(PG_WIRE_BIND_NEW, (uint32_t)i, &b, 0, &req);
		if (send(conn, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
			if (errno == EAGAIN) {
				printf("send timed out after=%d\n", i);
				return 1;
			}
			printf("dropped after=%d\n", i);
			return 0;
		}
	}
	printf("not dropped\n");
	return 1;
}

/* --- notify-listen ----------------------------------------------------------------- */

static int
cmd_notify_listen(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *name;
	int fd, count;
	double end;
	size_t n;
	socklen_t len;

	if (argc != 3)
		usage();
	name = argv[0];
	count = atoi(argv[1]);
	end = now_s() + atoi(argv[2]);
	n = strlen(name);
	if (n >= sizeof(sun.sun_path) || (name[0] != '/' && name[0] != '@'))
		usage();
	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	else
		(void)unlink(name);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) < 0)
		die_errno("bind");
	printf("listening\n");
	(void)fflush(stdout);
	for (int got = 0; got < count;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t r;

		if (now_s() > end || poll(&p, 1, (int)((end - now_s()) * 1000) + 1) <= 0) {
			printf("timeout\n");
			return 1;
		}
		r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		printf("%s\n", buf);
		(void)fflush(stdout);
		got++;
	}
	return 0;
}

static int
cmd_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct pg_bind b;
	int fd;

	if (argc != 3 || strcmp(argv[0], "tcp") != 0)
		usage();
	parse_bind(argv, &b);
	fd = socket(b.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (connect(fd, (struct sockaddr *)&ss, pg_bind_to_sockaddr(&b, &ss)) < 0) {
		printf("%s\n", ename(errno));
		return 1;
	}
	printf("ok\n");
	(void)close(fd);
	return 0;
}

static int
cmd_plain(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct pg_bind b;
	int fd, one = 1;

	if (argc < 3)
		usage();
	parse_bind(argv, &b);
	fd = socket(b.family, (b.proto == PG_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		die_errno("socket");
	for (int i = 3; i < argc; i++) {
		int r;

		if (strcmp(argv[i], "--reuseaddr") == 0) {
			r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		} else if (strcmp(argv[i], "--reuseport") == 0) {
			r = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		} else if (strcmp(argv[i], "--v6only") == 0 && i + 1 < argc) {
			int v = atoi(argv[++i]);

			r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
		} else {
			usage();
		}
		if (r < 0)
			die_errno(argv[i]);
	}
	if (bind(fd, (struct sockaddr *)&ss, pg_bind_to_sockaddr(&b, &ss)) < 0) {
		printf("%s\n", ename(errno));
		return 1;
	}
	printf("ok\n");
	(void)close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	int i = 1;

	sock_path = pg_broker_socket_path();
	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		sock_path = argv[2];
		i = 3;
	}
	if (i >= argc)
		usage();
	if (strcmp(argv[i], "bind-new") == 0)
		return cmd_bind(false, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "bind-this") == 0)
		return cmd_bind(true, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "hostile") == 0)
		return cmd_hostile(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "idle") == 0)
		return cmd_idle(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "noread") == 0)
		return cmd_noread(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "plain") == 0)
		return cmd_plain(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "connect") == 0)
		return cmd_connect(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "notify-listen") == 0)
		return cmd_notify_listen(argc - i - 1, argv + i + 1);
	usage();
}
