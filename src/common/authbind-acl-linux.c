// SPDX-License-Identifier: BSD-2-Clause
/*
 * authbind-acl-linux.c - the POSIX ACLs of the authbind tree on Linux, read
 * with libacl (authbind-acl.h).  Library code: returns -errno, never logs.
 */
#include <acl/libacl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/acl.h>
#include <sys/stat.h>

#include "authbind-acl.h"
#include "macro.h"

#define AB_ACL_MAX 4096 /* entries; far above what any file system stores */

static void
acl_freep(acl_t *acl)
{
	if (*acl != NULL)
		(void)acl_free(*acl);
}

/*
 * The kernel's posix_acl_permission() for MAY_EXEC, for a user who does not own the
 * inode.  Entry order does not matter here: a matching named user decides before any
 * group, and every group grant is limited by the same mask.  Returns 0, EACCES, EIO
 * (a malformed ACL, as the kernel says), PG_AB_NO_ACL, or -errno.
 */
int
pg_ab_acl_may_exec(const struct pg_cred *cred, int fd, const struct stat *st)
{
	_cleanup_(acl_freep) acl_t acl = NULL;
	bool user_match = false, user_x = false, group_found = false, group_x = false;
	bool have_mask = false, mask_x = false, have_other = false, other_x = false;
	char proc[40];
	acl_entry_t e;
	int id = ACL_FIRST_ENTRY;

	/* An O_PATH fd has no xattr calls; its /proc link reaches the same inode. */
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	acl = acl_get_file(proc, ACL_TYPE_ACCESS);
	if (acl == NULL && (errno == ENOTSUP || errno == ENODATA))
		return PG_AB_NO_ACL;
	if (acl == NULL)
		return errno == ENOENT ? -ENOSYS : -errno; /* no /proc: not "no such tree" */

	for (unsigned n = 0; n < AB_ACL_MAX; n++, id = ACL_NEXT_ENTRY) {
		acl_tag_t tag;
		acl_permset_t ps;
		void *q;
		bool x, match = false;
		int r = acl_get_entry(acl, id, &e);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		if (acl_get_tag_type(e, &tag) < 0 || acl_get_permset(e, &ps) < 0)
			return -errno;
		r = acl_get_perm(ps, ACL_EXECUTE);
		if (r < 0)
			return -errno;
		x = r == 1;
		switch (tag) {
		case ACL_USER_OBJ:
			break;
		case ACL_USER:
		case ACL_GROUP:
			q = acl_get_qualifier(e);
			if (q == NULL)
				return -errno;
			if (tag == ACL_USER)
				match = *(uid_t *)q == cred->uid;
			else
				match = pg_cred_in_group(cred, *(gid_t *)q);
			(void)acl_free(q);
			if (match && tag == ACL_USER) {
				user_match = true;
				user_x = x;
			} else if (match) {
				group_found = true;
				group_x = group_x || x;
			}
			break;
		case ACL_GROUP_OBJ:
			if (pg_cred_in_group(cred, st->st_gid)) {
				group_found = true;
				group_x = group_x || x;
			}
			break;
		case ACL_MASK:
			have_mask = true;
			mask_x = x;
			break;
		case ACL_OTHER:
			have_other = true;
			other_x = x;
			break;
		default:
			return EIO;
		}
	}

	if (user_match || group_x)
		return (user_match ? user_x : true) && (!have_mask || mask_x) ? 0 : EACCES;
	if (group_found)
		return EACCES;
	if (!have_other)
		return EIO;
	return other_x ? 0 : EACCES;
}

void
pg_ab_acl_ids(const char *path, void (*add)(void *ctx, uint32_t id), void *ctx)
{
	acl_t acl;
	acl_entry_t e;
	int id = ACL_FIRST_ENTRY;

	acl = acl_get_file(path, ACL_TYPE_ACCESS);
	if (acl == NULL)
		return;
	while (acl_get_entry(acl, id, &e) == 1) {
		acl_tag_t tag;
		void *q;

		id = ACL_NEXT_ENTRY;
		if (acl_get_tag_type(e, &tag) < 0 || (tag != ACL_USER && tag != ACL_GROUP))
			continue;
		if ((q = acl_get_qualifier(e)) == NULL)
			continue;
		add(ctx, tag == ACL_USER ? *(uid_t *)q : *(gid_t *)q);
		(void)acl_free(q);
	}
	(void)acl_free(acl);
}
