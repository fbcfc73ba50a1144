// SPDX-License-Identifier: BSD-2-Clause
/*
 * sock.c - bound and listening sockets for a struct pg_bind.
 * Library code: returns -errno, never logs.  Binds with the caller's
 * privilege: the caller has judged the bind against the policy already.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "compat.h"
#include "macro.h"
#include "sock.h"

static bool
is_v4mapped(const uint8_t addr[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(addr, prefix, sizeof(prefix)) == 0;
}

int
pg_socket_bind(const struct pg_bind *b, int type_flags, int *ret_fd)
{
	return pg_socket_bind_opts(b, type_flags, 0, ret_fd);
}

int
pg_socket_bind_opts(const struct pg_bind *b, int type_flags, unsigned opts, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_storage ss;
	socklen_t len;
	int type, proto, one = 1;

	if (type_flags & ~(PG_SOCK_NONBLOCK | PG_SOCK_CLOEXEC))
		return -EINVAL;
	if (opts & ~(PG_SOCK_NO_LISTEN | PG_SOCK_NO_REUSEADDR | PG_SOCK_FREEBIND))
		return -EINVAL;
	if (b->family != AF_INET && b->family != AF_INET6)
		return -EAFNOSUPPORT;
	switch (b->proto) {
	case PG_PROTO_TCP:
		type = SOCK_STREAM;
		proto = IPPROTO_TCP;
		break;
	case PG_PROTO_UDP:
		type = SOCK_DGRAM;
		proto = IPPROTO_UDP;
		break;
	default:
		return -EPROTONOSUPPORT;
	}

	fd = pg_socket(b->family, type | PG_SOCK_CLOEXEC | type_flags, proto);
	if (fd < 0)
		return -errno;

	if (b->family == AF_INET6) {
		/* A v6-only socket cannot bind an IPv4-mapped address (EINVAL). */
		int v6only = !(b->dual_stack || is_v4mapped(b->addr));

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			return -errno;
	}
	/*
	 * SO_REUSEADDR lets a restarted server rebind while old connections sit in
	 * TIME_WAIT; it never lets two TCP listeners share a port.  UDP does not get
	 * it: there it would let a second socket share the port and its traffic.
	 */
	if (type == SOCK_STREAM && !(opts & PG_SOCK_NO_REUSEADDR) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
#ifdef IP_FREEBIND
	if ((opts & PG_SOCK_FREEBIND) &&
	    (b->family == AF_INET
		     ? setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one))
		     : setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one))) < 0)
		return -errno;
#else
	/* No IP_FREEBIND (macOS): an address that is not configured stays EADDRNOTAVAIL. */
	if (opts & PG_SOCK_FREEBIND)
		return -EADDRNOTAVAIL;
#endif

	len = pg_bind_to_sockaddr(b, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	if (type == SOCK_STREAM && !(opts & PG_SOCK_NO_LISTEN) && listen(fd, PG_LISTEN_BACKLOG) < 0)
		return -errno;

	*ret_fd = TAKE_FD(fd);
	return 0;
}
