// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz-policy.c - libFuzzer target for the policy file parser: the input is
 * one portgate.conf, parsed with pg_policy_parse_buffer() and then judged
 * with pg_policy_eval() for root and for uid 1000.  Principal names resolve
 * through the host's user and group databases; the authbind tree is not used.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

#define FILE_NAME   "fuzz.conf"
#define MAX_CHECKED 64 /* rules judged one by one: evaluation is linear in the rules */

static const struct pg_cred root_cred = { .uid = 0, .gid = 0, .ngroups = 1, .groups = { 0 } };

/* A user with the common Debian groups staff (50) and users (100). */
static const struct pg_cred user_cred = {
	.uid = 1000,
	.gid = 1000,
	.ngroups = 3,
	.groups = { 1000, 50, 100 },
};

static const struct pg_bind fixed_binds[] = {
	{ .proto = PG_PROTO_TCP, .family = AF_INET, .port = 80 },
	{ .proto = PG_PROTO_TCP, .family = AF_INET, .addr = { 127, 0, 0, 1 }, .port = 80 },
	{ .proto = PG_PROTO_TCP, .family = AF_INET6, .port = 80, .dual_stack = true },
	{ .proto = PG_PROTO_TCP, .family = AF_INET6, .port = 443 },
	{ .proto = PG_PROTO_TCP, .family = AF_INET6, .addr = { [15] = 1 }, .port = 8080 },
	{ .proto = PG_PROTO_TCP,
	  .family = AF_INET6,
	  .addr = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 },
	  .port = 80 },
	{ .proto = PG_PROTO_TCP, .family = AF_INET, .addr = { 10, 1, 2, 3 }, .port = 22 },
	{ .proto = PG_PROTO_UDP, .family = AF_INET, .port = 53 },
	{ .proto = PG_PROTO_UDP,
	  .family = AF_INET6,
	  .addr = { 0xfe, 0x80, [15] = 1 },
	  .port = 5353 },
	{ .proto = PG_PROTO_TCP, .family = AF_INET, .port = 0 },
};

static bool
port_in(const struct pg_rule *r, enum pg_proto proto, uint16_t port)
{
	return r->spec.proto == proto && port >= r->spec.port_lo && port <= r->spec.port_hi;
}

/* Judge b for cred, check what the verdict claims, and return it. */
static enum pg_decision
judge(const struct pg_policy *p, const struct pg_cred *cred, const struct pg_bind *b)
{
	char text[PG_BIND_STRLEN], why[512];
	const struct pg_rule *owner;
	struct pg_verdict v;

	pg_policy_eval(p, cred, b, &v);
	(void)pg_bind_format(b, text);
	(void)pg_verdict_explain(&v, why, sizeof(why));
	owner = pg_policy_port_owner(p, b->proto, b->port);

	if (b->port == 0) {
		if (v.decision != PG_UNMANAGED || v.reason != PG_REASON_PORT_ZERO)
			fuzz_bug("'%s' for uid %u: port 0 judged: %s", text, cred->uid, why);
		return v.decision;
	}
	if (cred->uid == 0) {
		if (v.decision != PG_ALLOW || v.reason != PG_REASON_ROOT)
			fuzz_bug("'%s' for root: %s", text, why);
		return v.decision;
	}
	switch (v.decision) {
	case PG_ALLOW:
		if (v.reason != PG_REASON_RULE || v.rule == NULL ||
		    !pg_rule_covers_cred(v.rule, cred) || !port_in(v.rule, b->proto, b->port))
			fuzz_bug("'%s' for uid %u allowed by a rule that does not grant it: %s",
				 text, cred->uid, why);
		break;
	case PG_DENY:
		if (v.reason != PG_REASON_NOT_OWNER || v.rule == NULL ||
		    !port_in(v.rule, b->proto, b->port))
			fuzz_bug("'%s' for uid %u denied without an owning rule: %s", text,
				 cred->uid, why);
		break;
	case PG_UNMANAGED:
		if (v.reason != PG_REASON_NOT_NAMED || owner != NULL)
			fuzz_bug("'%s' for uid %u unmanaged although rule %s:%u names it: %s", text,
				 cred->uid, owner ? owner->file : "-", owner ? owner->line : 0,
				 why);
		break;
	default:
		fuzz_bug("'%s' for uid %u: decision %d", text, cred->uid, (int)v.decision);
	}
	if ((owner == NULL) != (v.decision == PG_UNMANAGED))
		fuzz_bug("'%s' for uid %u: managed is %d but verdict is: %s", text, cred->uid,
			 owner != NULL, why);
	return v.decision;
}

static bool
is_v4mapped(const struct pg_bind *b)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return b->family == AF_INET6 && memcmp(b->addr, prefix, sizeof(prefix)) == 0;
}

/*
 * A prefix rule grants an address inside it (a host bit set) to its principal,
 * unless that address is IPv4-mapped: those are judged as IPv4, by design.
 * An address just outside the prefix is judged as well.
 */
static void
check_prefix_rule(const struct pg_policy *p, const struct pg_rule *r, const char *canon)
{
	const struct pg_addr *a = &r->spec.addr;
	unsigned full = a->family == AF_INET ? 32 : 128;
	struct pg_bind in = { .proto = r->spec.proto,
			      .family = a->family,
			      .port = r->spec.port_hi };
	struct pg_bind out;
	char text[PG_BIND_STRLEN];

	if ((a->family != AF_INET && a->family != AF_INET6) || a->prefixlen >= full)
		return;
	memcpy(in.addr, a->bytes, full / 8);
	out = in;
	in.addr[a->prefixlen / 8] |= (uint8_t)(0x80 >> (a->prefixlen % 8));
	if (judge(p, &user_cred, &in) != PG_ALLOW && pg_rule_covers_cred(r, &user_cred) &&
	    !is_v4mapped(&in))
		fuzz_bug("line %u: '%s %s' does not let uid %u bind '%s'", r->line, r->principal,
			 canon, user_cred.uid, pg_bind_format(&in, text));
	if (a->prefixlen > 0) {
		out.addr[(a->prefixlen - 1) / 8] ^= (uint8_t)(0x80 >> ((a->prefixlen - 1) % 8));
		(void)judge(p, &user_cred, &out);
	}
}

/* A parsed rule: its fields, its canonical text, and what it grants. */
static void
check_rule(const struct pg_policy *p, const struct pg_rule *r, size_t nlines)
{
	char canon[PG_SPEC_STRLEN], bindtext[PG_BIND_STRLEN];
	enum pg_principal_kind kind;
	struct pg_parse_error err;
	struct pg_spec again;
	struct pg_bind b;
	uint32_t id;

	if (r->principal == NULL || r->principal[0] == '\0' || r->file != p->files[0] ||
	    r->line == 0 || r->line > nlines || r->col < 3)
		fuzz_bug("rule with principal '%s' at %s:%u:%u", r->principal ? r->principal : "",
			 r->file, r->line, r->col);
	if (pg_principal_parse(r->principal, strlen(r->principal), &kind, &id, &err) < 0 ||
	    kind != r->kind || id != r->id)
		fuzz_bug("line %u: principal '%s' does not parse back", r->line, r->principal);

	(void)pg_spec_format(&r->spec, canon);
	if (pg_spec_parse(canon, strlen(canon), 0, &again, &err) < 0)
		fuzz_bug("line %u: canonical '%s' does not parse: %s", r->line, canon, err.msg);
	if (!pg_spec_equal(&r->spec, &again))
		fuzz_bug("line %u: the spec changes in a round trip through '%s'", r->line, canon);
	check_prefix_rule(p, r, canon);

	/*
	 * A rule for one address and one port (a spec `portgate run` takes) lets
	 * its principal bind exactly that.  pg_spec_to_bind() alone would also
	 * take a prefix of the unspecified address, such as "[::/64]".
	 */
	if (pg_spec_parse(canon, strlen(canon), PG_SPEC_SINGLE_PORT, &again, NULL) < 0 ||
	    pg_spec_to_bind(&again, &b) < 0)
		return;
	if (judge(p, &user_cred, &b) != PG_ALLOW && pg_rule_covers_cred(r, &user_cred))
		fuzz_bug("line %u: '%s %s' does not let uid %u bind '%s'", r->line, r->principal,
			 canon, user_cred.uid, pg_bind_format(&b, bindtext));
	(void)judge(p, &root_cred, &b);
}

static size_t
count_lines(const char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n + (len > 0 && buf[len - 1] != '\n');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct pg_diags diags = { 0 };
	size_t nlines = count_lines(buf, size);
	struct pg_policy *p;
	int r;

	if ((p = pg_policy_new()) == NULL)
		return 0;
	r = pg_policy_parse_buffer(p, FILE_NAME, buf, size, &diags);
	if (r == -ENOMEM)
		goto out;
	if (r != 0 && r != -EINVAL)
		fuzz_bug("pg_policy_parse_buffer() returned %d", r);
	if ((r == 0) != (diags.n == 0))
		fuzz_bug("pg_policy_parse_buffer() returned %d with %zu problems", r, diags.n);
	if (p->nfiles != 1 || strcmp(p->files[0], FILE_NAME) != 0 || p->authbind_dir != NULL)
		fuzz_bug("policy lists %zu files", p->nfiles);
	for (size_t i = 0; i < diags.n; i++) {
		const struct pg_diag *d = &diags.v[i];

		if (strcmp(d->file, FILE_NAME) != 0 || d->line == 0 || d->line > nlines ||
		    d->col == 0 || d->msg[0] == '\0')
			fuzz_bug("problem at %s:%u:%u of a %zu-line file: '%s'", d->file, d->line,
				 d->col, nlines, d->msg);
	}

	/* A policy with errors is never applied, but what it holds must still be sound. */
	for (size_t i = 0; i < p->nrules && i < MAX_CHECKED; i++)
		check_rule(p, &p->rules[i], nlines);
	for (size_t i = 0; i < nitems(fixed_binds); i++) {
		(void)judge(p, &root_cred, &fixed_binds[i]);
		(void)judge(p, &user_cred, &fixed_binds[i]);
	}
out:
	pg_diags_clear(&diags);
	pg_policy_free(p);
	return 0;
}
