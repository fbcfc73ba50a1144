/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peercred.h - who is on the other end of a connected AF_UNIX socket, as the
 * kernel recorded it at connect(): never taken from anything the peer sends.
 * Privilege: none needed.  Platform seam: peercred-linux.c implements it with
 * SO_PEERCRED + SO_PEERGROUPS; peercred-bsd.c (macOS and the BSDs) with
 * getpeereid(), LOCAL_PEERCRED's groups or the account database's, and the
 * pid where the platform gives it.  Each file is guarded by #if, so the
 * Makefile builds them all and each platform gets its own.
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
