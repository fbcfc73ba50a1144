// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-kpolicy.c - the policy compiled for the kernel: the map entries it makes
 * (ranges, groups, prefixes, "*" in both families, uid 0, duplicates, limits),
 * the exact-match fast path (pg_exact) against the trie alone, and a
 * differential test: random policies and random binds judged by
 * pg_policy_eval() and by pg_kjudge() over the compiled entries must agree,
 * with a random authbind tree (testtree.h) in every round when run as root.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpolicy-authbind.h"
#include "kpolicy.h"
#include "tap.h"
#include "testtree.h"
#include "testutil.h"

#define T PG_PROTO_TCP
#define U PG_PROTO_UDP

static const struct pg_k_config cfg = { .magic = PG_K_CONFIG_MAGIC, .unpriv_port_start = 1024 };

static struct pg_policy *
parse(const char *text)
{
	struct pg_policy *p = pg_policy_new();
	struct pg_diags d = { 0 };

	if (p == NULL || pg_policy_parse_buffer(p, "test.conf", text, strlen(text), &d) < 0) {
		for (size_t i = 0; i < d.n; i++)
			tap_diag("%s:%u: %s", d.v[i].file, d.v[i].line, d.v[i].msg);
		pg_diags_clear(&d);
		pg_policy_free(p);
		return NULL;
	}
	return p;
}

/* Compile text (groups may be NULL) with the default limit, or return false. */
static bool
compile(const char *text, const struct pg_kgroups *groups, struct pg_kpolicy *k)
{
	struct pg_kgroups none = { 0 };
	struct pg_policy *p = parse(text);
	int r;

	if (p == NULL)
		return false;
	r = pg_kpolicy_compile(p, groups ? groups : &none, PG_K_MAX_ALLOWED, k, NULL);
	pg_policy_free(p);
	if (r < 0)
		tap_diag("compile: %s", strerror(-r));
	return r == 0;
}

static void
expect(const struct pg_kpolicy *k, uid_t uid, enum pg_proto proto, const char *addr, uint16_t port,
       bool dual, int want)
{
	struct pg_klookup l;
	struct pg_bind b = bind_of(proto, addr, port, dual);
	int got;

	pg_kpolicy_lookup(k, &l);
	got = pg_kjudge(&l, &cfg, uid, &b, NULL);
	is_int(got, want, "uid %u %s %s:%u%s -> %d", (unsigned)uid, pg_proto_name(proto), addr,
	       port, dual ? " dual-stack" : "", want);
}

static void
test_entries(void)
{
	struct pg_kpolicy k = { 0 }, k2 = { 0 };

	ok(compile("", NULL, &k), "an empty policy compiles");
	ok(k.nmanaged == 0 && k.nallowed == 0, "to no entries at all (no zero-filled entry)");
	expect(&k, 1001, T, "0.0.0.0", 80, false, PG_K_ALLOW);
	pg_kpolicy_clear(&k);

	ok(compile("uid:1001 tcp://*:80\n", NULL, &k), "one '*' rule compiles");
	is_int(k.nmanaged, 1, "one managed (proto, port)");
	is_int(k.nallowed, 2, "'*' is an entry per family");
	ok(k.nallowed == 2 && k.allowed[0].val.addr_prefixlen == 0 &&
		   k.allowed[1].val.addr_prefixlen == 0 &&
		   k.allowed[0].key.prefixlen == PG_K_ALLOW_HDR_BITS,
	   "both with address prefix 0");
	ok(k.nmanaged == 1 && k.managed[0].key.port == 80 &&
		   k.managed[0].key.proto == PG_K_IPPROTO_TCP,
	   "ports are host order in keys");
	expect(&k, 1001, T, "0.0.0.0", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, T, "::", 80, true, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, T, "127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1002, T, "0.0.0.0", 80, false, PG_K_DENY);
	expect(&k, 1002, T, "::1", 80, false, PG_K_DENY);
	expect(&k, 1002, U, "0.0.0.0", 80, false, PG_K_ALLOW);
	expect(&k, 1002, T, "0.0.0.0", 81, false, PG_K_ALLOW);
	expect(&k, 1002, T, "0.0.0.0", 0, false, PG_K_ALLOW);
	expect(&k, 0, T, "0.0.0.0", 80, false, PG_K_ALLOW);
	pg_kpolicy_clear(&k);

	ok(compile("uid:1001 tcp://127.0.0.0/8:80\n", NULL, &k), "a prefix rule compiles");
	is_int(k.nallowed, 1, "to one entry");
	expect(&k, 1001, T, "127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, T, "127.255.0.9", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, T, "::ffff:127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, T, "128.0.0.1", 80, false, PG_K_DENY);
	expect(&k, 1001, T, "0.0.0.0", 80, false, PG_K_DENY);
	expect(&k, 1001, T, "::ffff:0.0.0.0", 80, false, PG_K_DENY);
	expect(&k, 1001, T, "::", 80, false, PG_K_DENY);
	pg_kpolicy_clear(&k);

	ok(compile("uid:1001 udp://[::1]:5060-5070\n", NULL, &k), "a range compiles");
	ok(k.nmanaged == 11 && k.nallowed == 11, "to one entry per port (%zu, %zu)", k.nmanaged,
	   k.nallowed);
	expect(&k, 1001, U, "::1", 5065, false, PG_K_ALLOW);
	expect(&k, 1002, U, "::1", 5070, false, PG_K_DENY);
	expect(&k, 1002, U, "::1", 5071, false, PG_K_ALLOW);
	pg_kpolicy_clear(&k);

	ok(compile("uid:1001 tcp://[::]:80\nuid:1001 udp://0.0.0.0:80\n", NULL, &k),
	   "[::] and 0.0.0.0 rules compile");
	expect(&k, 1001, T, "::", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, T, "::", 80, true, PG_K_DENY);
	expect(&k, 1001, U, "0.0.0.0", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, U, "::ffff:0.0.0.0", 80, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1001, U, "::", 80, false, PG_K_DENY);
	pg_kpolicy_clear(&k);

	ok(compile("uid:0 tcp://*:80\n", NULL, &k), "a rule for root compiles");
	ok(k.nmanaged == 1 && k.nallowed == 0, "the port is managed, root needs no entry");
	expect(&k, 1001, T, "0.0.0.0", 80, false, PG_K_DENY);
	pg_kpolicy_clear(&k);

	ok(compile("uid:1001 tcp://*:80\nuid:1001 tcp://*:80 tcp://0.0.0.0:80\n", NULL, &k),
	   "duplicate rules compile");
	ok(k.nallowed == 2 && k.allowed[0].val.rule == 0 && k.allowed[1].val.rule == 0,
	   "into merged entries that name the first rule");
	ok(compile("uid:1001 tcp://*:80\n", NULL, &k2), "the same grant once");
	ok(k.hash == k2.hash, "hashes equal for equal entries");
	pg_kpolicy_clear(&k2);
	ok(compile("uid:1001 tcp://*:81\n", NULL, &k2), "another policy");
	ok(k.hash != k2.hash, "hashes differ");
	pg_kpolicy_clear(&k);
	pg_kpolicy_clear(&k2);
}

/* The PG_K_MANAGED_* flags of (proto, port) in k; 0 if it is not managed. */
static uint32_t
kinds(const struct pg_kpolicy *k, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < k->nmanaged; i++)
		if (k->managed[i].key.port == port && k->managed[i].key.proto == proto)
			return k->managed[i].val.flags;
	return 0;
}

/* Judge with pg_exact and the trie (as the program does) and with the trie alone. */
static void
expect_both(const struct pg_kpolicy *k, uid_t uid, const char *addr, uint16_t port, bool dual,
	    int want)
{
	struct pg_klookup l;
	struct pg_bind b = bind_of(T, addr, port, dual);
	int fast, trie;

	pg_kpolicy_lookup(k, &l);
	fast = pg_kjudge(&l, &cfg, uid, &b, NULL);
	l.exact = NULL;
	trie = pg_kjudge(&l, &cfg, uid, &b, NULL);
	ok(fast == want && trie == want, "uid %u tcp %s:%u%s -> %d (fast path %d, trie %d)",
	   (unsigned)uid, addr, port, dual ? " dual-stack" : "", want, fast, trie);
}

/* The exact-match fast path: which (proto, port) may skip the trie, and the same answers. */
static void
test_fast_path(void)
{
	struct pg_kpolicy k = { 0 };
	size_t nexact = 0;

	ok(compile("uid:1001 tcp://127.0.0.1:80\n"
		   "uid:1002 tcp://127.0.0.0/8:80\n"
		   "uid:1003 tcp://*:80\n"
		   "uid:1001 tcp://127.0.0.1:81\n"
		   "uid:1002 tcp://[::1]:81\n"
		   "uid:1003 tcp://*:81\n"
		   "uid:1001 tcp://*:82\n"
		   "uid:1001 tcp://10.0.0.0/8:83\n"
		   "uid:1001 tcp://*:83\n"
		   "uid:1001 tcp://0.0.0.0:84\n"
		   "uid:1001 tcp://[2001:db8::/32]:85\n"
		   "uid:0 tcp://10.0.0.0/8:86\n",
		   NULL, &k),
	   "exact, prefix and '*' rules compile");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 80),
	       PG_K_MANAGED_EXACT | PG_K_MANAGED_ANY | PG_K_MANAGED_PREFIX,
	       "port 80: a /32, a /8 and '*'");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 81), PG_K_MANAGED_EXACT | PG_K_MANAGED_ANY,
	       "port 81: a /32, a /128 and '*', no trie");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 82), PG_K_MANAGED_ANY, "port 82: '*' alone");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 83), PG_K_MANAGED_ANY | PG_K_MANAGED_PREFIX,
	       "port 83: a /8 and '*'");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 84), PG_K_MANAGED_ANY,
	       "port 84: 0.0.0.0 is every address");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 85), PG_K_MANAGED_PREFIX, "port 85: a /32 of IPv6");
	is_int(kinds(&k, PG_K_IPPROTO_TCP, 86), 0, "port 86: managed, root's rule has no entry");
	for (size_t i = 0; i < k.nallowed; i++)
		nexact += pg_kallowed_exact(&k.allowed[i]);
	is_int(nexact, k.nallowed - 3, "every entry but the 3 prefixes goes into pg_exact");

	/* Exact and prefix rules on one port, for three users. */
	expect_both(&k, 1001, "127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "::ffff:127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "127.0.0.2", 80, false, PG_K_DENY);
	expect_both(&k, 1001, "0.0.0.0", 80, false, PG_K_DENY);
	expect_both(&k, 1002, "127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1002, "127.9.9.9", 80, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1002, "10.0.0.1", 80, false, PG_K_DENY);
	expect_both(&k, 1002, "0.0.0.0", 80, false, PG_K_DENY);
	expect_both(&k, 1003, "127.0.0.1", 80, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1003, "0.0.0.0", 80, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1003, "::", 80, true, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1004, "127.0.0.1", 80, false, PG_K_DENY);
	/* The fast path alone. */
	expect_both(&k, 1001, "127.0.0.1", 81, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "127.0.0.2", 81, false, PG_K_DENY);
	expect_both(&k, 1002, "::1", 81, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1002, "::1", 81, true, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1002, "::", 81, false, PG_K_DENY);
	expect_both(&k, 1002, "::ffff:127.0.0.1", 81, false, PG_K_DENY);
	expect_both(&k, 1003, "::", 81, true, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1003, "10.1.1.1", 81, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "::", 82, true, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1002, "::", 82, false, PG_K_DENY);
	/* A prefix and '*' for one user: the longest match, then the wildcard rule. */
	expect_both(&k, 1001, "0.0.0.0", 83, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "10.1.2.3", 83, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "11.1.2.3", 83, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "::", 83, true, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1002, "10.1.2.3", 83, false, PG_K_DENY);
	expect_both(&k, 1001, "0.0.0.0", 84, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "::", 84, false, PG_K_DENY);
	expect_both(&k, 1001, "2001:db8::1", 85, false, PG_K_ALLOW_NO_CAP);
	expect_both(&k, 1001, "2001:db9::1", 85, false, PG_K_DENY);
	expect_both(&k, 1001, "10.0.0.1", 86, false, PG_K_DENY);
	pg_kpolicy_clear(&k);
}

static void
test_groups_and_exempt(void)
{
	struct pg_kgroups g = { 0 };
	struct pg_kpolicy k = { 0 };
	struct pg_k_config ex = cfg;
	struct pg_klookup l;
	struct pg_bind b = bind_of(T, "0.0.0.0", 443, false);

	ok(pg_kgroups_add(&g, 500, 1002) == 0 && pg_kgroups_add(&g, 500, 1001) == 0 &&
		   pg_kgroups_add(&g, 500, 1002) == 0 && pg_kgroups_add(&g, 501, 0) == 0,
	   "group members recorded");
	ok(pg_kgroups_find(&g, 500)->nuids == 2 && pg_kgroups_find(&g, 500)->uids[0] == 1001,
	   "sorted and unique");
	ok(compile("gid:500 tcp://*:443\ngid:501 tcp://*:444\ngid:502 tcp://*:445\n", &g, &k),
	   "group rules compile");
	is_int(k.nallowed, 4, "2 members x 2 families; root and empty groups add nothing");
	expect(&k, 1001, T, "0.0.0.0", 443, false, PG_K_ALLOW_NO_CAP);
	expect(&k, 1002, T, "::", 443, true, PG_K_ALLOW_NO_CAP);
	expect(&k, 1003, T, "0.0.0.0", 443, false, PG_K_DENY);
	expect(&k, 1003, T, "0.0.0.0", 445, false, PG_K_DENY);

	ex.nexempt = 1;
	ex.exempt[0] = 1003;
	pg_kpolicy_lookup(&k, &l);
	is_int(pg_kjudge(&l, &ex, 1003, &b, NULL), PG_K_ALLOW,
	       "an exempt uid (the broker) is let through to the kernel's own checks");
	pg_kpolicy_clear(&k);
	pg_kgroups_clear(&g);
}

static void
test_accounts(void)
{
	struct pg_policy *p = parse("gid:0 tcp://*:80\nuid:1001 tcp://*:81\n");
	struct pg_kgroups g = { 0 };
	const struct pg_kgroup *root;
	bool has_root = false;

	ok(p != NULL && pg_kgroups_from_accounts(p, &g) == 0, "groups read from the accounts");
	root = pg_kgroups_find(&g, 0);
	for (size_t i = 0; root != NULL && i < root->nuids; i++)
		has_root |= root->uids[i] == 0;
	ok(g.n == 1 && has_root, "group 0 holds root, whose primary group it is");
	pg_kgroups_clear(&g);
	pg_policy_free(p);
}

static void
test_limits(void)
{
	struct pg_policy *p = parse("uid:1001 tcp://*:1-65535\n");
	struct pg_kgroups none = { 0 };
	struct pg_kpolicy k = { 0 };
	bool lower = true;

	ok(p != NULL, "a policy of 131070 entries parses");
	is_int(pg_kpolicy_compile(p, &none, 131070, &k, &lower), 0, "fits a map of 131070");
	ok(k.nallowed == 131070 && k.nmanaged == 65535 && !lower, "every entry is there");
	pg_kpolicy_clear(&k);
	is_int(pg_kpolicy_compile(p, &none, 131069, &k, &lower), -E2BIG,
	       "one entry more than the map holds: refused whole");
	ok(k.nallowed == 131070 && !lower && k.allowed == NULL && k.managed == NULL,
	   "with the exact count and no entries (%zu)", k.nallowed);
	is_int(pg_kpolicy_compile(p, &none, 1000, &k, &lower), -E2BIG, "far too large: refused");
	ok(k.nallowed > 1000 && lower, "with a lower bound of the count (%zu)", k.nallowed);
	pg_policy_free(p);
}

/* --- differential: pg_policy_eval() and the compiled entries agree ------------------ */

#define NUSERS	12
#define NGROUPS 5

struct user {
	uid_t uid;
	gid_t gid;
	gid_t supp[NGROUPS];
	size_t nsupp;
};

static const char *const rule_addrs[] = {
	"*",	       "0.0.0.0",	 "[::]",     "127.0.0.1",	  "127.0.0.0/8",
	"10.1.0.0/16", "192.168.1.0/24", "[::1]",    "[fe80::/10]",	  "[2001:db8::/32]",
	"0.0.0.0/0",   "[::/0]",	 "10.1.2.3", "[::ffff:10.1.2.3]", "[2001:db8::5]",
};
static const char *const rule_ports[] = { "80", "79-81", "443", "5060-5061", "1023-1024", "8080" };
static const char *const bind_addrs[] = {
	"0.0.0.0",
	"127.0.0.1",
	"127.0.0.5",
	"127.1.2.3",
	"10.1.2.3",
	"10.2.0.1",
	"192.168.1.5",
	"8.8.8.8",
	"::",
	"::1",
	"fe80::1",
	"2001:db8::5",
	"2001:db8:1::9",
	"::ffff:127.0.0.1",
	"::ffff:0.0.0.0",
	"::ffff:10.1.2.3",
	"2002::1",
	"::ffff:192.168.1.7",
};
static const uint16_t bind_ports[] = {
	0,   8,	  53,  79,  80,	 81,   82,   83,   85,	 100,  99,
	443, 511, 512, 600, 700, 1023, 1024, 5060, 5061, 8080, 9999
};

static unsigned
rnd(unsigned n)
{
	return (unsigned)random() % n;
}

#define STRANGER 4242 /* a uid the tree and the account database do not know */

static const struct user *diff_users;

/* The account database of the differential test: the users, and strangers. */
static int
users_cred(void *ctx, uid_t uid, struct pg_cred *ret)
{
	(void)ctx;
	for (size_t i = 0; i < NUSERS; i++) {
		const struct user *u = &diff_users[i];

		if (u->uid != uid)
			continue;
		*ret = (struct pg_cred){ .uid = uid, .gid = u->gid, .ngroups = u->nsupp };
		memcpy(ret->groups, u->supp, u->nsupp * sizeof(gid_t));
		return 0;
	}
	*ret = (struct pg_cred){ .uid = uid, .gid = uid, .ngroups = 1, .groups = { uid } };
	return 0;
}

/* A random authbind tree at dir for p, compiled into k; false if that failed. */
static bool
add_tree(int round, const char *dir, struct pg_policy *p, struct pg_kpolicy *k)
{
	uid_t uids[NUSERS];
	gid_t gids[NGROUPS + NUSERS];
	struct pg_kab_users ku = { .uids = uids, .nuids = NUSERS, .cred = users_cred };
	struct pg_diags d = { 0 };
	int r;

	for (size_t i = 0; i < NUSERS; i++) {
		uids[i] = diff_users[i].uid;
		gids[NGROUPS + i] = diff_users[i].gid;
	}
	for (size_t i = 0; i < NGROUPS; i++)
		gids[i] = 2000 + (gid_t)i;
	if (tt_make(dir, uids, NUSERS, gids, nitems(gids)) < 0 ||
	    (p->authbind_dir = strdup(dir)) == NULL) {
		tap_diag("round %d: cannot make the tree %s", round, dir);
		return false;
	}
	r = pg_kpolicy_compile_authbind(dir, &ku, k, &d);
	for (size_t i = 0; i < d.n; i++)
		tap_diag("round %d: %s:%u:%u: %s", round, d.v[i].file, d.v[i].line, d.v[i].col,
			 d.v[i].msg);
	pg_diags_clear(&d);
	if (r < 0)
		tap_diag("round %d: the tree does not compile: %s", round, strerror(-r));
	return r == 0;
}

static size_t nauthbind; /* binds the authbind tree granted */

static int
differential_round(int round, const struct user *users, const char *treedir, size_t *ncompared)
{
	char text[4096];
	size_t len = 0;
	unsigned nrules = 1 + rnd(8);
	struct pg_kgroups g = { 0 };
	struct pg_kpolicy k = { 0 };
	struct pg_policy *p;
	struct pg_klookup l;
	int mismatches = 0;

	for (unsigned i = 0; i < nrules; i++) {
		char principal[32];

		if (rnd(3) == 0)
			(void)snprintf(principal, sizeof(principal), "gid:%u", 2000 + rnd(NGROUPS));
		else
			(void)snprintf(principal, sizeof(principal), "uid:%u",
				       users[rnd(NUSERS)].uid);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %s://%s:%s\n",
					principal, rnd(2) ? "tcp" : "udp",
					rule_addrs[rnd(nitems(rule_addrs))],
					rule_ports[rnd(nitems(rule_ports))]);
	}
	p = parse(text);
	if (p == NULL) {
		tap_diag("round %d: policy does not parse:\n%s", round, text);
		return 1;
	}
	for (size_t u = 0; u < NUSERS; u++) {
		(void)pg_kgroups_add(&g, users[u].gid, users[u].uid);
		for (size_t s = 0; s < users[u].nsupp; s++)
			(void)pg_kgroups_add(&g, users[u].supp[s], users[u].uid);
	}
	if (pg_kpolicy_compile(p, &g, PG_K_MAX_ALLOWED, &k, NULL) < 0) {
		tap_diag("round %d: policy does not compile:\n%s", round, text);
		pg_policy_free(p);
		pg_kgroups_clear(&g);
		return 1;
	}
	if (treedir != NULL) {
		char dir[600];

		(void)snprintf(dir, sizeof(dir), "%s/r%d", treedir, round);
		if (!add_tree(round, dir, p, &k)) {
			pg_kpolicy_clear(&k);
			pg_kgroups_clear(&g);
			pg_policy_free(p);
			return 1;
		}
	}
	pg_kpolicy_lookup(&k, &l);

	for (int i = 0; i < 400; i++) {
		static const struct user stranger = { .uid = STRANGER, .gid = STRANGER };
		const struct user *u = rnd(8) == 0 ? &stranger : &users[rnd(NUSERS)];
		struct pg_cred c = { .uid = u->uid, .gid = u->gid, .ngroups = u->nsupp };
		struct pg_bind b = bind_of(rnd(2) ? T : U, bind_addrs[rnd(nitems(bind_addrs))],
					   bind_ports[rnd(nitems(bind_ports))], rnd(2));
		struct pg_verdict v;
		enum pg_decision kd;
		int verdict, want;

		memcpy(c.groups, u->supp, u->nsupp * sizeof(gid_t));
		pg_policy_eval(p, &c, &b, &v);
		verdict = pg_kjudge(&l, &cfg, u->uid, &b, &kd);
		l.exact = NULL;
		if (pg_kjudge(&l, &cfg, u->uid, &b, NULL) != verdict && mismatches++ < 3)
			tap_diag("round %d: uid %u: the fast path and the trie disagree; "
				 "policy:\n%s",
				 round, (unsigned)u->uid, text);
		pg_kpolicy_lookup(&k, &l);
		want = v.decision == PG_DENY					? PG_K_DENY
		       : v.decision == PG_ALLOW && b.port < 1024 && u->uid != 0 ? PG_K_ALLOW_NO_CAP
										: PG_K_ALLOW;
		(*ncompared)++;
		nauthbind += v.reason == PG_REASON_AUTHBIND;
		if (kd != v.decision || verdict != want) {
			char bs[PG_BIND_STRLEN], why[256];

			if (mismatches++ < 3)
				tap_diag("round %d: uid %u %s: eval %d (%s), kernel %d verdict %d;"
					 " policy:\n%s",
					 round, (unsigned)u->uid, pg_bind_format(&b, bs),
					 v.decision, pg_verdict_explain(&v, why, sizeof(why)), kd,
					 verdict, text);
		}
	}
	pg_kpolicy_clear(&k);
	pg_kgroups_clear(&g);
	pg_policy_free(p);
	return mismatches;
}

static void
test_differential(void)
{
	struct user users[NUSERS];
	size_t compared = 0;
	int mismatches = 0;
	char treedir[] = "/tmp/pgt-kpolicy-XXXXXX";
	bool trees = geteuid() == 0 && mkdtemp(treedir) != NULL;

	diff_users = users;
	srandom(4242);
	for (size_t i = 0; i < NUSERS; i++) {
		users[i] = (struct user){ .uid = i == 0 ? 0 : (uid_t)(1000 + i) };
		users[i].gid = rnd(2) ? 2000 + rnd(NGROUPS) : 3000 + (gid_t)i;
		for (gid_t gid = 2000; gid < 2000 + NGROUPS; gid++)
			if (rnd(3) == 0)
				users[i].supp[users[i].nsupp++] = gid;
	}
	for (int round = 0; round < 300; round++)
		mismatches += differential_round(round, users, trees ? treedir : NULL, &compared);
	ok(mismatches == 0, "differential: %zu random binds, eval and compiled maps agree%s",
	   compared, trees ? ", with random authbind trees" : "");
	ok(!trees || nauthbind > compared / 50, "of which %zu granted by the authbind tree",
	   nauthbind);
	if (trees)
		tt_remove(treedir);
	else
		tap_skip("not root", "random authbind trees (chown needs root)");
}

int
main(void)
{
	test_entries();
	test_fast_path();
	test_groups_and_exempt();
	test_accounts();
	test_limits();
	test_differential();
	return tap_done();
}
