// SPDX-License-Identifier: BSD-2-Clause
/*
 * wire.c - encode and validate portgated protocol messages (doc/wire.md).
 * The decoder is the only place a client's bytes are interpreted; it trusts
 * nothing and is fuzzed (tests/fuzz/fuzz-wire.c).
 * Library code: returns -errno, never logs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "wire.h"

_Static_assert(sizeof(struct pg_wire_hdr) == 16, "wire header is 16 bytes");
_Static_assert(sizeof(struct pg_wire_bind_req) == 40, "bind request is 40 bytes");
_Static_assert(sizeof(struct pg_wire_reply) == 184, "reply is 184 bytes");

static void
hdr_init(struct pg_wire_hdr *h, enum pg_wire_type type, uint32_t len, uint32_t id)
{
	h->magic = PG_WIRE_MAGIC;
	h->version = PG_WIRE_VERSION;
	h->type = (uint16_t)type;
	h->len = len;
	h->id = id;
}

void
pg_wire_encode_req(enum pg_wire_type type, uint32_t id, const struct pg_bind *b, unsigned flags,
		   struct pg_wire_bind_req *ret)
{
	memset(ret, 0, sizeof(*ret));
	hdr_init(&ret->hdr, type, sizeof(*ret), id);
	ret->proto = (uint8_t)b->proto;
	ret->family = b->family == AF_INET ? 4 : 6;
	ret->flags = (uint8_t)flags;
	ret->port = b->port;
	memcpy(ret->addr, b->addr, b->family == AF_INET ? 4 : 16);
}

void
pg_wire_encode_reply(uint32_t id, int error, const char *reason, struct pg_wire_reply *ret)
{
	memset(ret, 0, sizeof(*ret));
	hdr_init(&ret->hdr, PG_WIRE_REPLY, sizeof(*ret), id);
	ret->error = error;
	if (reason != NULL)
		(void)snprintf(ret->reason, sizeof(ret->reason), "%s", reason);
}

ssize_t
pg_wire_msg_len(const void *buf, size_t n)
{
	struct pg_wire_hdr h;

	if (n < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != PG_WIRE_MAGIC || h.version != PG_WIRE_VERSION)
		return -EPROTO;
	if (h.len < sizeof(h) || h.len > PG_WIRE_MAX_MSG)
		return -EMSGSIZE;
	return (ssize_t)h.len;
}

int
pg_wire_decode_req(const void *buf, size_t n, struct pg_wire_req *ret)
{
	struct pg_wire_bind_req m;
	struct pg_wire_req r = { 0 };
	ssize_t len = pg_wire_msg_len(buf, n);

	if (len < 0)
		return (int)len;
	if (len == 0 || (size_t)len != n)
		return -EMSGSIZE;
	if (n != sizeof(m))
		return -EMSGSIZE;
	memcpy(&m, buf, sizeof(m));
	if (m.hdr.type != PG_WIRE_BIND_THIS && m.hdr.type != PG_WIRE_BIND_NEW)
		return -EPROTO;
	if (m.proto != PG_PROTO_TCP && m.proto != PG_PROTO_UDP)
		return -EINVAL;
	if (m.family != 4 && m.family != 6)
		return -EINVAL;
	if ((m.flags & ~PG_WIRE_F_ALL) != 0 || m.reserved0 != 0 || m.reserved1 != 0)
		return -EINVAL;
	if (m.hdr.type == PG_WIRE_BIND_THIS && m.flags != 0)
		return -EINVAL; /* the socket itself says what it is */
	if (m.port == 0)
		return -EINVAL; /* an ephemeral bind never needs the broker */
	if (m.family == 4 && !pg_bytes_zero(m.addr + 4, 12))
		return -EINVAL;
	r.type = (enum pg_wire_type)m.hdr.type;
	r.id = m.hdr.id;
	r.flags = m.flags;
	r.bind.proto = (enum pg_proto)m.proto;
	r.bind.family = m.family == 4 ? AF_INET : AF_INET6;
	r.bind.port = m.port;
	memcpy(r.bind.addr, m.addr, sizeof(r.bind.addr));
	*ret = r;
	return 0;
}

int
pg_wire_decode_reply(const void *buf, size_t n, struct pg_wire_reply *ret)
{
	struct pg_wire_reply m;
	ssize_t len = pg_wire_msg_len(buf, n);

	if (len < 0)
		return (int)len;
	if ((size_t)len != n || n != sizeof(m))
		return -EMSGSIZE;
	memcpy(&m, buf, sizeof(m));
	if (m.hdr.type != PG_WIRE_REPLY || m.error < 0 || m.error > 4095 || m.reserved != 0)
		return -EPROTO;
	m.reason[sizeof(m.reason) - 1] = '\0';
	*ret = m;
	return 0;
}
