/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compat.h - the Linux calls portgate uses where another system (macOS) has
 * none, each behind one name: on Linux the name is the Linux call itself, so
 * the Linux build behaves exactly as before; elsewhere a POSIX fallback.
 *
 * The fallbacks for the atomic flags (SOCK_CLOEXEC, SOCK_NONBLOCK, O_CLOEXEC of
 * pipe2/dup3/accept4, MSG_CMSG_CLOEXEC) set the flag with fcntl() right after
 * the call: not atomic against a fork+exec in another thread, which portgate's
 * programs (single-threaded) never do.  Calls return what the system call
 * would: -1 and errno (these stand in for libc, not for library code).
 */
#ifndef PG_COMPAT_H
#define PG_COMPAT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/statvfs.h>
#else
#include <sys/param.h>
#include <sys/mount.h>
#endif
#include <grp.h>
#include <unistd.h>

#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
#define PG_SOCK_CLOEXEC	   SOCK_CLOEXEC
#define PG_SOCK_NONBLOCK   SOCK_NONBLOCK
#define PG_HAVE_SOCK_FLAGS 1
#else
/* Bits socket(2) never sees: pg_socket() takes them off and uses fcntl(). */
#define PG_SOCK_CLOEXEC	   0x10000000
#define PG_SOCK_NONBLOCK   0x20000000
#define PG_HAVE_SOCK_FLAGS 0
#endif

#ifdef MSG_CMSG_CLOEXEC
#define PG_MSG_CMSG_CLOEXEC MSG_CMSG_CLOEXEC
#else
#define PG_MSG_CMSG_CLOEXEC 0
#endif

/* FD_CLOEXEC and/or O_NONBLOCK on fd; on failure fd is closed, -1 and errno. */
static inline int
pg_fd_set_flags(int fd, int cloexec, int nonblock)
{
	int fl;

	if ((cloexec && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) ||
	    (nonblock &&
	     ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))) {
		int err = errno;

		(void)close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* pg_fd_set_flags() on both fds of a pair; on failure both are closed, 0 or -1. */
static inline int
pg_fd_pair_set_flags(int p[2], int cloexec, int nonblock)
{
	if (pg_fd_set_flags(p[0], cloexec, nonblock) < 0) {
		int err = errno;

		(void)close(p[1]);
		errno = err;
		return -1;
	}
	if (pg_fd_set_flags(p[1], cloexec, nonblock) < 0) {
		int err = errno;

		(void)close(p[0]);
		errno = err;
		return -1;
	}
	return 0;
}

/* socket(2); type may carry PG_SOCK_CLOEXEC and PG_SOCK_NONBLOCK. */
static inline int
pg_socket(int domain, int type, int protocol)
{
#if PG_HAVE_SOCK_FLAGS
	return socket(domain, type, protocol);
#else
	int fd = socket(domain, type & ~(PG_SOCK_CLOEXEC | PG_SOCK_NONBLOCK), protocol);

	return fd < 0 ? -1 : pg_fd_set_flags(fd, type & PG_SOCK_CLOEXEC, type & PG_SOCK_NONBLOCK);
#endif
}

/* socketpair(2); type may carry PG_SOCK_CLOEXEC and PG_SOCK_NONBLOCK. */
static inline int
pg_socketpair(int domain, int type, int protocol, int sv[2])
{
#if PG_HAVE_SOCK_FLAGS
	return socketpair(domain, type, protocol, sv);
#else
	if (socketpair(domain, type & ~(PG_SOCK_CLOEXEC | PG_SOCK_NONBLOCK), protocol, sv) < 0)
		return -1;
	return pg_fd_pair_set_flags(sv, type & PG_SOCK_CLOEXEC, type & PG_SOCK_NONBLOCK);
#endif
}

/* accept4(2); flags: PG_SOCK_CLOEXEC, PG_SOCK_NONBLOCK. */
static inline int
pg_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
#if PG_HAVE_SOCK_FLAGS
	return accept4(fd, sa, len, flags);
#else
	int c = accept(fd, sa, len);

	return c < 0 ? -1 : pg_fd_set_flags(c, flags & PG_SOCK_CLOEXEC, flags & PG_SOCK_NONBLOCK);
#endif
}

/* pipe2(2); flags: O_CLOEXEC, O_NONBLOCK. */
static inline int
pg_pipe2(int p[2], int flags)
{
#if PG_HAVE_SOCK_FLAGS
	return pipe2(p, flags);
#else
	if (pipe(p) < 0)
		return -1;
	return pg_fd_pair_set_flags(p, flags & O_CLOEXEC, flags & O_NONBLOCK);
#endif
}

/* dup3(2); flags: 0 or O_CLOEXEC.  Like dup3, oldfd == newfd is EINVAL. */
static inline int
pg_dup3(int oldfd, int newfd, int flags)
{
#ifdef __linux__
	return dup3(oldfd, newfd, flags);
#else
	if (oldfd == newfd) {
		errno = EINVAL;
		return -1;
	}
	if (dup2(oldfd, newfd) < 0)
		return -1;
	/* dup2 leaves FD_CLOEXEC clear on newfd: set it, or nothing to do. */
	return (flags & O_CLOEXEC) ? pg_fd_set_flags(newfd, 1, 0) : newfd;
#endif
}

/*
 * close_range(2) for [first, last]: close each fd, or with cloexec set
 * FD_CLOEXEC on each.  Without the system call, every fd up to the open-file
 * limit (at most 65536) is tried.
 */
static inline int
pg_close_range(unsigned first, unsigned last, int cloexec)
{
#ifdef __linux__
	return close_range(first, last, cloexec ? CLOSE_RANGE_CLOEXEC : 0);
#else
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (long fd = (long)first; fd < max && fd <= (long)last; fd++) {
		if (cloexec)
			(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		else
			(void)close((int)fd);
	}
	return 0;
#endif
}

/* memrchr(3). */
static inline void *
pg_memrchr(const void *s, int c, size_t n)
{
#ifdef __linux__
	return memrchr(s, c, n);
#else
	const unsigned char *p = (const unsigned char *)s + n;

	while (p > (const unsigned char *)s)
		if (*--p == (unsigned char)c)
			return (void *)(uintptr_t)p;
	return NULL;
#endif
}

/* reallocarray(3). */
static inline void *
pg_reallocarray(void *p, size_t n, size_t size)
{
#ifdef __linux__
	return reallocarray(p, n, size);
#else
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
#endif
}

/*
 * getsockopt(SO_DOMAIN) into *ret: without SO_DOMAIN (macOS), the family of
 * the socket's own address (getsockname).  -1 and errno (ENOTSOCK, ...).
 */
static inline int
pg_sock_domain(int fd, int *ret)
{
#ifdef SO_DOMAIN
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, ret, &len);
#else
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	*ret = ss.ss_family;
	return 0;
#endif
}

/*
 * getsockopt(SO_PROTOCOL) into *ret: without SO_PROTOCOL (macOS), from
 * SO_TYPE: an AF_INET/AF_INET6 SOCK_STREAM socket is IPPROTO_TCP, SOCK_DGRAM
 * IPPROTO_UDP (what socket(2) picks for protocol 0), anything else 0.
 */
static inline int
pg_sock_protocol(int fd, int *ret)
{
#ifdef SO_PROTOCOL
	socklen_t len = sizeof(*ret);

	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, ret, &len);
#else
	socklen_t len = sizeof(int);
	int type = 0, domain = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || pg_sock_domain(fd, &domain) < 0)
		return -1;
	if (domain != AF_INET && domain != AF_INET6)
		*ret = 0;
	else
		*ret = type == SOCK_STREAM ? IPPROTO_TCP : type == SOCK_DGRAM ? IPPROTO_UDP : 0;
	return 0;
#endif
}

/*
 * getresuid(2)/getresgid(2) and setres[ug]id with all three ids the same.
 * macOS cannot read the saved id: it is reported as the effective one (which
 * setuid() by root sets along with it).
 */
static inline int
pg_getresuid(uid_t *r, uid_t *e, uid_t *s)
{
#ifdef __linux__
	return getresuid(r, e, s);
#else
	*r = getuid();
	*e = *s = geteuid();
	return 0;
#endif
}

static inline int
pg_getresgid(gid_t *r, gid_t *e, gid_t *s)
{
#ifdef __linux__
	return getresgid(r, e, s);
#else
	*r = getgid();
	*e = *s = getegid();
	return 0;
#endif
}

static inline int
pg_setresuid(uid_t uid)
{
#ifdef __linux__
	return setresuid(uid, uid, uid);
#else
	return setuid(uid);
#endif
}

static inline int
pg_setresgid(gid_t gid)
{
#ifdef __linux__
	return setresgid(gid, gid, gid);
#else
	return setgid(gid);
#endif
}

/* prctl(PR_SET_NO_NEW_PRIVS): Linux only; elsewhere -1 and ENOSYS. */
static inline int
pg_set_no_new_privs(void)
{
#ifdef __linux__
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * O_PATH where there is one; elsewhere (macOS) a read-only open that does not
 * block on a FIFO: the inode must then be readable by whoever opens it.
 */
#ifdef O_PATH
#define PG_O_PATH O_PATH
#else
#define PG_O_PATH (O_RDONLY | O_NONBLOCK)
#endif

/* Is fd on a file system mounted noexec?  1 yes, 0 no, -1 and errno. */
static inline int
pg_fd_noexec(int fd)
{
#ifdef __linux__
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return -1;
	return (sv.f_flag & ST_NOEXEC) != 0;
#else
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -1;
	return (sf.f_flags & MNT_NOEXEC) != 0;
#endif
}

/* getgrouplist(3); macOS declares its groups as int. */
static inline int
pg_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
#ifdef __APPLE__
	return getgrouplist(user, (int)group, (int *)(void *)groups, ngroups);
#else
	return getgrouplist(user, group, groups, ngroups);
#endif
}

/*
 * The running program's own path, canonical, NUL-terminated in buf: its length,
 * or -1 and errno.  /proc/self/exe on Linux (selfexe-linux.c),
 * _NSGetExecutablePath on macOS (selfexe-darwin.c).
 */
ssize_t pg_self_exe(char *buf, size_t size);

/* clearenv(3): an empty environment. */
int pg_clearenv(void);

/*
 * strerrorname_np(3): "EACCES" for EACCES, NULL for a number it does not
 * know.  A constant string (thread-safe); elsewhere than glibc, a table of
 * the errnos portgate reports.
 */
const char *pg_errno_name(int err);

/*
 * The port (host byte order) of service NAME for protocol PROTO ("tcp",
 * "udp") from the services database, thread-safe: 0, or -ENOENT.
 */
int pg_service_port(const char *name, const char *proto, uint16_t *ret);

#endif
