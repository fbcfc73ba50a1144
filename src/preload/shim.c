// SPDX-License-Identifier: BSD-2-Clause
/*
 * shim.c - the bind() that `portgate exec` preloads (portgate-preload(8)).
 * Runs inside arbitrary programs: silent, errno-preserving.  The real bind()
 * goes first; only a TCP/UDP bind to an INET/INET6 port that the kernel refuses
 * with EACCES (or EADDRINUSE: portgated --hold may be keeping the port for its
 * owner) is handed to portgated, which binds that very socket (BIND_THIS).
 * Each thread keeps its connection to portgated for the next such bind
 * (portgate-preload(8), "The connection").  In adopt mode (adopt.h) a held
 * socket answers bind() first, and listen() on one may tell the keeper.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <unistd.h>

#include "compat.h"
#include "adopt.h"
#include "broker.h"
#include "macro.h"
#include "preload.h"
#include "spec.h"

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*listen_fn)(int, int);

/*
 * The only global state: the next bind() in the lookup order.  Resolving it
 * twice is harmless (same answer), so an atomic does without a lock that a
 * fork() could catch held.
 */
static _Atomic(bind_fn) next_bind;
static _Atomic(listen_fn) next_listen; /* the same, for listen() */

/*
 * This thread's connection to portgated, opened on its first brokered bind,
 * close-on-exec.  broker.c uses it only in the process, with the credentials
 * and while the fd is the socket that opened it; the key's destructor closes
 * it when the thread exits.  pthread_once holds nothing across a fork().
 */
static __thread struct pg_broker_conn conn;
static __thread volatile sig_atomic_t conn_busy; /* set while this thread uses conn */
static pthread_once_t conn_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t conn_key;
static bool conn_key_ok;

static void
conn_destroy(void *arg)
{
	int saved = errno;

	pg_broker_conn_close(arg);
	errno = saved;
}

static void
conn_key_create(void)
{
	conn_key_ok = pthread_key_create(&conn_key, conn_destroy) == 0;
}

/* Have conn closed at thread exit; false if it cannot be, and must not outlive the call. */
static bool
conn_register(void)
{
	(void)pthread_once(&conn_key_once, conn_key_create);
	if (!conn_key_ok)
		return false;
	return pthread_getspecific(conn_key) != NULL || pthread_setspecific(conn_key, &conn) == 0;
}

static int
raw_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
#if defined(SYS_bind) && defined(__linux__)
	return (int)syscall(SYS_bind, fd, sa, len);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static bind_fn
real_bind(void)
{
	bind_fn f = atomic_load_explicit(&next_bind, memory_order_acquire);

	if (f == NULL) {
		int saved = errno;

#ifdef __APPLE__
		/* Interposed (interpose-darwin.c): here, in the shim itself, bind is libc's. */
		f = bind;
#else
		f = (bind_fn)dlsym(RTLD_NEXT, "bind");
#endif
		/* No next bind() (a program that is somehow not linked to libc): the syscall. */
		if (f == NULL)
			f = raw_bind;
		atomic_store_explicit(&next_bind, f, memory_order_release);
		errno = saved;
	}
	return f;
}

static int
raw_listen(int fd, int backlog)
{
#ifdef SYS_listen
	return (int)syscall(SYS_listen, fd, backlog);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static listen_fn
real_listen(void)
{
	listen_fn f = atomic_load_explicit(&next_listen, memory_order_acquire);

	if (f == NULL) {
		int saved = errno;

#ifdef __APPLE__
		f = listen; /* interposed (interpose-darwin.c): here it is libc's */
#else
		f = (listen_fn)dlsym(RTLD_NEXT, "listen");
#endif
		if (f == NULL)
			f = raw_listen;
		atomic_store_explicit(&next_listen, f, memory_order_release);
		errno = saved;
	}
	return f;
}

static bool
debugging(void)
{
	const char *d = getenv(PG_PRELOAD_DEBUG_ENV);

	return d != NULL && *d != '\0';
}

/* One line to stderr, in one write(); only called when debugging(). */
static void _printf_(1, 2) debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int saved = errno, n, m;

	n = snprintf(line, sizeof(line), "portgate-preload[%ld]: ", (long)getpid());
	if (n < 0)
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)n + (size_t)m > sizeof(line) - 2)
		m = (int)(sizeof(line) - 2 - (size_t)n);
	line[n + m] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n + (size_t)m + 1);
	errno = saved;
}

static const char *
errname(int err)
{
	const char *s = pg_errno_name(err); /* a constant string: thread-safe */

	return s != NULL ? s : "an unknown error";
}

/*
 * The bind a refused bind() asked for, if portgated can judge it: a TCP or UDP
 * socket of the address's family and a non-zero port.  -errno says why not.
 * Every system call here is paid on each brokered bind, so only what decides:
 * the protocol implies the type (TCP is only SOCK_STREAM, UDP only SOCK_DGRAM;
 * portgated checks both anyway), and IPV6_V6ONLY, which portgated reads from the
 * socket itself, is read only for the debug line.
 */
static int
describe(int fd, const struct sockaddr *sa, socklen_t len, bool debug_line, struct pg_bind *ret)
{
	int domain, protocol, v6only = 0, r;
	socklen_t olen;
	enum pg_proto proto;

	if (pg_sock_domain(fd, &domain) < 0)
		return -errno;
	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	if (pg_sock_protocol(fd, &protocol) < 0)
		return -errno;
	if (protocol == IPPROTO_TCP)
		proto = PG_PROTO_TCP;
	else if (protocol == IPPROTO_UDP)
		proto = PG_PROTO_UDP;
	else
		return -EPROTOTYPE;
	olen = sizeof(v6only);
	if (debug_line && domain == AF_INET6)
		(void)getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
	/* Any addrlen from the structure's size up, AF_UNSPEC + INADDR_ANY on AF_INET. */
	r = pg_bind_from_sockaddr(sa, len, proto, v6only != 0, ret);
	if (r < 0)
		return r;
	if (ret->family != domain)
		return -EAFNOSUPPORT;
	if (ret->port == 0)
		return -EINVAL;
	return 0;
}

/*
 * Exported through shim.map: -fvisibility=hidden hides everything else.  On
 * macOS it is pg_shim_bind, which interpose-darwin.c puts in bind()'s place.
 */
__attribute__((visibility("default"))) int
PG_SHIM_BIND(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pg_broker_result res;
	struct pg_bind b;
	char text[PG_BIND_STRLEN];
	int entry_errno = errno, kernel_errno, r;
	bool debug_line;

	/* Adopt mode first: a held socket is the answer even where the kernel would bind. */
	r = pg_adopt_bind(fd, sa, len);
	if (r == 1) {
		if (debugging())
			debug("bind(fd %d): adopted the socket held for this address", fd);
		return 0;
	}
	if (r < 0) {
		if (debugging())
			debug("bind(fd %d): a held socket matches but could not be adopted (%s)",
			      fd, errname(-r));
		errno = -r;
		return -1;
	}
	if (real_bind()(fd, sa, len) == 0)
		return 0;
	if (errno != EACCES && errno != EADDRINUSE)
		return -1;
	kernel_errno = errno;

	debug_line = debugging();
	r = describe(fd, sa, len, debug_line, &b);
	if (r < 0) {
		if (debug_line)
			debug("bind(fd %d): %s, not asking portgated (%s)", fd,
			      errname(kernel_errno), errname(-r));
		errno = kernel_errno;
		return -1;
	}
	if (conn_busy) {
		/* A signal handler's bind() in the middle of ours: its own connection. */
		r = pg_broker_bind_this(NULL, fd, &b, &res);
	} else {
		conn_busy = 1;
		if (conn_register()) {
			r = pg_broker_conn_bind_this(&conn, NULL, fd, &b, &res);
		} else {
			pg_broker_conn_close(&conn);
			r = pg_broker_bind_this(NULL, fd, &b, &res);
		}
		conn_busy = 0;
	}
	if (r < 0) {
		if (debug_line)
			debug("bind(fd %d, %s): %s; portgated at '%s' not reachable (%s)", fd,
			      pg_bind_format(&b, text), errname(kernel_errno),
			      pg_broker_socket_path(), errname(-r));
		errno = kernel_errno;
		return -1;
	}
	if (res.error == 0) {
		if (debug_line)
			debug("bind(fd %d, %s): %s; bound by portgated (%s)", fd,
			      pg_bind_format(&b, text), errname(kernel_errno), res.reason);
		errno = entry_errno;
		return 0;
	}
	if (debug_line)
		debug("bind(fd %d, %s): %s; portgated says %s (%s)", fd, pg_bind_format(&b, text),
		      errname(kernel_errno), errname(res.error), res.reason);
	/*
	 * The port in use and not held for us: the kernel's EADDRINUSE stands.  A
	 * daemon's answer that is no errno at all must not reach the program.
	 */
	if (kernel_errno == EADDRINUSE)
		errno = EADDRINUSE;
	else
		errno = res.error > 0 && res.error < 4096 ? res.error : kernel_errno;
	return -1;
}

/*
 * Exported too, for adopt mode only: the real listen(), then, when fd is a
 * held socket, the keeper told that PROG adopted it (--ready=adopt, adopt.c).
 */
__attribute__((visibility("default"))) int
PG_SHIM_LISTEN(int fd, int backlog)
{
	int r = real_listen()(fd, backlog), h;

	if (r == 0 && (h = pg_adopt_listening(fd)) >= 0) {
		/* The line first: the keeper's answer to the message may be logged at once. */
		if (debugging())
			debug("listen(fd %d): the held socket (fd %d) is adopted and listening; "
			      "telling the keeper",
			      fd, h);
		pg_adopt_tell(h);
	}
	return r;
}

/* Is LD_PRELOAD entry [p, p+n) this library? */
static bool
is_self(const char *p, size_t n, const char *self, const char *loaded)
{
	return (self != NULL && strlen(self) == n && memcmp(p, self, n) == 0) ||
	       (loaded != NULL && strlen(loaded) == n && memcmp(p, loaded, n) == 0);
}

/* Take this library out of LD_PRELOAD, so the programs we exec start without it. */
static void
leave_ld_preload(void)
{
	const char *old = getenv(PG_PRELOAD_VAR), *self = getenv(PG_PRELOAD_ENV), *loaded = NULL;
	_cleanup_free_ char *keep = NULL;
	size_t used = 0;
	Dl_info info;

	if (old == NULL)
		return;
	if (self != NULL && *self == '\0')
		self = NULL;
	if (dladdr((void *)leave_ld_preload, &info) != 0)
		loaded = info.dli_fname;
	keep = malloc(strlen(old) + 1);
	if (keep == NULL)
		return;
	/* ld.so separates LD_PRELOAD entries by spaces or colons. */
	for (const char *p = old; *p != '\0';) {
		size_t n = strcspn(p, " :");

		if (n > 0 && !is_self(p, n, self, loaded)) {
			if (used > 0)
				keep[used++] = ':';
			memcpy(keep + used, p, n);
			used += n;
		}
		p += n;
		p += strspn(p, " :");
	}
	keep[used] = '\0';
	if (used == 0)
		(void)unsetenv(PG_PRELOAD_VAR);
	else
		(void)setenv(PG_PRELOAD_VAR, keep, 1);
}

/*
 * Count this exec'd generation down (portgate-preload(8), DEPTH): unset, empty
 * or "y" is deep; N >= 2 becomes N-1 for our children; 1 (or anything else)
 * becomes 0 and the shim leaves LD_PRELOAD.  This program keeps the shim.
 */
static void
count_generation(void)
{
	const char *levels = getenv(PG_PRELOAD_LEVELS_ENV);
	char buf[16];
	char *end;
	long n;

	if (levels == NULL || *levels == '\0' || strcmp(levels, PG_PRELOAD_DEEP) == 0)
		return;
	errno = 0;
	n = strtol(levels, &end, 10);
	if (errno != 0 || end == levels || *end != '\0' || n < 1 || n > INT_MAX)
		n = 1;
	(void)snprintf(buf, sizeof(buf), "%ld", n - 1);
	(void)setenv(PG_PRELOAD_LEVELS_ENV, buf, 1);
	if (n == 1)
		leave_ld_preload();
}

__attribute__((constructor)) static void
shim_init(void)
{
	int saved = errno;

	(void)real_bind();
	pg_adopt_init();
	count_generation();
	errno = saved;
}
