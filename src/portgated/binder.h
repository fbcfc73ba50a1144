/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * binder.h - the only code in portgated that binds: a client's own socket
 * (BIND_THIS), a socket made for a client (BIND_NEW), or a socket that holds
 * a reserved port (--hold).
 * Privilege: binds with CAP_NET_BIND_SERVICE.  Trust: the caller has judged
 * the bind against the policy; a client's fd is checked here (binder_check_this)
 * before anything else is done with it.
 */
#ifndef PGD_BINDER_H
#define PGD_BINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"
#include "wire.h"

/* The network namespace a client's socket must live in. */
struct binder_netns {
	uint64_t cookie; /* SO_NETNS_COOKIE of the daemon's namespace */
	bool known;	 /* false: the kernel cannot tell (before 5.14) */
	bool allow_other;
};

/* The daemon's own namespace cookie, from a throwaway socket.  0 or -errno. */
int binder_netns_self(uint64_t *ret_cookie);

/*
 * Is fd a socket that req may bind: an AF_INET/AF_INET6 socket of the
 * request's family, SOCK_STREAM+TCP or SOCK_DGRAM+UDP as its proto says, in
 * ns?  On success *ret is the bind to judge, dual_stack taken from the
 * socket's IPV6_V6ONLY (*ret_v6only).  Otherwise the errno to answer with:
 * -ENOTSOCK, -EAFNOSUPPORT, -EPROTOTYPE, or -EXDEV (another network
 * namespace, or one that cannot be checked); why says it in words.
 */
int binder_check_this(int fd, const struct pg_wire_req *req, const struct binder_netns *ns,
		      struct pg_bind *ret, bool *ret_v6only, char *why, size_t whylen);

/* bind(fd) to b: 0 or -errno, as bind() would report it. */
int binder_bind_this(int fd, const struct pg_bind *b);

/*
 * A new close-on-exec socket bound to b for BIND_NEW: TCP gets SO_REUSEADDR,
 * and listen() with PG_WIRE_F_LISTEN.  b->dual_stack must already say whether
 * an IPv6 wildcard is dual-stack.  0 and *ret_fd, or -errno.
 */
int binder_bind_new(const struct pg_bind *b, unsigned flags, int *ret_fd);

/* A socket that holds b: no SO_REUSEADDR, no listen(), a tiny receive buffer. */
struct binder_held {
	int fd;
	bool freebind; /* bound with IP_FREEBIND: the address is not (yet) local */
	int rcvbuf;    /* SO_RCVBUF before it was shrunk, to restore at handover */
};

/* 0 and *ret, or -errno (-EADDRINUSE: someone has the port). */
int binder_hold(const struct pg_bind *b, struct binder_held *ret);

/*
 * Make a held socket what BIND_NEW with flags would have returned: drop the
 * datagrams queued while it was held and restore the receive buffer (UDP), set
 * SO_REUSEADDR and listen() if asked (TCP).  0 or -errno.
 */
int binder_handover(const struct binder_held *h, const struct pg_bind *b, unsigned flags);

#endif
