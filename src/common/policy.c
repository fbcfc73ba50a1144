// SPDX-License-Identifier: BSD-2-Clause
/*
 * policy.c - the one evaluation of a bind against the policy.
 * Library code: never logs, never fails.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool
pg_rule_covers_cred(const struct pg_rule *r, const struct pg_cred *cred)
{
	if (r->kind == PG_PRINCIPAL_USER)
		return r->id == cred->uid;
	return pg_cred_in_group(cred, (gid_t)r->id);
}

static bool
is_wildcard(int family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		if (addr[i] != 0)
			return false;
	return true;
}

/*
 * Does the rule's address cover this bind address?  A wildcard bind receives
 * traffic for every address, so only a rule for every address (prefix 0)
 * covers it: owning 127.0.0.1 does not give 0.0.0.0.
 */
static bool
addr_covers(const struct pg_addr *ra, int family, const uint8_t *addr)
{
	unsigned full, bits;

	if (ra->family == AF_UNSPEC)
		return true;
	if (ra->family != family)
		return false;
	full = family == AF_INET ? 32 : 128;
	if (is_wildcard(family, addr))
		return ra->prefixlen == 0;
	bits = ra->prefixlen;
	if (bits > full)
		return false;
	if (memcmp(ra->bytes, addr, bits / 8) != 0)
		return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		if ((ra->bytes[bits / 8] & mask) != (addr[bits / 8] & mask))
			return false;
	}
	return true;
}

const struct pg_rule *
pg_policy_port_owner(const struct pg_policy *p, enum pg_proto proto, uint16_t port)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pg_rule *r = &p->rules[i];

		if (r->spec.proto == proto && port >= r->spec.port_lo && port <= r->spec.port_hi)
			return r;
	}
	return NULL;
}

/* Judge a single-family bind by the rules alone. */
static void
eval_rules(const struct pg_policy *p, const struct pg_cred *cred, const struct pg_bind *b,
	   struct pg_verdict *v)
{
	const struct pg_rule *owner = NULL;

	v->judged = *b;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pg_rule *r = &p->rules[i];

		if (r->spec.proto != b->proto || b->port < r->spec.port_lo ||
		    b->port > r->spec.port_hi)
			continue;
		if (owner == NULL)
			owner = r;
		if (pg_rule_covers_cred(r, cred) &&
		    addr_covers(&r->spec.addr, b->family, b->addr)) {
			v->decision = PG_ALLOW;
			v->reason = PG_REASON_RULE;
			v->rule = r;
			return;
		}
	}
	v->rule = owner;
	v->decision = owner ? PG_DENY : PG_UNMANAGED;
	v->reason = owner ? PG_REASON_NOT_OWNER : PG_REASON_NOT_NAMED;
}

void
pg_policy_eval(const struct pg_policy *p, const struct pg_cred *cred, const struct pg_bind *b,
	       struct pg_verdict *ret)
{
	struct pg_bind norm = *b;
	struct pg_verdict v = { .judged = *b };

	if (b->port == 0) {
		v.reason = PG_REASON_PORT_ZERO;
		*ret = v;
		return;
	}
	if (cred->uid == 0) {
		v.decision = PG_ALLOW;
		v.reason = PG_REASON_ROOT;
		*ret = v;
		return;
	}

	/* "::ffff:a.b.c.d" reaches the IPv4 address: judge it as one. */
	if (norm.family == AF_INET6 && memcmp(norm.addr, v4mapped_prefix, 12) == 0) {
		memmove(norm.addr, norm.addr + 12, 4);
		memset(norm.addr + 4, 0, 12);
		norm.family = AF_INET;
		norm.dual_stack = false;
	}
	norm.dual_stack =
		norm.dual_stack && norm.family == AF_INET6 && is_wildcard(AF_INET6, norm.addr);

	eval_rules(p, cred, &norm, &v);
	if (norm.dual_stack) {
		/* [::] without IPV6_V6ONLY also takes 0.0.0.0: both halves must pass. */
		struct pg_bind v4 = { .proto = norm.proto, .family = AF_INET, .port = norm.port };
		struct pg_verdict v4v = { 0 };

		eval_rules(p, cred, &v4, &v4v);
		if ((v4v.decision == PG_DENY && v.decision != PG_DENY) ||
		    (v.decision == PG_UNMANAGED && v4v.decision == PG_ALLOW))
			v = v4v;
	}

	/* The authbind tree grants ports below 1024, as authbind's helper would. */
	if (v.decision != PG_ALLOW && p->authbind_dir != NULL && b->port < 1024 &&
	    pg_authbind_eval(p->authbind_dir, cred, b, &v.authbind) == 0 && v.authbind.allowed) {
		v.decision = PG_ALLOW;
		v.reason = PG_REASON_AUTHBIND;
		v.rule = NULL;
		v.judged = *b;
	}
	*ret = v;
}

const char *
pg_verdict_explain(const struct pg_verdict *v, char *buf, size_t size)
{
	char spec[PG_SPEC_STRLEN], bind[PG_BIND_STRLEN];
	const struct pg_rule *r = v->rule;

	switch (v->reason) {
	case PG_REASON_PORT_ZERO:
		(void)snprintf(buf, size,
			       "port 0 asks for an ephemeral port, which is never managed");
		break;
	case PG_REASON_ROOT:
		(void)snprintf(buf, size, "root is exempt");
		break;
	case PG_REASON_RULE:
		(void)snprintf(buf, size, "rule %s:%u (%s %s)", r->file, r->line, r->principal,
			       pg_spec_format(&r->spec, spec));
		break;
	case PG_REASON_AUTHBIND:
		if (v->authbind.line)
			(void)snprintf(buf, size, "authbind %s:%u", v->authbind.path,
				       v->authbind.line);
		else
			(void)snprintf(buf, size, "authbind %s", v->authbind.path);
		break;
	case PG_REASON_NOT_OWNER:
		(void)snprintf(buf, size,
			       "%s/%u is managed (rule %s:%u gives it to %s) and no rule grants %s",
			       pg_proto_name(v->judged.proto), v->judged.port, r->file, r->line,
			       r->principal, pg_bind_format(&v->judged, bind));
		break;
	case PG_REASON_NOT_NAMED:
	default:
		(void)snprintf(buf, size,
			       "%s/%u is not named in the policy: the kernel's default applies",
			       pg_proto_name(v->judged.proto), v->judged.port);
		break;
	}
	return buf;
}
