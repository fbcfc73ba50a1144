/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cred.h - who is asking: a uid, its primary gid and supplementary groups.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_CRED_H
#define PG_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PG_CRED_MAX_GROUPS 1024

struct pg_cred {
	uid_t uid;
	gid_t gid;
	size_t ngroups; /* supplementary groups; may repeat gid */
	gid_t groups[PG_CRED_MAX_GROUPS];
};

bool pg_cred_in_group(const struct pg_cred *c, gid_t gid);

/*
 * Credentials of a user named by login name or number ("alice", "1001"),
 * with the groups the account database gives it.  group, if not NULL, names
 * the primary group instead of the passwd entry's (a name or a number).
 * Returns -ESRCH for an unknown user or group.
 * ret_name, if not NULL, receives the login name (malloc'd), or NULL for a
 * uid with no passwd entry.
 */
int pg_cred_for_user(const char *user, const char *group, struct pg_cred *ret, char **ret_name);

/* The calling process's real uid, real gid and supplementary groups. */
int pg_cred_self(struct pg_cred *ret);

/* The login name of uid, or "uid:N" (a principal too) if it has none. */
const char *pg_user_name(uid_t uid, char *buf, size_t size);

/* Resolve a user or group name or number; -ESRCH if unknown. */
int pg_lookup_uid(const char *name, uid_t *ret);
int pg_lookup_gid(const char *name, gid_t *ret);

/*
 * The effective uid of the peer of a connected AF_UNIX socket, as the kernel
 * recorded it at connect() (or, seen from the connecting side, at the
 * peer's listen()): SO_PEERCRED on Linux, getpeereid() on macOS and the BSDs.
 * Returns 0 or -errno (-ENOTSOCK, -ENOTCONN...).  portgated, which also
 * needs the groups and the pid, has its own seam (peercred.h).
 */
int pg_peer_uid(int fd, uid_t *ret);

/*
 * The pid of that peer (at connect(), or at listen() seen from the connecting
 * side): SO_PEERCRED on Linux, LOCAL_PEERPID on macOS.  0 or -errno.
 */
int pg_peer_pid(int fd, pid_t *ret);

#endif
