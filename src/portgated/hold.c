// SPDX-License-Identifier: BSD-2-Clause
/*
 * hold.c - reservations without kernel support (see hold.h and the HOLDING
 * PORTS section of portgated(8) for what this does and does not protect).
 * Privilege: binds ports at or above ip_unprivileged_port_start only.
 * Trust: the targets come from the administrator's policy.
 *
 * A held socket is bound without SO_REUSEADDR/SO_REUSEPORT and never listens,
 * which makes every other bind() of the port fail with EADDRINUSE, SO_REUSEADDR
 * or not.  A "*" rule is held by one dual-stack [::] socket; when that cannot
 * be had (the owner has one half), by 0.0.0.0 and [::] v6-only separately.
 */
#include <errno.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hold.h"
#include "log.h"
#include "macro.h"
#include "portgated.h"

#define HOLD_NPIECES 3 /* whole, and for a dual-stack target its two halves */

struct hold_target {
	struct pg_bind b;			/* what the policy reserves */
	struct binder_held piece[HOLD_NPIECES]; /* [0] all of b; [1] 0.0.0.0, [2] [::] v6-only */
	int last_err;				/* of the last failed attempt */
};

struct hold {
	struct hold_target *t; /* sorted by target_cmp */
	size_t n;
	unsigned max;
	unsigned retry_ms;
	uint64_t next_retry; /* 0: at the end of this loop iteration */
	size_t held_logged;
	struct pgd_ratelimit rl;
};

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* The order of a (proto, port) group: the widest reservation first. */
static int
rank(const struct pg_bind *b)
{
	if (b->dual_stack)
		return 0;
	if (b->family == AF_INET && pg_bytes_zero(b->addr, 4))
		return 1;
	if (b->family == AF_INET6 && pg_bytes_zero(b->addr, 16))
		return 2;
	return 3;
}

static int
target_cmp(const void *pa, const void *pb)
{
	const struct pg_bind *a = &((const struct hold_target *)pa)->b;
	const struct pg_bind *b = &((const struct hold_target *)pb)->b;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (rank(a) != rank(b))
		return rank(a) < rank(b) ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool
bind_equal(const struct pg_bind *a, const struct pg_bind *b)
{
	return a->proto == b->proto && a->family == b->family && a->port == b->port &&
	       a->dual_stack == b->dual_stack && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* The bind a piece of target t holds. */
static struct pg_bind
piece_bind(const struct hold_target *t, int i)
{
	struct pg_bind b = { .proto = t->b.proto, .port = t->b.port };

	if (i == 0)
		return t->b;
	b.family = i == 1 ? AF_INET : AF_INET6;
	return b;
}

/* One address family's share of a bind: a wildcard or one address. */
struct atom {
	int family;
	bool any;
	uint8_t addr[16];
};

static size_t
atoms(const struct pg_bind *b, struct atom out[2])
{
	memset(out, 0, 2 * sizeof(*out));
	if (b->family == AF_INET6 && memcmp(b->addr, v4mapped_prefix, 12) == 0) {
		out[0].family = AF_INET;
		memcpy(out[0].addr, b->addr + 12, 4);
		out[0].any = pg_bytes_zero(out[0].addr, 4);
		return 1;
	}
	out[0].family = b->family;
	memcpy(out[0].addr, b->addr, sizeof(out[0].addr));
	out[0].any = pg_bytes_zero(b->addr, b->family == AF_INET ? 4 : 16);
	if (b->dual_stack) {
		out[1].family = AF_INET;
		out[1].any = true;
		return 2;
	}
	return 1;
}

/* Would binds a and b (same protocol and port) collide in the kernel? */
static bool
overlap(const struct pg_bind *a, const struct pg_bind *b)
{
	struct atom x[2], y[2];
	size_t nx = atoms(a, x), ny = atoms(b, y);

	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			if (x[i].family == y[j].family &&
			    (x[i].any || y[j].any || memcmp(x[i].addr, y[j].addr, 16) == 0))
				return true;
	return false;
}

static void
target_init(struct hold_target *t, const struct pg_bind *b)
{
	memset(t, 0, sizeof(*t));
	t->b = *b;
	for (int i = 0; i < HOLD_NPIECES; i++)
		t->piece[i].fd = -1;
}

static void
target_close(struct hold_target *t)
{
	for (int i = 0; i < HOLD_NPIECES; i++) {
		if (t->piece[i].fd >= 0)
			(void)close(t->piece[i].fd);
		t->piece[i].fd = -1;
	}
}

static bool
target_held(const struct hold_target *t)
{
	if (t->piece[0].fd >= 0)
		return true;
	return t->b.dual_stack && t->piece[1].fd >= 0 && t->piece[2].fd >= 0;
}

/*
 * The bind that reserves port for rule r, or false when its address cannot be
 * held by one socket (a prefix such as 10.0.0.0/8).
 */
static bool
rule_target(const struct pg_rule *r, uint16_t port, struct pg_bind *ret)
{
	const struct pg_addr *a = &r->spec.addr;
	struct pg_bind b = { .proto = r->spec.proto, .port = port };

	switch (a->family) {
	case AF_UNSPEC:
		b.family = AF_INET6;
		b.dual_stack = true;
		break;
	case AF_INET:
		if (a->prefixlen != 0 && a->prefixlen != 32)
			return false;
		b.family = AF_INET;
		memcpy(b.addr, a->bytes, 4);
		break;
	case AF_INET6:
		if (a->prefixlen != 0 && a->prefixlen != 128)
			return false;
		if (a->prefixlen == 128 && memcmp(a->bytes, v4mapped_prefix, 12) == 0) {
			b.family = AF_INET; /* the policy judges it as IPv4, so hold that */
			memcpy(b.addr, a->bytes + 12, 4);
		} else {
			b.family = AF_INET6;
			memcpy(b.addr, a->bytes, 16);
		}
		break;
	default:
		return false;
	}
	*ret = b;
	return true;
}

struct hold *
hold_new(unsigned max_targets, unsigned retry_ms)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->max = max_targets;
	h->retry_ms = retry_ms;
	h->next_retry = UINT64_MAX;
	h->held_logged = SIZE_MAX; /* the first pass always says how it went */
	h->rl = (struct pgd_ratelimit){ .interval_ms = 60000, .burst = 5 };
	return h;
}

void
hold_free(struct hold *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		target_close(&h->t[i]);
	free(h->t);
	free(h);
}

/* Sort, drop duplicates and targets a wider one of the same port covers. */
static size_t
normalize(struct hold_target *t, size_t n)
{
	bool dual = false, any4 = false, any6 = false;
	size_t out = 0;

	qsort(t, n, sizeof(*t), target_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct pg_bind *b = &t[i].b;
		int k = rank(b);

		if (out == 0 || t[out - 1].b.proto != b->proto || t[out - 1].b.port != b->port)
			dual = any4 = any6 = false;
		else if (target_cmp(&t[out - 1], &t[i]) == 0)
			continue;
		if (dual || (k == 3 && b->family == AF_INET && any4) ||
		    (k == 3 && b->family == AF_INET6 && any6))
			continue;
		dual |= k == 0;
		any4 |= k == 1;
		any6 |= k == 2;
		t[out++] = t[i];
	}
	return out;
}

void
hold_update(struct hold *h, const struct pg_policy *p, unsigned threshold)
{
	const size_t cap = (size_t)h->max * 4 + 64; /* candidates, before duplicates go */
	struct hold_target *nt;
	size_t n = 0, prefixes = 0;
	bool capped = false;

	nt = calloc(cap, sizeof(*nt));
	if (nt == NULL) {
		log_warnx("hold: out of memory: the reservations stay as they were");
		return;
	}
	for (size_t i = 0; i < p->nrules && !capped; i++) {
		const struct pg_rule *r = &p->rules[i];
		unsigned lo = r->spec.port_lo > threshold ? r->spec.port_lo : threshold;

		for (unsigned port = lo; port <= r->spec.port_hi; port++) {
			struct pg_bind b;

			if (!rule_target(r, (uint16_t)port, &b)) {
				prefixes++;
				break;
			}
			if (n == cap) {
				capped = true;
				break;
			}
			target_init(&nt[n++], &b);
		}
	}
	n = normalize(nt, n);
	if (n > h->max) {
		capped = true;
		n = h->max;
	}
	if (capped)
		log_warnx("hold: the policy reserves more ports than the limit of %u; only the "
			  "first %zu (by protocol and port) are held",
			  h->max, n);
	if (prefixes > 0)
		log_info("hold: %zu rule%s name an address prefix, which one socket cannot hold; "
			 "those ports are not held",
			 prefixes, prefixes == 1 ? "" : "s");

	/* Keep the sockets of targets that stay, so a reload opens no gap. */
	for (size_t i = 0; i < n; i++) {
		struct hold_target *old =
			h->n ? bsearch(&nt[i], h->t, h->n, sizeof(*h->t), target_cmp) : NULL;

		if (old != NULL) {
			memcpy(nt[i].piece, old->piece, sizeof(nt[i].piece));
			for (int k = 0; k < HOLD_NPIECES; k++)
				old->piece[k].fd = -1;
		}
	}
	for (size_t i = 0; i < h->n; i++)
		target_close(&h->t[i]);
	free(h->t);
	if (n > 0 && n < cap) {
		struct hold_target *shrunk = realloc(nt, n * sizeof(*nt));

		if (shrunk != NULL)
			nt = shrunk;
	}
	h->t = nt;
	h->n = n;
	h->next_retry = 0;
	h->held_logged = SIZE_MAX;
}

static int
hold_piece(struct hold_target *t, int i)
{
	struct pg_bind b = piece_bind(t, i);

	return binder_hold(&b, &t->piece[i]);
}

void
hold_retry(struct hold *h, uint64_t now)
{
	size_t held = 0, failed = 0;
	int last_err = 0;
	char text[PG_BIND_STRLEN], ebuf[16];

	for (size_t i = 0; i < h->n; i++) {
		struct hold_target *t = &h->t[i];
		int r = 0;

		if (!target_held(t)) {
			bool halves = t->piece[1].fd >= 0 || t->piece[2].fd >= 0;

			if (!halves)
				r = hold_piece(t, 0);
			if (t->b.dual_stack && (halves || r == -EADDRINUSE)) {
				/* One half is taken (by its owner): hold the other. */
				for (int k = 1; k < HOLD_NPIECES; k++) {
					int rk = t->piece[k].fd >= 0 ? 0 : hold_piece(t, k);

					if (rk < 0)
						r = rk;
				}
			}
			if (r < 0 && r != t->last_err)
				log_debug("hold: cannot hold %s: %s", pg_bind_format(&t->b, text),
					  pgd_errno_name(-r, ebuf));
			t->last_err = r;
			if (r < 0 && r != -EADDRINUSE) {
				failed++;
				last_err = r;
			}
		}
		if (target_held(t))
			held++;
	}
	if (failed > 0) {
		unsigned suppressed;

		if (pgd_ratelimit_ok(&h->rl, now, &suppressed))
			log_warnc(-last_err, "hold: %zu reserved port%s cannot be held (retrying)",
				  failed, failed == 1 ? "" : "s");
	}
	if (held != h->held_logged)
		log_info("hold: holding %zu of %zu reserved port%s", held, h->n,
			 h->n == 1 ? "" : "s");
	h->held_logged = held;
	h->next_retry = held == h->n ? UINT64_MAX : now + h->retry_ms;
}

uint64_t
hold_next_retry(const struct hold *h)
{
	return h->next_retry;
}

unsigned
hold_release_for(struct hold *h, const struct pg_bind *b, struct binder_held *ret)
{
	struct hold_target key = { .b = { .proto = b->proto, .port = b->port } };
	unsigned released = 0;
	size_t lo = 0, hi = h->n;
	char text[PG_BIND_STRLEN];

	/* The first target of (proto, port): rank 0 and a zero address sort first. */
	key.b.dual_stack = true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (target_cmp(&h->t[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < h->n && h->t[i].b.proto == b->proto && h->t[i].b.port == b->port;
	     i++) {
		struct hold_target *t = &h->t[i];

		for (int k = 0; k < HOLD_NPIECES; k++) {
			struct pg_bind pb = piece_bind(t, k);

			if (t->piece[k].fd < 0 || !overlap(&pb, b))
				continue;
			released++;
			if (ret != NULL && ret->fd < 0 && !t->piece[k].freebind &&
			    bind_equal(&pb, b)) {
				*ret = t->piece[k];
				t->piece[k].fd = -1;
				log_debug("hold: handing over %s", pg_bind_format(&pb, text));
				continue;
			}
			log_debug("hold: letting go of %s", pg_bind_format(&pb, text));
			(void)close(t->piece[k].fd);
			t->piece[k].fd = -1;
		}
	}
	if (released > 0)
		h->next_retry = 0;
	return released;
}

size_t
hold_count_held(const struct hold *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++)
		for (int k = 0; k < HOLD_NPIECES; k++)
			n += h->t[i].piece[k].fd >= 0;
	return n;
}

size_t
hold_count_targets(const struct hold *h)
{
	return h->n;
}
