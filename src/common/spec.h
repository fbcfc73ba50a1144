/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spec.h - listen specs ("tcp://127.0.0.1:80", "udp://[::1]:53-60", "*:http")
 * and the binds they describe.
 *
 * Ports are host byte order everywhere inside portgate; they are converted
 * only where a sockaddr is built or read.  Addresses are kept as network-order
 * bytes, IPv4 in the first four.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_SPEC_H
#define PG_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum pg_proto { PG_PROTO_TCP = 1, PG_PROTO_UDP = 2 };

struct pg_addr {
	int family;	   /* AF_INET, AF_INET6, or AF_UNSPEC for "*" (every address of both) */
	uint8_t prefixlen; /* leading bits that count: 32/128 for one address, 0 for a wildcard */
	uint8_t bytes[16];
};

struct pg_spec {
	enum pg_proto proto;
	struct pg_addr addr;
	uint16_t port_lo;
	uint16_t port_hi; /* == port_lo for a single port */
};

/* Flags for pg_spec_parse(). */
#define PG_SPEC_SHORTHAND   0x1 /* accept ":80" and "127.0.0.1:80" as tcp (command line) */
#define PG_SPEC_SINGLE_PORT 0x2 /* refuse ranges and prefixes: the spec must be bindable */
#define PG_SPEC_PORT_ZERO   0x4 /* accept port 0 (an ephemeral bind) */

/* Why a spec did not parse: the column (0-based, in bytes) and what was expected. */
struct pg_parse_error {
	size_t col;
	char msg[160];
};

/*
 * Parse one listen spec of len bytes.  Returns 0 and fills *ret, or -EINVAL
 * and fills *err (if not NULL) with the offending column and a message.
 */
int pg_spec_parse(const char *text, size_t len, unsigned flags, struct pg_spec *ret,
		  struct pg_parse_error *err);

/* Canonical text of a spec: "tcp://127.0.0.1:80", "udp://[::]:5060-5070". */
#define PG_SPEC_STRLEN 80
const char *pg_spec_format(const struct pg_spec *spec, char buf[static PG_SPEC_STRLEN]);
const char *pg_addr_format(const struct pg_addr *addr, char buf[static 64]);
const char *pg_proto_name(enum pg_proto proto);

bool pg_spec_equal(const struct pg_spec *a, const struct pg_spec *b);

/*
 * The len characters at s as a number in [0, max]: digits only, no sign, no
 * leading "+", at most 10.  0, or -EINVAL (not a number), -ERANGE (over max).
 */
int pg_parse_uint(const char *s, size_t len, unsigned long max, unsigned long *ret);

/* Are all n bytes at p zero (an unspecified address, a reserved field)? */
bool pg_bytes_zero(const void *p, size_t n);

/* One concrete bind: what the kernel hook, the broker and `run` all judge. */
struct pg_bind {
	enum pg_proto proto;
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
	bool dual_stack; /* an AF_INET6 wildcard bind with IPV6_V6ONLY off: IPv4 too */
};

/* Text of a bind, e.g. "tcp/127.0.0.1:80", "tcp/[::]:80 (dual-stack)". */
#define PG_BIND_STRLEN 80
const char *pg_bind_format(const struct pg_bind *b, char buf[static PG_BIND_STRLEN]);

/*
 * The bind a single-port spec asks for.  "*" becomes a dual-stack "[::]" bind.
 * Returns -EINVAL for a range or prefix.
 */
int pg_spec_to_bind(const struct pg_spec *spec, struct pg_bind *ret);

/*
 * The bind a sockaddr asks for.  addrlen may be larger than the address
 * structure (sizeof(struct sockaddr_storage) is legal).  v6only is the socket's
 * IPV6_V6ONLY.  Returns -EAFNOSUPPORT for non-INET families, -EINVAL if short.
 */
int pg_bind_from_sockaddr(const struct sockaddr *sa, socklen_t addrlen, enum pg_proto proto,
			  bool v6only, struct pg_bind *ret);

/* The sockaddr for a bind, and its length. */
socklen_t pg_bind_to_sockaddr(const struct pg_bind *b, struct sockaddr_storage *ret);

#endif
