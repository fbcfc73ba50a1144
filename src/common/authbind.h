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
#include <stddef.h>
#include <stdint.h>

#include "cred.h"
#include "spec.h"

#define PG_AUTHBIND_DIR "/etc/authbind"

/* fgets(buf, 299, f) in the helper: at most 298 bytes per line, longer lines are split. */
#define PG_AUTHBIND_LINE_MAX  298
#define PG_AUTHBIND_BYUID_MAX (1024 * 1024) /* bytes of one byuid file we are willing to read */

/* Which of the helper's steps decided. */
enum pg_authbind_step {
	PG_AUTHBIND_STEP_NONE = 0, /* not a port authbind handles */
	PG_AUTHBIND_STEP_BYPORT,
	PG_AUTHBIND_STEP_BYADDR,
	PG_AUTHBIND_STEP_BYUID,
};

struct pg_authbind_verdict {
	bool allowed;
	enum pg_authbind_step step;
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

/* What one byuid line grants binds of one family: inclusive ranges. */
struct pg_authbind_range {
	int family;
	uint8_t lo[16], hi[16]; /* network-order bytes; IPv4 in the first four */
	uint16_t port_lo, port_hi;
};

/* Why a line grants nothing: a 1-based column and a message. */
struct pg_authbind_line_error {
	unsigned col;
	char msg[80];
};

/*
 * What a byuid line (as read by pg_authbind_read_line(); a trailing newline is
 * allowed) grants binds of family (AF_INET or AF_INET6), read exactly as the
 * helper does.  Returns true and fills *ret, or false if the helper ignores the
 * line for that family (then *err, if not NULL, says why).
 */
bool pg_authbind_line_range(const char *line, int family, struct pg_authbind_range *ret,
			    struct pg_authbind_line_error *err);

/* Is bind b (its family, address and port) in range r? */
bool pg_authbind_range_covers(const struct pg_authbind_range *r, const struct pg_bind *b);

/* Reads a byuid file line by line, as the helper's fgets() does. */
struct pg_authbind_reader {
	int fd;
	size_t start, end, total;
	bool eof;
	char buf[4096];
};

/*
 * The next line: through the first '\n' but at most PG_AUTHBIND_LINE_MAX bytes,
 * NUL-terminated (an embedded NUL ends the line for every later string function,
 * as in the helper).  Returns 0 with its length in *ret_len (0 at the end), a
 * positive errno on a read error, or -EFBIG past PG_AUTHBIND_BYUID_MAX bytes.
 */
int pg_authbind_read_line(struct pg_authbind_reader *rd, char out[static PG_AUTHBIND_LINE_MAX + 1],
			  size_t *ret_len);

#endif
