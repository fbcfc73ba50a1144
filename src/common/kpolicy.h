/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kpolicy.h - the policy compiled for the kernel's bind hooks: the entries of
 * the pg_managed and pg_allowed maps of bind-policy.h, with groups expanded to
 * uids, port ranges to ports and addresses to prefixes; and pg_kjudge(), the
 * program's decision written again in C, for tests and for auditing listeners.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_KPOLICY_H
#define PG_KPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../bpf/bind-policy.h"
#include "policy.h"

/* The uids a group rule covers: the group's primary and supplementary members. */
struct pg_kgroup {
	gid_t gid;
	uid_t *uids; /* sorted, unique */
	size_t nuids;
};

struct pg_kgroups {
	struct pg_kgroup *v;
	size_t n;
};

/*
 * Members of every group that a rule of p names, from the account database
 * (getpwent: users whose primary group it is; getgrent: its member lists).
 * The kernel sees only a uid, so this is all a group grant can mean there.
 * Not thread-safe: the enumerations are process-wide.
 */
int pg_kgroups_from_accounts(const struct pg_policy *p, struct pg_kgroups *ret);

/* Record uid as a member of gid (used by the above, and by tests). */
int pg_kgroups_add(struct pg_kgroups *g, gid_t gid, uid_t uid);

/* The members of gid, or NULL if none are known. */
const struct pg_kgroup *pg_kgroups_find(const struct pg_kgroups *g, gid_t gid);

void pg_kgroups_clear(struct pg_kgroups *g);

struct pg_kmanaged {
	struct pg_k_managed_key key;
	struct pg_k_managed_val val;
};

struct pg_kallowed {
	struct pg_k_allow_key key;
	struct pg_k_allow_val val;
};

struct pg_kabfile {
	struct pg_k_ab_key key;
	struct pg_k_ab_val val;
};

struct pg_kabuid {
	struct pg_k_ab_uid_key key;
	struct pg_k_ab_uid_val val;
};

struct pg_kpolicy {
	struct pg_kmanaged *managed; /* sorted by key, unique */
	size_t nmanaged;
	struct pg_kallowed *allowed; /* sorted by key, unique */
	size_t nallowed;
	struct pg_kabfile *abfile; /* the authbind tree (kpolicy-authbind.c); sorted, unique */
	size_t nabfile;
	struct pg_kabuid *abuid; /* sorted by key, unique */
	size_t nabuid;
	size_t nrules;
	uint64_t hash;		   /* FNV-1a over the entries: equal policies, equal hashes */
	struct pg_k_rule *ruletab; /* pg_rules: rule id -> file:line; not in the hash */
	size_t nruletab;	   /* nrules + 1 (the authbind tree) once filled */
};

/*
 * Compile p for the kernel; groups gives the members of each group rule (a
 * group missing from it has no members).  uid 0 gets no entries: the program
 * never judges root.  The authbind tree is compiled separately, by
 * pg_kpolicy_compile_authbind() (kpolicy-authbind.h).  Refuses the whole policy with -E2BIG when it
 * needs more than max_allowed pg_allowed entries; *ret then holds no entries but nallowed says how
 * many were needed (at least that many when *ret_lower_bound is set, because the count stopped
 * early).  -ENOMEM.
 */
int pg_kpolicy_compile(const struct pg_policy *p, const struct pg_kgroups *groups,
		       size_t max_allowed, struct pg_kpolicy *ret, bool *ret_lower_bound);

void pg_kpolicy_clear(struct pg_kpolicy *k);

/*
 * Does this entry of pg_allowed also go into pg_exact (bind-policy.h)?  Its
 * address prefix is the full length or 0.  pg_kpolicy_compile() sets the
 * PG_K_MANAGED_* flags of each managed (proto, port) from its entries.
 */
bool pg_kallowed_exact(const struct pg_kallowed *a);

/*
 * Fill k->ruletab from p: entry i names rule i (file, line, principal, spec),
 * the last one p's authbind tree (file "" if none).  Strings too long for the
 * map are cut at the front of a file name ("..." + its end).  -ENOMEM.
 */
int pg_kpolicy_rule_table(const struct pg_policy *p, struct pg_kpolicy *k);

/* The text of entry rule of a table as "FILE:LINE" (or "authbind:DIR"); "none" if out of range. */
const char *pg_krule_text(const struct pg_k_rule *tab, size_t n, uint32_t rule, char *buf,
			  size_t size);

/* Recompute k->hash after entries were added (the authbind tree's). */
void pg_kpolicy_rehash(struct pg_kpolicy *k);

/* Where pg_kjudge() looks entries up: compiled arrays, or a loaded program's maps. */
struct pg_klookup {
	/* 1 and *ret if present, 0 if not, -errno */
	int (*managed)(const void *ctx, const struct pg_k_managed_key *key,
		       struct pg_k_managed_val *ret);
	/*
	 * pg_exact, the key as it is: 1 and *ret, 0, or -errno.  NULL: judge by
	 * the trie alone (it holds these entries too, so the answers are the same).
	 */
	int (*exact)(const void *ctx, const struct pg_k_allow_key *key, struct pg_k_allow_val *ret);
	/* Longest-prefix match, as the LPM trie does: 1 and *ret, 0, or -errno. */
	int (*allowed)(const void *ctx, const struct pg_k_allow_key *key,
		       struct pg_k_allow_val *ret);
	/* pg_ab_file (longest prefix) and pg_ab_uid: 1 and *ret, 0, or -errno. */
	int (*abfile)(const void *ctx, const struct pg_k_ab_key *key, struct pg_k_ab_val *ret);
	int (*abuid)(const void *ctx, const struct pg_k_ab_uid_key *key,
		     struct pg_k_ab_uid_val *ret);
	const void *ctx;
};

/* Lookups in a compiled policy (binary search; LPM by trying each prefix length). */
void pg_kpolicy_lookup(const struct pg_kpolicy *k, struct pg_klookup *ret);

/*
 * What the bind hooks decide when uid binds b, given the program's
 * configuration (exempt uids, unprivileged-port threshold; the netns scope is
 * not judged here), the authbind tree's entries included.  Returns the program's verdict
 * (PG_K_DENY, PG_K_ALLOW, PG_K_ALLOW_NO_CAP) or -errno from a lookup; *ret_decision, if not NULL,
 * tells an unmanaged bind from an allowed one as pg_policy_eval() does.
 */
int pg_kjudge(const struct pg_klookup *l, const struct pg_k_config *cfg, uid_t uid,
	      const struct pg_bind *b, enum pg_decision *ret_decision);

#endif
