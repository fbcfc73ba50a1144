/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kpolicy-impl.h - what kpolicy.c (compiling) and kjudge.c (judging) share
 * inside the library; not for the programs.
 */
#ifndef PG_KPOLICY_IMPL_H
#define PG_KPOLICY_IMPL_H

#include <stdint.h>

#include "kpolicy.h"

/* PG_K_IPPROTO_UDP or _TCP. */
uint8_t pg_kproto(enum pg_proto proto);

/* qsort()/bsearch() order of struct pg_kmanaged, by key. */
int pg_kmanaged_cmp(const void *a, const void *b);

/* Keep the first bits of a 16-byte address, clear the rest. */
void pg_kmask_addr(uint8_t addr[16], unsigned bits);

/* The pg_allowed key of (uid, proto, port, family), addr masked to prefixlen bits (NULL: zeros). */
struct pg_k_allow_key pg_kallow_key(uint32_t uid, uint8_t proto, uint16_t port, int family,
				    const uint8_t *addr, unsigned prefixlen);

#endif
