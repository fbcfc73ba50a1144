/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hold.h - reservations without kernel support (--hold): portgated binds the
 * ports the policy reserves (at or above ip_unprivileged_port_start) so that
 * nobody else can, and lets go of them when an owner asks the broker for one.
 * Privilege: none beyond binding ports >= the threshold.  Trust: targets come
 * from the administrator's policy only.
 */
#ifndef PGD_HOLD_H
#define PGD_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binder.h"
#include "policy.h"

struct hold;

/* A reservation set of at most max_targets ports (a dual-stack one may take two sockets). */
struct hold *hold_new(unsigned max_targets, unsigned retry_ms);
void hold_free(struct hold *h);

/*
 * Make the targets those p reserves at or above threshold.  Sockets of
 * targets that stay are kept (no gap on reload); the others are closed.
 * Call hold_retry() afterwards to bind the new ones.
 */
void hold_update(struct hold *h, const struct pg_policy *p, unsigned threshold);

/* Bind every target not held now; logs what changed. */
void hold_retry(struct hold *h, uint64_t now);

/* When hold_retry() is due next (ms, CLOCK_MONOTONIC), or UINT64_MAX if all are held. */
uint64_t hold_next_retry(const struct hold *h);

/*
 * An owner was granted bind b: close every held socket that would stand in
 * its way.  If ret is not NULL and a held socket is bound to exactly b, it is
 * not closed but given to the caller in *ret (ret->fd >= 0) for a BIND_NEW
 * handover.  Returns how many held sockets were let go.
 */
unsigned hold_release_for(struct hold *h, const struct pg_bind *b, struct binder_held *ret);

/* Sockets held now, and targets in all. */
size_t hold_count_held(const struct hold *h);
size_t hold_count_targets(const struct hold *h);

#endif
