/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * session.h - one client connection to portgated.
 * Privilege: runs in the daemon (CAP_NET_BIND_SERVICE).  Trust: everything
 * read from the socket is attacker-controlled; the peer's identity comes from
 * the kernel at accept() (peercred.h), never from a message.
 */
#ifndef PGD_SESSION_H
#define PGD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peercred.h"
#include "portgated.h"
#include "wire.h"

struct session {
	struct session *prev, *next; /* the daemon's list of sessions */
	int fd;			     /* non-blocking, close-on-exec */
	struct peer peer;
	uint64_t deadline; /* ms: the request in progress, or idleness, ends then */
	size_t have;	   /* bytes of the current message in buf */
	size_t msg_len;	   /* its length from the header, 0 until the header is in */
	int req_fd;	   /* the first fd that came with the message's bytes, or -1 */
	size_t req_nfds;   /* how many came */
	union {
		struct pg_wire_hdr hdr;
		uint8_t bytes[PG_WIRE_MAX_MSG];
	} buf;
};

/* A session for an accepted connection; it owns fd from now on.  NULL: out of memory. */
struct session *session_new(int fd, const struct peer *peer, uint64_t deadline);

/* Close its fds and free it. */
void session_free(struct session *s);

/*
 * Read what the client sent and answer a complete request (one per call, so
 * that no client keeps the loop to itself).  false: the session must be closed
 * (end of file, a malformed message after its error reply, a client that does
 * not read its replies).
 */
bool session_on_readable(struct session *s, struct pgd *d, uint64_t now);

#endif
