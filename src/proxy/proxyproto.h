/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxyproto.h - build the HAProxy PROXY protocol header (v1 text, v2 binary)
 * that tells a backend the client's address.  The addresses come from the
 * kernel (getpeername/getsockname of an accepted socket), not from peers.
 * Library code: pure, no I/O, returns a length or -errno.
 */
#ifndef PG_PROXYPROTO_H
#define PG_PROXYPROTO_H

#include <stddef.h>
#include <sys/socket.h>

enum pg_proxyproto {
	PG_PROXYPROTO_NONE = 0,
	PG_PROXYPROTO_V1 = 1,
	PG_PROXYPROTO_V2 = 2,
};

/* Room for the longest header either version builds (v1: 107 bytes, v2 here: 52). */
#define PG_PROXYPROTO_MAX 108

/*
 * Write the header for a connection from src (the client) to dst (the
 * address it reached) into buf.  IPv4-mapped IPv6 addresses are sent as
 * TCP4.  Addresses that are not both IPv4 or both IPv6 (a UNIX listener)
 * give "PROXY UNKNOWN" (v1) or the LOCAL command (v2), so the backend uses
 * the connection's own address.  Returns the length, or -EINVAL for a bad
 * version and -ENOBUFS when size is too small.
 */
int pg_proxyproto_build(enum pg_proxyproto version, const struct sockaddr *src,
			const struct sockaddr *dst, char *buf, size_t size);

#endif
