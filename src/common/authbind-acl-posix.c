// SPDX-License-Identifier: BSD-2-Clause
/*
 * authbind-acl-posix.c - the authbind tree's ACLs where portgate does not read
 * them (macOS, whose ACLs are NFSv4-style, not POSIX.1e): every inode is
 * judged by its mode bits alone, and no ACL names a user or a group.
 */
#include "authbind-acl.h"

int
pg_ab_acl_may_exec(const struct pg_cred *cred, int fd, const struct stat *st)
{
	(void)cred;
	(void)fd;
	(void)st;
	return PG_AB_NO_ACL;
}

void
pg_ab_acl_ids(const char *path, void (*add)(void *ctx, uint32_t id), void *ctx)
{
	(void)path;
	(void)add;
	(void)ctx;
}
