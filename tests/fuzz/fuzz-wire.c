// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz-wire.c - libFuzzer target for the portgated protocol decoder, fed the
 * way portgated reads a client: the input is a byte stream, framed with
 * pg_wire_msg_len() and each message decoded with pg_wire_decode_req() (and
 * pg_wire_decode_reply(), as a client would).  A message that decodes must be
 * valid in every field and encode back to the very same bytes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

static void
check_req(const uint8_t *msg, size_t len)
{
	struct pg_wire_req r;
	struct pg_wire_bind_req again;
	int rc = pg_wire_decode_req(msg, len, &r);

	if (rc < 0) {
		if (rc != -EPROTO && rc != -EINVAL && rc != -EMSGSIZE)
			fuzz_bug("pg_wire_decode_req() returned %d", rc);
		return;
	}
	if (len != sizeof(struct pg_wire_bind_req))
		fuzz_bug("a %zu-byte request decoded", len);
	if (r.type != PG_WIRE_BIND_THIS && r.type != PG_WIRE_BIND_NEW)
		fuzz_bug("request of type %d", (int)r.type);
	if (r.bind.proto != PG_PROTO_TCP && r.bind.proto != PG_PROTO_UDP)
		fuzz_bug("request for protocol %d", (int)r.bind.proto);
	if (r.bind.family != AF_INET && r.bind.family != AF_INET6)
		fuzz_bug("request for family %d", r.bind.family);
	if (r.bind.port == 0)
		fuzz_bug("request for port 0");
	if ((r.flags & ~PG_WIRE_F_ALL) || (r.type == PG_WIRE_BIND_THIS && r.flags != 0))
		fuzz_bug("request with flags 0x%x", r.flags);
	if (r.bind.dual_stack)
		fuzz_bug("the decoder decided dual_stack");
	if (r.bind.family == AF_INET) {
		for (size_t i = 4; i < 16; i++)
			if (r.bind.addr[i] != 0)
				fuzz_bug("IPv4 request with address byte %zu set", i);
	}
	/* Nothing is ignored: the canonical encoding is the input. */
	pg_wire_encode_req(r.type, r.id, &r.bind, r.flags, &again);
	if (memcmp(&again, msg, sizeof(again)) != 0)
		fuzz_bug("a decoded request does not encode back to its bytes");
}

static void
check_reply(const uint8_t *msg, size_t len)
{
	struct pg_wire_reply r, again, twice;
	int rc = pg_wire_decode_reply(msg, len, &r);

	if (rc < 0) {
		if (rc != -EPROTO && rc != -EMSGSIZE)
			fuzz_bug("pg_wire_decode_reply() returned %d", rc);
		return;
	}
	if (len != sizeof(struct pg_wire_reply))
		fuzz_bug("a %zu-byte reply decoded", len);
	if (r.error < 0 || r.error > 4095 || r.reserved != 0)
		fuzz_bug("reply with error %d, reserved %u", r.error, r.reserved);
	if (memchr(r.reason, '\0', sizeof(r.reason)) == NULL)
		fuzz_bug("reply reason without a NUL");
	pg_wire_encode_reply(r.hdr.id, r.error, r.reason, &again);
	if (pg_wire_decode_reply(&again, sizeof(again), &twice) != 0 || twice.error != r.error ||
	    twice.hdr.id != r.hdr.id || strcmp(twice.reason, r.reason) != 0)
		fuzz_bug("a decoded reply does not survive encoding");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	/* Frame a stream of messages as the daemon does; stop where it would hang up. */
	while (off < size) {
		ssize_t len = pg_wire_msg_len(data + off, size - off);

		if (len == 0) {
			if (size - off >= sizeof(struct pg_wire_hdr))
				fuzz_bug("no length for a complete header");
			break;
		}
		if (len < 0) {
			if (len != -EPROTO && len != -EMSGSIZE)
				fuzz_bug("pg_wire_msg_len() returned %zd", len);
			break;
		}
		if (len < (ssize_t)sizeof(struct pg_wire_hdr) || len > (ssize_t)PG_WIRE_MAX_MSG)
			fuzz_bug("message length %zd out of range", len);
		if ((size_t)len > size - off)
			break; /* the daemon would wait for the rest */
		check_req(data + off, (size_t)len);
		check_reply(data + off, (size_t)len);
		off += (size_t)len;
	}
	/* Whatever the framing, the decoders must cope with any length at all. */
	check_req(data, size);
	check_reply(data, size);
	return 0;
}
