// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * bind-policy.bpf.c - the policy in the kernel's cgroup bind hooks: runs in the
 * kernel for every bind() by a task in the attached cgroup subtree, before the
 * kernel's own checks.  Grants managed ports to their owners and ports below
 * 1024 to the users the authbind tree names (return 3: no CAP_NET_BIND_SERVICE
 * needed), refuses managed ports to everybody else (EACCES), and leaves every
 * other bind alone.  The rules are in bind-policy.h.
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

struct bind_req {
	__u32 uid;
	__u16 port;
	__u8 proto;
	bool managed; /* named by a rule of the policy */
};

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

	req->managed = bpf_map_lookup_elem(&pg_managed, &mk) != NULL;
	if (!req->managed)
		return req->port < 1024 ? -1 : PG_K_ALLOW; /* authbind may grant it */
	for (__u32 i = 0; i < PG_K_MAX_EXEMPT; i++)
		if (i < pg_cfg.nexempt && pg_cfg.exempt[i] == req->uid)
			return PG_K_ALLOW;
	return -1;
}

/* Does an entry of pg_allowed cover this single-family bind? */
static __always_inline bool
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
	struct pg_k_allow_val *v = bpf_map_lookup_elem(&pg_allowed, &key);

	if (v == NULL)
		return false;
	/* A wildcard bind takes every address: only a rule for every address covers it. */
	if ((a0 | a1 | a2 | a3) == 0)
		return v->addr_prefixlen == 0;
	return true;
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

/* An unmanaged port: granted by the authbind tree, else the kernel's default. */
static __always_inline int
unmanaged(const struct bind_req *req, bool granted)
{
	if (granted && req->port < pg_cfg.unpriv_port_start)
		return PG_K_ALLOW_NO_CAP;
	return PG_K_ALLOW;
}

static __always_inline int
verdict(const struct bind_req *req, bool allowed)
{
	if (!allowed) {
		bpf_set_retval(-PG_K_EACCES);
		return PG_K_DENY;
	}
	return req->port < pg_cfg.unpriv_port_start ? PG_K_ALLOW_NO_CAP : PG_K_ALLOW;
}

SEC("cgroup/bind4")
int
portgate_bind4(struct bpf_sock_addr *ctx)
{
	struct bind_req req = { 0 };
	int r = prelude(ctx, &req);

	if (r >= 0)
		return r;
	if (!req.managed)
		return unmanaged(&req, authbind_grants(&req, PG_K_AF_INET, ctx->user_ip4, 0, 0, 0));
	return verdict(&req, covered(&req, PG_K_AF_INET, ctx->user_ip4, 0, 0, 0) ||
				     authbind_grants(&req, PG_K_AF_INET, ctx->user_ip4, 0, 0, 0));
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
	__u32 a0, a1, a2, a3;
	bool allowed;
	int r = prelude(ctx, &req);

	if (r >= 0)
		return r;
	a0 = ctx->user_ip6[0];
	a1 = ctx->user_ip6[1];
	a2 = ctx->user_ip6[2];
	a3 = ctx->user_ip6[3];

	if (!req.managed)
		return unmanaged(&req, authbind_grants(&req, PG_K_AF_INET6, a0, a1, a2, a3));
	/* "::ffff:a.b.c.d" reaches the IPv4 address: judge it as one. */
	if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0x0000ffff))
		allowed = covered(&req, PG_K_AF_INET, a3, 0, 0, 0);
	else if (!covered(&req, PG_K_AF_INET6, a0, a1, a2, a3))
		allowed = false;
	/* "[::]" without IPV6_V6ONLY also takes 0.0.0.0: that needs covering too. */
	else if ((a0 | a1 | a2 | a3) == 0 && !sk_v6only(ctx))
		allowed = covered(&req, PG_K_AF_INET, 0, 0, 0, 0);
	else
		allowed = true;
	return verdict(&req, allowed || authbind_grants(&req, PG_K_AF_INET6, a0, a1, a2, a3));
}

/* GPL-compatible, as the kernel requires of some helpers; the BSD half keeps it permissive. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
