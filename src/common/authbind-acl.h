/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authbind-acl.h - the access ACLs of the authbind tree, for the policy
 * engine (authbind.c) and the kernel path's compiler (kpolicy-authbind.c).
 * authbind-acl-linux.c reads POSIX ACLs with libacl; authbind-acl-posix.c
 * (macOS) reads none: there the mode bits alone decide.
 */
#ifndef PG_AUTHBIND_ACL_H
#define PG_AUTHBIND_ACL_H

#include <stdint.h>
#include <sys/stat.h>

#include "cred.h"

/* A result the kernel would not have given: the inode has no ACL, check the mode. */
#define PG_AB_NO_ACL 1000

/*
 * The kernel's posix_acl_permission() for MAY_EXEC on the inode of fd (st
 * its stat), for a user who does not own it.  Returns 0, EACCES, EIO (a
 * malformed ACL), PG_AB_NO_ACL, or -errno.
 */
int pg_ab_acl_may_exec(const struct pg_cred *cred, int fd, const struct stat *st);

/* add(ctx, id) for every named user and group of path's access ACL (followed). */
void pg_ab_acl_ids(const char *path, void (*add)(void *ctx, uint32_t id), void *ctx);

#endif
