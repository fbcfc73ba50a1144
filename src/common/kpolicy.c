// SPDX-License-Identifier: BSD-2-Clause
/*
 * kpolicy.c - compile the policy into the bind hooks' map entries (kjudge.c
 * judges a bind from them as bind-policy.bpf.c does).
 * Library code: returns -errno, never logs.
 */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpolicy-impl.h"
#include "kpolicy.h"
#include "macro.h"

/* Enough room to merge duplicates before deciding that a policy is too large. */
#define EXPAND_SLACK 4

/* --- groups ---------------------------------------------------------------------- */

static struct pg_kgroup *
group_find(const struct pg_kgroups *g, gid_t gid)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].gid == gid)
			return &g->v[i];
	return NULL;
}

const struct pg_kgroup *
pg_kgroups_find(const struct pg_kgroups *g, gid_t gid)
{
	return group_find(g, gid);
}

int
pg_kgroups_add(struct pg_kgroups *g, gid_t gid, uid_t uid)
{
	struct pg_kgroup *grp = group_find(g, gid);
	size_t lo = 0, hi;
	uid_t *u;

	if (grp == NULL) {
		struct pg_kgroup *v = realloc(g->v, (g->n + 1) * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		g->v = v;
		grp = &g->v[g->n++];
		*grp = (struct pg_kgroup){ .gid = gid };
	}
	hi = grp->nuids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (grp->uids[mid] == uid)
			return 0;
		if (grp->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	u = realloc(grp->uids, (grp->nuids + 1) * sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	memmove(u + lo + 1, u + lo, (grp->nuids - lo) * sizeof(*u));
	u[lo] = uid;
	grp->uids = u;
	grp->nuids++;
	return 0;
}

void
pg_kgroups_clear(struct pg_kgroups *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].uids);
	free(g->v);
	*g = (struct pg_kgroups){ 0 };
}

static bool
policy_names_group(const struct pg_policy *p, gid_t gid)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].kind == PG_PRINCIPAL_GROUP && p->rules[i].id == gid)
			return true;
	return false;
}

/* End of an enumeration, or an error?  NSS modules leave ENOENT at the end. */
static int
enum_end(void)
{
	return errno == 0 || errno == ENOENT ? 0 : -errno;
}

int
pg_kgroups_from_accounts(const struct pg_policy *p, struct pg_kgroups *ret)
{
	struct pg_kgroups g = { 0 };
	struct passwd *pw;
	struct group *gr;
	int r = 0;

	/* Every group named keeps an entry, members or not. */
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pg_rule *rule = &p->rules[i];

		if (rule->kind == PG_PRINCIPAL_GROUP && pg_kgroups_find(&g, rule->id) == NULL) {
			struct pg_kgroup *v = realloc(g.v, (g.n + 1) * sizeof(*v));

			if (v == NULL) {
				pg_kgroups_clear(&g);
				return -ENOMEM;
			}
			g.v = v;
			g.v[g.n++] = (struct pg_kgroup){ .gid = rule->id };
		}
	}
	if (g.n == 0) {
		*ret = g;
		return 0;
	}

	setpwent();
	for (;;) {
		errno = 0;
		pw = getpwent();
		if (pw == NULL) {
			r = enum_end();
			break;
		}
		if (policy_names_group(p, pw->pw_gid) &&
		    (r = pg_kgroups_add(&g, pw->pw_gid, pw->pw_uid)) < 0)
			break;
	}
	endpwent();

	if (r == 0)
		setgrent();
	while (r == 0) {
		errno = 0;
		gr = getgrent();
		if (gr == NULL) {
			r = enum_end();
			break;
		}
		if (!policy_names_group(p, gr->gr_gid))
			continue;
		for (char **m = gr->gr_mem; m != NULL && *m != NULL && r == 0; m++) {
			struct passwd pwbuf, *res = NULL;
			char buf[4096];

			if (getpwnam_r(*m, &pwbuf, buf, sizeof(buf), &res) == 0 && res != NULL)
				r = pg_kgroups_add(&g, gr->gr_gid, res->pw_uid);
		}
	}
	endgrent();

	if (r < 0) {
		pg_kgroups_clear(&g);
		return r;
	}
	*ret = g;
	return 0;
}

/* --- compiling ------------------------------------------------------------------- */

uint8_t
pg_kproto(enum pg_proto proto)
{
	return proto == PG_PROTO_UDP ? PG_K_IPPROTO_UDP : PG_K_IPPROTO_TCP;
}

int
pg_kmanaged_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct pg_kmanaged *)a)->key, &((const struct pg_kmanaged *)b)->key,
		      sizeof(struct pg_k_managed_key));
}

static int
allowed_cmp(const void *a, const void *b)
{
	const struct pg_kallowed *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c != 0)
		return c;
	/* The same entry from several rules: the first rule is the one shown. */
	return x->val.rule < y->val.rule ? -1 : x->val.rule > y->val.rule;
}

/* Sort and drop duplicate keys, keeping the lowest rule index; returns the new count. */
static size_t
allowed_merge(struct pg_kallowed *v, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), allowed_cmp);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || memcmp(&v[out - 1].key, &v[i].key, sizeof(v[i].key)) != 0)
			v[out++] = v[i];
	return out;
}

/* Keep the first bits of a 16-byte address, clear the rest. */
void
pg_kmask_addr(uint8_t addr[16], unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		if (bits <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff << (8 - (bits - 8 * i)));
	}
}

struct pg_k_allow_key
pg_kallow_key(uint32_t uid, uint8_t proto, uint16_t port, int family, const uint8_t *addr,
	      unsigned prefixlen)
{
	struct pg_k_allow_key k;

	memset(&k, 0, sizeof(k));
	k.prefixlen = PG_K_ALLOW_HDR_BITS + prefixlen;
	k.uid = uid;
	k.port = port;
	k.proto = proto;
	k.family = family == AF_INET ? PG_K_AF_INET : PG_K_AF_INET6;
	if (addr != NULL) {
		uint8_t a[16] = { 0 };

		memcpy(a, addr, family == AF_INET ? 4 : 16);
		pg_kmask_addr(a, prefixlen);
		memcpy(k.addr, a, sizeof(a));
	}
	return k;
}

struct expand {
	struct pg_kallowed *v;
	size_t n, cap, max;
	bool over; /* more than max distinct entries seen */
};

static int
expand_push(struct expand *e, const struct pg_k_allow_key *key, uint32_t rule, unsigned plen)
{
	if (e->n == e->cap) {
		size_t limit = (e->max + 1) * EXPAND_SLACK;

		e->n = allowed_merge(e->v, e->n);
		if (e->n > e->max) {
			e->over = true;
			return -E2BIG;
		}
		/* Grow unless merging freed half; the limit still leaves 3 * max free. */
		if (e->n >= e->cap / 2 && e->cap < limit) {
			size_t cap = e->cap ? e->cap * 2 : 1024;
			struct pg_kallowed *v;

			if (cap > limit)
				cap = limit;
			v = realloc(e->v, cap * sizeof(*v));
			if (v == NULL)
				return -ENOMEM;
			e->v = v;
			e->cap = cap;
		}
	}
	e->v[e->n].key = *key;
	e->v[e->n].val = (struct pg_k_allow_val){ .rule = rule, .addr_prefixlen = (uint8_t)plen };
	e->n++;
	return 0;
}

/* Every entry one rule gives one uid. */
static int
expand_rule_uid(struct expand *e, const struct pg_rule *r, uint32_t index, uid_t uid)
{
	const struct pg_addr *a = &r->spec.addr;
	uint8_t proto = pg_kproto(r->spec.proto);
	int rc;

	if (uid == 0)
		return 0; /* never judged */
	for (uint32_t port = r->spec.port_lo; port <= r->spec.port_hi; port++) {
		struct pg_k_allow_key k;

		if (a->family == AF_UNSPEC) {
			k = pg_kallow_key(uid, proto, (uint16_t)port, AF_INET, NULL, 0);
			if ((rc = expand_push(e, &k, index, 0)) < 0)
				return rc;
			k = pg_kallow_key(uid, proto, (uint16_t)port, AF_INET6, NULL, 0);
			rc = expand_push(e, &k, index, 0);
		} else {
			unsigned full = a->family == AF_INET ? 32 : 128;
			unsigned plen = a->prefixlen > full ? full : a->prefixlen;

			k = pg_kallow_key(uid, proto, (uint16_t)port, a->family, a->bytes, plen);
			rc = expand_push(e, &k, index, plen);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static uint64_t
fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
kpolicy_hash(const struct pg_kpolicy *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t magic = PG_K_CONFIG_MAGIC;

	h = fnv1a(h, &magic, sizeof(magic));
	for (size_t i = 0; i < k->nmanaged; i++)
		h = fnv1a(h, &k->managed[i].key, sizeof(k->managed[i].key));
	for (size_t i = 0; i < k->nallowed; i++) {
		h = fnv1a(h, &k->allowed[i].key, sizeof(k->allowed[i].key));
		h = fnv1a(h, &k->allowed[i].val.addr_prefixlen, 1);
	}
	for (size_t i = 0; i < k->nabfile; i++)
		h = fnv1a(h, &k->abfile[i], sizeof(k->abfile[i]));
	for (size_t i = 0; i < k->nabuid; i++) {
		const struct pg_kabuid *u = &k->abuid[i];

		h = fnv1a(h, &u->key, sizeof(u->key));
		h = fnv1a(h, &u->val,
			  offsetof(struct pg_k_ab_uid_val, r) + u->val.n * sizeof(u->val.r[0]));
	}
	return h;
}

void
pg_kpolicy_rehash(struct pg_kpolicy *k)
{
	k->hash = kpolicy_hash(k);
}

static int
compile_managed(const struct pg_policy *p, struct pg_kpolicy *k)
{
	_cleanup_free_ uint32_t *first = malloc(2 * 65536 * sizeof(uint32_t));
	size_t n = 0;

	if (first == NULL)
		return -ENOMEM;
	memset(first, 0xff, 2 * 65536 * sizeof(uint32_t));
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pg_spec *s = &p->rules[i].spec;
		uint32_t *f = first + (s->proto == PG_PROTO_UDP ? 65536 : 0);

		for (uint32_t port = s->port_lo; port <= s->port_hi; port++) {
			if (f[port] == UINT32_MAX) {
				f[port] = (uint32_t)i;
				n++;
			}
		}
	}
	k->managed = calloc(n ? n : 1, sizeof(*k->managed));
	if (k->managed == NULL)
		return -ENOMEM;
	for (uint32_t j = 0; j < 2 * 65536; j++) {
		if (first[j] == UINT32_MAX)
			continue;
		k->managed[k->nmanaged].key.port = (uint16_t)(j % 65536);
		k->managed[k->nmanaged].key.proto = j < 65536 ? PG_K_IPPROTO_TCP : PG_K_IPPROTO_UDP;
		k->managed[k->nmanaged].val.rule = first[j];
		k->nmanaged++;
	}
	qsort(k->managed, k->nmanaged, sizeof(*k->managed), pg_kmanaged_cmp);
	return 0;
}

bool
pg_kallowed_exact(const struct pg_kallowed *a)
{
	unsigned full = a->key.family == PG_K_AF_INET ? 32 : 128;

	return a->val.addr_prefixlen == 0 || a->val.addr_prefixlen == full;
}

/* The kinds of entries at each managed (proto, port): its PG_K_MANAGED_* flags. */
static void
managed_kinds(struct pg_kpolicy *k)
{
	for (size_t i = 0; i < k->nallowed; i++) {
		const struct pg_kallowed *a = &k->allowed[i];
		struct pg_kmanaged m = { .key = { .port = a->key.port, .proto = a->key.proto } };
		struct pg_kmanaged *hit;

		hit = bsearch(&m, k->managed, k->nmanaged, sizeof(m), pg_kmanaged_cmp);
		if (hit == NULL)
			continue; /* cannot happen: every entry comes from a rule naming its port */
		if (a->val.addr_prefixlen == 0)
			hit->val.flags |= PG_K_MANAGED_ANY;
		else if (pg_kallowed_exact(a))
			hit->val.flags |= PG_K_MANAGED_EXACT;
		else
			hit->val.flags |= PG_K_MANAGED_PREFIX;
	}
}

int
pg_kpolicy_compile(const struct pg_policy *p, const struct pg_kgroups *groups, size_t max_allowed,
		   struct pg_kpolicy *ret, bool *ret_lower_bound)
{
	struct pg_kpolicy k = { .nrules = p->nrules };
	struct expand e = { .max = max_allowed };
	int r = 0;

	if (ret_lower_bound != NULL)
		*ret_lower_bound = false;
	if (p->nrules > UINT32_MAX)
		return -E2BIG;
	r = compile_managed(p, &k);
	for (size_t i = 0; i < p->nrules && r == 0; i++) {
		const struct pg_rule *rule = &p->rules[i];
		const struct pg_kgroup *g;

		if (rule->kind == PG_PRINCIPAL_USER) {
			r = expand_rule_uid(&e, rule, (uint32_t)i, rule->id);
			continue;
		}
		g = pg_kgroups_find(groups, rule->id);
		for (size_t j = 0; g != NULL && j < g->nuids && r == 0; j++)
			r = expand_rule_uid(&e, rule, (uint32_t)i, g->uids[j]);
	}
	if (r == 0) {
		e.n = allowed_merge(e.v, e.n);
		if (e.n > e.max)
			r = -E2BIG;
	}
	if (r < 0) {
		pg_kpolicy_clear(&k);
		free(e.v);
		if (r == -E2BIG) {
			*ret = (struct pg_kpolicy){ .nrules = p->nrules, .nallowed = e.n };
			if (ret_lower_bound != NULL)
				*ret_lower_bound = e.over;
		}
		return r;
	}
	k.allowed = e.v;
	k.nallowed = e.n;
	managed_kinds(&k);
	k.hash = kpolicy_hash(&k);
	*ret = k;
	return 0;
}

void
pg_kpolicy_clear(struct pg_kpolicy *k)
{
	free(k->managed);
	free(k->allowed);
	free(k->abfile);
	free(k->abuid);
	free(k->ruletab);
	*k = (struct pg_kpolicy){ 0 };
}

/* Copy s into a field of size n, keeping its end when it is too long. */
static void
copy_tail(char *dst, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (len < n) {
		memcpy(dst, s, len + 1);
		return;
	}
	memcpy(dst, "...", 3);
	memcpy(dst + 3, s + len - (n - 4), n - 3); /* its end, with the NUL */
}

int
pg_kpolicy_rule_table(const struct pg_policy *p, struct pg_kpolicy *k)
{
	struct pg_k_rule *t = calloc(p->nrules + 1, sizeof(*t));
	char spec[PG_SPEC_STRLEN];

	if (t == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pg_rule *r = &p->rules[i];

		t[i].line = r->line;
		copy_tail(t[i].file, sizeof(t[i].file), r->file);
		copy_tail(t[i].principal, sizeof(t[i].principal), r->principal);
		copy_tail(t[i].spec, sizeof(t[i].spec), pg_spec_format(&r->spec, spec));
	}
	if (p->authbind_dir != NULL)
		copy_tail(t[p->nrules].file, sizeof(t[p->nrules].file), p->authbind_dir);
	free(k->ruletab);
	k->ruletab = t;
	k->nruletab = p->nrules + 1;
	return 0;
}

const char *
pg_krule_text(const struct pg_k_rule *tab, size_t n, uint32_t rule, char *buf, size_t size)
{
	if (rule == PG_K_RULE_AUTHBIND && n > 0 && tab[n - 1].file[0] != '\0')
		(void)snprintf(buf, size, "authbind:%.*s", PG_K_RULE_FILE_LEN, tab[n - 1].file);
	else if (rule == PG_K_RULE_AUTHBIND)
		(void)snprintf(buf, size, "authbind");
	else if (n > 0 && rule < n - 1)
		(void)snprintf(buf, size, "%.*s:%u", PG_K_RULE_FILE_LEN, tab[rule].file,
			       tab[rule].line);
	else
		(void)snprintf(buf, size, "none");
	return buf;
}
