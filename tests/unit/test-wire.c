// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-wire.c - the portgated protocol codec (doc/wire.md): round trips,
 * framing, and every validation rule of the request and reply decoders.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"
#include "wire.h"

static struct pg_wire_bind_req
valid_req(void)
{
	struct pg_bind b = bind_of(PG_PROTO_TCP, "127.0.0.1", 80, false);
	struct pg_wire_bind_req m;

	pg_wire_encode_req(PG_WIRE_BIND_NEW, 7, &b, PG_WIRE_F_LISTEN, &m);
	return m;
}

static void
test_layout(void)
{
	struct pg_wire_bind_req m = valid_req();
	const uint8_t *p = (const uint8_t *)&m;
	uint32_t u32;
	uint16_t u16;

	is_int(sizeof(struct pg_wire_hdr), 16, "the header is 16 bytes");
	is_int(sizeof(struct pg_wire_bind_req), 40, "a request is 40 bytes");
	is_int(sizeof(struct pg_wire_reply), 184, "a reply is 184 bytes");
	is_int(PG_WIRE_MAX_MSG, 184, "the largest message is a reply");
	ok(memcmp(p, "PGW1", 4) == 0, "the magic reads 'PGW1' in memory");
	memcpy(&u16, p + 4, 2);
	is_int(u16, 1, "version at offset 4");
	memcpy(&u16, p + 6, 2);
	is_int(u16, PG_WIRE_BIND_NEW, "type at offset 6");
	memcpy(&u32, p + 8, 4);
	is_int(u32, 40, "length at offset 8 covers the whole message");
	memcpy(&u32, p + 12, 4);
	is_int(u32, 7, "id at offset 12");
	is_int(p[16], PG_PROTO_TCP, "proto at offset 16");
	is_int(p[17], 4, "family 4 at offset 17");
	is_int(p[18], PG_WIRE_F_LISTEN, "flags at offset 18");
	memcpy(&u16, p + 20, 2);
	is_int(u16, 80, "port at offset 20, host order");
	ok(p[24] == 127 && p[25] == 0 && p[26] == 0 && p[27] == 1,
	   "IPv4 address at offset 24 in network order");
}

static void
roundtrip(enum pg_wire_type type, enum pg_proto proto, const char *addr, uint16_t port,
	  unsigned flags)
{
	struct pg_bind b = bind_of(proto, addr, port, false);
	struct pg_wire_bind_req m;
	struct pg_wire_req r;

	b.dual_stack = true; /* never sent: the daemon decides it */
	pg_wire_encode_req(type, 0xdeadbeef, &b, flags, &m);
	is_int(pg_wire_msg_len(&m, sizeof(m)), 40, "%s %s:%u: length from the header", addr,
	       type == PG_WIRE_BIND_NEW ? "new" : "this", port);
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), 0, "%s:%u decodes", addr, port);
	ok(r.type == type && r.id == 0xdeadbeef && r.flags == flags, "%s:%u: type, id, flags", addr,
	   port);
	ok(r.bind.proto == proto && r.bind.family == b.family && r.bind.port == port &&
		   memcmp(r.bind.addr, b.addr, 16) == 0,
	   "%s:%u: the bind survives", addr, port);
	ok(!r.bind.dual_stack, "%s:%u: dual_stack is left to the daemon", addr, port);
}

static void
test_roundtrips(void)
{
	roundtrip(PG_WIRE_BIND_THIS, PG_PROTO_TCP, "127.0.0.1", 80, 0);
	roundtrip(PG_WIRE_BIND_THIS, PG_PROTO_UDP, "::1", 53, 0);
	roundtrip(PG_WIRE_BIND_NEW, PG_PROTO_TCP, "::", 65535, PG_WIRE_F_V6ONLY | PG_WIRE_F_LISTEN);
	roundtrip(PG_WIRE_BIND_NEW, PG_PROTO_UDP, "0.0.0.0", 1, 0);
	roundtrip(PG_WIRE_BIND_NEW, PG_PROTO_TCP, "::ffff:127.0.0.1", 443, PG_WIRE_F_LISTEN);
}

static void
test_framing(void)
{
	struct pg_wire_bind_req m = valid_req();

	is_int(pg_wire_msg_len(&m, 0), 0, "no bytes: length unknown");
	is_int(pg_wire_msg_len(&m, 15), 0, "15 bytes: length unknown");
	is_int(pg_wire_msg_len(&m, 16), 40, "16 bytes: the header says 40");
	m.hdr.magic ^= 1;
	is_int(pg_wire_msg_len(&m, 16), -EPROTO, "bad magic: EPROTO");
	m = valid_req();
	m.hdr.version = 2;
	is_int(pg_wire_msg_len(&m, 16), -EPROTO, "unknown version: EPROTO");
	m.hdr.version = 0;
	is_int(pg_wire_msg_len(&m, 16), -EPROTO, "version 0: EPROTO");
	m = valid_req();
	m.hdr.len = 15;
	is_int(pg_wire_msg_len(&m, 16), -EMSGSIZE, "length below the header: EMSGSIZE");
	m.hdr.len = 185;
	is_int(pg_wire_msg_len(&m, 16), -EMSGSIZE, "length above the largest message: EMSGSIZE");
	m.hdr.len = 0xffffffff;
	is_int(pg_wire_msg_len(&m, 16), -EMSGSIZE, "length 4 GiB: EMSGSIZE");
	m.hdr.len = 16;
	is_int(pg_wire_msg_len(&m, 16), 16, "a bare header is a length the framer accepts");
	m.hdr.len = 184;
	is_int(pg_wire_msg_len(&m, 16), 184, "so is the largest message");
}

/* Change one request byte at offset off to val; the decoder must say want. */
static void
req_rule(size_t off, uint8_t val, int want, const char *what)
{
	struct pg_wire_bind_req m = valid_req();
	struct pg_wire_req r = { .id = 99 };

	((uint8_t *)&m)[off] = val;
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), want, "%s", what);
	if (want < 0)
		is_int(r.id, 99, "%s: output untouched", what);
}

static void
test_request_rules(void)
{
	struct pg_wire_bind_req m = valid_req();
	uint8_t big[PG_WIRE_MAX_MSG] = { 0 };
	struct pg_wire_req r;
	struct pg_bind b;

	is_int(pg_wire_decode_req(&m, sizeof(m), &r), 0, "the base request is valid");
	is_int(pg_wire_decode_req(&m, 39, &r), -EMSGSIZE, "one byte short: EMSGSIZE");
	is_int(pg_wire_decode_req(&m, 15, &r), -EMSGSIZE, "shorter than a header: EMSGSIZE");
	memcpy(big, &m, sizeof(m));
	is_int(pg_wire_decode_req(big, 41, &r), -EMSGSIZE, "n larger than len: EMSGSIZE");
	((struct pg_wire_hdr *)big)->len = 41;
	is_int(pg_wire_decode_req(big, 41, &r), -EMSGSIZE, "a 41-byte request: EMSGSIZE");
	((struct pg_wire_hdr *)big)->len = 184;
	is_int(pg_wire_decode_req(big, 184, &r), -EMSGSIZE, "a reply-sized request: EMSGSIZE");
	m.hdr.magic = 0;
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), -EPROTO, "bad magic: EPROTO");
	m = valid_req();
	m.hdr.version = 9;
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), -EPROTO, "bad version: EPROTO");

	req_rule(6, PG_WIRE_REPLY, -EPROTO, "a REPLY as a request: EPROTO");
	req_rule(6, 0, -EPROTO, "type 0: EPROTO");
	req_rule(6, 3, -EPROTO, "type 3: EPROTO");
	req_rule(16, 0, -EINVAL, "proto 0: EINVAL");
	req_rule(16, 3, -EINVAL, "proto 3: EINVAL");
	req_rule(17, 0, -EINVAL, "family 0: EINVAL");
	req_rule(17, 5, -EINVAL, "family 5: EINVAL");
	req_rule(17, AF_INET6, -EINVAL, "family AF_INET6 (10) instead of 6: EINVAL");
	req_rule(18, 0x4, -EINVAL, "unknown flag 0x4: EINVAL");
	req_rule(18, 0x80, -EINVAL, "unknown flag 0x80: EINVAL");
	req_rule(19, 1, -EINVAL, "reserved byte 19: EINVAL");
	req_rule(22, 1, -EINVAL, "reserved byte 22: EINVAL");
	req_rule(23, 0x80, -EINVAL, "reserved byte 23: EINVAL");
	req_rule(28, 1, -EINVAL, "IPv4 garbage in addr byte 4: EINVAL");
	req_rule(39, 1, -EINVAL, "IPv4 garbage in addr byte 15: EINVAL");

	m = valid_req();
	m.port = 0;
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), -EINVAL, "port 0: EINVAL");
	m = valid_req();
	m.port = 65535;
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), 0, "port 65535 is valid");

	b = bind_of(PG_PROTO_TCP, "127.0.0.1", 80, false);
	pg_wire_encode_req(PG_WIRE_BIND_THIS, 1, &b, PG_WIRE_F_V6ONLY, &m);
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), -EINVAL, "BIND_THIS with V6ONLY: EINVAL");
	pg_wire_encode_req(PG_WIRE_BIND_THIS, 1, &b, PG_WIRE_F_LISTEN, &m);
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), -EINVAL, "BIND_THIS with LISTEN: EINVAL");
	b = bind_of(PG_PROTO_UDP, "2001:db8::1", 5060, false);
	pg_wire_encode_req(PG_WIRE_BIND_THIS, 1, &b, 0, &m);
	is_int(pg_wire_decode_req(&m, sizeof(m), &r), 0, "IPv6 uses all 16 address bytes");
}

static void
test_reply(void)
{
	struct pg_wire_reply m, r;
	char longtext[400];

	pg_wire_encode_reply(42, EACCES, "denied by rule x", &m);
	is_int(pg_wire_msg_len(&m, sizeof(m)), 184, "a reply's length from the header");
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), 0, "a reply decodes");
	ok(r.hdr.id == 42 && r.error == EACCES && strcmp(r.reason, "denied by rule x") == 0,
	   "id, error and reason survive");

	pg_wire_encode_reply(1, 0, NULL, &m);
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), 0, "no reason is an empty reason");
	is_str(r.reason, "", "the reason is empty");

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	pg_wire_encode_reply(1, 0, longtext, &m);
	is_int(strlen(m.reason), PG_WIRE_REASON_LEN - 1, "a long reason is cut, NUL-terminated");

	memset(m.reason, 'y', sizeof(m.reason));
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), 0, "an unterminated reason still decodes");
	is_int(strlen(r.reason), PG_WIRE_REASON_LEN - 1, "and comes out terminated");

	pg_wire_encode_reply(1, 0, "", &m);
	m.hdr.type = PG_WIRE_BIND_NEW;
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), -EPROTO, "a request as a reply: EPROTO");
	pg_wire_encode_reply(1, -1, "", &m);
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), -EPROTO, "a negative error: EPROTO");
	pg_wire_encode_reply(1, 4096, "", &m);
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), -EPROTO, "error 4096: EPROTO");
	pg_wire_encode_reply(1, 4095, "", &m);
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), 0, "error 4095 is valid");
	pg_wire_encode_reply(1, 0, "", &m);
	m.reserved = 1;
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), -EPROTO, "reserved set: EPROTO");
	pg_wire_encode_reply(1, 0, "", &m);
	is_int(pg_wire_decode_reply(&m, sizeof(m) - 1, &r), -EMSGSIZE, "one byte short: EMSGSIZE");
	m.hdr.len = 40;
	is_int(pg_wire_decode_reply(&m, 40, &r), -EMSGSIZE, "a request-sized reply: EMSGSIZE");
	pg_wire_encode_reply(1, 0, "", &m);
	m.hdr.magic = 0;
	is_int(pg_wire_decode_reply(&m, sizeof(m), &r), -EPROTO, "bad magic: EPROTO");
}

int
main(void)
{
	test_layout();
	test_roundtrips();
	test_framing();
	test_request_rules();
	test_reply();
	return tap_done();
}
