/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * osrule.h - the operating system's own rule for low ports, beside the
 * policy's: what a user without privilege may bind when portgate is not
 * involved, and, where the two differ, which of portgate's paths closes the
 * gap.  `portgate check` and `portgate list` print it.
 *
 *   Linux  a port below net.ipv4.ip_unprivileged_port_start (1024 by
 *          default) needs root or CAP_NET_BIND_SERVICE, on any address.
 *          The kernel path enforces the policy for every program.
 *   macOS  since 10.14 any user may bind a port below 1024 on the wildcard
 *          address (0.0.0.0, [::]); on one address (127.0.0.1, ::1, one
 *          interface's) it still needs root.  portgate has no kernel path
 *          there: a launchd Sockets entry or portgated binds for the user,
 *          and nothing keeps other users off a wildcard low port or off a
 *          port from 1024 that portgated does not hold.
 *
 * Both rules are plain data, so each is unit-tested on every system
 * (tests/unit/test-osrule.c).  Library code: never logs.
 */
#ifndef PG_OSRULE_H
#define PG_OSRULE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "spec.h"

enum pg_os { PG_OS_LINUX = 1, PG_OS_MACOS };

struct pg_os_rule {
	enum pg_os os;
	unsigned unpriv_start; /* ports from here need no privilege, on any address */
};

/* The rule of the system this runs on. */
void pg_os_rule_host(struct pg_os_rule *ret);

/* "linux" or "macos" -> the rule of that system (this one's numbers if it is
 * the host, its defaults otherwise); -EINVAL for another name. */
int pg_os_rule_named(const char *name, struct pg_os_rule *ret);

const char *pg_os_name(enum pg_os os); /* "Linux", "macOS" */

/* What the system does with a bind by a user without privilege. */
enum pg_os_default {
	PG_OS_OPEN = 1,	     /* port 0 or from unpriv_start: any user */
	PG_OS_OPEN_WILDCARD, /* macOS: below 1024 on the wildcard address: any user */
	PG_OS_PRIVILEGED,    /* root (Linux: or CAP_NET_BIND_SERVICE) only */
};
enum pg_os_default pg_os_default(const struct pg_os_rule *r, const struct pg_bind *b);

/*
 * What `portgate check` adds to the policy's verdict d (reason, for bind b),
 * " (...)" or "" when the two agree and nothing needs saying, written to buf
 * (always terminated) and returned.
 */
const char *pg_os_check_note(const struct pg_os_rule *r, const struct pg_bind *b,
			     enum pg_decision d, enum pg_reason reason, char *buf, size_t size);

/*
 * Whether a user without privilege gets bind b, given the policy's verdict d
 * (PG_UNMANAGED: the system's rule decides).
 */
bool pg_os_check_ok(const struct pg_os_rule *r, const struct pg_bind *b, enum pg_decision d);

/*
 * What the system makes of a policy rule's spec, for `portgate list`: a short
 * phrase, or NULL when the system enforces the rule as written (Linux).
 */
const char *pg_os_list_note(const struct pg_os_rule *r, const struct pg_spec *spec);

#endif
