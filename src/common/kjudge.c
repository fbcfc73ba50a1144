// SPDX-License-Identifier: BSD-2-Clause
/*
 * kjudge.c - judge a bind from the bind hooks' map entries exactly as
 * bind-policy.bpf.c does: lookups in a policy compiled by kpolicy.c (or in
 * the live maps, through struct pg_klookup), and the program's decision in C,
 * so that tests and "portgate kernel status" check the kernel's verdicts.
 * Library code: returns -errno, never logs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kpolicy-impl.h"
#include "kpolicy.h"
#include "macro.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* --- lookups in a compiled policy ------------------------------------------------ */

static int
array_managed(const void *ctx, const struct pg_k_managed_key *key, struct pg_k_managed_val *ret)
{
	const struct pg_kpolicy *k = ctx;
	struct pg_kmanaged m = { .key = *key };
	const struct pg_kmanaged *hit;

	if (k->nmanaged == 0)
		return 0;
	hit = bsearch(&m, k->managed, k->nmanaged, sizeof(m), pg_kmanaged_cmp);
	if (hit == NULL)
		return 0;
	*ret = hit->val;
	return 1;
}

static int
allowed_key_cmp(const void *a, const void *b)
{
	return memcmp(a, &((const struct pg_kallowed *)b)->key, sizeof(struct pg_k_allow_key));
}

/* The entries the loader puts into pg_exact: the key as it is, no longest match. */
static int
array_exact(const void *ctx, const struct pg_k_allow_key *key, struct pg_k_allow_val *ret)
{
	const struct pg_kpolicy *k = ctx;
	const struct pg_kallowed *hit;

	if (k->nallowed == 0)
		return 0;
	hit = bsearch(key, k->allowed, k->nallowed, sizeof(*hit), allowed_key_cmp);
	if (hit == NULL || !pg_kallowed_exact(hit))
		return 0;
	*ret = hit->val;
	return 1;
}

/* Longest prefix first, as the trie answers. */
static int
array_allowed(const void *ctx, const struct pg_k_allow_key *key, struct pg_k_allow_val *ret)
{
	const struct pg_kpolicy *k = ctx;
	unsigned full = key->prefixlen - PG_K_ALLOW_HDR_BITS;

	if (k->nallowed == 0)
		return 0;
	for (unsigned plen = full + 1; plen-- > 0;) {
		struct pg_k_allow_key probe = *key;
		const struct pg_kallowed *hit;

		probe.prefixlen = PG_K_ALLOW_HDR_BITS + plen;
		pg_kmask_addr((uint8_t *)probe.addr, plen);
		hit = bsearch(&probe, k->allowed, k->nallowed, sizeof(*hit), allowed_key_cmp);
		if (hit != NULL) {
			*ret = hit->val;
			return 1;
		}
	}
	return 0;
}

static int
abfile_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pg_k_ab_key));
}

/* The prefixes pg_kpolicy_compile_authbind() makes, longest first, as the trie answers. */
static int
array_abfile(const void *ctx, const struct pg_k_ab_key *key, struct pg_k_ab_val *ret)
{
	const struct pg_kpolicy *k = ctx;
	const unsigned plens[3] = { key->prefixlen, 48, 32 };

	for (unsigned i = 0; i < 3 && k->nabfile > 0; i++) {
		struct pg_k_ab_key probe = *key;
		const struct pg_kabfile *hit;

		probe.prefixlen = plens[i];
		if (plens[i] <= 48) {
			probe.family = 0;
			memset(probe.addr, 0, sizeof(probe.addr));
		}
		if (plens[i] == 32)
			probe.port = 0;
		hit = bsearch(&probe, k->abfile, k->nabfile, sizeof(*hit), abfile_cmp);
		if (hit != NULL) {
			*ret = hit->val;
			return 1;
		}
	}
	return 0;
}

static int
abuid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pg_k_ab_uid_key));
}

static int
array_abuid(const void *ctx, const struct pg_k_ab_uid_key *key, struct pg_k_ab_uid_val *ret)
{
	const struct pg_kpolicy *k = ctx;
	const struct pg_kabuid *hit;

	if (k->nabuid == 0)
		return 0;
	hit = bsearch(key, k->abuid, k->nabuid, sizeof(*hit), abuid_cmp);
	if (hit == NULL)
		return 0;
	*ret = hit->val;
	return 1;
}

void
pg_kpolicy_lookup(const struct pg_kpolicy *k, struct pg_klookup *ret)
{
	ret->managed = array_managed;
	ret->exact = array_exact;
	ret->allowed = array_allowed;
	ret->abfile = array_abfile;
	ret->abuid = array_abuid;
	ret->ctx = k;
}

/* --- the program's decision, in C -------------------------------------------------- */

/*
 * 1 if an entry covers this single-family bind, 0 if not, -errno.  kinds: the
 * PG_K_MANAGED_* flags of (proto, port), for the lookups in pg_exact.
 */
static int
covered(const struct pg_klookup *l, uint32_t kinds, uid_t uid, uint8_t proto, uint16_t port,
	int family, const uint8_t *addr)
{
	struct pg_k_allow_key key =
		pg_kallow_key(uid, proto, port, family, addr, family == AF_INET ? 32 : 128);
	struct pg_k_allow_val val;
	int r = 0;

	if (l->exact == NULL) {
		r = l->allowed(l->ctx, &key, &val);
	} else if (pg_bytes_zero(addr, family == AF_INET ? 4 : 16)) {
		/* A wildcard bind: only an entry for every address covers it, one lookup. */
		if (!(kinds & PG_K_MANAGED_ANY))
			return 0;
		key = pg_kallow_key(uid, proto, port, family, NULL, 0);
		r = l->exact(l->ctx, &key, &val);
	} else {
		if (kinds & PG_K_MANAGED_EXACT)
			r = l->exact(l->ctx, &key, &val);
		if (r == 0 && (kinds & PG_K_MANAGED_PREFIX)) {
			r = l->allowed(l->ctx, &key, &val);
		} else if (r == 0 && (kinds & PG_K_MANAGED_ANY)) {
			key = pg_kallow_key(uid, proto, port, family, NULL, 0);
			r = l->exact(l->ctx, &key, &val);
		}
	}
	if (r <= 0)
		return r;
	if (pg_bytes_zero(addr, family == AF_INET ? 4 : 16))
		return val.addr_prefixlen == 0;
	return 1;
}

/* a - b for 128-bit numbers, most significant word first: <0, 0 or >0. */
static int
u128_cmp(const uint32_t a[4], const uint32_t b[4])
{
	for (int i = 0; i < 4; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Does the authbind tree grant this bind (its address as given)?  1, 0 or -errno. */
static int
authbind_grants(const struct pg_klookup *l, uid_t uid, const struct pg_bind *b)
{
	uint8_t family = b->family == AF_INET ? PG_K_AF_INET : PG_K_AF_INET6;
	struct pg_k_ab_key key = {
		.prefixlen = PG_K_AB_HDR_BITS + (b->family == AF_INET ? 32 : 128),
		.uid = uid,
		.port = b->port,
		.family = family,
	};
	struct pg_k_ab_uid_key uk = { .uid = uid, .high = b->port >= 512 };
	struct pg_k_ab_uid_val *ranges;
	struct pg_k_ab_val v;
	uint32_t a[4] = { 0 };
	int r;

	if (l->abfile == NULL || b->port >= 1024)
		return 0;
	memcpy(key.addr, b->addr, b->family == AF_INET ? 4 : 16);
	r = l->abfile(l->ctx, &key, &v);
	if (r == 0) {
		key.uid = PG_K_AB_ANY_UID;
		r = l->abfile(l->ctx, &key, &v);
	}
	if (r < 0)
		return r;
	if (r > 0 && v.verdict != PG_K_AB_PASS)
		return v.verdict == PG_K_AB_ALLOW;
	ranges = malloc(sizeof(*ranges));
	if (ranges == NULL)
		return -ENOMEM;
	r = l->abuid(l->ctx, &uk, ranges);
	for (size_t i = 0; i < (b->family == AF_INET ? 1 : 4); i++)
		a[i] = (uint32_t)b->addr[4 * i] << 24 | (uint32_t)b->addr[4 * i + 1] << 16 |
		       (uint32_t)b->addr[4 * i + 2] << 8 | b->addr[4 * i + 3];
	for (uint32_t i = 0; r > 0 && i < ranges->n && i < PG_K_AB_MAX_RANGES; i++) {
		const struct pg_k_ab_range *x = &ranges->r[i];

		if (x->family == family && b->port >= x->port_lo && b->port <= x->port_hi &&
		    u128_cmp(a, x->lo) >= 0 && u128_cmp(a, x->hi) <= 0) {
			free(ranges);
			return 1;
		}
	}
	free(ranges);
	return r < 0 ? r : 0;
}

int
pg_kjudge(const struct pg_klookup *l, const struct pg_k_config *cfg, uid_t uid,
	  const struct pg_bind *b, enum pg_decision *ret_decision)
{
	static const uint8_t any[16];
	struct pg_k_managed_key mk = { .port = b->port, .proto = pg_kproto(b->proto) };
	struct pg_k_managed_val mv = { 0 };
	enum pg_decision d = PG_UNMANAGED;
	int r, verdict = PG_K_ALLOW;

	if (b->port == 0)
		goto done;
	if (uid == 0) {
		d = PG_ALLOW;
		goto done;
	}
	r = l->managed(l->ctx, &mk, &mv);
	if (r < 0)
		return r;
	if (r == 0) {
		/* Unmanaged: the authbind tree may grant it, else the kernel's default. */
		r = authbind_grants(l, uid, b);
		if (r < 0)
			return r;
		if (r > 0) {
			d = PG_ALLOW;
			if (b->port < cfg->unpriv_port_start)
				verdict = PG_K_ALLOW_NO_CAP;
		}
		goto done;
	}
	d = PG_ALLOW;
	for (uint32_t i = 0; i < cfg->nexempt && i < PG_K_MAX_EXEMPT; i++)
		if (cfg->exempt[i] == uid)
			goto done;

	if (b->family == AF_INET) {
		r = covered(l, mv.flags, uid, mk.proto, b->port, AF_INET, b->addr);
	} else if (memcmp(b->addr, v4mapped_prefix, 12) == 0) {
		r = covered(l, mv.flags, uid, mk.proto, b->port, AF_INET, b->addr + 12);
	} else {
		r = covered(l, mv.flags, uid, mk.proto, b->port, AF_INET6, b->addr);
		if (r > 0 && b->dual_stack && pg_bytes_zero(b->addr, 16))
			r = covered(l, mv.flags, uid, mk.proto, b->port, AF_INET, any);
	}
	if (r == 0)
		r = authbind_grants(l, uid, b);
	if (r < 0)
		return r;
	if (r == 0) {
		d = PG_DENY;
		verdict = PG_K_DENY;
	} else if (b->port < cfg->unpriv_port_start) {
		verdict = PG_K_ALLOW_NO_CAP;
	}
done:
	if (ret_decision != NULL)
		*ret_decision = d;
	return verdict;
}
