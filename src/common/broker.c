// SPDX-License-Identifier: BSD-2-Clause
/*
 * broker.c - ask portgated to bind: connect, send one request (with our
 * socket attached for BIND_THIS), read one reply (with the new socket for
 * BIND_NEW), close; or keep the connection in a caller-held struct
 * pg_broker_conn for the next request (the preload shim, one per thread).
 * Library code: returns -errno, never logs; linked into the preload shim, so
 * it allocates nothing and leaves no fd behind but a kept connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "broker.h"
#include "clock.h"
#include "fdpass.h"
#include "macro.h"

/* How long a request polls for its reply before it sleeps: see await_reply(). */
#define BROKER_POLL_US	   50
#define BROKER_POLL_MAX_US 10000

const char *
pg_broker_socket_path(void)
{
	const char *p = getenv(PG_WIRE_SOCKET_ENV);

	return p != NULL && *p != '\0' ? p : PG_WIRE_SOCKET;
}

int
pg_broker_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PG_BROKER_TIMEOUT };
	int fd;

	if (path == NULL)
		path = pg_broker_socket_path();
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = pg_socket(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A stalled daemon must not hang the program that called bind(). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    RETRY_EINTR(connect(fd, (struct sockaddr *)&sun, sizeof(sun))) < 0) {
		int r = -errno;

		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* PG_BROKER_POLL_ENV's microseconds if it holds a number in range, else the default. */
static uint64_t
poll_us(void)
{
	const char *e = getenv(PG_BROKER_POLL_ENV);
	unsigned long v;

	if (e == NULL || pg_parse_uint(e, strlen(e), BROKER_POLL_MAX_US, &v) < 0)
		return BROKER_POLL_US;
	return v;
}

/*
 * Poll for the reply for a few microseconds before the blocking receive,
 * yielding the CPU between polls (portgated may share it).  portgated answers
 * in a few microseconds; sleeping meanwhile costs a wakeup of an idle CPU,
 * which on a virtual machine is most of a brokered bind (bench/results-bind.md).
 */
static void
await_reply(int conn)
{
	const uint64_t limit = poll_us(), start = limit > 0 ? pg_now_us() : 0;
	char c;

	while (limit > 0 && recv(conn, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN &&
	       pg_now_us() - start < limit)
		(void)sched_yield();
}

/*
 * One request and its reply on conn.  *hung_up says the failure was the
 * connection's (the daemon closed it before a whole reply came), which a
 * request on a kept connection may retry once on a new one.
 */
static int
broker_exchange(int conn, const struct pg_wire_bind_req *req, int send_fd,
		struct pg_broker_result *res, bool *hung_up)
{
	_cleanup_close_ int got_fd = -1;
	union {
		struct pg_wire_reply reply;
		char bytes[PG_WIRE_MAX_MSG];
	} in;
	size_t have = 0;
	int r;

	*hung_up = false;
	r = pg_fdpass_send(conn, req, sizeof(*req), send_fd);
	if (r < 0) {
		*hung_up = r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN;
		return r == -EAGAIN ? -ETIMEDOUT : r;
	}
	await_reply(conn);
	while (have < sizeof(in.reply)) {
		int fd = -1;
		ssize_t n = pg_fdpass_recv(conn, in.bytes + have, sizeof(in.reply) - have, 0, &fd);

		if (n == -EAGAIN)
			return -ETIMEDOUT;
		if (n < 0) {
			*hung_up = n == -ECONNRESET;
			return (int)n;
		}
		if (fd >= 0) {
			if (got_fd >= 0)
				(void)close(got_fd);
			got_fd = fd;
		}
		if (n == 0) {
			*hung_up = true;
			return -EPROTO; /* the daemon hung up without an answer */
		}
		have += (size_t)n;
	}
	if (pg_wire_decode_reply(in.bytes, have, &in.reply) < 0 || in.reply.hdr.id != req->hdr.id)
		return -EPROTO;
	res->error = in.reply.error;
	memcpy(res->reason, in.reply.reason, sizeof(res->reason));
	res->fd = -1;
	if (res->error == 0 && req->hdr.type == PG_WIRE_BIND_NEW) {
		if (got_fd < 0)
			return -EPROTO;
		res->fd = TAKE_FD(got_fd);
	}
	return 0;
}

static int
broker_call(const char *path, const struct pg_wire_bind_req *req, int send_fd,
	    struct pg_broker_result *res)
{
	_cleanup_close_ int conn = -1;
	bool hung_up;
	int r;

	r = pg_broker_connect(path, &conn);
	if (r < 0)
		return r;
	return broker_exchange(conn, req, send_fd, res, &hung_up);
}

int
pg_broker_bind_this(const char *path, int sockfd, const struct pg_bind *b,
		    struct pg_broker_result *res)
{
	struct pg_wire_bind_req req;

	pg_wire_encode_req(PG_WIRE_BIND_THIS, (uint32_t)getpid(), b, 0, &req);
	return broker_call(path, &req, sockfd, res);
}

int
pg_broker_bind_new(const char *path, const struct pg_bind *b, unsigned flags,
		   struct pg_broker_result *res)
{
	struct pg_wire_bind_req req;

	pg_wire_encode_req(PG_WIRE_BIND_NEW, (uint32_t)getpid(), b, flags, &req);
	return broker_call(path, &req, -1, res);
}

/* Who portgated would see at connect(): SO_PEERCRED's euid/egid, SO_PEERGROUPS. */
struct broker_creds {
	uid_t euid;
	gid_t egid;
	int ngroups;
	gid_t groups[PG_BROKER_CONN_GROUPS];
};

/* -errno: not to be remembered (more groups than a kept connection holds). */
static int
broker_creds_now(struct broker_creds *cr)
{
	int n;

	cr->euid = geteuid();
	cr->egid = getegid();
	n = getgroups(PG_BROKER_CONN_GROUPS, cr->groups);
	if (n < 0)
		return -errno;
	cr->ngroups = n;
	return 0;
}

/* Is c->fd still the socket c opened?  (The program may have closed it and reused the number.) */
static bool
conn_fd_is_ours(const struct pg_broker_conn *c)
{
	struct stat st;

	return fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->dev &&
	       st.st_ino == c->ino;
}

void
pg_broker_conn_close(struct pg_broker_conn *c)
{
	if (c->open && conn_fd_is_ours(c))
		(void)close(c->fd);
	c->open = false;
	c->fd = -1;
}

/* May c serve a request now, for this process, these credentials and this path? */
static bool
conn_usable(const struct pg_broker_conn *c, const char *path, const struct broker_creds *cr)
{
	return c->open && c->pid == getpid() && conn_fd_is_ours(c) && c->euid == cr->euid &&
	       c->egid == cr->egid && c->ngroups == cr->ngroups &&
	       memcmp(c->groups, cr->groups, (size_t)cr->ngroups * sizeof(gid_t)) == 0 &&
	       strcmp(c->path, path) == 0;
}

static int
conn_open(struct pg_broker_conn *c, const char *path, const struct broker_creds *cr)
{
	struct stat st;
	int fd, r;

	r = pg_broker_connect(path, &fd);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	c->fd = fd;
	c->pid = getpid();
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->euid = cr->euid;
	c->egid = cr->egid;
	c->ngroups = cr->ngroups;
	memcpy(c->groups, cr->groups, (size_t)cr->ngroups * sizeof(gid_t));
	memcpy(c->path, path, strlen(path) + 1);
	c->open = true;
	return 0;
}

/* Is sockfd bound to port?  (By a request whose reply was lost with its connection.) */
static bool
bound_to_port(int sockfd, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(sockfd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port) == port;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == port;
	return false;
}

int
pg_broker_conn_bind_this(struct pg_broker_conn *c, const char *path, int sockfd,
			 const struct pg_bind *b, struct pg_broker_result *res)
{
	struct pg_wire_bind_req req;
	struct broker_creds cr;
	bool reused, hung_up;
	int r;

	if (path == NULL)
		path = pg_broker_socket_path();
	if (strlen(path) >= sizeof(c->path) || broker_creds_now(&cr) < 0) {
		/* Nothing to remember it by: one connection for this call only. */
		pg_broker_conn_close(c);
		return pg_broker_bind_this(path, sockfd, b, res);
	}
	if (c->open && !conn_usable(c, path, &cr))
		pg_broker_conn_close(c);
	reused = c->open;
	for (int attempt = 0;; attempt++) {
		if (!c->open) {
			r = conn_open(c, path, &cr);
			if (r < 0)
				return r;
		}
		pg_wire_encode_req(PG_WIRE_BIND_THIS, c->next_id++, b, 0, &req);
		r = broker_exchange(c->fd, &req, sockfd, res, &hung_up);
		if (r == 0) {
			/*
			 * The lost request may have bound the socket before its
			 * connection died: then this one meets the kernel's EINVAL.
			 */
			if (attempt > 0 && res->error == EINVAL && bound_to_port(sockfd, b->port)) {
				static const char why[] = "bound by a request whose connection "
							  "closed before its reply";

				res->error = 0;
				memcpy(res->reason, why, sizeof(why));
			}
			return 0;
		}
		/* Its state is unknown now (a late reply could still come): never reuse it. */
		pg_broker_conn_close(c);
		if (!reused || attempt > 0 || !hung_up)
			return r;
	}
}
