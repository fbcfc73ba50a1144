/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kpolicy-authbind.h - the authbind tree compiled for the kernel's bind hooks
 * (the pg_ab_file and pg_ab_uid maps of bind-policy.h), with the verdicts
 * pg_authbind_eval() gives, so that "portgate check" and the kernel agree.
 * The kernel sees a uid, never groups: each user is judged once, with the
 * groups the account database gives it, and every other uid as a stranger.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_KPOLICY_AUTHBIND_H
#define PG_KPOLICY_AUTHBIND_H

#include "kpolicy.h"

/* Who is judged one by one, and how their credentials are found. */
struct pg_kab_users {
	uid_t *uids; /* the account database's users */
	size_t nuids;
	/* Credentials of uid (any uid: the tree names some that are no user's). */
	int (*cred)(void *ctx, uid_t uid, struct pg_cred *ret);
	void *ctx;
};

/* Every uid of the account database (getpwent), credentials by pg_cred_for_user(). */
int pg_kab_users_from_accounts(struct pg_kab_users *ret);

void pg_kab_users_clear(struct pg_kab_users *u);

/*
 * Problems in the tree at dir that authbind passes over silently but that make
 * a grant other than what the administrator wrote: byuid lines it ignores,
 * lines it splits or cuts at a NUL byte, byuid files it cannot read, dangling
 * or looping symbolic links in byport and byaddr, unreadable directories.
 * Each is appended to *diags (file:line:col for a line).  Returns 0, -EINVAL
 * if there was any, or another -errno.
 */
int pg_authbind_check_tree(const char *dir, struct pg_diags *diags);

/*
 * Add the tree at dir to k (compiled by pg_kpolicy_compile) and rehash it.
 * Refuses a tree with problems (-EINVAL, see pg_authbind_check_tree) and one
 * the maps cannot hold (-E2BIG: a diagnostic says which limit), and then
 * leaves k as it was.  -ENOMEM, or the -errno of reading the tree.
 */
int pg_kpolicy_compile_authbind(const char *dir, const struct pg_kab_users *users,
				struct pg_kpolicy *k, struct pg_diags *diags);

#endif
