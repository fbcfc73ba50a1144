/*
 * broker.h - the client side of portgated: ask it to bind a socket we hold
 * (BIND_THIS, used by the preload shim) or to create one for us (BIND_NEW,
 * used by portgate run and proxy).  One connection per call.
 * Library code: returns -errno, never logs; safe inside the preload shim
 * (no allocation, errno of the caller not preserved: the shim does that).
 */
#ifndef PG_BROKER_H
#define PG_BROKER_H

#include "spec.h"
#include "wire.h"

/* How long a client waits for portgated before it gives up (seconds). */
#define PG_BROKER_TIMEOUT 10

struct pg_broker_result {
	int error; /* 0: bound; else the errno bind() should report (EACCES when denied) */
	int fd;	   /* BIND_NEW: the new socket (close-on-exec, caller owns it), else -1 */
	char reason[PG_WIRE_REASON_LEN]; /* the daemon's explanation, may be empty */
};

/* The control socket path: $PORTGATE_SOCKET, else PG_WIRE_SOCKET. */
const char *pg_broker_socket_path(void);

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

#endif
