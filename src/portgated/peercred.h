/*
 * peercred.h - who is on the other end of a connected AF_UNIX socket, as the
 * kernel recorded it at connect(): never taken from anything the peer sends.
 * Privilege: none needed.  Platform seam: peercred-linux.c implements it with
 * SO_PEERCRED + SO_PEERGROUPS; a BSD/macOS peercred-bsd.c would use
 * getpeereid() (uid, gid), LOCAL_PEERCRED (struct xucred: cr_groups, at most
 * XU_NGROUPS) and LOCAL_PEERPID, guarded by #if like the Linux file.
 */
#ifndef PGD_PEERCRED_H
#define PGD_PEERCRED_H

#include <stdbool.h>
#include <sys/types.h>

#include "cred.h"

struct peer {
	struct pg_cred cred;   /* uid, primary gid, supplementary groups */
	pid_t pid;	       /* 0 where the platform does not say */
	bool groups_truncated; /* more than PG_CRED_MAX_GROUPS: only the first ones count */
};

/* The credentials of fd's peer.  Returns 0 or -errno. */
int peercred_get(int fd, struct peer *ret);

#endif
