// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-policy.c - every semantic rule of the policy (mission.md, "The policy"):
 * wildcard vs specific addresses, IPv4-mapped IPv6, dual-stack [::], ranges,
 * prefixes, groups, protocols, port 0, root, and the deciding rule's file:line.
 */
#include <arpa/inet.h>
#include <string.h>

#include "policy.h"
#include "tap.h"
#include "testutil.h"

static const char conf[] = "# test policy\n"
			   "uid:1001 tcp://127.0.0.1:80\n"		   /* 2 */
			   "uid:1001 tcp://*:5060 udp://*:5060\n"	   /* 3 */
			   "uid:1001 tcp://[::]:8443\n"			   /* 4 */
			   "uid:1001 tcp://0.0.0.0:9443 tcp://[::]:9443\n" /* 5 */
			   "gid:50   tcp://*:8000-8099\n"		   /* 6 */
			   "uid:1002 tcp://10.0.0.0/8:443\n"		   /* 7 */
			   "uid:1003 tcp://[2001:db8::/32]:443\n"	   /* 8 */
			   "uid:1004 tcp://127.0.0.2:80\n";		   /* 9 */

static struct pg_policy *policy;

static struct pg_cred
user(uid_t uid, gid_t gid, gid_t extra)
{
	struct pg_cred c = { .uid = uid, .gid = gid, .ngroups = 1 };

	c.groups[0] = extra;
	return c;
}

/* Judge and compare the decision (and the deciding line, if want_line). */
static void
expect(const struct pg_cred *c, enum pg_proto proto, const char *addr, uint16_t port, bool dual,
       enum pg_decision want, unsigned want_line, const char *what)
{
	struct pg_bind b = bind_of(proto, addr, port, dual);
	struct pg_verdict v;
	char why[256];

	pg_policy_eval(policy, c, &b, &v);
	ok(v.decision == want && (want_line == 0 || (v.rule && v.rule->line == want_line)),
	   "%s: uid %u %s %s:%u%s", what, (unsigned)c->uid, pg_proto_name(proto), addr, port,
	   dual ? " dual-stack" : "");
	if (v.decision != want || (want_line && (!v.rule || v.rule->line != want_line)))
		tap_diag("  got decision %d line %u: %s", v.decision, v.rule ? v.rule->line : 0,
			 pg_verdict_explain(&v, why, sizeof(why)));
}

#define T PG_PROTO_TCP
#define U PG_PROTO_UDP

int
main(void)
{
	struct pg_diags d = { 0 };
	struct pg_cred alice = user(1001, 1001, 1001), bob = user(1005, 1005, 1005);
	struct pg_cred dev = user(1006, 1006, 50), devprimary = user(1007, 50, 1007);
	struct pg_cred ten = user(1002, 1002, 1002), v6 = user(1003, 1003, 1003);
	struct pg_cred other = user(1004, 1004, 1004), root = user(0, 0, 0);
	struct pg_verdict v;
	struct pg_bind b;
	char why[256];

	policy = pg_policy_new();
	is_int(pg_policy_parse_buffer(policy, "test.conf", conf, strlen(conf), &d), 0,
	       "the test policy parses");
	is_int(policy->nrules, 10, "into 10 rules");

	/* Specific address: covers itself only. */
	expect(&alice, T, "127.0.0.1", 80, false, PG_ALLOW, 2, "owner, own address");
	expect(&alice, T, "127.0.0.3", 80, false, PG_DENY, 2, "owner, other address");
	expect(&alice, T, "0.0.0.0", 80, false, PG_DENY, 2, "owner of one address, wildcard bind");
	expect(&alice, T, "::", 80, true, PG_DENY, 0, "owner of one address, dual-stack bind");
	expect(&alice, T, "::1", 80, false, PG_DENY, 2, "owner of 127.0.0.1, ::1");
	expect(&bob, T, "127.0.0.1", 80, false, PG_DENY, 2, "not the owner");
	expect(&other, T, "127.0.0.2", 80, false, PG_ALLOW, 9, "a second owner of the same port");
	expect(&other, T, "127.0.0.1", 80, false, PG_DENY, 0,
	       "  ... not of the first one's address");
	expect(&bob, U, "127.0.0.1", 80, false, PG_UNMANAGED, 0, "UDP is not TCP");

	/* IPv4-mapped IPv6 is judged as IPv4: no spelling bypasses a rule. */
	expect(&alice, T, "::ffff:127.0.0.1", 80, false, PG_ALLOW, 2, "IPv4-mapped, owner");
	expect(&bob, T, "::ffff:127.0.0.1", 80, false, PG_DENY, 2, "IPv4-mapped, not the owner");
	expect(&bob, T, "::ffff:0.0.0.0", 5060, false, PG_DENY, 3,
	       "IPv4-mapped wildcard, reserved");
	expect(&bob, T, "::ffff:0.0.0.0", 5060, true, PG_DENY, 3,
	       "IPv4-mapped wildcard with V6ONLY off is still IPv4");

	/* Reservations above 1024, every spelling, both protocols. */
	expect(&alice, T, "0.0.0.0", 5060, false, PG_ALLOW, 3, "reserved, owner, 0.0.0.0");
	expect(&alice, T, "::", 5060, true, PG_ALLOW, 3, "reserved, owner, dual-stack");
	expect(&alice, U, "::1", 5060, false, PG_ALLOW, 3, "reserved, owner, udp ::1");
	expect(&bob, T, "0.0.0.0", 5060, false, PG_DENY, 3, "reserved, other, 0.0.0.0");
	expect(&bob, T, "127.0.0.1", 5060, false, PG_DENY, 3, "reserved, other, 127.0.0.1");
	expect(&bob, T, "::", 5060, false, PG_DENY, 3, "reserved, other, [::] v6only");
	expect(&bob, T, "::", 5060, true, PG_DENY, 3, "reserved, other, dual-stack");
	expect(&bob, U, "::1", 5060, false, PG_DENY, 3, "reserved, other, udp ::1");
	expect(&bob, T, "0.0.0.0", 5061, false, PG_UNMANAGED, 0, "the port next door is free");

	/* Dual-stack [::] needs the IPv4 rights too. */
	expect(&alice, T, "::", 8443, false, PG_ALLOW, 4, "[::] rule, v6-only bind");
	expect(&alice, T, "::1", 8443, false, PG_ALLOW, 4, "[::] rule covers ::1");
	expect(&alice, T, "::", 8443, true, PG_DENY, 4, "[::] rule, dual-stack bind needs IPv4");
	expect(&alice, T, "0.0.0.0", 8443, false, PG_DENY, 4, "[::] rule does not give 0.0.0.0");
	expect(&alice, T, "::", 9443, true, PG_ALLOW, 0, "0.0.0.0 + [::] rules, dual-stack bind");
	expect(&alice, T, "127.0.0.1", 9443, false, PG_ALLOW, 5, "0.0.0.0 rule covers 127.0.0.1");

	/* Groups, including supplementary ones; port ranges. */
	expect(&dev, T, "0.0.0.0", 8000, false, PG_ALLOW, 6, "supplementary group, low end");
	expect(&dev, T, "::1", 8099, false, PG_ALLOW, 6, "supplementary group, high end");
	expect(&devprimary, T, "0.0.0.0", 8050, false, PG_ALLOW, 6, "primary group");
	expect(&bob, T, "0.0.0.0", 8050, false, PG_DENY, 6, "not in the group");
	expect(&bob, T, "0.0.0.0", 7999, false, PG_UNMANAGED, 0, "below the range");
	expect(&bob, T, "0.0.0.0", 8100, false, PG_UNMANAGED, 0, "above the range");

	/* Prefixes. */
	expect(&ten, T, "10.1.2.3", 443, false, PG_ALLOW, 7, "inside 10.0.0.0/8");
	expect(&ten, T, "11.0.0.1", 443, false, PG_DENY, 0, "outside 10.0.0.0/8");
	expect(&ten, T, "0.0.0.0", 443, false, PG_DENY, 0, "a prefix does not give the wildcard");
	expect(&ten, T, "::ffff:10.9.9.9", 443, false, PG_ALLOW, 7,
	       "IPv4-mapped inside the prefix");
	expect(&v6, T, "2001:db8:1::5", 443, false, PG_ALLOW, 8, "inside 2001:db8::/32");
	expect(&v6, T, "2001:db9::5", 443, false, PG_DENY, 0, "outside 2001:db8::/32");

	/* Port 0 and root. */
	expect(&bob, T, "0.0.0.0", 0, false, PG_UNMANAGED, 0, "port 0 is never managed");
	b = bind_of(T, "0.0.0.0", 0, false);
	pg_policy_eval(policy, &bob, &b, &v);
	is_int(v.reason, PG_REASON_PORT_ZERO, "  ... and says why");
	expect(&root, T, "0.0.0.0", 5060, false, PG_ALLOW, 0, "root is exempt");
	b = bind_of(T, "127.0.0.1", 5060, false);
	pg_policy_eval(policy, &root, &b, &v);
	is_int(v.reason, PG_REASON_ROOT, "  ... and says why");

	/* The explanation names the rule. */
	b = bind_of(T, "127.0.0.1", 80, false);
	pg_policy_eval(policy, &bob, &b, &v);
	ok(strstr(pg_verdict_explain(&v, why, sizeof(why)), "test.conf:2") != NULL,
	   "a deny names the owner's rule: %s", why);
	pg_policy_eval(policy, &alice, &b, &v);
	ok(strstr(pg_verdict_explain(&v, why, sizeof(why)), "rule test.conf:2 (uid:1001") != NULL,
	   "an allow names the granting rule: %s", why);

	ok(pg_policy_port_owner(policy, U, 5060) != NULL &&
		   pg_policy_port_owner(policy, U, 80) == NULL,
	   "port owners are per protocol");

	pg_diags_clear(&d);
	pg_policy_free(policy);
	return tap_done();
}
