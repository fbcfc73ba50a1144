/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sock.h - create the socket a struct pg_bind describes: bound, and for TCP
 * listening.  Shared by `portgate run` and the broker, which judge the bind
 * against the policy first: this code binds with whatever privilege it has.
 * Also: close-on-exec, non-blocking sockets and pipes on any platform.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_SOCK_H
#define PG_SOCK_H

#include <limits.h>
#include <sys/socket.h>

#include "spec.h"

/* listen() backlog: the kernel clamps it to net.core.somaxconn, so ask for the most. */
#define PG_LISTEN_BACKLOG INT_MAX

/*
 * Create a close-on-exec socket for b and bind it; a TCP socket gets
 * SO_REUSEADDR and is put in the listening state.  IPV6_V6ONLY is always set
 * explicitly (off only for a dual-stack or IPv4-mapped bind), so the result
 * does not depend on net.ipv6.bindv6only.  type_flags may add PG_SOCK_NONBLOCK (compat.h).
 * Returns 0 and a new fd owned by the caller in *ret_fd, or -errno
 * (-EACCES/-EPERM when the kernel refuses the port, -EADDRINUSE, ...).
 */
int pg_socket_bind(const struct pg_bind *b, int type_flags, int *ret_fd);

/* Options of pg_socket_bind_opts(); 0 gives exactly pg_socket_bind(). */
#define PG_SOCK_NO_LISTEN    0x1 /* TCP: bind only, do not listen() */
#define PG_SOCK_NO_REUSEADDR 0x2 /* TCP: no SO_REUSEADDR (a socket that reserves a port) */
#define PG_SOCK_FREEBIND     0x4 /* IP(V6)_FREEBIND: the address need not be configured yet */

/* pg_socket_bind() with PG_SOCK_* options. */
int pg_socket_bind_opts(const struct pg_bind *b, int type_flags, unsigned opts, int *ret_fd);

/*
 * Close-on-exec, non-blocking fds (sock-flags.c, portable): atomically with
 * SOCK_NONBLOCK|SOCK_CLOEXEC, accept4() and pipe2() where the platform has
 * them, else by fcntl() after socket(), accept() or pipe().  type is a plain
 * SOCK_* type.  Each returns the new fd (pg_pipe_nb: 0, the fds in fds[]), or
 * -errno; on an error no fd is left open.  pg_accept_nb() does not ask for
 * the peer's address.
 */
int pg_socket_nb(int domain, int type, int protocol);
int pg_accept_nb(int fd);
int pg_pipe_nb(int fds[2]);

/* The fcntl() versions, built everywhere so that Linux tests them too. */
int pg_socket_nb_fcntl(int domain, int type, int protocol);
int pg_accept_nb_fcntl(int fd);
int pg_pipe_nb_fcntl(int fds[2]);

/*
 * macOS has no MSG_NOSIGNAL (only the SO_NOSIGPIPE socket option): there a
 * send() to a socket whose peer has gone raises SIGPIPE.  The one place that
 * takes this 0 is the proxy's shovel (shovel.c), and `portgate proxy` ignores
 * SIGPIPE process-wide before it serves (cmd-proxy.c: signal(SIGPIPE,
 * SIG_IGN), inherited by its workers), so nothing is lost there.  Code that
 * runs where SIGPIPE is not ignored (fdpass.c, in the preload shim) must not
 * rely on this and does not include this header.
 */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#endif
