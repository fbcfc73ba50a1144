/*
 * broker.c - ask portgated to bind: connect, send one request (with our
 * socket attached for BIND_THIS), read one reply (with the new socket for
 * BIND_NEW), close.
 * Library code: returns -errno, never logs; linked into the preload shim, so
 * it allocates nothing and leaves no fd behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker.h"
#include "fdpass.h"
#include "macro.h"

const char *
pg_broker_socket_path(void)
{
	const char *p = getenv(PG_WIRE_SOCKET_ENV);

	return p != NULL && *p != '\0' ? p : PG_WIRE_SOCKET;
}

static int
broker_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PG_BROKER_TIMEOUT };
	int fd;

	if (path == NULL)
		path = pg_broker_socket_path();
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

static int
broker_call(const char *path, const struct pg_wire_bind_req *req, int send_fd,
	    struct pg_broker_result *res)
{
	_cleanup_close_ int conn = -1, got_fd = -1;
	union {
		struct pg_wire_reply reply;
		char bytes[PG_WIRE_MAX_MSG];
	} in;
	size_t have = 0;
	int r;

	r = broker_connect(path, &conn);
	if (r < 0)
		return r;
	r = pg_fdpass_send(conn, req, sizeof(*req), send_fd);
	if (r < 0)
		return r == -EAGAIN ? -ETIMEDOUT : r;
	while (have < sizeof(in.reply)) {
		int fd = -1;
		ssize_t n = pg_fdpass_recv(conn, in.bytes + have, sizeof(in.reply) - have, 0, &fd);

		if (n == -EAGAIN)
			return -ETIMEDOUT;
		if (n < 0)
			return (int)n;
		if (fd >= 0) {
			if (got_fd >= 0)
				(void)close(got_fd);
			got_fd = fd;
		}
		if (n == 0)
			return -EPROTO; /* the daemon hung up without an answer */
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
