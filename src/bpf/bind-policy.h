/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bind-policy.h - the contract between the kernel's bind hooks (bind-policy.bpf.c)
 * and user space (kpolicy.c compiles the policy into these maps, bpf-loader.c
 * loads them).  Shared by code running in the kernel and as root: only the
 * pg_k_ fixed-width types below, no padding holes, fixed sizes.
 *
 * Byte order, written down once: PORTS ARE HOST BYTE ORDER in every key and
 * value (the program converts ctx->user_port with bpf_ntohs once); ADDRESSES
 * ARE NETWORK BYTE ORDER bytes, IPv4 in the first four, the rest zero.
 *
 * The evaluation the program reproduces is pg_policy_eval() (policy.h):
 *   uid 0, port 0, a netns out of scope, a protocol other than TCP/UDP -> 1
 *   (proto, port) not in pg_managed: the authbind tree grants a port
 *       below 1024 (pg_ab_file, pg_ab_uid)                            -> 3 below
 *       pg_cfg.unpriv_port_start, else 1; not granted                 -> 1
 *   uid in pg_cfg.exempt (the broker)                                 -> 1
 *   pg_allowed has an entry covering (uid, proto, port, address), or
 *       the authbind tree grants a port below 1024                    -> 3 below
 *       pg_cfg.unpriv_port_start (skip the CAP_NET_BIND_SERVICE check), else 1
 *   otherwise                                                         -> 0, errno EACCES
 * A wildcard bind is covered only by an entry whose address prefix is 0;
 * "::ffff:a.b.c.d" is judged as a.b.c.d; "[::]" without IPV6_V6ONLY needs the
 * IPv4 wildcard too.  Groups are expanded to uids by the loader.
 */
#ifndef PG_BIND_POLICY_H
#define PG_BIND_POLICY_H

/*
 * The fixed-width types of this contract, under names of its own so that no
 * user-space file that includes it (src/common/kpolicy.c is shared with macOS)
 * reaches a Linux header: the BPF program takes vmlinux.h's __u types, user
 * space <stdint.h>'s, of the same sizes.
 */
#if defined(__VMLINUX_H__)
typedef __u8 pg_k_u8;
typedef __u16 pg_k_u16;
typedef __u32 pg_k_u32;
typedef __u64 pg_k_u64;
typedef __s32 pg_k_s32;
#else
#include <stdint.h>
typedef uint8_t pg_k_u8;
typedef uint16_t pg_k_u16;
typedef uint32_t pg_k_u32;
typedef uint64_t pg_k_u64;
typedef int32_t pg_k_s32;
#endif

/* Map sizes.  pg_managed holds every (proto, port) there is, so it cannot overflow. */
#define PG_K_MAX_MANAGED 131072
#define PG_K_MAX_ALLOWED 262144
#define PG_K_MAX_EXEMPT	 8

/* ABI constants, spelled out because vmlinux.h has no macros. */
#define PG_K_AF_INET	   2
#define PG_K_AF_INET6	   10
#define PG_K_SOCK_STREAM   1
#define PG_K_SOCK_DGRAM	   2
#define PG_K_IPPROTO_TCP   6
#define PG_K_IPPROTO_UDP   17
#define PG_K_IPPROTO_MPTCP 262 /* shares TCP's port space: judged as TCP */
#define PG_K_EACCES	   13

/* Verdicts of a cgroup/bind4|6 program (5.12+). */
#define PG_K_DENY	  0
#define PG_K_ALLOW	  1
#define PG_K_ALLOW_NO_CAP 3 /* bit 1: skip the CAP_NET_BIND_SERVICE check */

/* pg_managed: (proto, port) named by any rule.  Hash map, so a missing key is a miss. */
struct pg_k_managed_key {
	pg_k_u16 port; /* host order */
	pg_k_u8 proto; /* PG_K_IPPROTO_TCP or PG_K_IPPROTO_UDP */
	pg_k_u8 pad;   /* zero */
};

struct pg_k_managed_val {
	pg_k_u32 rule;	/* index of the first rule naming it, for diagnostics */
	pg_k_u32 flags; /* PG_K_MANAGED_*: the kinds of pg_allowed entries at (proto, port) */
};

/* Entries at (proto, port), for any uid and either family, with an address prefix of: */
#define PG_K_MANAGED_EXACT  1u /* the full length (/32, /128): in pg_exact too */
#define PG_K_MANAGED_ANY    2u /* 0 (every address): in pg_exact too */
#define PG_K_MANAGED_PREFIX 4u /* anything else: only the LPM trie answers there */

/*
 * pg_allowed: an LPM trie.  uid, port, proto and family are matched in full
 * (PG_K_ALLOW_HDR_BITS), then the first prefixlen - PG_K_ALLOW_HDR_BITS bits
 * of addr.  A rule for "*" is an entry per family with address prefix 0.
 */
struct pg_k_allow_key {
	pg_k_u32 prefixlen; /* PG_K_ALLOW_HDR_BITS + the rule's address prefix */
	pg_k_u32 uid;
	pg_k_u16 port;	  /* host order */
	pg_k_u8 proto;	  /* PG_K_IPPROTO_TCP or PG_K_IPPROTO_UDP */
	pg_k_u8 family;	  /* PG_K_AF_INET or PG_K_AF_INET6 */
	pg_k_u32 addr[4]; /* network-order bytes; IPv4 in the first word */
};
#define PG_K_ALLOW_HDR_BITS 64

struct pg_k_allow_val {
	pg_k_u32 rule;		/* index of the granting rule */
	pg_k_u8 addr_prefixlen; /* the rule's address prefix: 0 covers a wildcard bind */
	pg_k_u8 pad[3];
};

/*
 * pg_exact: a hash map holding the entries of pg_allowed whose address
 * prefix is the full length or 0, with the same keys and values; the trie is
 * consulted only at a (proto, port) with PG_K_MANAGED_PREFIX.  A full-length
 * key is the longest match there can be, and where no other prefix exists the
 * trie's answer to a miss is the prefix-0 entry: the same answers in O(1).
 */

/*
 * The authbind tree (issue 14), judged for binds to ports 1-1023 that
 * pg_allowed does not grant, on the address as given (authbind neither
 * unmaps "::ffff:a.b.c.d" nor treats "[::]" as dual-stack).  It only grants:
 * a bind it does not grant gets the kernel's default on an unmanaged port.
 *
 * pg_ab_file: an LPM trie holding the verdict of the byport and byaddr files
 * per uid: a prefix of 32 bits (the uid alone: every port whose files do not
 * exist), 48 (uid and port: a byport file, or byaddr files missing at that
 * port) or PG_K_AB_HDR_BITS + the address size (a byaddr file).  The entries
 * of PG_K_AB_ANY_UID hold for every uid that has none of its own.
 */
#define PG_K_MAX_AB_FILE   65536
#define PG_K_MAX_AB_UID	   4096
#define PG_K_AB_MAX_RANGES 64
#define PG_K_AB_ANY_UID	   0xffffffffu /* (uid_t)-1 is no user's uid */
#define PG_K_AB_HDR_BITS   64

#define PG_K_AB_PASS  0 /* no file decided: byuid does */
#define PG_K_AB_ALLOW 1
#define PG_K_AB_DENY  2

struct pg_k_ab_key {
	pg_k_u32 prefixlen;
	pg_k_u32 uid;
	pg_k_u16 port;	  /* host order */
	pg_k_u8 family;	  /* PG_K_AF_INET or PG_K_AF_INET6; 0 below 64 bits */
	pg_k_u8 pad;	  /* zero */
	pg_k_u32 addr[4]; /* network-order bytes */
};

struct pg_k_ab_val {
	pg_k_u8 verdict; /* PG_K_AB_PASS, _ALLOW or _DENY */
	pg_k_u8 pad[3];
};

/* pg_ab_uid: the ranges of byuid/UID (ports 1-511) and byuid/!UID (512-1023). */
struct pg_k_ab_uid_key {
	pg_k_u32 uid;
	pg_k_u32 high; /* 1: the '!' file, ports 512-1023 */
};

struct pg_k_ab_range {
	pg_k_u32 lo[4], hi[4]; /* the address as a 128-bit number, most significant word first,
			       host order; IPv4 in lo[0] and hi[0] */
	pg_k_u16 port_lo, port_hi;
	pg_k_u8 family;
	pg_k_u8 pad[3];
};

struct pg_k_ab_uid_val {
	pg_k_u32 n; /* ranges used */
	pg_k_u32 pad;
	struct pg_k_ab_range r[PG_K_AB_MAX_RANGES];
};

/*
 * Set in .rodata before the program is loaded, frozen afterwards: one policy
 * generation per program, so a reload (a new program swapped into the links)
 * can never mix two generations.  Read back by "portgate kernel status".
 */
#define PG_K_CONFIG_MAGIC 0x70676b34 /* "pgk4": bumped when a layout changes */

struct pg_k_config {
	pg_k_u32 magic;		    /* PG_K_CONFIG_MAGIC once filled in */
	pg_k_u32 all_netns;	    /* 1: judge binds in every network namespace */
	pg_k_u64 netns_cookie;	    /* else only in this one */
	pg_k_u32 unpriv_port_start; /* that netns's ip_unprivileged_port_start at load */
	pg_k_u32 nexempt;
	pg_k_u32 exempt[PG_K_MAX_EXEMPT]; /* uids never judged (the broker's user) */
	pg_k_u64 policy_hash;		  /* of the compiled entries, see kpolicy.h */
	pg_k_u64 loaded_at;		  /* CLOCK_REALTIME seconds */
	pg_k_u32 nrules;
	pg_k_u32 nmanaged;
	pg_k_u32 nallowed;
	pg_k_u32 nab_file;   /* entries of pg_ab_file */
	pg_k_u32 nab_uid;    /* and of pg_ab_uid */
	pg_k_u32 log_grants; /* 1: a record for every grant too, not only denials */
	pg_k_u64 generation; /* unique per load or reload (CLOCK_REALTIME ns): names pg_rules */
	pg_k_u32 log_rate;   /* records per second and uid, on average ... */
	pg_k_u32 log_burst;  /* ... and at most this many at once */
	pg_k_u32 task_info;  /* 1: this kernel lets the hooks read the pid and comm */
	pg_k_u32 pad2;
};

/*
 * Decision records (issue 14): a record per denial, and per grant with
 * log_grants, written to the ring buffer pg_log.  "Grant" means a bind the
 * policy decided to allow (a managed port covered by a rule, or a port the
 * authbind tree grants); binds the program leaves alone (port 0, root, the
 * exempt broker user, unmanaged ports nobody grants, other netns) are neither.
 * Rate-limited per uid in the program (a token bucket in pg_ratelimit, GCRA);
 * what it drops is counted in pg_counters.  pg_log, pg_counters and
 * pg_ratelimit are pinned next to the links ("log", "counters", "ratelimit")
 * and shared by every generation, so a reader keeps its ring across reloads.
 */
#define PG_K_LOG_RING_BYTES (256 * 1024)
#define PG_K_LOG_RATE	    10 /* records per second and uid */
#define PG_K_LOG_BURST	    20
#define PG_K_MAX_RATELIMIT  4096 /* uids remembered (LRU) */

#define PG_K_LOG_DENY  0
#define PG_K_LOG_GRANT 1

/* Why: which part of the policy decided. */
#define PG_K_WHY_RULE	   1 /* granted by the rule pg_allowed names */
#define PG_K_WHY_AUTHBIND  2 /* granted by the authbind tree */
#define PG_K_WHY_NOT_OWNER 3 /* denied: managed, no rule covers it; rule = one naming the port */

/* Rule ids that are no rule: the authbind tree (pg_rules' last entry), nothing. */
#define PG_K_RULE_AUTHBIND 0xfffffffeu
#define PG_K_RULE_NONE	   0xffffffffu

struct pg_k_log_rec {
	pg_k_u64 boot_ns;      /* CLOCK_BOOTTIME of the bind */
	pg_k_u64 netns_cookie; /* of the socket's network namespace */
	pg_k_u64 generation;   /* pg_cfg.generation of the deciding program */
	pg_k_u32 uid, gid, pid, rule;
	pg_k_u32 addr[4];   /* as given, network-order bytes; IPv4 in the first word */
	pg_k_u16 port;	    /* host order */
	pg_k_u8 proto;	    /* PG_K_IPPROTO_TCP or _UDP */
	pg_k_u8 family;	    /* PG_K_AF_INET or _INET6 */
	pg_k_u8 verdict;    /* PG_K_LOG_DENY or _GRANT */
	pg_k_u8 why;	    /* PG_K_WHY_* */
	pg_k_u8 dual_stack; /* "[::]" without IPV6_V6ONLY */
	pg_k_u8 pad;
	char comm[16];
};

/* pg_counters: a per-CPU array of pg_k_u64, summed by the reader. */
#define PG_K_CNT_DENIALS      0 /* every denial */
#define PG_K_CNT_GRANTS	      1 /* every grant (see above), logged or not */
#define PG_K_CNT_LOGGED	      2 /* records written */
#define PG_K_CNT_DROP_RATE    3 /* records the per-uid rate limit dropped */
#define PG_K_CNT_DROP_FULL    4 /* records dropped because the ring buffer was full */
#define PG_K_NCOUNTERS	      5
#define PG_K_COUNTERS_ENTRIES 8

/* pg_ratelimit: the GCRA state per uid (its theoretical arrival time). */
struct pg_k_ratelimit {
	pg_k_u64 tat_ns;
};

/*
 * pg_rules: the rule-id -> file:line table of one generation (an array,
 * frozen, bound to both programs without being read by them).  Entry i is
 * rule i of the policy; the last entry (PG_K_RULE_AUTHBIND's) names the
 * authbind tree, file "" when there was none.  Longer strings are cut.
 */
#define PG_K_RULE_FILE_LEN	224
#define PG_K_RULE_PRINCIPAL_LEN 64
#define PG_K_RULE_SPEC_LEN	80

struct pg_k_rule {
	pg_k_u32 line;
	pg_k_u32 pad;
	char file[PG_K_RULE_FILE_LEN];
	char principal[PG_K_RULE_PRINCIPAL_LEN];
	char spec[PG_K_RULE_SPEC_LEN];
};

#endif
