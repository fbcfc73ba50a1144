/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bpf-loader.h - put a compiled policy (kpolicy.h) into the kernel's cgroup bind
 * hooks, swap it atomically, take it out, and read back what is there.  Links
 * are pinned in bpffs, so the policy stays enforced with no process holding it.
 * Runs as root (CAP_BPF + CAP_NET_ADMIN, CAP_SYS_ADMIN to mount or enter a netns).
 * Library code: returns -errno, never logs (libbpf's messages: pg_bpf_set_print).
 */
#ifndef PG_BPF_LOADER_H
#define PG_BPF_LOADER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpolicy.h"

#define PG_BPF_FS	  "/sys/fs/bpf"
#define PG_BPF_PIN_DIR	  PG_BPF_FS "/portgate"
#define PG_BPF_HOST_NS	  "/proc/1/ns/net"
#define PG_BPF_MIN_KERNEL "5.18" /* return 3 (5.12), bpf_set_retval for EACCES (5.18) */

/* Where libbpf's own messages go; NULL (the default) drops them. */
void pg_bpf_set_print(int (*fn)(const char *fmt, va_list ap));

/*
 * Can the bind hooks run here?  Checks the kernel version, BTF and that the
 * programs load (not attached).  Returns 0, or -errno with why filled in:
 * -EOPNOTSUPP (kernel too old, no BTF, programs rejected), -EPERM (privileges).
 */
int pg_bpf_probe(char *why, size_t size);

/* The mount point of the cgroup2 hierarchy, from /proc/self/mountinfo; -ENOENT if none. */
int pg_cgroup2_root(char *buf, size_t size);

/* The directory of the cgroup with this id under root, or -ENOENT. */
int pg_cgroup_path(const char *root, uint64_t id, char *buf, size_t size);

/*
 * Make pin_dir usable: mount bpffs at PG_BPF_FS if it is not mounted there
 * (pin_dir must then be below it), and create pin_dir.  -ENOTDIR if pin_dir
 * is not on a bpf filesystem.
 */
int pg_bpf_pin_dir_prepare(const char *pin_dir);

/*
 * The cookie of the network namespace at ns_path ("/proc/1/ns/net", the host's;
 * "/proc/self/ns/net", the caller's) and its ip_unprivileged_port_start.
 * Enters it for a moment if it is not the caller's.
 */
int pg_netns_info(const char *ns_path, uint64_t *ret_cookie, unsigned *ret_unpriv_start);

/* Run fn(arg) inside the network namespace at ns_path, then come back. */
int pg_netns_run(const char *ns_path, int (*fn)(void *arg), void *arg);

/* How a generation of the programs is configured (besides the policy). */
struct pg_bpf_params {
	bool all_netns;
	uint64_t netns_cookie;	    /* the only netns judged unless all_netns */
	unsigned unpriv_port_start; /* return 3 below it, 1 above */
	const uint32_t *exempt;	    /* uids never judged: the broker's user */
	size_t nexempt;		    /* at most PG_K_MAX_EXEMPT */
	bool log_grants;	    /* a record for every grant, not only every denial */
};

/*
 * Pinned in pin_dir next to the links, shared by every generation: the
 * decision records (a ring buffer), their counters and the rate limiter.
 */
#define PG_BPF_PIN_BIND4     "bind4" /* the links */
#define PG_BPF_PIN_BIND6     "bind6"
#define PG_BPF_PIN_LOG	     "log"
#define PG_BPF_PIN_COUNTERS  "counters"
#define PG_BPF_PIN_RATELIMIT "ratelimit"

/*
 * Load the programs with k, attach them to the cgroup open at cgroup_fd and
 * pin their links in pin_dir as "bind4" and "bind6".  Everything is filled in
 * before anything is attached; on failure nothing stays attached or pinned.
 * -EEXIST if pin_dir already holds a policy (use pg_bpf_reload).
 */
int pg_bpf_load(const struct pg_kpolicy *k, const struct pg_bpf_params *prm, int cgroup_fd,
		const char *pin_dir);

/*
 * Swap the policy behind the pinned links for k: new programs with new maps
 * are loaded and filled, then each link is switched to its new program in
 * one step (BPF_LINK_UPDATE with BPF_F_REPLACE), so every bind() is judged
 * by one whole generation, old or new.  On failure the old programs stay (a
 * half-done swap is rolled back).  -ENOENT if nothing is loaded; -ESTALE if
 * only one of the two links is pinned.
 */
int pg_bpf_reload(const struct pg_kpolicy *k, const struct pg_bpf_params *prm, const char *pin_dir);

/* Detach the links and remove the pins (and pin_dir if empty).  -ENOENT if none. */
int pg_bpf_unload(const char *pin_dir);

/* One pinned link, as the kernel reports it. */
struct pg_bpf_link {
	bool present;
	uint32_t link_id;
	uint32_t prog_id;
	uint64_t cgroup_id;
	char prog_name[16];
	char pin[512];
};

/* What is loaded: links, programs, the generation's configuration, its maps (bpf-status.c). */
struct pg_bpf_status {
	struct pg_bpf_link link[2]; /* bind4, bind6 */
	struct pg_k_config cfg;	    /* of bind4's program; cfg.magic 0 if unreadable */
	bool generations_differ;    /* bind4 and bind6 run different programs' maps */
	uint32_t managed_map_id, allowed_map_id;
	int managed_fd, allowed_fd; /* for pg_bpf_status_lookup, -1 if not found */
	int abfile_fd, abuid_fd;    /* the authbind tree's maps, -1 if not found */
	int rules_fd;		    /* pg_rules of bind4's generation, -1 if not found */
	int log_fd, counters_fd;    /* the pinned ring buffer and counters, -1 if not pinned */
};

/* Read back what pin_dir holds.  -ENOENT if neither link is pinned. */
int pg_bpf_status(const char *pin_dir, struct pg_bpf_status *ret);

void pg_bpf_status_clear(struct pg_bpf_status *s);

/* The counters of the decision records (PG_K_CNT_*), summed over the CPUs. */
int pg_bpf_counters(const struct pg_bpf_status *s, uint64_t ret[PG_K_NCOUNTERS]);

/*
 * The rule table (pg_rules) of the loaded generation, in a new array of
 * *ret_n entries.  -ENOENT if the generation has none (loaded by an older
 * portgate), -ENOMEM.
 */
int pg_bpf_rule_table(const struct pg_bpf_status *s, struct pg_k_rule **ret, size_t *ret_n);

/* Lookups in the loaded maps, for pg_kjudge(): what the kernel decides. */
void pg_bpf_status_lookup(const struct pg_bpf_status *s, struct pg_klookup *ret);

#endif
