/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.h - the client <-> portgated protocol, version 1: small fixed-size
 * messages over a SOCK_STREAM AF_UNIX socket, with at most one fd attached
 * (SCM_RIGHTS).  doc/wire.md is the specification; this header and wire.c are
 * the only code that encodes or decodes it.  Everything a client sends is
 * untrusted: pg_wire_decode_req() validates every field.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_WIRE_H
#define PG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

#define PG_WIRE_MAGIC	0x31574750u /* "PGW1" read as little-endian bytes */
#define PG_WIRE_VERSION 1

/* Default control socket; PORTGATE_SOCKET overrides it for clients. */
#ifdef __APPLE__
#define PG_WIRE_SOCKET "/var/run/portgate/portgated.sock" /* macOS has no /run */
#else
#define PG_WIRE_SOCKET "/run/portgate/portgated.sock"
#endif
#define PG_WIRE_SOCKET_ENV "PORTGATE_SOCKET"

enum pg_wire_type {
	PG_WIRE_BIND_THIS = 1, /* bind the socket attached to this request */
	PG_WIRE_BIND_NEW = 2,  /* create, bind (and listen) a socket; the reply carries it */
	PG_WIRE_REPLY = 128,   /* daemon -> client */
};

/* Flags of a bind request. */
#define PG_WIRE_F_V6ONLY 0x1 /* BIND_NEW: set IPV6_V6ONLY (else a dual-stack [::] socket) */
#define PG_WIRE_F_LISTEN 0x2 /* BIND_NEW, TCP: listen() with the largest backlog */
#define PG_WIRE_F_ALL	 (PG_WIRE_F_V6ONLY | PG_WIRE_F_LISTEN)

/* All integers are in the host's byte order: both ends are on one machine. */
struct pg_wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len; /* of the whole message, header included */
	uint32_t id;  /* chosen by the client, echoed in the reply */
};

struct pg_wire_bind_req {
	struct pg_wire_hdr hdr;
	uint8_t proto;	/* enum pg_proto */
	uint8_t family; /* 4 or 6 */
	uint8_t flags;	/* PG_WIRE_F_* */
	uint8_t reserved0;
	uint16_t port; /* host order, 1-65535 */
	uint16_t reserved1;
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes, the rest zero */
};

#define PG_WIRE_REASON_LEN 160

struct pg_wire_reply {
	struct pg_wire_hdr hdr;
	int32_t error;			 /* 0, or a positive errno: what bind() would have set */
	uint32_t reserved;		 /* zero */
	char reason[PG_WIRE_REASON_LEN]; /* NUL-terminated: the verdict's explanation */
};

/* The largest message either side ever sends: the reader's buffer size. */
#define PG_WIRE_MAX_MSG sizeof(struct pg_wire_reply)

/* A decoded, validated bind request. */
struct pg_wire_req {
	enum pg_wire_type type;
	uint32_t id;
	unsigned flags;
	struct pg_bind bind; /* dual_stack is left false: the daemon decides it */
};

/* Fill a request/reply ready to send. */
void pg_wire_encode_req(enum pg_wire_type type, uint32_t id, const struct pg_bind *b,
			unsigned flags, struct pg_wire_bind_req *ret);
void pg_wire_encode_reply(uint32_t id, int error, const char *reason, struct pg_wire_reply *ret);

/*
 * How many bytes the message starting in buf needs in all, once its header
 * is there: 0 if fewer than sizeof(struct pg_wire_hdr) bytes are present,
 * -EPROTO for a bad magic or version, -EMSGSIZE for a length out of range.
 */
ssize_t pg_wire_msg_len(const void *buf, size_t n);

/* Validate and decode one complete request of n bytes.  -EPROTO/-EINVAL/-EMSGSIZE. */
int pg_wire_decode_req(const void *buf, size_t n, struct pg_wire_req *ret);

/* Validate and decode one complete reply; reason is NUL-terminated on success. */
int pg_wire_decode_reply(const void *buf, size_t n, struct pg_wire_reply *ret);

#endif
