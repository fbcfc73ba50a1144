// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * bind-policy.bpf.c - the policy in the kernel's cgroup bind hooks: runs in the
 * kernel for every bind() by a task in the attached cgroup subtree, before the
 * kernel's own checks.  Grants managed ports to their owners and ports below
 * 1024 to the users the authbind tree names (return 3: no CAP_NET_BIND_SERVICE
 * needed), refuses managed ports to everybody else (EACCES), and leaves every
 * other bind alone.  Every denial, and with pg_cfg.log_grants every grant, is
 * written to the ring buffer pg_log, rate-limited per uid.  The rules are in
 * bind-policy.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "bind-policy.h"

const volatile struct pg_k_config pg_cfg = { 0 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_K_MAX_MANAGED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pg_k_managed_key);
	__type(value, struct pg_k_managed_val);
} pg_managed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PG_K_MAX_ALLOWED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pg_k_allow_key);
	__type(value, struct pg_k_allow_val);
} pg_allowed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_K_MAX_ALLOWED);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pg_k_allow_key);
	__type(value, struct pg_k_allow_val);
} pg_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PG_K_MAX_AB_FILE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pg_k_ab_key);
	__type(value, struct pg_k_ab_val);
} pg_ab_file SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_K_MAX_AB_UID);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pg_k_ab_uid_key);
	__type(value, struct pg_k_ab_uid_val);
} pg_ab_uid SEC(".maps");

/* Shared by every generation: pinned, and reused by a reload (bpf-loader.c). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PG_K_LOG_RING_BYTES);
} pg_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PG_K_COUNTERS_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} pg_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PG_K_MAX_RATELIMIT);
	__type(key, __u32);
	__type(value, struct pg_k_ratelimit);
} pg_ratelimit SEC(".maps");

/* Not read here: the loader fills it and binds it to the programs, for the log's readers. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of rules + 1 at load */
	__type(key, __u32);
	__type(value, struct pg_k_rule);
} pg_rules SEC(".maps");

struct bind_req {
	__u32 uid;
	__u32 owner_rule; /* the first rule naming (proto, port), if managed */
	__u32 kinds;	  /* its PG_K_MANAGED_* flags */
	__u16 port;
	__u8 proto;
	bool managed; /* named by a rule of the policy */
};

static __always_inline void
count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&pg_counters, &i);

	if (c != NULL)
		*c += 1;
}

/*
 * May uid write one more record now?  GCRA: a record is due every
 * 1/log_rate s, up to log_burst ahead of time.  Two CPUs racing for the same
 * uid: the loser's record is dropped (counted), so the limit is never exceeded.
 */
static __always_inline bool
rate_ok(__u32 uid)
{
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 interval = 1000000000ull / (pg_cfg.log_rate ? pg_cfg.log_rate : 1);
	__u64 tolerance = interval * pg_cfg.log_burst;
	struct pg_k_ratelimit *v = bpf_map_lookup_elem(&pg_ratelimit, &uid);
	__u64 tat, next;

	if (v == NULL) {
		struct pg_k_ratelimit fresh = { .tat_ns = now + interval };

		return bpf_map_update_elem(&pg_ratelimit, &uid, &fresh, BPF_NOEXIST) == 0;
	}
	tat = v->tat_ns;
	next = (tat > now ? tat : now) + interval;
	if (next - now > tolerance)
		return false;
	return __sync_val_compare_and_swap(&v->tat_ns, tat, next) == tat;
}

/* Count the decision and, if it is to be logged and the rate allows, write its record. */
static __always_inline void
record(struct bpf_sock_addr *ctx, const struct bind_req *req, __u8 verdict, __u8 why, __u32 rule,
       __u8 family, const __u32 *addr, bool dual_stack)
{
	struct pg_k_log_rec *r;
	__u64 ug;

	count(verdict == PG_K_LOG_DENY ? PG_K_CNT_DENIALS : PG_K_CNT_GRANTS);
	if (verdict == PG_K_LOG_GRANT && !pg_cfg.log_grants)
		return;
	if (!rate_ok(req->uid)) {
		count(PG_K_CNT_DROP_RATE);
		return;
	}
	r = bpf_ringbuf_reserve(&pg_log, sizeof(*r), 0);
	if (r == NULL) {
		count(PG_K_CNT_DROP_FULL);
		return;
	}
	ug = bpf_get_current_uid_gid();
	r->boot_ns = bpf_ktime_get_boot_ns();
	r->netns_cookie = bpf_get_netns_cookie(ctx);
	r->generation = pg_cfg.generation;
	r->uid = req->uid;
	r->gid = (__u32)(ug >> 32);
	/* Known at load (frozen .rodata): the verifier never sees a helper the kernel lacks. */
	r->pid = pg_cfg.task_info ? (__u32)(bpf_get_current_pid_tgid() >> 32) : 0;
	r->rule = rule;
	r->addr[0] = addr[0];
	r->addr[1] = addr[1];
	r->addr[2] = addr[2];
	r->addr[3] = addr[3];
	r->port = req->port;
	r->proto = req->proto;
	r->family = family;
	r->verdict = verdict;
	r->why = why;
	r->dual_stack = dual_stack;
	r->pad = 0;
	if (!pg_cfg.task_info || bpf_get_current_comm(r->comm, sizeof(r->comm)) < 0)
		r->comm[0] = '\0';
	bpf_ringbuf_submit(r, 0);
	count(PG_K_CNT_LOGGED);
}

/*
 * The first steps of both hooks: fills *req and returns -1 when the bind is
 * to be judged (by the policy if req->managed, else by the authbind tree
 * alone), else the verdict (1: not ours to judge).
 */
static __always_inline int
prelude(struct bpf_sock_addr *ctx, struct bind_req *req)
{
	__u32 type = ctx->type, protocol = ctx->protocol;

	if (!pg_cfg.all_netns && bpf_get_netns_cookie(ctx) != pg_cfg.netns_cookie)
		return PG_K_ALLOW;
	req->port = bpf_ntohs((__u16)ctx->user_port);
	if (req->port == 0)
		return PG_K_ALLOW;
	/* The real uid of the task calling bind(), in the initial user namespace. */
	req->uid = (__u32)bpf_get_current_uid_gid();
	if (req->uid == 0)
		return PG_K_ALLOW;
	if (type == PG_K_SOCK_STREAM &&
	    (protocol == PG_K_IPPROTO_TCP || protocol == PG_K_IPPROTO_MPTCP))
		req->proto = PG_K_IPPROTO_TCP;
	else if (type == PG_K_SOCK_DGRAM && protocol == PG_K_IPPROTO_UDP)
		req->proto = PG_K_IPPROTO_UDP;
	else
		return PG_K_ALLOW;

	struct pg_k_managed_key mk = { .port = req->port, .proto = req->proto };
	struct pg_k_managed_val *mv = bpf_map_lookup_elem(&pg_managed, &mk);

	req->managed = mv != NULL;
	req->owner_rule = mv != NULL ? mv->rule : PG_K_RULE_NONE;
	req->kinds = mv != NULL ? mv->flags : 0;
	if (!req->managed)
		return req->port < 1024 ? -1 : PG_K_ALLOW; /* authbind may grant it */
	for (__u32 i = 0; i < PG_K_MAX_EXEMPT; i++)
		if (i < pg_cfg.nexempt && pg_cfg.exempt[i] == req->uid)
			return PG_K_ALLOW;
	return -1;
}

/*
 * The rule of the entry of pg_allowed covering this single-family bind, or
 * PG_K_RULE_NONE: the trie's longest match, found in pg_exact (the full-length
 * entry, else the prefix-0 one) unless shorter prefixes name (proto, port).
 */
static __always_inline __u32
covered(const struct bind_req *req, __u8 family, __u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	struct pg_k_allow_key key = {
		.prefixlen = PG_K_ALLOW_HDR_BITS + (family == PG_K_AF_INET ? 32 : 128),
		.uid = req->uid,
		.port = req->port,
		.proto = req->proto,
		.family = family,
		.addr = { a0, a1, a2, a3 },
	};
	struct pg_k_allow_val *v = NULL;

	if ((a0 | a1 | a2 | a3) == 0) {
		/* A wildcard bind: only an entry for every address covers it, one lookup. */
		if (!(req->kinds & PG_K_MANAGED_ANY))
			return PG_K_RULE_NONE;
		key.prefixlen = PG_K_ALLOW_HDR_BITS;
		v = bpf_map_lookup_elem(&pg_exact, &key);
		return v != NULL ? v->rule : PG_K_RULE_NONE;
	}
	if (req->kinds & PG_K_MANAGED_EXACT)
		v = bpf_map_lookup_elem(&pg_exact, &key);
	if (v == NULL && (req->kinds & PG_K_MANAGED_PREFIX)) {
		v = bpf_map_lookup_elem(&pg_allowed, &key);
	} else if (v == NULL && (req->kinds & PG_K_MANAGED_ANY)) {
		key.prefixlen = PG_K_ALLOW_HDR_BITS;
		key.addr[0] = key.addr[1] = key.addr[2] = key.addr[3] = 0;
		v = bpf_map_lookup_elem(&pg_exact, &key);
	}
	return v != NULL ? v->rule : PG_K_RULE_NONE;
}

/* a <= b for 128-bit numbers, most significant word first. */
static __always_inline bool
u128_le(__u32 a0, __u32 a1, __u32 a2, __u32 a3, const __u32 *b)
{
	if (a0 != b[0])
		return a0 < b[0];
	if (a1 != b[1])
		return a1 < b[1];
	if (a2 != b[2])
		return a2 < b[2];
	return a3 <= b[3];
}

/* a >= b */
static __always_inline bool
u128_ge(__u32 a0, __u32 a1, __u32 a2, __u32 a3, const __u32 *b)
{
	if (a0 != b[0])
		return a0 > b[0];
	if (a1 != b[1])
		return a1 > b[1];
	if (a2 != b[2])
		return a2 > b[2];
	return a3 >= b[3];
}

/*
 * Does the authbind tree grant this bind (the address as given, network-order
 * words)?  The files first (this uid's entries, else everybody's), then byuid.
 */
static __always_inline bool
authbind_grants(const struct bind_req *req, __u8 family, __u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	struct pg_k_ab_key key = {
		.prefixlen = PG_K_AB_HDR_BITS + (family == PG_K_AF_INET ? 32 : 128),
		.uid = req->uid,
		.port = req->port,
		.family = family,
		.addr = { a0, a1, a2, a3 },
	};
	struct pg_k_ab_uid_key uk = { .uid = req->uid, .high = req->port >= 512 };
	struct pg_k_ab_uid_val *ranges;
	struct pg_k_ab_val *v;
	__u32 h0, h1, h2, h3;

	if (req->port >= 1024)
		return false;
	v = bpf_map_lookup_elem(&pg_ab_file, &key);
	if (v == NULL) {
		key.uid = PG_K_AB_ANY_UID;
		v = bpf_map_lookup_elem(&pg_ab_file, &key);
	}
	if (v != NULL && v->verdict != PG_K_AB_PASS)
		return v->verdict == PG_K_AB_ALLOW;
	ranges = bpf_map_lookup_elem(&pg_ab_uid, &uk);
	if (ranges == NULL)
		return false;
	h0 = bpf_ntohl(a0);
	h1 = bpf_ntohl(a1);
	h2 = bpf_ntohl(a2);
	h3 = bpf_ntohl(a3);
	for (__u32 i = 0; i < PG_K_AB_MAX_RANGES; i++) {
		const struct pg_k_ab_range *r = &ranges->r[i];

		if (i >= ranges->n)
			break;
		if (r->family == family && req->port >= r->port_lo && req->port <= r->port_hi &&
		    u128_ge(h0, h1, h2, h3, r->lo) && u128_le(h0, h1, h2, h3, r->hi))
			return true;
	}
	return false;
}

/*
 * The verdict on a bind the policy judged: rule is the granting rule
 * (PG_K_RULE_AUTHBIND: the authbind tree), PG_K_RULE_NONE if nothing grants
 * it.  An unmanaged port nothing grants gets the kernel's default, unlogged.
 */
static __always_inline int
verdict(struct bpf_sock_addr *ctx, const struct bind_req *req, __u32 rule, __u8 family,
	const __u32 *addr, bool dual_stack)
{
	if (rule == PG_K_RULE_NONE && !req->managed)
		return PG_K_ALLOW;
	if (rule == PG_K_RULE_NONE) {
		record(ctx, req, PG_K_LOG_DENY, PG_K_WHY_NOT_OWNER, req->owner_rule, family, addr,
		       dual_stack);
		bpf_set_retval(-PG_K_EACCES);
		return PG_K_DENY;
	}
	record(ctx, req, PG_K_LOG_GRANT,
	       rule == PG_K_RULE_AUTHBIND ? PG_K_WHY_AUTHBIND : PG_K_WHY_RULE, rule, family, addr,
	       dual_stack);
	return req->port < pg_cfg.unpriv_port_start ? PG_K_ALLOW_NO_CAP : PG_K_ALLOW;
}

/* The authbind tree as a rule id: PG_K_RULE_AUTHBIND if it grants, else PG_K_RULE_NONE. */
static __always_inline __u32
authbind_rule(const struct bind_req *req, __u8 family, const __u32 *a)
{
	return authbind_grants(req, family, a[0], a[1], a[2], a[3]) ? PG_K_RULE_AUTHBIND
								    : PG_K_RULE_NONE;
}

SEC("cgroup/bind4")
int
portgate_bind4(struct bpf_sock_addr *ctx)
{
	struct bind_req req = { 0 };
	__u32 a[4] = { 0 }, rule = PG_K_RULE_NONE;
	int r = prelude(ctx, &req);

	if (r >= 0)
		return r;
	a[0] = ctx->user_ip4;
	if (req.managed)
		rule = covered(&req, PG_K_AF_INET, a[0], 0, 0, 0);
	if (rule == PG_K_RULE_NONE)
		rule = authbind_rule(&req, PG_K_AF_INET, a);
	return verdict(ctx, &req, rule, PG_K_AF_INET, a, false);
}

/*
 * IPV6_V6ONLY of the socket being bound, read through BTF (bpf_getsockopt
 * cannot read it in this hook).  MPTCP binds arrive here with their first TCP
 * subflow.  Unknown counts as off: the bind is then judged as dual-stack, the
 * stricter of the two.
 */
static __always_inline bool
sk_v6only(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct tcp6_sock *t;
	struct udp6_sock *u;

	if (sk == NULL)
		return false;
	t = bpf_skc_to_tcp6_sock(sk);
	if (t != NULL)
		return BPF_CORE_READ_BITFIELD(&t->tcp.inet_conn.icsk_inet.sk.__sk_common,
					      skc_ipv6only);
	u = bpf_skc_to_udp6_sock(sk);
	if (u != NULL)
		return BPF_CORE_READ_BITFIELD(&u->udp.inet.sk.__sk_common, skc_ipv6only);
	return false;
}

SEC("cgroup/bind6")
int
portgate_bind6(struct bpf_sock_addr *ctx)
{
	struct bind_req req = { 0 };
	__u32 a[4], a0, a1, a2, a3, rule = PG_K_RULE_NONE;
	bool dual = false;
	int r = prelude(ctx, &req);

	if (r >= 0)
		return r;
	a[0] = a0 = ctx->user_ip6[0];
	a[1] = a1 = ctx->user_ip6[1];
	a[2] = a2 = ctx->user_ip6[2];
	a[3] = a3 = ctx->user_ip6[3];

	if (!req.managed) {
		rule = PG_K_RULE_NONE;
	} else if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0x0000ffff)) {
		/* "::ffff:a.b.c.d" reaches the IPv4 address: judge it as one. */
		rule = covered(&req, PG_K_AF_INET, a3, 0, 0, 0);
	} else {
		rule = covered(&req, PG_K_AF_INET6, a0, a1, a2, a3);
		/* "[::]" without IPV6_V6ONLY also takes 0.0.0.0: that needs covering too. */
		dual = (a0 | a1 | a2 | a3) == 0 && !sk_v6only(ctx);
		if (rule != PG_K_RULE_NONE && dual &&
		    covered(&req, PG_K_AF_INET, 0, 0, 0, 0) == PG_K_RULE_NONE)
			rule = PG_K_RULE_NONE;
	}
	if (rule == PG_K_RULE_NONE)
		rule = authbind_rule(&req, PG_K_AF_INET6, a);
	return verdict(ctx, &req, rule, PG_K_AF_INET6, a, dual);
}

/* GPL-compatible, as the kernel requires of some helpers; the BSD half keeps it permissive. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
