/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * adopt.h - the shim's adopt mode (`portgate run --adopt`): the program's own
 * socket() + bind() on an address a keeper holds gets the held socket.
 *
 * The keeper passes its listening sockets as open fds, named in
 * PORTGATE_ADOPT ("3,4").  A bind() whose socket has the type, family,
 * address, port (and for [::], IPV6_V6ONLY) of one of them is answered by
 * dup3()ing the held socket over the program's fd: the fd number stays, its
 * close-on-exec flag stays, its O_NONBLOCK is set on the held socket (the
 * flag belongs to the socket, shared with every process that holds it), and
 * bind() returns 0.  listen() on it succeeds (it listens already), close()
 * closes the program's copy only, and a later bind() of a new socket to the
 * same address adopts it again.  Options the program set on its own socket
 * before bind() are not carried over.
 *
 * With --keep --ready=adopt the keeper also names a datagram socket in
 * PORTGATE_ADOPT_NOTIFY ("PID:@NAME", NAME abstract): the process PID tells it
 * "ADOPTED=FD" once it has adopted held fd FD and listen()ed on it (a datagram
 * socket: once adopted); adopt.c says why PID and how.
 *
 * Runs inside foreign programs: silent, errno-preserving, no allocation.
 */
#ifndef PG_ADOPT_H
#define PG_ADOPT_H

#include <sys/socket.h>

/* The fds that may be adopted, as passed by the keeper. */
#define PG_ADOPT_ENV "PORTGATE_ADOPT"
#define PG_ADOPT_MAX 64

/* Where to say "ADOPTED=FD", and which process says it (--ready=adopt). */
#define PG_ADOPT_NOTIFY_ENV "PORTGATE_ADOPT_NOTIFY"
#define PG_ADOPT_MSG	    "ADOPTED="

/* Read PG_ADOPT_ENV and PG_ADOPT_NOTIFY_ENV: called once, from the shim's constructor. */
void pg_adopt_init(void);

/*
 * Try to answer bind(fd, sa, len) with a held socket: 1 adopted (bind() must
 * return 0), 0 nothing held matches (go on as without adopt mode), -errno
 * when one matched but could not be put in place.  errno is left as it was.
 */
int pg_adopt_bind(int fd, const struct sockaddr *sa, socklen_t len);

/*
 * After a successful listen(fd): the held fd that fd now is, if the keeper
 * waits to hear of it from this process (PG_ADOPT_NOTIFY_ENV names it) and has
 * not yet; else -1.  Then pg_adopt_tell() it.  errno is left as it was.
 */
int pg_adopt_listening(int fd);

/* Tell the keeper that held fd h is adopted and listening.  errno is left as it was. */
void pg_adopt_tell(int h);

#endif
