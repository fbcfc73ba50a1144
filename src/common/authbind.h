/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authbind.h - an /etc/authbind tree judged with authbind 2.1's exact semantics,
 * for any user (not only the caller): byport, byaddr and byuid, execute
 * permission including supplementary groups and POSIX ACLs, the '!' prefix for
 * ports 512-1023, and the fall-through rules of authbind's helper.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_AUTHBIND_H
#define PG_AUTHBIND_H

#include <limits.h>
#include <stdbool.h>

#include "cred.h"
#include "spec.h"

#define PG_AUTHBIND_DIR "/etc/authbind"

struct pg_authbind_verdict {
	bool allowed;
	/*
	 * The errno authbind's helper would have exited with: 0 when allowed,
	 * EACCES (a byport/byaddr file exists but is not executable for the
	 * user), EPERM (no byuid file), ENOENT (no byuid line matches), or
	 * what the lookup met on the way (ENOTDIR, ELOOP, EISDIR...).
	 */
	int err;
	/* The file that decided: "/etc/authbind/byport/80", "/etc/authbind/byuid/1001". */
	char path[PATH_MAX];
	unsigned line; /* the matching byuid line, 0 otherwise */
};

/*
 * Judge bind b for cred against the authbind tree at dir.  authbind only
 * intercepts ports 1-1023: for other ports *ret says not allowed, err ENOSYS.
 * IPv4 rules never match an AF_INET6 bind (authbind does not unmap
 * "::ffff:a.b.c.d"), and b->dual_stack is ignored: authbind judges "[::]" as
 * an IPv6 address only.  Returns 0 and fills *ret, or -errno if the tree
 * could not be read: -ENOENT (no dir), -EFBIG (byuid file over 1 MiB),
 * -ENOSYS (no /proc), -EAFNOSUPPORT, -EINVAL.
 */
int pg_authbind_eval(const char *dir, const struct pg_cred *cred, const struct pg_bind *b,
		     struct pg_authbind_verdict *ret);

#endif
