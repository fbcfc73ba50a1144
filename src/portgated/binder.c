// SPDX-License-Identifier: BSD-2-Clause
/*
 * binder.c - the only code in portgated that binds (see binder.h).
 * Privilege: binds with CAP_NET_BIND_SERVICE.  Trust: a client's fd is
 * checked before use; the policy was applied by the caller.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "compat.h"
#include "binder.h"
#include "macro.h"
#include "sock.h"

#if !defined(SO_NETNS_COOKIE) && defined(__linux__)
#define SO_NETNS_COOKIE 71 /* Linux 5.14 */
#endif

#define HOLD_DRAIN_MAX 1024 /* datagrams dropped at most at a handover */

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int
sock_type_of(enum pg_proto proto, int *ret_type, int *ret_protocol)
{
	switch (proto) {
	case PG_PROTO_TCP:
		*ret_type = SOCK_STREAM;
		*ret_protocol = IPPROTO_TCP;
		return 0;
	case PG_PROTO_UDP:
		*ret_type = SOCK_DGRAM;
		*ret_protocol = IPPROTO_UDP;
		return 0;
	}
	return -EPROTONOSUPPORT;
}

static int
getsockopt_int(int fd, int level, int name, int *ret)
{
	socklen_t len = sizeof(*ret);

	if (getsockopt(fd, level, name, ret, &len) < 0)
		return -errno;
	return len == sizeof(*ret) ? 0 : -EIO;
}

static bool
addr_is_zero(const uint8_t addr[16])
{
	for (size_t i = 0; i < 16; i++)
		if (addr[i] != 0)
			return false;
	return true;
}

#ifdef SO_NETNS_COOKIE
int
binder_netns_self(uint64_t *ret_cookie)
{
	_cleanup_close_ int fd = pg_socket(AF_INET, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(*ret_cookie);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret_cookie, &len) < 0)
		return -errno;
	return 0;
}
#define HAVE_NETNS 1
#else
/* One network stack (macOS): every socket is in the daemon's, cookie 0. */
int
binder_netns_self(uint64_t *ret_cookie)
{
	*ret_cookie = 0;
	return 0;
}
#define HAVE_NETNS	0
#define SO_NETNS_COOKIE (-1) /* never asked: HAVE_NETNS is 0 */
#endif

int
binder_check_this(int fd, const struct pg_wire_req *req, const struct binder_netns *ns,
		  struct pg_bind *ret, bool *ret_v6only, char *why, size_t whylen)
{
	const char *fam = req->bind.family == AF_INET ? "AF_INET" : "AF_INET6";
	const char *proto = pg_proto_name(req->bind.proto);
	int domain, protocol, want_type = SOCK_STREAM, want_protocol = 0, v6only = 1;
	struct pg_bind b = req->bind;

	/* Each getsockopt() is a system call on the hot path: ask only what decides. */
	if (pg_sock_domain(fd, &domain) < 0) {
		if (errno == ENOTSOCK) {
			(void)snprintf(why, whylen, "the attached fd is not a socket");
			return -ENOTSOCK;
		}
		domain = -1;
	}
	if (domain != req->bind.family) {
		(void)snprintf(why, whylen, "the attached socket is not an %s socket", fam);
		return -EAFNOSUPPORT;
	}
	/* IPPROTO_TCP exists only on SOCK_STREAM sockets, IPPROTO_UDP only on SOCK_DGRAM. */
	if (sock_type_of(req->bind.proto, &want_type, &want_protocol) < 0 ||
	    pg_sock_protocol(fd, &protocol) < 0 || protocol != want_protocol) {
		(void)snprintf(why, whylen, "the attached socket is not a %s (%s) socket", proto,
			       want_type == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
		return -EPROTOTYPE;
	}
	if (HAVE_NETNS && !ns->allow_other) {
		uint64_t cookie = 0;
		socklen_t len = sizeof(cookie);

		if (!ns->known || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0) {
			(void)snprintf(why, whylen,
				       "the socket's network namespace cannot be checked on this "
				       "kernel");
			return -EXDEV;
		}
		if (cookie != ns->cookie) {
			(void)snprintf(why, whylen,
				       "the socket belongs to another network namespace");
			return -EXDEV;
		}
	}
	if (b.family == AF_INET6 && getsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only) < 0) {
		(void)snprintf(why, whylen, "cannot read IPV6_V6ONLY of the socket");
		return -EPROTOTYPE;
	}
	b.dual_stack = b.family == AF_INET6 && !v6only && addr_is_zero(b.addr);
	*ret = b;
	*ret_v6only = b.family == AF_INET6 && v6only;
	return 0;
}

int
binder_bind_this(int fd, const struct pg_bind *b)
{
	struct sockaddr_storage ss;
	socklen_t len = pg_bind_to_sockaddr(b, &ss);

	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	return 0;
}

int
binder_bind_new(const struct pg_bind *b, unsigned flags, int *ret_fd)
{
	unsigned opts = 0;

	/* A v6-only socket cannot have an IPv4-mapped address: what bind() would say. */
	if ((flags & PG_WIRE_F_V6ONLY) && b->family == AF_INET6 &&
	    memcmp(b->addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0)
		return -EINVAL;
	if (b->proto == PG_PROTO_TCP && !(flags & PG_WIRE_F_LISTEN))
		opts |= PG_SOCK_NO_LISTEN;
	return pg_socket_bind_opts(b, 0, opts, ret_fd);
}

int
binder_hold(const struct pg_bind *b, struct binder_held *ret)
{
	const unsigned opts = PG_SOCK_NO_LISTEN | PG_SOCK_NO_REUSEADDR;
	struct binder_held h = { .fd = -1, .rcvbuf = -1 };
	int r, tiny = 1;

	r = pg_socket_bind_opts(b, 0, opts, &h.fd);
	if (r == -EADDRNOTAVAIL) {
		/* Reserve an address before it is configured, so it is ours when it is. */
		r = pg_socket_bind_opts(b, 0, opts | PG_SOCK_FREEBIND, &h.fd);
		h.freebind = r == 0;
	}
	if (r < 0)
		return r;
	/* Datagrams sent to a held port queue up; keep that queue tiny. */
	if (b->proto == PG_PROTO_UDP && getsockopt_int(h.fd, SOL_SOCKET, SO_RCVBUF, &h.rcvbuf) == 0)
		(void)setsockopt(h.fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny));
	*ret = h;
	return 0;
}

int
binder_handover(const struct binder_held *h, const struct pg_bind *b, unsigned flags)
{
	int one = 1;

	if (b->proto == PG_PROTO_UDP) {
		char byte;

		for (int i = 0; i < HOLD_DRAIN_MAX; i++)
			if (recv(h->fd, &byte, sizeof(byte), MSG_DONTWAIT | MSG_TRUNC) < 0)
				break;
		/* The kernel doubles what it is given, and reports the doubled value. */
		if (h->rcvbuf > 0) {
			int half = h->rcvbuf / 2;

			if (setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &half, sizeof(half)) < 0)
				return -errno;
		}
		return 0;
	}
	if (setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if ((flags & PG_WIRE_F_LISTEN) && listen(h->fd, PG_LISTEN_BACKLOG) < 0)
		return -errno;
	return 0;
}
