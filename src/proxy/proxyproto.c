// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxyproto.c - the HAProxy PROXY protocol header, versions 1 and 2
 * (haproxy doc/proxy-protocol.txt): "PROXY TCP4 src dst sport dport\r\n", or
 * the 12-byte signature, 0x21 (v2, PROXY), the family, a big-endian length
 * and the addresses.  The addresses come from the kernel, not from peers.
 * Library code: pure, no I/O, returns a length or -errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxyproto.h"

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* An address reduced to its family (IPv4-mapped IPv6 becomes AF_INET), bytes and port. */
struct addr {
	int family; /* AF_INET, AF_INET6 or AF_UNSPEC */
	uint8_t bytes[16];
	uint16_t port; /* network order */
};

static struct addr
reduce(const struct sockaddr *sa)
{
	struct addr a = { .family = AF_UNSPEC };

	if (sa == NULL)
		return a;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		a.family = AF_INET;
		memcpy(a.bytes, &in->sin_addr, 4);
		a.port = in->sin_port;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			a.family = AF_INET;
			memcpy(a.bytes, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			a.family = AF_INET6;
			memcpy(a.bytes, &in6->sin6_addr, 16);
		}
		a.port = in6->sin6_port;
	}
	return a;
}

static int
build_v1(const struct addr *s, const struct addr *d, char *buf, size_t size)
{
	char sh[INET6_ADDRSTRLEN], dh[INET6_ADDRSTRLEN];
	int n;

	if (s->family == AF_UNSPEC) {
		n = snprintf(buf, size, "PROXY UNKNOWN\r\n");
	} else {
		if (inet_ntop(s->family, s->bytes, sh, sizeof(sh)) == NULL ||
		    inet_ntop(d->family, d->bytes, dh, sizeof(dh)) == NULL)
			return -EINVAL;
		n = snprintf(buf, size, "PROXY %s %s %s %u %u\r\n",
			     s->family == AF_INET ? "TCP4" : "TCP6", sh, dh, ntohs(s->port),
			     ntohs(d->port));
	}
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENOBUFS; /* snprintf needs room for its NUL; the header does not */
	return n;
}

static int
build_v2(const struct addr *s, const struct addr *d, char *buf, size_t size)
{
	size_t alen = s->family == AF_INET ? 4 : s->family == AF_INET6 ? 16 : 0;
	size_t body = alen * 2 + (alen ? 4 : 0), len = 16 + body;
	uint8_t *p = (uint8_t *)buf;

	if (size < len)
		return -ENOBUFS;
	memcpy(p, v2_sig, sizeof(v2_sig));
	/* Version 2; command PROXY (1), or LOCAL (0) when there is no address to tell. */
	p[12] = alen ? 0x21 : 0x20;
	/* Family and transport: TCP over IPv4 0x11, over IPv6 0x21, or UNSPEC 0x00. */
	p[13] = s->family == AF_INET ? 0x11 : s->family == AF_INET6 ? 0x21 : 0x00;
	p[14] = (uint8_t)(body >> 8);
	p[15] = (uint8_t)body;
	if (alen) {
		memcpy(p + 16, s->bytes, alen);
		memcpy(p + 16 + alen, d->bytes, alen);
		memcpy(p + 16 + 2 * alen, &s->port, 2);
		memcpy(p + 18 + 2 * alen, &d->port, 2);
	}
	return (int)len;
}

int
pg_proxyproto_build(enum pg_proxyproto version, const struct sockaddr *src,
		    const struct sockaddr *dst, char *buf, size_t size)
{
	struct addr s = reduce(src), d = reduce(dst);

	if (s.family != d.family)
		s.family = d.family = AF_UNSPEC;
	switch (version) {
	case PG_PROXYPROTO_V1:
		return build_v1(&s, &d, buf, size);
	case PG_PROXYPROTO_V2:
		return build_v2(&s, &d, buf, size);
	default:
		return -EINVAL;
	}
}
