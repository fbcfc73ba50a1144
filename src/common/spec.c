// SPDX-License-Identifier: BSD-2-Clause
/*
 * spec.c - parse and format listen specs; convert binds to and from sockaddrs.
 * Library code: returns -errno, never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "macro.h"
#include "spec.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int _printf_(3, 4) fail(struct pg_parse_error *err, size_t col, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->col = col;
		va_start(ap, fmt);
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *
pg_proto_name(enum pg_proto proto)
{
	return proto == PG_PROTO_UDP ? "udp" : "tcp";
}

/* True if no bit beyond the first prefixlen bits of bytes[0..n) is set. */
static bool
host_bits_clear(const uint8_t *bytes, size_t n, unsigned prefixlen)
{
	for (size_t i = 0; i < n; i++) {
		unsigned bit = (unsigned)i * 8;
		uint8_t mask;

		if (bit + 8 <= prefixlen)
			continue;
		mask = bit >= prefixlen ? 0xff : (uint8_t)(0xff >> (prefixlen - bit));
		if (bytes[i] & mask)
			return false;
	}
	return true;
}

bool
pg_bytes_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

int
pg_parse_uint(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int
lookup_service(const char *name, size_t len, enum pg_proto proto, uint16_t *ret)
{
	char nbuf[64];

	if (len == 0 || len >= sizeof(nbuf))
		return -ENOENT;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_' ||
		      name[i] == '.' || name[i] == '+'))
			return -ENOENT;
	memcpy(nbuf, name, len);
	nbuf[len] = '\0';
	return pg_service_port(nbuf, pg_proto_name(proto), ret);
}

/* One port: a number or a service name.  col is the column of s in the spec. */
static int
parse_one_port(const char *s, size_t len, size_t col, enum pg_proto proto, unsigned flags,
	       uint16_t *ret, struct pg_parse_error *err)
{
	unsigned long v;
	int r;

	if (len == 0)
		return fail(err, col, "expected a port number or service name");
	if (s[0] >= '0' && s[0] <= '9') {
		r = pg_parse_uint(s, len, 65535, &v);
		if (r == -ERANGE)
			return fail(err, col, "port '%.*s' out of range 1-65535", (int)len, s);
		if (r < 0)
			return fail(err, col, "expected a port number, got '%.*s'", (int)len, s);
		if (v == 0 && !(flags & PG_SPEC_PORT_ZERO))
			return fail(err, col,
				    "port 0 (an ephemeral port) cannot be named in a policy");
		*ret = (uint16_t)v;
		return 0;
	}
	if (lookup_service(s, len, proto, ret) < 0)
		return fail(err, col,
			    "unknown %s service '%.*s' (not a number, not in /etc/services)",
			    pg_proto_name(proto), (int)len, s);
	return 0;
}

static int
parse_ports(const char *s, size_t len, size_t col, enum pg_proto proto, unsigned flags,
	    struct pg_spec *spec, struct pg_parse_error *err)
{
	const char *dash;
	int r;

	/* A service name may itself contain '-' ("http-alt"): try it whole first. */
	if (len > 0 && !(s[0] >= '0' && s[0] <= '9') &&
	    lookup_service(s, len, proto, &spec->port_lo) == 0) {
		spec->port_hi = spec->port_lo;
		return 0;
	}
	dash = memchr(s, '-', len);
	if (dash == NULL) {
		r = parse_one_port(s, len, col, proto, flags, &spec->port_lo, err);
		spec->port_hi = spec->port_lo;
		return r;
	}
	if (flags & PG_SPEC_SINGLE_PORT)
		return fail(err, col, "a port range cannot be bound: name one port, not '%.*s'",
			    (int)len, s);
	r = parse_one_port(s, (size_t)(dash - s), col, proto, flags & ~PG_SPEC_PORT_ZERO,
			   &spec->port_lo, err);
	if (r < 0)
		return r;
	r = parse_one_port(dash + 1, len - (size_t)(dash - s) - 1, col + (size_t)(dash - s) + 1,
			   proto, flags & ~PG_SPEC_PORT_ZERO, &spec->port_hi, err);
	if (r < 0)
		return r;
	if (spec->port_lo > spec->port_hi)
		return fail(err, col, "port range '%.*s' runs backwards", (int)len, s);
	return 0;
}

/* The address part, without brackets; col is where it starts. */
static int
parse_address(const char *s, size_t len, size_t col, bool bracketed, unsigned flags,
	      struct pg_addr *addr, struct pg_parse_error *err)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned long plen = 0;
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned maxlen;

	memset(addr, 0, sizeof(*addr));
	if (!bracketed && len == 1 && s[0] == '*') {
		addr->family = AF_UNSPEC;
		return 0;
	}
	if (alen == 0)
		return fail(err, col, "expected an address: IPv4, [IPv6] or '*'");
	if (alen >= sizeof(buf))
		return fail(err, col, "address '%.*s' is too long", (int)alen, s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (bracketed) {
		if (inet_pton(AF_INET6, buf, addr->bytes) != 1)
			return fail(err, col, "'%s' is not an IPv6 address", buf);
		addr->family = AF_INET6;
		maxlen = 128;
	} else if (inet_pton(AF_INET, buf, addr->bytes) == 1) {
		addr->family = AF_INET;
		maxlen = 32;
	} else if (memchr(buf, ':', alen) != NULL) {
		return fail(err, col, "an IPv6 address needs brackets: '[%s]:PORT'", buf);
	} else {
		return fail(err, col, "expected an IPv4 address, [IPv6] or '*', got '%s'", buf);
	}

	if (slash != NULL) {
		if (flags & PG_SPEC_SINGLE_PORT)
			return fail(err, col,
				    "an address prefix cannot be bound: name one address");
		if (pg_parse_uint(slash + 1, len - alen - 1, maxlen, &plen) < 0)
			return fail(err, col + alen + 1, "expected a prefix length 0-%u", maxlen);
	} else {
		plen = maxlen;
	}

	/* "::ffff:a.b.c.d" is an IPv4 address: judge and store it as one. */
	if (addr->family == AF_INET6 && memcmp(addr->bytes, v4mapped_prefix, 12) == 0) {
		if (plen < 96)
			return fail(err, col,
				    "a prefix of an IPv4-mapped address must be /96 or longer");
		memmove(addr->bytes, addr->bytes + 12, 4);
		memset(addr->bytes + 4, 0, 12);
		addr->family = AF_INET;
		plen -= 96;
		maxlen = 32;
	}
	/* The unspecified address means every address of its family, whatever prefix is written. */
	if (pg_bytes_zero(addr->bytes, maxlen / 8))
		plen = 0;
	if (!host_bits_clear(addr->bytes, maxlen / 8, (unsigned)plen))
		return fail(err, col, "'%.*s' has bits set beyond the /%lu prefix", (int)len, s,
			    plen);
	addr->prefixlen = (uint8_t)plen;
	return 0;
}

int
pg_spec_parse(const char *text, size_t len, unsigned flags, struct pg_spec *ret,
	      struct pg_parse_error *err)
{
	struct pg_spec spec = { 0 };
	size_t pos = 0, astart, aend, pstart;
	bool bracketed = false;
	const char *sep;
	int r;

	if (len >= 6 && memcmp(text, "tcp://", 6) == 0) {
		spec.proto = PG_PROTO_TCP;
		pos = 6;
	} else if (len >= 6 && memcmp(text, "udp://", 6) == 0) {
		spec.proto = PG_PROTO_UDP;
		pos = 6;
	} else if ((flags & PG_SPEC_SHORTHAND) && memmem(text, len, "://", 3) == NULL) {
		spec.proto = PG_PROTO_TCP;
	} else {
		return fail(err, 0, "expected 'tcp://' or 'udp://' at the start of '%.*s'",
			    (int)len, text);
	}

	if (pos < len && text[pos] == '[') {
		sep = memchr(text + pos, ']', len - pos);
		if (sep == NULL)
			return fail(err, pos, "missing ']' after the IPv6 address");
		bracketed = true;
		astart = pos + 1;
		aend = (size_t)(sep - text);
		pos = aend + 1;
		if (pos >= len || text[pos] != ':')
			return fail(err, pos, "expected ':PORT' after ']'");
	} else {
		sep = NULL;
		for (size_t i = len; i > pos; i--)
			if (text[i - 1] == ':') {
				sep = text + i - 1;
				break;
			}
		if (sep == NULL)
			return fail(err, len, "expected ':PORT' at the end of '%.*s'", (int)len,
				    text);
		astart = pos;
		aend = pos = (size_t)(sep - text);
	}
	pstart = pos + 1;

	if (aend == astart && !bracketed && (flags & PG_SPEC_SHORTHAND)) {
		spec.addr.family = AF_UNSPEC; /* ":80" means every address, like "*:80" */
	} else {
		r = parse_address(text + astart, aend - astart, astart, bracketed, flags,
				  &spec.addr, err);
		if (r < 0)
			return r;
	}
	r = parse_ports(text + pstart, len - pstart, pstart, spec.proto, flags, &spec, err);
	if (r < 0)
		return r;
	*ret = spec;
	return 0;
}

const char *
pg_addr_format(const struct pg_addr *addr, char buf[static 64])
{
	char a[INET6_ADDRSTRLEN];
	unsigned full = addr->family == AF_INET ? 32 : 128;

	if (addr->family == AF_UNSPEC) {
		(void)snprintf(buf, 64, "*");
		return buf;
	}
	(void)inet_ntop(addr->family, addr->bytes, a, sizeof(a));
	if (addr->prefixlen == full || (addr->prefixlen == 0 && pg_bytes_zero(addr->bytes, 16)))
		(void)snprintf(buf, 64, addr->family == AF_INET ? "%s" : "[%s]", a);
	else
		(void)snprintf(buf, 64, addr->family == AF_INET ? "%s/%u" : "[%s/%u]", a,
			       addr->prefixlen);
	return buf;
}

const char *
pg_spec_format(const struct pg_spec *spec, char buf[static PG_SPEC_STRLEN])
{
	char a[64];

	(void)pg_addr_format(&spec->addr, a);
	if (spec->port_lo == spec->port_hi)
		(void)snprintf(buf, PG_SPEC_STRLEN, "%s://%s:%u", pg_proto_name(spec->proto), a,
			       spec->port_lo);
	else /* %.51s: "[" + the longest IPv6 text + "/128]"; tells gcc the result fits */
		(void)snprintf(buf, PG_SPEC_STRLEN, "%s://%.51s:%u-%u", pg_proto_name(spec->proto),
			       a, spec->port_lo, spec->port_hi);
	return buf;
}

bool
pg_spec_equal(const struct pg_spec *a, const struct pg_spec *b)
{
	return a->proto == b->proto && a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       a->addr.family == b->addr.family && a->addr.prefixlen == b->addr.prefixlen &&
	       memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes)) == 0;
}

const char *
pg_bind_format(const struct pg_bind *b, char buf[static PG_BIND_STRLEN])
{
	char a[INET6_ADDRSTRLEN];

	(void)inet_ntop(b->family, b->addr, a, sizeof(a));
	(void)snprintf(buf, PG_BIND_STRLEN, b->family == AF_INET ? "%s/%s:%u%s" : "%s/[%s]:%u%s",
		       pg_proto_name(b->proto), a, b->port, b->dual_stack ? " (dual-stack)" : "");
	return buf;
}

int
pg_spec_to_bind(const struct pg_spec *spec, struct pg_bind *ret)
{
	struct pg_bind b = { .proto = spec->proto, .port = spec->port_lo };

	if (spec->port_lo != spec->port_hi)
		return -EINVAL;
	switch (spec->addr.family) {
	case AF_UNSPEC:
		b.family = AF_INET6;
		b.dual_stack = true;
		break;
	case AF_INET:
		if (spec->addr.prefixlen != 32 && !pg_bytes_zero(spec->addr.bytes, 4))
			return -EINVAL;
		b.family = AF_INET;
		memcpy(b.addr, spec->addr.bytes, 4);
		break;
	case AF_INET6:
		if (spec->addr.prefixlen != 128 && !pg_bytes_zero(spec->addr.bytes, 16))
			return -EINVAL;
		b.family = AF_INET6;
		memcpy(b.addr, spec->addr.bytes, 16);
		break;
	default:
		return -EINVAL;
	}
	*ret = b;
	return 0;
}

int
pg_bind_from_sockaddr(const struct sockaddr *sa, socklen_t addrlen, enum pg_proto proto,
		      bool v6only, struct pg_bind *ret)
{
	struct pg_bind b = { .proto = proto };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (sa == NULL || addrlen < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	switch (sa->sa_family) {
	case AF_UNSPEC:
		/* Linux binds an AF_INET socket given AF_UNSPEC + INADDR_ANY to 0.0.0.0. */
	case AF_INET:
		if (addrlen < (socklen_t)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		if (sa->sa_family == AF_UNSPEC && sin.sin_addr.s_addr != htonl(INADDR_ANY))
			return -EAFNOSUPPORT;
		b.family = AF_INET;
		memcpy(b.addr, &sin.sin_addr, 4);
		b.port = ntohs(sin.sin_port);
		break;
	case AF_INET6:
		if (addrlen < (socklen_t)sizeof(sin6))
			return -EINVAL;
		memcpy(&sin6, sa, sizeof(sin6));
		b.family = AF_INET6;
		memcpy(b.addr, &sin6.sin6_addr, 16);
		b.port = ntohs(sin6.sin6_port);
		b.dual_stack = !v6only && pg_bytes_zero(b.addr, 16);
		break;
	default:
		return -EAFNOSUPPORT;
	}
	*ret = b;
	return 0;
}

socklen_t
pg_bind_to_sockaddr(const struct pg_bind *b, struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (b->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ret;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(b->port);
		memcpy(&sin->sin_addr, b->addr, 4);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(b->port);
		memcpy(&sin6->sin6_addr, b->addr, 16);
		return sizeof(*sin6);
	}
}
