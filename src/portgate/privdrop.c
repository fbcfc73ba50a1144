// SPDX-License-Identifier: BSD-2-Clause
/*
 * privdrop.c - the privilege drop shared by `portgate run -u` and `portgate
 * exec -u`.  Runs as root (or as the user named): trusts the account
 * database, and checks with getres[ug]id/getgroups/capget that the drop took.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compat.h"
#include "privdrop.h"

void
privdrop_resolve(const char *cmd, const char *arg, struct privdrop_target *t)
{
	_cleanup_free_ char *user = xstrdup(arg);
	char *group = strchr(user, ':');
	struct passwd pw, *res = NULL;
	char buf[16384];
	gid_t gid;
	int r;

	if (group != NULL)
		*group++ = '\0';
	if (user[0] == '\0' || (group != NULL && group[0] == '\0'))
		usage_die(cmd, "bad -u '%s': expected USER or USER:GROUP", arg);
	if (group != NULL && pg_lookup_gid(group, &gid) < 0)
		usage_die(cmd, "bad -u '%s': unknown group '%s'", arg, group);
	r = pg_cred_for_user(user, group, &t->cred, &t->name);
	if (r == -ESRCH)
		usage_die(cmd, "bad -u '%s': unknown user '%s'", arg, user);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "look up the user '%s'", user);
	if (getpwuid_r(t->cred.uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL) {
		t->home = xstrdup(res->pw_dir);
		t->shell = xstrdup(res->pw_shell[0] != '\0' ? res->pw_shell : "/bin/sh");
	}
}

static int
gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

/* Check that the drop took, rather than trusting the return values. */
static void
verify_privileges(const struct privdrop_target *t, const char *who)
{
	const struct pg_cred *c = &t->cred;
	gid_t want[PG_CRED_MAX_GROUPS], got[PG_CRED_MAX_GROUPS];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int n;

	if (pg_getresuid(&ru, &eu, &su) < 0 || ru != c->uid || eu != c->uid || su != c->uid)
		die(EXIT_TEMPFAIL, "drop privileges to '%s': the user ids did not change", who);
	if (pg_getresgid(&rg, &eg, &sg) < 0 || rg != c->gid || eg != c->gid || sg != c->gid)
		die(EXIT_TEMPFAIL, "drop privileges to '%s': the group ids did not change", who);
	n = getgroups(PG_CRED_MAX_GROUPS, got);
	memcpy(want, c->groups, c->ngroups * sizeof(gid_t));
	qsort(want, c->ngroups, sizeof(gid_t), gid_cmp);
	if (n >= 0)
		qsort(got, (size_t)n, sizeof(gid_t), gid_cmp);
	if (n < 0 || (size_t)n != c->ngroups || memcmp(want, got, c->ngroups * sizeof(gid_t)) != 0)
		die(EXIT_TEMPFAIL,
		    "drop privileges to '%s': the supplementary groups did not change", who);
	if (c->uid != 0) {
		if (setuid(0) == 0)
			die(EXIT_TEMPFAIL, "drop privileges to '%s': root could be regained", who);
		if (privdrop_have_capabilities())
			die(EXIT_TEMPFAIL,
			    "drop privileges to '%s': capabilities survived the change of user "
			    "(are securebits set?)",
			    who);
	}
}

/* Become USER for good: groups first (that needs CAP_SETGID), then gids, uids last. */
void
privdrop_become(const struct privdrop_target *t, const char *who)
{
	const struct pg_cred *c = &t->cred;

	if (setgroups(c->ngroups, c->groups) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "drop privileges to '%s': set the groups", who);
	if (pg_setresgid(c->gid) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "drop privileges to '%s': set the group id %u", who,
			  (unsigned)c->gid);
	if (pg_setresuid(c->uid) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "drop privileges to '%s': set the user id %u", who,
			  (unsigned)c->uid);
	verify_privileges(t, who);
}
