// SPDX-License-Identifier: BSD-2-Clause
/*
 * adopt.c - the shim's adopt mode; see adopt.h and portgate-preload(8).
 * Runs inside foreign programs: silent, errno-preserving, no allocation.
 *
 * Telling the keeper (--ready=adopt).  Which process may say "ADOPTED=FD":
 * only the one the keeper forked, PROG itself.  The keeper writes that pid
 * into PORTGATE_ADOPT_NOTIFY in the child before exec, and the shim speaks
 * only from a process whose getpid() is that pid; the keeper in turn counts a
 * message only when the kernel's SCM_CREDENTIALS give that pid (the shim's
 * check keeps descendants quiet, the keeper's is the one that holds, as any
 * process of the user could send to the socket).  That fits how servers start:
 * nginx's master is PROG and adopts and listens itself, its workers inherit
 * the sockets and call neither; http.server, lighttpd -D, redis do it all in
 * PROG; a shell wrapper has to exec the server (a pid kept by exec) rather
 * than fork it.  Inheritance: the variable stays in the environment (the shim
 * is deep), so everything PROG forks or execs sees it, but no other pid
 * speaks: not forked workers, not nginx's binary upgrade (USR2: the master
 * forks and execs the new binary, a new pid, which takes its sockets from
 * the NGINX variable without bind()), not a program PROG runs.  A forked
 * child never speaks either, even before it execs: getpid() differs.
 *
 * How: the first listen() on each held socket in that process (or, for a
 * datagram socket, its adoption) sends one datagram and no more: socket()
 * with SOCK_CLOEXEC, sendto() with MSG_DONTWAIT (a keeper that is gone or
 * behind loses the message, never blocks the program), close() right away,
 * so the fd number is PROG's again before it returns, and never leaks into
 * an exec; errno is saved around all of it.  A message lost is at worst a
 * replacement that times out and leaves the old PROG serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "adopt.h"

/*
 * The held fds, read from the environment once by pg_adopt_init() while the
 * program is loaded (one thread), read-only afterwards.
 */
static int held[PG_ADOPT_MAX];
static int nheld;

/* The keeper's notify socket and the pid that may speak to it; len 0: none. */
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static pid_t notify_pid;
static atomic_bool told[PG_ADOPT_MAX]; /* held[i] reported */

/* PG_ADOPT_NOTIFY_ENV: "PID:@NAME" (abstract) or "PID:/PATH". */
static void
notify_init(void)
{
	const char *s = getenv(PG_ADOPT_NOTIFY_ENV), *path;
	char *end;
	long pid;
	size_t n;

	if (s == NULL)
		return;
	errno = 0;
	pid = strtol(s, &end, 10);
	if (errno != 0 || end == s || pid <= 0 || *end != ':')
		return;
	path = end + 1;
	n = strlen(path);
	if ((path[0] != '@' && path[0] != '/') || n < 2 || n >= sizeof(notify_addr.sun_path))
		return;
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, n);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0'; /* abstract: the length says where it ends */
	else
		n++;
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	notify_pid = (pid_t)pid;
}

/* Tell the keeper that held[i] is adopted and listening, once; errno may change. */
static void
tell(int i)
{
	char msg[sizeof(PG_ADOPT_MSG) + 16];
	int s, n;

	if (notify_len == 0 || atomic_load(&told[i]) || getpid() != notify_pid)
		return;
	n = snprintf(msg, sizeof(msg), PG_ADOPT_MSG "%d\n", held[i]);
	s = pg_socket(AF_UNIX, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);
	if (s < 0 || n <= 0)
		return;
	if (sendto(s, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&notify_addr, notify_len) == n)
		atomic_store(&told[i], true);
	(void)close(s);
}

void
pg_adopt_init(void)
{
	const char *s = getenv(PG_ADOPT_ENV);
	int saved = errno;

	while (s != NULL && *s != '\0' && nheld < PG_ADOPT_MAX) {
		char *end;
		long fd;
		struct stat st;

		errno = 0;
		fd = strtol(s, &end, 10);
		if (errno != 0 || end == s || fd < 0 || fd > 65535 || (*end != ',' && *end != '\0'))
			break; /* not ours to judge: adopt what was read so far */
		if (fstat((int)fd, &st) == 0 && S_ISSOCK(st.st_mode))
			held[nheld++] = (int)fd;
		s = *end == ',' ? end + 1 : end;
	}
	if (nheld > 0)
		notify_init();
	errno = saved;
}

/* The port and address of sa, compared as bind() would see them. */
static bool
same_address(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
	       x->sin6_scope_id == y->sin6_scope_id;
}

static int
int_opt(int fd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, level, name, ret, &len);
}

/* Does held socket h serve a bind() of fd (of type, family) to sa? */
static bool
held_matches(int h, int fd, int type, const struct sockaddr *sa)
{
	struct sockaddr_storage hs;
	socklen_t hlen = sizeof(hs);
	int htype, v6a, v6b, listening;

	if (h == fd || getsockname(h, (struct sockaddr *)&hs, &hlen) < 0 || !same_address(sa, &hs))
		return false;
	if (int_opt(h, SOL_SOCKET, SO_TYPE, &htype) < 0 || htype != type)
		return false;
	/* IPV6_V6ONLY matters for [::] only: there it decides whether IPv4 comes too. */
	if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr) &&
	    (int_opt(h, IPPROTO_IPV6, IPV6_V6ONLY, &v6a) < 0 ||
	     int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6b) < 0 || (v6a != 0) != (v6b != 0)))
		return false;
	/* A stream socket is held listening; anything else is not ours to give. */
	return type != SOCK_STREAM ||
	       (int_opt(h, SOL_SOCKET, SO_ACCEPTCONN, &listening) == 0 && listening);
}

int
pg_adopt_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage own;
	socklen_t olen = sizeof(own);
	int saved = errno, type, fd_flags, fl_flags, held_fl, r = 0;

	if (nheld == 0 || sa == NULL || len < sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    len < (sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
					    : sizeof(struct sockaddr_in6)))
		return 0;
	/* The program's socket: of the address's family, and its type. */
	if (getsockname(fd, (struct sockaddr *)&own, &olen) < 0 || own.ss_family != sa->sa_family ||
	    int_opt(fd, SOL_SOCKET, SO_TYPE, &type) < 0) {
		errno = saved;
		return 0;
	}
	for (int i = 0; i < nheld; i++) {
		if (!held_matches(held[i], fd, type, sa))
			continue;
		fd_flags = fcntl(fd, F_GETFD);
		fl_flags = fcntl(fd, F_GETFL);
		held_fl = fcntl(held[i], F_GETFL);
		if (fd_flags < 0 || fl_flags < 0 || held_fl < 0) {
			r = -errno;
			break;
		}
		/*
		 * dup2() + F_SETFD, not dup3(): portable, and no new leak, as the
		 * held socket is inherited across exec on purpose anyway.
		 */
		if (dup2(held[i], fd) < 0 || fcntl(fd, F_SETFD, fd_flags & FD_CLOEXEC) < 0 ||
		    fcntl(fd, F_SETFL, (held_fl & ~O_NONBLOCK) | (fl_flags & O_NONBLOCK)) < 0) {
			r = -errno;
			break;
		}
		r = 1;
		/* A datagram socket is ready once adopted: there is no listen() to wait for. */
		if (type != SOCK_STREAM)
			tell(i);
		break;
	}
	errno = saved;
	return r;
}

int
pg_adopt_listening(int fd)
{
	struct stat a, b;
	int saved = errno, r = -1;

	if (notify_len == 0 || getpid() != notify_pid || fstat(fd, &a) < 0) {
		errno = saved;
		return -1;
	}
	for (int i = 0; i < nheld; i++) {
		if (fstat(held[i], &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			continue;
		if (!atomic_load(&told[i]))
			r = held[i];
		break;
	}
	errno = saved;
	return r;
}

void
pg_adopt_tell(int h)
{
	int saved = errno;

	for (int i = 0; i < nheld; i++)
		if (held[i] == h)
			tell(i);
	errno = saved;
}
