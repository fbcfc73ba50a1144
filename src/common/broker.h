/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * broker.h - the client side of portgated: ask it to bind a socket we hold
 * (BIND_THIS, used by the preload shim) or to create one for us (BIND_NEW,
 * used by portgate run and proxy).  The one-shot calls use one connection
 * per call; pg_broker_conn_bind_this() keeps one in a caller-held struct.
 * Library code: returns -errno, never logs; safe inside the preload shim
 * (no allocation, errno of the caller not preserved: the shim does that).
 */
#ifndef PG_BROKER_H
#define PG_BROKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "spec.h"
#include "wire.h"

/* How long a client waits for portgated before it gives up (seconds). */
#define PG_BROKER_TIMEOUT 10

/* Microseconds a request polls for its reply before it sleeps (default 50). */
#define PG_BROKER_POLL_ENV "PORTGATE_BROKER_POLL"

struct pg_broker_result {
	int error; /* 0: bound; else the errno bind() should report (EACCES when denied) */
	int fd;	   /* BIND_NEW: the new socket (close-on-exec, caller owns it), else -1 */
	char reason[PG_WIRE_REASON_LEN]; /* the daemon's explanation, may be empty */
};

/* The control socket path: $PORTGATE_SOCKET, else PG_WIRE_SOCKET. */
const char *pg_broker_socket_path(void);

/*
 * A close-on-exec connection to portgated at path (NULL: the default), with
 * PG_BROKER_TIMEOUT on sends and receives.  0 and *ret_fd, or -errno:
 * -ENOENT (no socket), -ECONNREFUSED (nobody serves it), -EACCES.
 */
int pg_broker_connect(const char *path, int *ret_fd);

/*
 * Ask portgated at path (NULL: pg_broker_socket_path()) to bind sockfd to b.
 * Returns 0 when the daemon answered (the outcome is in *res), or -errno when
 * it could not be asked: -ENOENT/-ECONNREFUSED (not running), -EACCES (the
 * control socket is not ours to use), -ETIMEDOUT, -EPROTO (a bad reply).
 */
int pg_broker_bind_this(const char *path, int sockfd, const struct pg_bind *b,
			struct pg_broker_result *res);

/* Ask portgated for a new socket bound to b; flags are PG_WIRE_F_*.  As above. */
int pg_broker_bind_new(const char *path, const struct pg_bind *b, unsigned flags,
		       struct pg_broker_result *res);

/* Supplementary groups a kept connection remembers; with more, none is kept. */
#define PG_BROKER_CONN_GROUPS 32

/*
 * A connection to portgated kept between calls.  All zero is "none".  It is
 * only ever used by the process and with the credentials that opened it
 * (portgated judges the peer as it was at connect()), and only while its fd is
 * still the socket we opened: a program may have closed it and reused the
 * number, and then it is forgotten, never touched.
 */
struct pg_broker_conn {
	bool open;
	int fd;	   /* close-on-exec */
	pid_t pid; /* the process that connected */
	dev_t dev; /* the socket's identity, to recognise it again */
	ino_t ino;
	uid_t euid; /* what SO_PEERCRED/SO_PEERGROUPS told portgated */
	gid_t egid;
	int ngroups;
	gid_t groups[PG_BROKER_CONN_GROUPS];
	uint32_t next_id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/*
 * pg_broker_bind_this() over *c: reuse the connection if it is still ours
 * (same process, same socket, same credentials, same path), else open one and
 * keep it.  A request on a reused connection that fails in transport (the
 * daemon closed it: idle timeout, restart) is sent once more on a new one.
 * Returns as pg_broker_bind_this(); on any failure the connection is dropped.
 */
int pg_broker_conn_bind_this(struct pg_broker_conn *c, const char *path, int sockfd,
			     const struct pg_bind *b, struct pg_broker_result *res);

/*
 * Close the kept connection if its fd is still our socket (same process and
 * identity), else just forget it.  *c is "none" afterwards.
 */
void pg_broker_conn_close(struct pg_broker_conn *c);

#endif
