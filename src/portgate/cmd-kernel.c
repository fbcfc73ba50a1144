// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel.c - "portgate kernel load|unload|reload|status|watch": the policy in
 * the kernel's cgroup bind hooks (src/bpf/) and an audit of the live listeners;
 * the watcher is in cmd-kernel-watch.c.
 * Runs as root: loads BPF programs, mounts bpffs, enters network namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/inet_diag.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../bpf/bpf-loader.h"
#include "broker.h"
#include "cli.h"
#include "cmd-kernel.h"
#include "kpolicy-authbind.h"
#include "kpolicy.h"
#include "sysinfo.h"

#define BROKER_USER_DEFAULT "portgate"
#define FALLBACK	    "use the broker instead (portgated, with 'portgate exec' or 'portgate run')"

static struct {
	const char *cgroup;
	const char *pin_dir;
	const char *netns;
	const char *broker_user;
	bool all_netns;
	int log_grants; /* -1: not given (reload keeps what load was given) */
	bool follow;
	bool json;
} arg = { .log_grants = -1 };

static int
print_libbpf(const char *fmt, va_list ap)
{
	fprintf(stderr, "portgate: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

/* Every precondition of the kernel path, with the fallback named when one fails. */
void
kernel_require_bpf(void)
{
	char why[256];
	int r = pg_bpf_probe(why, sizeof(why));

	if (r == -EPERM)
		die(EXIT_TEMPFAIL, "%s: run as root", why);
	if (r < 0)
		die(EXIT_TEMPFAIL, "the kernel path is not available here: %s; %s", why, FALLBACK);
}

static int
open_cgroup(char *path, size_t size)
{
	struct statfs st;
	int fd, r;

	if (arg.cgroup != NULL) {
		if (snprintf(path, size, "%s", arg.cgroup) >= (int)size)
			die(EXIT_USAGE, "cgroup path '%s' is too long", arg.cgroup);
	} else if ((r = pg_cgroup2_root(path, size)) < 0) {
		if (r == -ENOENT)
			die(EXIT_TEMPFAIL,
			    "no cgroup v2 hierarchy is mounted (see /proc/self/mountinfo); "
			    "the kernel path needs one: %s",
			    FALLBACK);
		die_errno(EXIT_TEMPFAIL, -r, "find the cgroup v2 hierarchy");
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die_errno(EXIT_TEMPFAIL, errno, "open cgroup '%s'", path);
	if (fstatfs(fd, &st) < 0 || st.f_type != CGROUP2_SUPER_MAGIC)
		die(EXIT_TEMPFAIL, "'%s' is not a cgroup v2 directory: %s", path, FALLBACK);
	return fd;
}

/* The broker's uid, exempt from the program (it runs its own policy check). */
static size_t
exempt_uids(uint32_t *uids)
{
	const char *user = arg.broker_user ? arg.broker_user : BROKER_USER_DEFAULT;
	uid_t uid;
	int r;

	if (user[0] == '\0')
		return 0;
	r = pg_lookup_uid(user, &uid);
	if (r < 0 && arg.broker_user != NULL)
		die(EXIT_USAGE, "unknown broker user '%s'", arg.broker_user);
	if (r < 0 || uid == 0) /* no broker user here; root is exempt anyway */
		return 0;
	uids[0] = uid;
	return 1;
}

/* With --cgroup on reload, unload or status: the policy must be attached there. */
static void
check_cgroup(const struct pg_bpf_status *st)
{
	const struct pg_bpf_link *l = st->link[0].present ? &st->link[0] : &st->link[1];
	struct stat sb;

	if (arg.cgroup == NULL)
		return;
	if (stat(arg.cgroup, &sb) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "cgroup '%s'", arg.cgroup);
	if ((uint64_t)sb.st_ino != l->cgroup_id)
		die(EXIT_TEMPFAIL,
		    "the policy pinned in '%s' is attached to cgroup id %llu, not '%s'",
		    arg.pin_dir, (unsigned long long)l->cgroup_id, arg.cgroup);
}

/* Add the authbind tree at dir to k, judging the users of the account database. */
static int
compile_authbind(const char *dir, struct pg_kpolicy *k, struct pg_diags *d)
{
	struct pg_kab_users u = { 0 };
	int r = pg_kab_users_from_accounts(&u);

	if (r == 0)
		r = pg_kpolicy_compile_authbind(dir, &u, k, d);
	pg_kab_users_clear(&u);
	return r;
}

/* Load the policy from the configuration and compile it for the maps, or die. */
static void
compile_policy(struct pg_kpolicy *k)
{
	struct pg_policy *p = cli_load_policy();
	struct pg_kgroups groups = { 0 };
	bool lower;
	int r;

	r = pg_kgroups_from_accounts(p, &groups);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the group members from the account database");
	r = pg_kpolicy_compile(p, &groups, PG_K_MAX_ALLOWED, k, &lower);
	pg_kgroups_clear(&groups);
	if (r == -E2BIG)
		die(EXIT_DENIED,
		    "the policy in '%s' needs %s%zu kernel map entries (one per user, port, "
		    "address and family), more than the %u the kernel maps hold; refused whole, "
		    "the kernel was not touched: narrow port ranges or group grants, or %s",
		    cli.config_dir, lower ? "more than " : "", k->nallowed, PG_K_MAX_ALLOWED,
		    FALLBACK);
	if (r == 0)
		r = pg_kpolicy_rule_table(p, k);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "compile the policy for the kernel");
	if (p->authbind_dir != NULL) {
		struct pg_diags d = { 0 };

		r = compile_authbind(p->authbind_dir, k, &d);
		cli_print_diags(&d);
		pg_diags_clear(&d);
		if (r == -EINVAL)
			die(EXIT_DENIED,
			    "the authbind tree '%s' has errors (nothing was applied, the kernel "
			    "was "
			    "not touched); fix them and run 'portgate verify'",
			    p->authbind_dir);
		if (r == -E2BIG)
			die(EXIT_DENIED,
			    "the authbind tree '%s' needs more than the kernel maps hold; refused "
			    "whole, the kernel was not touched: %s",
			    p->authbind_dir, FALLBACK);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r,
				  "compile the authbind tree '%s' for the kernel", p->authbind_dir);
	}
	pg_policy_free(p);
}

/*
 * The host's network namespace is /proc/1/ns/net.  A sandboxed root may not
 * open it (ptrace rules, an LSM): then this process's namespace is meant.
 */
static int
default_netns_info(uint64_t *cookie, unsigned *unpriv_start, const char **ret_path)
{
	int r = pg_netns_info(PG_BPF_HOST_NS, cookie, unpriv_start);

	*ret_path = PG_BPF_HOST_NS;
	if (r == -EACCES || r == -EPERM) {
		*ret_path = "/proc/self/ns/net";
		r = pg_netns_info(*ret_path, cookie, unpriv_start);
	}
	return r;
}

/* The scope and threshold of a new generation, from --netns/--all-netns. */
static void
scope_params(struct pg_bpf_params *prm)
{
	const char *ns = arg.netns;
	int r;

	prm->all_netns = arg.all_netns;
	if (arg.all_netns) {
		/* Thresholds differ between namespaces: 3 for every granted bind is always right.
		 */
		prm->unpriv_port_start = 65536;
		return;
	}
	if (ns != NULL) {
		r = pg_netns_info(ns, &prm->netns_cookie, &prm->unpriv_port_start);
	} else {
		r = default_netns_info(&prm->netns_cookie, &prm->unpriv_port_start, &ns);
		if (r == 0 && strcmp(ns, PG_BPF_HOST_NS) != 0)
			warnx("warning: cannot enter %s: judging binds in this process's network "
			      "namespace (choose with --netns PATH or --all-netns)",
			      PG_BPF_HOST_NS);
	}
	if (r == -ENOPROTOOPT)
		die(EXIT_TEMPFAIL,
		    "this kernel cannot name network namespaces (SO_NETNS_COOKIE, "
		    "5.14); %s",
		    FALLBACK);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the network namespace '%s'", ns);
}

/* reload with no scope given: keep the one loaded, with a fresh threshold if it can be read. */
static void
keep_scope(const struct pg_k_config *loaded, struct pg_bpf_params *prm)
{
	static const char *const paths[2] = { PG_BPF_HOST_NS, "/proc/self/ns/net" };

	prm->all_netns = loaded->all_netns;
	prm->netns_cookie = loaded->netns_cookie;
	prm->unpriv_port_start = loaded->unpriv_port_start;
	for (int i = 0; i < 2 && !loaded->all_netns; i++) {
		uint64_t cookie;
		unsigned start;

		if (pg_netns_info(paths[i], &cookie, &start) == 0 &&
		    cookie == loaded->netns_cookie) {
			prm->unpriv_port_start = start;
			break;
		}
	}
}

static const char *
scope_text(const struct pg_k_config *c, char *buf, size_t size)
{
	if (c->all_netns)
		(void)snprintf(buf, size, "every network namespace");
	else
		(void)snprintf(buf, size, "network namespace cookie %llu",
			       (unsigned long long)c->netns_cookie);
	return buf;
}

static void
print_generation(const char *what, const struct pg_kpolicy *k, const struct pg_bpf_params *prm)
{
	struct pg_k_config c = { .all_netns = prm->all_netns, .netns_cookie = prm->netns_cookie };
	char scope[64];

	char ab[64] = "";

	if (k->nabfile + k->nabuid > 0)
		(void)snprintf(ab, sizeof(ab), ", %zu+%zu authbind entries", k->nabfile, k->nabuid);
	printf("%s: %zu rules, %zu managed ports, %zu entries%s, policy hash %016llx, %s; "
	       "logging denials%s\n",
	       what, k->nrules, k->nmanaged, k->nallowed, ab, (unsigned long long)k->hash,
	       scope_text(&c, scope, sizeof(scope)), prm->log_grants ? " and grants" : "");
}

static int
kernel_load(void)
{
	struct pg_kpolicy k = { 0 };
	struct pg_bpf_params prm = { 0 };
	uint32_t exempt[1];
	char cgroup[4096];
	_cleanup_close_ int cg = -1;
	int r;

	kernel_require_bpf();
	compile_policy(&k);
	scope_params(&prm);
	prm.nexempt = exempt_uids(exempt);
	prm.exempt = exempt;
	prm.log_grants = arg.log_grants == 1;
	cg = open_cgroup(cgroup, sizeof(cgroup));
	r = pg_bpf_pin_dir_prepare(arg.pin_dir);
	if (r == -ENOTDIR)
		die(EXIT_TEMPFAIL, "'%s' is not on a bpf filesystem", arg.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "prepare the pin directory '%s'", arg.pin_dir);
	r = pg_bpf_load(&k, &prm, cg, arg.pin_dir);
	if (r == -EEXIST)
		die(EXIT_TEMPFAIL,
		    "a policy is already loaded in '%s'; use 'portgate kernel reload' to replace "
		    "it",
		    arg.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r,
			  "load the bind programs into the kernel (nothing was "
			  "attached)");
	printf("loaded at %s, pinned in %s\n", cgroup, arg.pin_dir);
	print_generation("policy", &k, &prm);
	pg_kpolicy_clear(&k);
	return EXIT_OK;
}

/* The policy loaded in --pin-dir (and attached to --cgroup, if given), or die. */
void
kernel_require_loaded(struct pg_bpf_status *st)
{
	int r = pg_bpf_status(arg.pin_dir, st);

	if (r == -ENOENT)
		die(EXIT_TEMPFAIL, "no policy is loaded in '%s'; use 'portgate kernel load'",
		    arg.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the loaded policy in '%s'", arg.pin_dir);
	check_cgroup(st);
}

int
kernel_reload(void)
{
	struct pg_kpolicy k = { 0 };
	struct pg_bpf_params prm = { 0 };
	struct pg_bpf_status st;
	uint32_t exempt[PG_K_MAX_EXEMPT];
	int r;

	kernel_require_bpf();
	kernel_require_loaded(&st);
	compile_policy(&k);
	if (!arg.all_netns && arg.netns == NULL && st.cfg.magic != 0)
		keep_scope(&st.cfg, &prm);
	else
		scope_params(&prm);
	/* No --broker-user: the exemption given at load stays, as the scope does. */
	if (arg.broker_user == NULL && st.cfg.magic != 0) {
		prm.nexempt = st.cfg.nexempt < PG_K_MAX_EXEMPT ? st.cfg.nexempt : PG_K_MAX_EXEMPT;
		memcpy(exempt, st.cfg.exempt, prm.nexempt * sizeof(exempt[0]));
	} else {
		prm.nexempt = exempt_uids(exempt);
	}
	/* No --log-grants or --no-log-grants: as load was given, too. */
	prm.log_grants = arg.log_grants >= 0 ? arg.log_grants == 1 : st.cfg.log_grants != 0;
	pg_bpf_status_clear(&st);
	prm.exempt = exempt;
	r = pg_bpf_reload(&k, &prm, arg.pin_dir);
	if (r == -ESTALE)
		die(EXIT_TEMPFAIL,
		    "only one of the two links is pinned in '%s'; run 'portgate "
		    "kernel unload', then 'load'",
		    arg.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "swap the policy (the previous one stays enforced)");
	print_generation("reloaded", &k, &prm);
	pg_kpolicy_clear(&k);
	return EXIT_OK;
}

static int
kernel_unload(void)
{
	struct pg_bpf_status st;
	int r;

	if (arg.cgroup != NULL && pg_bpf_status(arg.pin_dir, &st) == 0) {
		check_cgroup(&st);
		pg_bpf_status_clear(&st);
	}
	r = pg_bpf_unload(arg.pin_dir);

	if (r == -ENOENT) {
		printf("nothing is loaded in %s\n", arg.pin_dir);
		return EXIT_OK;
	}
	if (r == -EPERM || r == -EACCES)
		die_errno(EXIT_TEMPFAIL, -r, "unload from '%s' (run as root)", arg.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "unload from '%s'", arg.pin_dir);
	printf("unloaded: the kernel's default applies again\n");
	return EXIT_OK;
}

int
cli_kernel_in_sync(const struct pg_policy *p, const struct pg_k_config *c)
{
	struct pg_kgroups g = { 0 };
	struct pg_kpolicy k = { 0 };
	int r = pg_kgroups_from_accounts(p, &g);

	if (r == 0)
		r = pg_kpolicy_compile(p, &g, PG_K_MAX_ALLOWED, &k, NULL);
	if (r == 0 && p->authbind_dir != NULL) {
		struct pg_diags d = { 0 };

		r = compile_authbind(p->authbind_dir, &k, &d);
		pg_diags_clear(&d);
	}
	if (r == 0)
		r = k.hash == c->policy_hash;
	pg_kpolicy_clear(&k);
	pg_kgroups_clear(&g);
	return r;
}

/* --- status: the live listeners ---------------------------------------------------- */

struct listener {
	struct pg_bind bind;
	uid_t uid;
};

struct listeners {
	struct listener *v;
	size_t n;
	bool udp_unavailable;
	unsigned unpriv_start; /* of the audited namespace */
	uint64_t cookie;
};

#define TCP_STATE_ESTABLISHED 1
#define TCP_STATE_CLOSE	      7
#define TCP_STATE_LISTEN      10

static int
diag_add(struct listeners *ls, const struct inet_diag_msg *m, size_t len, int proto)
{
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	size_t alen = len - NLMSG_ALIGN(sizeof(*m));
	struct listener l = { .uid = m->idiag_uid };
	bool v6only = false;
	struct listener *v;

	if (m->id.idiag_sport == 0)
		return 0;
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
			v6only = *(const uint8_t *)RTA_DATA(a) != 0;
	l.bind.proto = proto;
	l.bind.family = m->idiag_family;
	l.bind.port = ntohs(m->id.idiag_sport);
	memcpy(l.bind.addr, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
	l.bind.dual_stack = m->idiag_family == AF_INET6 && !v6only;
	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	ls->v = v;
	ls->v[ls->n++] = l;
	return 0;
}

/* One sock_diag dump: sockets of a family and protocol in the given states. */
static int
diag_dump(struct listeners *ls, int family, int proto, uint32_t states)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		.req = { .sdiag_family = (uint8_t)family,
			 .sdiag_protocol = proto == PG_PROTO_TCP ? IPPROTO_TCP : IPPROTO_UDP,
			 .idiag_states = states },
	};
	_Alignas(struct nlmsghdr) char buf[32768];

	if (fd < 0)
		return -errno;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		left = (size_t)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			int r;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error < 0 ? e->error : -EPROTO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			r = diag_add(ls, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN, proto);
			if (r < 0)
				return r;
		}
	}
}

/* Runs inside the audited network namespace. */
static int
collect_listeners(void *p)
{
	struct listeners *ls = p;
	static const int families[2] = { AF_INET, AF_INET6 };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(ls->cookie);
	int r;

	if (fd >= 0)
		(void)getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &ls->cookie, &len);
	ls->unpriv_start = pg_unprivileged_port_start();
	for (int i = 0; i < 2; i++) {
		r = diag_dump(ls, families[i], PG_PROTO_TCP, 1u << TCP_STATE_LISTEN);
		if (r < 0)
			return r;
		r = diag_dump(ls, families[i], PG_PROTO_UDP,
			      (1u << TCP_STATE_CLOSE) | (1u << TCP_STATE_ESTABLISHED));
		if (r == -ENOENT || r == -EOPNOTSUPP) /* no udp_diag module */
			ls->udp_unavailable = true;
		else if (r < 0)
			return r;
	}
	return 0;
}

static bool
is_exempt(const struct pg_k_config *c, uid_t uid)
{
	for (uint32_t i = 0; i < c->nexempt && i < PG_K_MAX_EXEMPT; i++)
		if (c->exempt[i] == uid)
			return true;
	return false;
}

/* Judge every listener on a managed port; returns the number of violations. */
static size_t
audit(const struct listeners *ls, const struct pg_bpf_status *st, const struct pg_policy *p)
{
	struct pg_klookup l;
	size_t managed = 0, violations = 0;

	pg_bpf_status_lookup(st, &l);
	for (size_t i = 0; i < ls->n; i++) {
		const struct listener *x = &ls->v[i];
		struct pg_k_managed_key mk = {
			.port = x->bind.port,
			.proto =
				x->bind.proto == PG_PROTO_UDP ? PG_K_IPPROTO_UDP : PG_K_IPPROTO_TCP,
		};
		char name[64], bs[PG_BIND_STRLEN], why[512] = "";
		enum pg_decision d;
		int verdict;

		if (l.managed(l.ctx, &mk) != 1)
			continue;
		managed++;
		verdict = pg_kjudge(&l, &st->cfg, x->uid, &x->bind, &d);
		if (p != NULL) {
			struct pg_cred cred;
			struct pg_verdict v;
			char uidtext[16];

			(void)snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)x->uid);
			if (pg_cred_for_user(uidtext, NULL, &cred, NULL) == 0) {
				pg_policy_eval(p, &cred, &x->bind, &v);
				(void)pg_verdict_explain(&v, why, sizeof(why));
			}
		}
		printf("  %s owner %s (uid %u): ", pg_bind_format(&x->bind, bs),
		       pg_user_name(x->uid, name, sizeof(name)), (unsigned)x->uid);
		if (verdict == PG_K_DENY) {
			violations++;
			printf("VIOLATION: the kernel refuses this bind to its owner now%s%s\n",
			       why[0] ? "; " : "", why);
		} else if (verdict < 0) {
			printf("not judged: %s\n", strerror(-verdict));
		} else if (x->uid == 0) {
			printf("ok (root is exempt)\n");
		} else if (is_exempt(&st->cfg, x->uid)) {
			printf("ok (the broker's user is exempt; the broker checked the policy)\n");
		} else {
			printf("ok%s%s\n", why[0] ? ", " : "", why);
		}
	}
	printf("audit: %zu sockets (TCP listening, UDP bound), %zu on managed ports, %zu "
	       "violation%s\n",
	       ls->n, managed, violations, violations == 1 ? "" : "s");
	if (ls->udp_unavailable)
		printf("audit: UDP sockets not listed (sock_diag has no udp_diag here)\n");
	return violations;
}

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

static int
kernel_status(void)
{
	struct pg_bpf_status st;
	struct listeners ls = { 0 };
	struct pg_policy *p = NULL;
	struct pg_diags diags = { 0 };
	const char *ns = arg.netns ? arg.netns : PG_BPF_HOST_NS;
	char root[4096], cgroup[4096], scope[64], when[64], name[64];
	const struct pg_k_config *c = &st.cfg;
	time_t t;
	size_t violations;
	int r;

	r = pg_bpf_status(arg.pin_dir, &st);
	if (r == -ENOENT) {
		printf("kernel policy: not loaded (nothing pinned in %s)\n", arg.pin_dir);
		return EXIT_DENIED;
	}
	if (r == -EPERM || r == -EACCES)
		die_errno(EXIT_TEMPFAIL, -r, "read '%s' (run as root)", arg.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the loaded policy in '%s'", arg.pin_dir);

	check_cgroup(&st);
	printf("kernel policy: loaded\n");
	print_link("bind4", &st.link[0]);
	print_link("bind6", &st.link[1]);
	if (st.generations_differ)
		printf("warning: bind4 and bind6 run different generations (a reload was cut "
		       "short)\n");
	{
		const struct pg_bpf_link *l = st.link[0].present ? &st.link[0] : &st.link[1];

		if (pg_cgroup2_root(root, sizeof(root)) < 0 ||
		    pg_cgroup_path(root, l->cgroup_id, cgroup, sizeof(cgroup)) < 0)
			(void)snprintf(cgroup, sizeof(cgroup), "(not found)");
		printf("cgroup: %s (id %llu)\n", cgroup, (unsigned long long)l->cgroup_id);
	}
	if (c->magic == 0) {
		printf("configuration: unreadable (loaded by another version of portgate?)\n");
	} else {
		t = (time_t)c->loaded_at;
		(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
		printf("scope: %s\n", scope_text(c, scope, sizeof(scope)));
		printf("policy: hash %016llx, %u rules, %u managed ports, %u entries, loaded %s\n",
		       (unsigned long long)c->policy_hash, c->nrules, c->nmanaged, c->nallowed,
		       when);
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
	{
		uint64_t n[PG_K_NCOUNTERS];

		if (pg_bpf_counters(&st, n) == 0)
			printf("counters: %llu denials, %llu grants, %llu records written, %llu "
			       "dropped by the rate limit, %llu dropped with the ring buffer "
			       "full\n",
			       (unsigned long long)n[PG_K_CNT_DENIALS],
			       (unsigned long long)n[PG_K_CNT_GRANTS],
			       (unsigned long long)n[PG_K_CNT_LOGGED],
			       (unsigned long long)n[PG_K_CNT_DROP_RATE],
			       (unsigned long long)n[PG_K_CNT_DROP_FULL]);
		else
			printf("counters: none (loaded by an older portgate: reload)\n");
	}
	printf("broker: %s (%s)\n",
	       cli_broker_probe(pg_broker_socket_path(), NULL, NULL) == 0 ? "running"
									  : "not running",
	       pg_broker_socket_path());

	/* Is what is loaded what the files say now? */
	r = pg_policy_load(cli.config_dir, cli.authbind_dir, &p, &diags);
	pg_diags_clear(&diags);
	if (r < 0) {
		printf("policy files: cannot be read or have errors (%s): not compared\n",
		       cli.config_dir);
		p = NULL;
	} else if (c->magic != 0) {
		int sync = cli_kernel_in_sync(p, c);

		if (sync < 0)
			printf("policy files: %s no longer compiles for the kernel\n",
			       cli.config_dir);
		else
			printf("policy files: %s %s\n",
			       sync ? "in sync with" : "CHANGED since the load in", cli.config_dir);
		if (sync == 0)
			printf("  run 'portgate kernel reload' to enforce the current files\n");
	}

	r = pg_netns_run(ns, collect_listeners, &ls);
	if (arg.netns == NULL && (r == -EACCES || r == -EPERM)) {
		ns = "/proc/self/ns/net"; /* a sandboxed root: see default_netns_info() */
		free(ls.v);
		ls = (struct listeners){ 0 };
		r = pg_netns_run(ns, collect_listeners, &ls);
	}
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "list the sockets in the network namespace '%s'", ns);
	printf("listeners in the network namespace of %s (cookie %llu)%s:\n", ns,
	       (unsigned long long)ls.cookie,
	       c->magic != 0 && !c->all_netns && c->netns_cookie != ls.cookie
		       ? ", which the loaded programs do not judge"
		       : "");
	if (c->magic != 0 && !c->all_netns && c->netns_cookie == ls.cookie &&
	    ls.unpriv_start != c->unpriv_port_start)
		printf("warning: ip_unprivileged_port_start is %u now, %u at load: reload\n",
		       ls.unpriv_start, c->unpriv_port_start);
	violations = audit(&ls, &st, p);
	free(ls.v);
	pg_policy_free(p);
	pg_bpf_status_clear(&st);
	return violations ? EXIT_DENIED : EXIT_OK;
}

int
cmd_kernel(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all-netns", no_argument, NULL, 'a' },
		{ "broker-user", required_argument, NULL, 'b' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "log-grants", no_argument, NULL, 'g' },
		{ "netns", required_argument, NULL, 'n' },
		{ "no-log-grants", no_argument, NULL, 'G' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ 0 },
	};
	const char *verb;
	int c;

	arg.pin_dir = PG_BPF_PIN_DIR;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			arg.all_netns = true;
			break;
		case 'b':
			arg.broker_user = optarg;
			break;
		case 'c':
			arg.cgroup = optarg;
			break;
		case 'f':
			arg.follow = true;
			break;
		case 'g':
			arg.log_grants = 1;
			break;
		case 'j':
			arg.json = true;
			break;
		case 'G':
			arg.log_grants = 0;
			break;
		case 'h':
			print_usage_exit("kernel");
		case 'n':
			arg.netns = optarg;
			break;
		case 'p':
			arg.pin_dir = optarg;
			break;
		default:
			usage_die("kernel", "unknown option");
		}
	}
	if (optind >= argc)
		usage_die("kernel", "missing load, unload, reload, status, watch or log");
	if (optind + 1 < argc)
		usage_die("kernel", "unexpected argument '%s'", argv[optind + 1]);
	verb = argv[optind];
	if (arg.all_netns && arg.netns != NULL)
		usage_die("kernel", "--all-netns and --netns exclude each other");
	if (arg.follow && strcmp(verb, "log") != 0)
		usage_die("kernel", "--follow is for 'kernel log'");
	if (arg.json && strcmp(verb, "log") != 0)
		usage_die("kernel", "--json is for 'kernel log'");
	if (arg.log_grants >= 0 && strcmp(verb, "load") != 0 && strcmp(verb, "reload") != 0)
		usage_die("kernel", "--log-grants and --no-log-grants are for load and reload");
	if (arg.pin_dir[0] != '/')
		usage_die("kernel", "--pin-dir needs an absolute path");
	if (cli.verbose)
		pg_bpf_set_print(print_libbpf);

	if (strcmp(verb, "load") == 0)
		return kernel_load();
	if (strcmp(verb, "reload") == 0)
		return kernel_reload();
	if (strcmp(verb, "unload") == 0)
		return kernel_unload();
	if (strcmp(verb, "status") == 0)
		return kernel_status();
	if (strcmp(verb, "watch") == 0)
		return kernel_watch(arg.pin_dir);
	if (strcmp(verb, "log") == 0)
		return kernel_log(arg.pin_dir, arg.follow, arg.json);
	usage_die("kernel", "unknown subcommand '%s' (load, unload, reload, status, watch or log)",
		  verb);
}
