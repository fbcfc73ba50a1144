/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testutil.h - small constructors shared by the C unit tests.
 */
#ifndef PG_TESTUTIL_H
#define PG_TESTUTIL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

/* A bind of proto to the literal addr (IPv4 or IPv6) and port. */
static inline struct pg_bind
bind_of(enum pg_proto proto, const char *addr, uint16_t port, bool dual)
{
	struct pg_bind b = { .proto = proto, .port = port, .dual_stack = dual };

	if (inet_pton(AF_INET, addr, b.addr) == 1) {
		b.family = AF_INET;
	} else {
		b.family = AF_INET6;
		(void)inet_pton(AF_INET6, addr, b.addr);
	}
	return b;
}

#endif
