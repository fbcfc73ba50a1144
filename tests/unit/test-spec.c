// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-spec.c - listen spec parsing and formatting, binds from sockaddrs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "spec.h"
#include "tap.h"

static int
parse(const char *s, unsigned flags, struct pg_spec *spec, struct pg_parse_error *err)
{
	return pg_spec_parse(s, strlen(s), flags, spec, err);
}

/* The spec parses and formats back to want. */
static void
roundtrip(const char *in, unsigned flags, const char *want)
{
	struct pg_spec spec;
	struct pg_parse_error err = { 0 };
	char buf[PG_SPEC_STRLEN];
	int r = parse(in, flags, &spec, &err);

	ok(r == 0, "'%s' parses", in);
	if (r < 0)
		tap_diag("  error at %zu: %s", err.col, err.msg);
	else
		is_str(pg_spec_format(&spec, buf), want, "'%s' formats as '%s'", in, want);
}

/* The spec is refused at column col with a message containing needle. */
static void
refused(const char *in, unsigned flags, size_t col, const char *needle)
{
	struct pg_spec spec;
	struct pg_parse_error err = { 0 };

	is_int(parse(in, flags, &spec, &err), -EINVAL, "'%s' is refused", in);
	is_int(err.col, col, "  ... at column %zu", col);
	ok(strstr(err.msg, needle) != NULL, "  ... saying '%s' (got '%s')", needle, err.msg);
}

static void
test_parse(void)
{
	struct pg_spec s;

	roundtrip("tcp://127.0.0.1:80", 0, "tcp://127.0.0.1:80");
	roundtrip("udp://[::1]:53", 0, "udp://[::1]:53");
	roundtrip("tcp://*:443", 0, "tcp://*:443");
	roundtrip("tcp://0.0.0.0:80", 0, "tcp://0.0.0.0:80");
	roundtrip("tcp://[::]:80", 0, "tcp://[::]:80");
	roundtrip("tcp://0.0.0.0/0:80", 0, "tcp://0.0.0.0:80");
	roundtrip("tcp://0.0.0.0/32:80", 0, "tcp://0.0.0.0:80"); /* found by fuzz-spec */
	roundtrip("tcp://[::/128]:80", 0, "tcp://[::]:80");
	roundtrip("tcp://10.0.0.0/8:8000-8099", 0, "tcp://10.0.0.0/8:8000-8099");
	roundtrip("udp://[2001:db8::/32]:5060", 0, "udp://[2001:db8::/32]:5060");
	roundtrip("tcp://*:http", 0, "tcp://*:80");
	roundtrip("tcp://*:http-alt", 0, "tcp://*:8080");
	roundtrip("udp://*:domain", 0, "udp://*:53");
	roundtrip("tcp://*:sip-5070", 0, "tcp://*:5060-5070");
	roundtrip("tcp://[::ffff:127.0.0.1]:80", 0, "tcp://127.0.0.1:80");
	roundtrip("tcp://[::ffff:10.0.0.0/104]:80", 0, "tcp://10.0.0.0/8:80");
	roundtrip(":80", PG_SPEC_SHORTHAND, "tcp://*:80");
	roundtrip("127.0.0.1:80", PG_SPEC_SHORTHAND, "tcp://127.0.0.1:80");
	roundtrip("[::1]:8080", PG_SPEC_SHORTHAND, "tcp://[::1]:8080");
	roundtrip("udp://*:53", PG_SPEC_SHORTHAND, "udp://*:53");
	roundtrip("tcp://*:0", PG_SPEC_PORT_ZERO, "tcp://*:0");

	ok(parse("tcp://127.0.0.1:80", 0, &s, NULL) == 0 && s.addr.prefixlen == 32 &&
		   s.addr.family == AF_INET,
	   "a single IPv4 address is a /32");
	ok(parse("tcp://0.0.0.0:80", 0, &s, NULL) == 0 && s.addr.prefixlen == 0,
	   "0.0.0.0 means every IPv4 address");
	ok(parse("tcp://0.0.0.0/32:80", 0, &s, NULL) == 0 && s.addr.prefixlen == 0,
	   "0.0.0.0/32 is the wildcard too, as it formats");
	ok(parse("tcp://[::]:80", 0, &s, NULL) == 0 && s.addr.prefixlen == 0 &&
		   s.addr.family == AF_INET6,
	   "[::] means every IPv6 address");
	ok(parse("tcp://*:80", 0, &s, NULL) == 0 && s.addr.family == AF_UNSPEC,
	   "* means every address of both families");
	ok(parse("udp://*:1-65535", 0, &s, NULL) == 0 && s.port_lo == 1 && s.port_hi == 65535,
	   "the full range");

	refused("http://1.2.3.4:80", 0, 0, "expected 'tcp://' or 'udp://'");
	refused(":80", 0, 0, "expected 'tcp://' or 'udp://'");
	refused("tcp://1.2.3.4", 0, 13, "expected ':PORT'");
	refused("tcp://::1:80", 0, 6, "needs brackets");
	refused("tcp://[::1:80", 0, 6, "missing ']'");
	refused("tcp://[::1]80", 0, 11, "expected ':PORT' after ']'");
	refused("tcp://[1.2.3.4]:80", 0, 7, "not an IPv6 address");
	refused("tcp://localhost:80", 0, 6, "expected an IPv4 address");
	refused("tcp://:80", 0, 6, "expected an address");
	refused("tcp://1.2.3.4:0", 0, 14, "port 0");
	refused("tcp://1.2.3.4:65536", 0, 14, "out of range");
	refused("tcp://1.2.3.4:-1", 0, 14, "expected a port number");
	refused("tcp://1.2.3.4:90-80", 0, 14, "runs backwards");
	refused("tcp://1.2.3.4:80-", 0, 17, "expected a port number");
	refused("tcp://1.2.3.4:nosuchservice", 0, 14, "unknown tcp service 'nosuchservice'");
	refused("tcp://1.2.3.4:+80", 0, 14, "unknown tcp service");
	refused("tcp://1.2.3.4/24:80", 0, 6, "bits set beyond the /24");
	refused("tcp://1.2.3.0/33:80", 0, 14, "prefix length 0-32");
	refused("tcp://[::ffff:1.2.3.4/64]:80", 0, 7, "/96 or longer");
	refused("tcp://10.0.0.0/8:80", PG_SPEC_SINGLE_PORT, 6, "cannot be bound");
	refused("tcp://*:80-90", PG_SPEC_SINGLE_PORT, 8, "cannot be bound");
	refused("ftp://x", PG_SPEC_SHORTHAND, 0, "expected 'tcp://' or 'udp://'");
}

static void
test_binds(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin = { .sin_family = AF_UNSPEC, .sin_port = htons(80) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct pg_spec spec;
	struct pg_bind b;
	char buf[PG_BIND_STRLEN];

	ok(parse("tcp://*:80", 0, &spec, NULL) == 0 && pg_spec_to_bind(&spec, &b) == 0 &&
		   b.family == AF_INET6 && b.dual_stack,
	   "* binds a dual-stack [::] socket");
	is_str(pg_bind_format(&b, buf), "tcp/[::]:80 (dual-stack)", "  ... and says so");
	ok(parse("tcp://[::]:80", 0, &spec, NULL) == 0 && pg_spec_to_bind(&spec, &b) == 0 &&
		   b.family == AF_INET6 && !b.dual_stack,
	   "[::] binds IPv6 only");
	ok(parse("udp://0.0.0.0:53", 0, &spec, NULL) == 0 && pg_spec_to_bind(&spec, &b) == 0 &&
		   b.family == AF_INET && b.proto == PG_PROTO_UDP,
	   "0.0.0.0 binds IPv4");
	ok(parse("tcp://*:80-81", 0, &spec, NULL) == 0 && pg_spec_to_bind(&spec, &b) == -EINVAL,
	   "a range is not one bind");

	is_int(pg_bind_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), PG_PROTO_TCP, false, &b),
	       0, "AF_UNSPEC + INADDR_ANY is an IPv4 wildcard bind (as Linux treats it)");
	ok(b.family == AF_INET && b.port == 80, "  ... to 0.0.0.0:80");
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	is_int(pg_bind_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), PG_PROTO_TCP, false, &b),
	       -EAFNOSUPPORT, "AF_UNSPEC with another address is refused");
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sin6, sizeof(sin6));
	is_int(pg_bind_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), PG_PROTO_TCP, false, &b),
	       0, "addrlen = sizeof(struct sockaddr_storage) is accepted");
	ok(b.family == AF_INET6 && b.port == 443 && b.dual_stack, "  ... [::]:443 dual-stack");
	is_int(pg_bind_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), PG_PROTO_TCP, true, &b), 0,
	       "with IPV6_V6ONLY");
	ok(!b.dual_stack, "  ... not dual-stack");
	is_int(pg_bind_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6) - 1, PG_PROTO_TCP,
				     false, &b),
	       -EINVAL, "a short AF_INET6 address is refused");
	ss.ss_family = AF_UNIX;
	is_int(pg_bind_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), PG_PROTO_TCP, false, &b),
	       -EAFNOSUPPORT, "AF_UNIX is not ours");
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	ok(pg_bind_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), PG_PROTO_UDP, false, &b) ==
			   0 &&
		   !b.dual_stack,
	   "a specific IPv6 address is never dual-stack");
	is_int(pg_bind_to_sockaddr(&b, &ss), sizeof(struct sockaddr_in6), "back to a sockaddr_in6");
	ok(memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, &sin6.sin6_addr, 16) == 0 &&
		   ((struct sockaddr_in6 *)&ss)->sin6_port == htons(443),
	   "  ... with the same address and port");
}

int
main(void)
{
	test_parse();
	test_binds();
	return tap_done();
}
