// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz-spec.c - libFuzzer target for listen specs and sockaddrs.  The first
 * byte picks the pg_spec_parse() flags (bits 0-2), the protocol (bit 3) and
 * IPV6_V6ONLY (bit 4); the rest is both the spec text and a raw sockaddr.
 * A spec that parses must format and parse back to itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "spec.h"

#define FLAG_BITS (PG_SPEC_SHORTHAND | PG_SPEC_SINGLE_PORT | PG_SPEC_PORT_ZERO)

static const char *
spec_dump(const struct pg_spec *s, char buf[static 160])
{
	char hex[2 * sizeof(s->addr.bytes) + 1];

	for (size_t i = 0; i < sizeof(s->addr.bytes); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", s->addr.bytes[i]);
	(void)snprintf(buf, 160, "{proto %d, family %d, %s/%u, ports %u-%u}", (int)s->proto,
		       s->addr.family, hex, s->addr.prefixlen, s->port_lo, s->port_hi);
	return buf;
}

static bool
bind_equal(const struct pg_bind *a, const struct pg_bind *b)
{
	return a->proto == b->proto && a->family == b->family && a->port == b->port &&
	       a->dual_stack == b->dual_stack && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* A bind must survive a trip through a sockaddr, and format without truncation. */
static void
check_bind(const struct pg_bind *b, bool v6only)
{
	char text[PG_BIND_STRLEN], again_text[PG_BIND_STRLEN];
	struct sockaddr_storage ss;
	struct pg_bind again;
	socklen_t sslen;
	int r;

	if (b->family != AF_INET && b->family != AF_INET6)
		fuzz_bug("bind of family %d", b->family);
	if (b->proto != PG_PROTO_TCP && b->proto != PG_PROTO_UDP)
		fuzz_bug("bind of protocol %d", (int)b->proto);
	if (strlen(pg_bind_format(b, text)) >= sizeof(text) - 1)
		fuzz_bug("bind text '%s' may be truncated", text);
	sslen = pg_bind_to_sockaddr(b, &ss);
	if (sslen !=
	    (b->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
		fuzz_bug("sockaddr for '%s' has length %u", text, (unsigned)sslen);
	r = pg_bind_from_sockaddr((const struct sockaddr *)&ss, sslen, b->proto, v6only, &again);
	if (r < 0)
		fuzz_bug("sockaddr for '%s' does not convert back: %s", text, strerror(-r));
	if (!bind_equal(b, &again))
		fuzz_bug("bind '%s' comes back from its sockaddr as '%s'", text,
			 pg_bind_format(&again, again_text));
}

/* What a successful parse may return at all. */
static void
check_spec_fields(const struct pg_spec *s, unsigned flags, const char *text)
{
	static const uint8_t zero[16];
	char dump[160];

	if (s->proto != PG_PROTO_TCP && s->proto != PG_PROTO_UDP)
		fuzz_bug("'%s' parsed to protocol %d", text, (int)s->proto);
	if (s->port_lo > s->port_hi || (s->port_lo == 0 && !(flags & PG_SPEC_PORT_ZERO)))
		fuzz_bug("'%s' parsed to ports %u-%u", text, s->port_lo, s->port_hi);
	switch (s->addr.family) {
	case AF_UNSPEC:
		if (s->addr.prefixlen != 0 || memcmp(s->addr.bytes, zero, 16) != 0)
			fuzz_bug("'%s' parsed to a '*' with an address: %s", text,
				 spec_dump(s, dump));
		break;
	case AF_INET:
		if (s->addr.prefixlen > 32 || memcmp(s->addr.bytes + 4, zero, 12) != 0)
			fuzz_bug("'%s' parsed to a bad IPv4 address: %s", text, spec_dump(s, dump));
		break;
	case AF_INET6:
		if (s->addr.prefixlen > 128)
			fuzz_bug("'%s' parsed to a bad IPv6 prefix: %s", text, spec_dump(s, dump));
		break;
	default:
		fuzz_bug("'%s' parsed to family %d", text, s->addr.family);
	}
}

static void
check_spec(const char *text, size_t len, unsigned flags)
{
	const unsigned strict =
		(flags | PG_SPEC_SINGLE_PORT) & ~(PG_SPEC_SHORTHAND | PG_SPEC_PORT_ZERO);
	const unsigned relaxed =
		(flags | PG_SPEC_SHORTHAND | PG_SPEC_PORT_ZERO) & ~PG_SPEC_SINGLE_PORT;
	struct pg_parse_error err = { .col = (size_t)-1 };
	struct pg_spec spec, again, other;
	char canon[PG_SPEC_STRLEN], addr[64], d1[160], d2[160];
	struct pg_bind b;
	int r;

	r = pg_spec_parse(text, len, flags, &spec, &err);
	if (r < 0) {
		if (r != -EINVAL)
			fuzz_bug("pg_spec_parse() returned %d", r);
		if (err.col > len)
			fuzz_bug("error column %zu is past the end of a %zu-byte spec (%s)",
				 err.col, len, err.msg);
		if (err.msg[0] == '\0')
			fuzz_bug("error without a message at column %zu", err.col);
		/* Stricter flags cannot accept what these refuse; err may be NULL. */
		if (pg_spec_parse(text, len, strict, &other, NULL) == 0)
			fuzz_bug("flags 0x%x accept what flags 0x%x refuse: %s", strict, flags,
				 err.msg);
		return;
	}

	(void)pg_spec_format(&spec, canon);
	check_spec_fields(&spec, flags, canon);
	if (strlen(canon) >= sizeof(canon) - 1)
		fuzz_bug("spec text '%s' may be truncated", canon);
	(void)pg_addr_format(&spec.addr, addr);
	(void)pg_proto_name(spec.proto);

	/* The canonical text means the same spec. */
	r = pg_spec_parse(canon, strlen(canon), flags, &again, &err);
	if (r < 0)
		fuzz_bug("canonical '%s' (flags 0x%x) does not parse: %s", canon, flags, err.msg);
	if (!pg_spec_equal(&spec, &again))
		fuzz_bug("round trip through '%s' (flags 0x%x) changes %s into %s", canon, flags,
			 spec_dump(&spec, d1), spec_dump(&again, d2));

	/* Relaxed flags accept it too, as the same spec. */
	if (pg_spec_parse(text, len, relaxed, &other, NULL) < 0)
		fuzz_bug("flags 0x%x refuse '%s', which flags 0x%x accept", relaxed, canon, flags);
	if (!pg_spec_equal(&spec, &other))
		fuzz_bug("flags 0x%x and 0x%x read '%s' differently: %s, %s", flags, relaxed, canon,
			 spec_dump(&spec, d1), spec_dump(&other, d2));

	/* PG_SPEC_SINGLE_PORT promises a bindable spec. */
	r = pg_spec_to_bind(&spec, &b);
	if (r < 0 && (flags & PG_SPEC_SINGLE_PORT))
		fuzz_bug("'%s' parsed with PG_SPEC_SINGLE_PORT but cannot be bound", canon);
	if (r == 0) {
		if (b.port != spec.port_lo || b.proto != spec.proto)
			fuzz_bug("'%s' binds port %u, protocol %d", canon, b.port, (int)b.proto);
		check_bind(&b, !b.dual_stack);
	}
}

/* The bytes as a sockaddr of exactly that length, in a buffer of exactly that size. */
static void
check_sockaddr(const uint8_t *data, size_t len, enum pg_proto proto, bool v6only)
{
	struct pg_bind b;
	uint8_t *sa;
	int r;

	if (len > 1024)
		return;
	if ((sa = malloc(len ? len : 1)) == NULL)
		return;
	memcpy(sa, data, len);
	r = pg_bind_from_sockaddr((const struct sockaddr *)sa, (socklen_t)len, proto, v6only, &b);
	if (r == 0)
		check_bind(&b, v6only);
	else if (r != -EINVAL && r != -EAFNOSUPPORT)
		fuzz_bug("pg_bind_from_sockaddr() returned %d", r);
	free(sa);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum pg_proto proto;
	bool v6only;

	if (size < 1)
		return 0;
	proto = data[0] & 0x8 ? PG_PROTO_UDP : PG_PROTO_TCP;
	v6only = data[0] & 0x10;
	check_spec((const char *)data + 1, size - 1, data[0] & FLAG_BITS);
	check_sockaddr(data + 1, size - 1, proto, v6only);
	return 0;
}
