/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * portgated.h - state shared by the parts of portgated: options, the policy in
 * force, the clock, and a log rate limiter.
 * Privilege: the daemon runs as its own user with CAP_NET_BIND_SERVICE only.
 * Trust: everything here is the daemon's own; client input never lands here
 * unvalidated.
 */
#ifndef PGD_PORTGATED_H
#define PGD_PORTGATED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

#define PGD_DEFAULT_USER	 "portgate"
#define PGD_DEFAULT_MAX_CLIENTS	 512
#define PGD_DEFAULT_MAX_PER_UID	 64
#define PGD_DEFAULT_TIMEOUT_S	 5
#define PGD_DEFAULT_HOLD_RETRY_S 10
#define PGD_DEFAULT_MAX_HOLD	 4096
#define PGD_DEFAULT_BUSY_POLL_US 50
#define BUSY_POLL_MAX_US	 10000

struct pgd_options {
	const char *socket_path;
	const char *config_dir;
	const char *authbind_dir; /* NULL: the authbind tree is not consulted */
	const char *user;
	int ready_fd; /* -1: none */
	bool allow_other_netns;
	unsigned max_clients;
	unsigned max_per_uid;
	unsigned timeout_ms; /* per request, and for an idle connection */
	bool hold;
	unsigned hold_retry_ms;
	unsigned max_hold;
	unsigned busy_poll_us; /* 0: sleep in pg_evloop_wait() at once */
	bool use_syslog;
	int verbosity;
};

struct hold;

struct pgd {
	struct pgd_options opt;
	struct pg_policy *policy; /* replaced whole on reload, never edited */
	uint64_t netns_cookie;	  /* SO_NETNS_COOKIE of the daemon's own namespace */
	bool netns_cookie_known;  /* false: BIND_THIS is refused unless allow_other_netns */
	struct hold *hold;	  /* NULL without --hold */
};

/* At most `burst` messages per `interval_ms`; counts what it suppresses. */
struct pgd_ratelimit {
	uint64_t interval_ms;
	unsigned burst;
	uint64_t begin;
	unsigned printed;
	unsigned suppressed;
};

/*
 * May a message be logged now?  *ret_suppressed (when the answer is yes) is
 * how many were swallowed since the last one, to be mentioned in it.
 */
bool pgd_ratelimit_ok(struct pgd_ratelimit *rl, uint64_t now, unsigned *ret_suppressed);

/* The errno's symbolic name ("EACCES"), or its number as text. */
const char *pgd_errno_name(int err, char buf[static 16]);

#endif
