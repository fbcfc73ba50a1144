// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel-status.c - "portgate kernel status [--json]": what is loaded where
 * (links, programs, cgroup, scope, the policy's hash and counts, the decision
 * counters), whether the files still compile to it, and an audit of the live
 * listeners of a network namespace (cli-listeners-linux.c) judged by the
 * loaded maps.
 * Linux only.  Runs as root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../bpf/bpf-loader.h"
#include "broker.h"
#include "cli-listeners.h"
#include "cli-probe.h"
#include "cli.h"
#include "cmd-kernel.h"
#include "json.h"
#include "kpolicy.h"
#include "sysinfo.h"

static bool
is_exempt(const struct pg_k_config *c, uid_t uid)
{
	for (uint32_t i = 0; i < c->nexempt && i < PG_K_MAX_EXEMPT; i++)
		if (c->exempt[i] == uid)
			return true;
	return false;
}

/* One listener on a managed port, judged. */
enum row_state { ROW_OK, ROW_VIOLATION, ROW_NOT_JUDGED };

struct row {
	const struct cli_listener *l;
	enum row_state state;
	const char *note; /* for ROW_OK: root, the broker's user, or NULL */
	int err;	  /* for ROW_NOT_JUDGED */
	char why[512];	  /* the policy's explanation, "" if none */
};

struct audit {
	struct row *rows;
	size_t n, violations;
};

/* Judge every listener on a managed port. */
static int
audit(const struct cli_listeners *ls, const struct pg_bpf_status *st, const struct pg_policy *p,
      struct audit *a)
{
	struct pg_klookup l;

	pg_bpf_status_lookup(st, &l);
	a->rows = calloc(ls->n + 1, sizeof(*a->rows));
	if (a->rows == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ls->n; i++) {
		const struct cli_listener *x = &ls->v[i];
		struct pg_k_managed_key mk = {
			.port = x->bind.port,
			.proto =
				x->bind.proto == PG_PROTO_UDP ? PG_K_IPPROTO_UDP : PG_K_IPPROTO_TCP,
		};
		struct pg_k_managed_val mv;
		struct row *w = &a->rows[a->n];
		enum pg_decision d;
		int verdict;

		if (l.managed(l.ctx, &mk, &mv) != 1)
			continue;
		a->n++;
		w->l = x;
		verdict = pg_kjudge(&l, &st->cfg, x->uid, &x->bind, &d);
		if (p != NULL) {
			struct pg_cred cred;
			struct pg_verdict v;
			char uidtext[16];

			(void)snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)x->uid);
			if (pg_cred_for_user(uidtext, NULL, &cred, NULL) == 0) {
				pg_policy_eval(p, &cred, &x->bind, &v);
				(void)pg_verdict_explain(&v, w->why, sizeof(w->why));
			}
		}
		if (verdict == PG_K_DENY) {
			a->violations++;
			w->state = ROW_VIOLATION;
		} else if (verdict < 0) {
			w->state = ROW_NOT_JUDGED;
			w->err = -verdict;
		} else if (x->uid == 0) {
			w->note = "root is exempt";
		} else if (is_exempt(&st->cfg, x->uid)) {
			w->note = "the broker's user is exempt; the broker checked the policy";
		}
	}
	return 0;
}

static void
print_audit(const struct cli_listeners *ls, const struct audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct row *w = &a->rows[i];
		char name[64], bs[PG_BIND_STRLEN];

		printf("  %s owner %s (uid %u): ", pg_bind_format(&w->l->bind, bs),
		       pg_user_name(w->l->uid, name, sizeof(name)), (unsigned)w->l->uid);
		if (w->state == ROW_VIOLATION)
			printf("VIOLATION: the kernel refuses this bind to its owner now%s%s\n",
			       w->why[0] ? "; " : "", w->why);
		else if (w->state == ROW_NOT_JUDGED)
			printf("not judged: %s\n", strerror(w->err));
		else if (w->note != NULL)
			printf("ok (%s)\n", w->note);
		else
			printf("ok%s%s\n", w->why[0] ? ", " : "", w->why);
	}
	printf("audit: %zu sockets (TCP listening, UDP bound), %zu on managed ports, %zu "
	       "violation%s\n",
	       ls->n, a->n, a->violations, a->violations == 1 ? "" : "s");
	if (ls->udp_unavailable)
		printf("audit: UDP sockets not listed (sock_diag has no udp_diag here)\n");
}

/* --- what is loaded ------------------------------------------------------------------ */

/* Everything kernel status says, gathered before it is printed as text or JSON. */
struct kstatus {
	struct pg_bpf_status st;
	char cgroup[4096];
	bool cgroup_found;
	bool counters_ok;
	uint64_t counters[PG_K_NCOUNTERS];
	bool broker_running;
	const char *files; /* in-sync, changed, does-not-compile, unreadable, not-compared */
	const char *ns;	   /* the audited namespace */
	struct cli_listeners ls;
	struct audit audit;
};

static const char *const counter_keys[PG_K_NCOUNTERS] = {
	[PG_K_CNT_DENIALS] = "denials",
	[PG_K_CNT_GRANTS] = "grants",
	[PG_K_CNT_LOGGED] = "logged",
	[PG_K_CNT_DROP_RATE] = "dropped_rate_limit",
	[PG_K_CNT_DROP_FULL] = "dropped_ring_full",
};

static void
print_link(const char *what, const struct pg_bpf_link *l)
{
	if (!l->present) {
		printf("%s: not pinned (reload or unload, then load again)\n", what);
		return;
	}
	printf("%s: link %u, program %u (%s), pinned at %s\n", what, l->link_id, l->prog_id,
	       l->prog_name, l->pin);
}

static const char *
when_text(uint64_t t, char *buf, size_t size, bool iso)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&tt, &tm) != NULL)
		n = iso ? strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm)
			: strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (n == 0)
		(void)snprintf(buf, size, "?");
	return buf;
}

static void
print_text(const struct kstatus *k)
{
	const struct pg_k_config *c = &k->st.cfg;
	const struct pg_bpf_link *l = k->st.link[0].present ? &k->st.link[0] : &k->st.link[1];
	char scope[64], when[64], name[64];

	printf("kernel policy: loaded\n");
	print_link("bind4", &k->st.link[0]);
	print_link("bind6", &k->st.link[1]);
	if (k->st.generations_differ)
		printf("warning: bind4 and bind6 run different generations (a reload was cut "
		       "short)\n");
	printf("cgroup: %s (id %llu)\n", k->cgroup_found ? k->cgroup : "(not found)",
	       (unsigned long long)l->cgroup_id);
	if (c->magic == 0) {
		printf("configuration: unreadable (loaded by another version of portgate?)\n");
	} else {
		printf("scope: %s\n", kernel_scope_text(c, scope, sizeof(scope)));
		printf("policy: hash %016llx, %u rules, %u managed ports, %u entries, loaded %s\n",
		       (unsigned long long)c->policy_hash, c->nrules, c->nmanaged, c->nallowed,
		       when_text(c->loaded_at, when, sizeof(when), false));
		if (c->nab_file + c->nab_uid > 0)
			printf("authbind: %u entries for byport and byaddr, %u byuid files\n",
			       c->nab_file, c->nab_uid);
		if (c->all_netns)
			printf("unprivileged ports from: any (every granted bind skips the "
			       "capability check)\n");
		else
			printf("unprivileged ports from: %u (as read at load)\n",
			       c->unpriv_port_start);
		for (uint32_t i = 0; i < c->nexempt && i < PG_K_MAX_EXEMPT; i++)
			printf("exempt: %s (uid %u), the broker's user\n",
			       pg_user_name(c->exempt[i], name, sizeof(name)), c->exempt[i]);
		printf("log: denials%s, at most %u records per second and uid (bursts of %u), "
		       "'portgate kernel log' reads them\n",
		       c->log_grants ? " and grants" : "", c->log_rate, c->log_burst);
	}
	if (k->counters_ok)
		printf("counters: %llu denials, %llu grants, %llu records written, %llu dropped "
		       "by the rate limit, %llu dropped with the ring buffer full\n",
		       (unsigned long long)k->counters[PG_K_CNT_DENIALS],
		       (unsigned long long)k->counters[PG_K_CNT_GRANTS],
		       (unsigned long long)k->counters[PG_K_CNT_LOGGED],
		       (unsigned long long)k->counters[PG_K_CNT_DROP_RATE],
		       (unsigned long long)k->counters[PG_K_CNT_DROP_FULL]);
	else
		printf("counters: none (loaded by an older portgate: reload)\n");
	printf("broker: %s (%s)\n", k->broker_running ? "running" : "not running",
	       pg_broker_socket_path());
	if (strcmp(k->files, "unreadable") == 0)
		printf("policy files: cannot be read or have errors (%s): not compared\n",
		       cli.config_dir);
	else if (strcmp(k->files, "does-not-compile") == 0)
		printf("policy files: %s no longer compiles for the kernel\n", cli.config_dir);
	else if (strcmp(k->files, "not-compared") != 0)
		printf("policy files: %s %s\n",
		       strcmp(k->files, "in-sync") == 0 ? "in sync with"
							: "CHANGED since the load in",
		       cli.config_dir);
	if (strcmp(k->files, "changed") == 0)
		printf("  run 'portgate kernel reload' to enforce the current files\n");
	printf("listeners in the network namespace of %s (cookie %llu)%s:\n", k->ns,
	       (unsigned long long)k->ls.cookie,
	       c->magic != 0 && !c->all_netns && c->netns_cookie != k->ls.cookie
		       ? ", which the loaded programs do not judge"
		       : "");
	if (c->magic != 0 && !c->all_netns && c->netns_cookie == k->ls.cookie &&
	    k->ls.unpriv_start != c->unpriv_port_start)
		printf("warning: ip_unprivileged_port_start is %u now, %u at load: reload\n",
		       k->ls.unpriv_start, c->unpriv_port_start);
	print_audit(&k->ls, &k->audit);
}

static void
json_link(struct pg_json *j, const char *key, const struct pg_bpf_link *l)
{
	if (!l->present) {
		pg_json_null(j, key);
		return;
	}
	pg_json_begin_object(j, key);
	pg_json_int(j, "link_id", l->link_id);
	pg_json_int(j, "program_id", l->prog_id);
	pg_json_string(j, "program_name", l->prog_name);
	pg_json_string(j, "pin", l->pin);
	pg_json_end_object(j);
}

static void
json_config(struct pg_json *j, const struct pg_k_config *c)
{
	char hash[17], when[64], name[64];

	if (c->magic == 0) {
		pg_json_null(j, "policy");
		pg_json_null(j, "scope");
		pg_json_null(j, "log");
		pg_json_null(j, "exempt");
		return;
	}
	(void)snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)c->policy_hash);
	pg_json_begin_object(j, "policy");
	pg_json_string(j, "hash", hash);
	pg_json_int(j, "rules", c->nrules);
	pg_json_int(j, "managed_ports", c->nmanaged);
	pg_json_int(j, "entries", c->nallowed);
	pg_json_int(j, "authbind_entries", c->nab_file);
	pg_json_int(j, "authbind_byuid_files", c->nab_uid);
	pg_json_string(j, "loaded_at", when_text(c->loaded_at, when, sizeof(when), true));
	pg_json_end_object(j);
	pg_json_begin_object(j, "scope");
	pg_json_bool(j, "all_netns", c->all_netns);
	if (c->all_netns) {
		pg_json_null(j, "netns_cookie");
		pg_json_null(j, "unprivileged_port_start");
	} else {
		pg_json_int(j, "netns_cookie", (long long)c->netns_cookie);
		pg_json_int(j, "unprivileged_port_start", c->unpriv_port_start);
	}
	pg_json_end_object(j);
	pg_json_begin_object(j, "log");
	pg_json_bool(j, "grants", c->log_grants);
	pg_json_int(j, "rate", c->log_rate);
	pg_json_int(j, "burst", c->log_burst);
	pg_json_end_object(j);
	pg_json_begin_array(j, "exempt");
	for (uint32_t i = 0; i < c->nexempt && i < PG_K_MAX_EXEMPT; i++) {
		pg_json_begin_object(j, NULL);
		pg_json_string(j, "user", pg_user_name(c->exempt[i], name, sizeof(name)));
		pg_json_int(j, "uid", c->exempt[i]);
		pg_json_end_object(j);
	}
	pg_json_end_array(j);
}

static void
json_audit(struct pg_json *j, const struct kstatus *k)
{
	static const char *const states[] = { "ok", "violation", "not-judged" };
	const struct pg_k_config *c = &k->st.cfg;

	pg_json_begin_object(j, "listeners");
	pg_json_string(j, "netns", k->ns);
	pg_json_int(j, "netns_cookie", (long long)k->ls.cookie);
	pg_json_bool(j, "judged",
		     c->magic != 0 && (c->all_netns || c->netns_cookie == k->ls.cookie));
	pg_json_bool(j, "udp_listed", !k->ls.udp_unavailable);
	pg_json_int(j, "sockets", (long long)k->ls.n);
	pg_json_int(j, "managed", (long long)k->audit.n);
	pg_json_int(j, "violations", (long long)k->audit.violations);
	pg_json_begin_array(j, "entries");
	for (size_t i = 0; i < k->audit.n; i++) {
		const struct row *w = &k->audit.rows[i];
		char bs[PG_BIND_STRLEN], name[64];

		pg_json_begin_object(j, NULL);
		pg_json_string(j, "bind", pg_bind_format(&w->l->bind, bs));
		pg_json_int(j, "uid", w->l->uid);
		pg_json_string(j, "user", pg_user_name(w->l->uid, name, sizeof(name)));
		pg_json_string(j, "state", states[w->state]);
		if (w->state == ROW_NOT_JUDGED)
			pg_json_string(j, "note", strerror(w->err));
		else
			pg_json_string(j, "note", w->note);
		pg_json_string(j, "explanation", w->why[0] ? w->why : NULL);
		pg_json_end_object(j);
	}
	pg_json_end_array(j);
	pg_json_end_object(j);
}

/* The document; with st NULL, the one for nothing loaded. */
static int
print_json(const struct kstatus *k, const char *pin_dir)
{
	struct pg_json j;

	pg_json_init(&j, stdout);
	pg_json_begin_object(&j, NULL);
	pg_json_bool(&j, "loaded", k != NULL);
	pg_json_string(&j, "pin_dir", pin_dir);
	if (k == NULL) {
		static const char *const keys[] = { "bind4",
						    "bind6",
						    "generations_differ",
						    "cgroup",
						    "cgroup_id",
						    "policy",
						    "scope",
						    "log",
						    "exempt",
						    "counters",
						    "broker_running",
						    "policy_files",
						    "listeners" };

		for (size_t i = 0; i < nitems(keys); i++)
			pg_json_null(&j, keys[i]);
	} else {
		const struct pg_bpf_link *l =
			k->st.link[0].present ? &k->st.link[0] : &k->st.link[1];

		json_link(&j, "bind4", &k->st.link[0]);
		json_link(&j, "bind6", &k->st.link[1]);
		pg_json_bool(&j, "generations_differ", k->st.generations_differ);
		pg_json_string(&j, "cgroup", k->cgroup_found ? k->cgroup : NULL);
		pg_json_int(&j, "cgroup_id", (long long)l->cgroup_id);
		json_config(&j, &k->st.cfg);
		if (k->counters_ok) {
			pg_json_begin_object(&j, "counters");
			for (int i = 0; i < PG_K_NCOUNTERS; i++)
				pg_json_int(&j, counter_keys[i], (long long)k->counters[i]);
			pg_json_end_object(&j);
		} else {
			pg_json_null(&j, "counters");
		}
		pg_json_bool(&j, "broker_running", k->broker_running);
		pg_json_string(&j, "policy_files", k->files);
		json_audit(&j, k);
	}
	pg_json_end_object(&j);
	return pg_json_finish(&j);
}

/* Is what is loaded what the files say now?  Returns the policy read, or NULL. */
static struct pg_policy *
compare_files(struct kstatus *k)
{
	struct pg_policy *p = NULL;
	struct pg_diags diags = { 0 };
	int r = pg_policy_load(cli.config_dir, cli.authbind_dir, &p, &diags);

	pg_diags_clear(&diags);
	if (r < 0) {
		k->files = "unreadable";
		return NULL;
	}
	if (k->st.cfg.magic == 0) {
		k->files = "not-compared";
		return p;
	}
	r = cli_kernel_in_sync(p, &k->st.cfg);
	k->files = r < 0 ? "does-not-compile" : r ? "in-sync" : "changed";
	return p;
}

int
kernel_status(void)
{
	struct kstatus k;
	struct pg_policy *p;
	const struct pg_bpf_link *l;
	char root[4096];
	int r;

	memset(&k, 0, sizeof(k));
	r = pg_bpf_status(kargs.pin_dir, &k.st);
	if (r == -ENOENT) {
		if (kargs.json)
			return print_json(NULL, kargs.pin_dir) < 0 ? EXIT_TEMPFAIL : EXIT_DENIED;
		printf("kernel policy: not loaded (nothing pinned in %s)\n", kargs.pin_dir);
		return EXIT_DENIED;
	}
	if (r == -EPERM || r == -EACCES)
		die_errno(EXIT_TEMPFAIL, -r, "read '%s' (run as root)", kargs.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the loaded policy in '%s'", kargs.pin_dir);
	kernel_check_cgroup(&k.st);

	l = k.st.link[0].present ? &k.st.link[0] : &k.st.link[1];
	k.cgroup_found = pg_cgroup2_root(root, sizeof(root)) == 0 &&
			 pg_cgroup_path(root, l->cgroup_id, k.cgroup, sizeof(k.cgroup)) == 0;
	k.counters_ok = pg_bpf_counters(&k.st, k.counters) == 0;
	k.broker_running = cli_broker_probe(pg_broker_socket_path(), NULL, NULL) == 0;
	p = compare_files(&k);

	k.ns = kargs.netns ? kargs.netns : PG_BPF_HOST_NS;
	r = pg_netns_run(k.ns, cli_listeners_collect, &k.ls);
	if (kargs.netns == NULL && (r == -EACCES || r == -EPERM)) {
		k.ns = "/proc/self/ns/net"; /* a sandboxed root: see default_netns_info() */
		free(k.ls.v);
		k.ls = (struct cli_listeners){ 0 };
		r = pg_netns_run(k.ns, cli_listeners_collect, &k.ls);
	}
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "list the sockets in the network namespace '%s'",
			  k.ns);
	r = audit(&k.ls, &k.st, p, &k.audit);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "audit the listeners");
	if (kargs.json) {
		if (print_json(&k, kargs.pin_dir) < 0)
			die(EXIT_TEMPFAIL, "write the JSON document");
	} else {
		print_text(&k);
	}
	r = k.audit.violations ? EXIT_DENIED : EXIT_OK;
	free(k.audit.rows);
	free(k.ls.v);
	pg_policy_free(p);
	pg_bpf_status_clear(&k.st);
	return r;
}
