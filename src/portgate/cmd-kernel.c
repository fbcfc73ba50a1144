// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel.c - "portgate kernel load|unload|reload|status|watch|log": the
 * options, and loading, swapping and removing the policy in the kernel's
 * cgroup bind hooks (src/bpf/); status and its audit of the live listeners are
 * in cmd-kernel-status.c, the watcher in cmd-kernel-watch.c, the log reader in
 * cmd-kernel-log.c.
 * Runs as root: loads BPF programs, mounts bpffs, enters network namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../bpf/bpf-loader.h"
#include "cli-probe.h"
#include "cli.h"
#include "cmd-kernel.h"
#include "kpolicy.h"

#define BROKER_USER_DEFAULT "portgate"
#define FALLBACK	    "use the broker instead (portgated, with 'portgate exec' or 'portgate run')"

struct kernel_args kargs = { .log_grants = -1 };

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

	if (kargs.cgroup != NULL) {
		if (snprintf(path, size, "%s", kargs.cgroup) >= (int)size)
			die(EXIT_USAGE, "cgroup path '%s' is too long", kargs.cgroup);
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
	const char *user = kargs.broker_user ? kargs.broker_user : BROKER_USER_DEFAULT;
	uid_t uid;
	int r;

	if (user[0] == '\0')
		return 0;
	r = pg_lookup_uid(user, &uid);
	if (r < 0 && kargs.broker_user != NULL)
		die(EXIT_USAGE, "unknown broker user '%s'", kargs.broker_user);
	if (r < 0 || uid == 0) /* no broker user here; root is exempt anyway */
		return 0;
	uids[0] = uid;
	return 1;
}

/* With --cgroup on reload, unload or status: the policy must be attached there. */
void
kernel_check_cgroup(const struct pg_bpf_status *st)
{
	const struct pg_bpf_link *l = st->link[0].present ? &st->link[0] : &st->link[1];
	struct stat sb;

	if (kargs.cgroup == NULL)
		return;
	if (stat(kargs.cgroup, &sb) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "cgroup '%s'", kargs.cgroup);
	if ((uint64_t)sb.st_ino != l->cgroup_id)
		die(EXIT_TEMPFAIL,
		    "the policy pinned in '%s' is attached to cgroup id %llu, not '%s'",
		    kargs.pin_dir, (unsigned long long)l->cgroup_id, kargs.cgroup);
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

		r = cli_kernel_compile_authbind(p->authbind_dir, k, &d);
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
	const char *ns = kargs.netns;
	int r;

	prm->all_netns = kargs.all_netns;
	if (kargs.all_netns) {
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

const char *
kernel_scope_text(const struct pg_k_config *c, char *buf, size_t size)
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
	       kernel_scope_text(&c, scope, sizeof(scope)), prm->log_grants ? " and grants" : "");
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
	prm.log_grants = kargs.log_grants == 1;
	cg = open_cgroup(cgroup, sizeof(cgroup));
	r = pg_bpf_pin_dir_prepare(kargs.pin_dir);
	if (r == -ENOTDIR)
		die(EXIT_TEMPFAIL, "'%s' is not on a bpf filesystem", kargs.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "prepare the pin directory '%s'", kargs.pin_dir);
	r = pg_bpf_load(&k, &prm, cg, kargs.pin_dir);
	if (r == -EEXIST)
		die(EXIT_TEMPFAIL,
		    "a policy is already loaded in '%s'; use 'portgate kernel reload' to replace "
		    "it",
		    kargs.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r,
			  "load the bind programs into the kernel (nothing was "
			  "attached)");
	printf("loaded at %s, pinned in %s\n", cgroup, kargs.pin_dir);
	print_generation("policy", &k, &prm);
	pg_kpolicy_clear(&k);
	return EXIT_OK;
}

/* The policy loaded in --pin-dir (and attached to --cgroup, if given), or die. */
void
kernel_require_loaded(struct pg_bpf_status *st)
{
	int r = pg_bpf_status(kargs.pin_dir, st);

	if (r == -ENOENT)
		die(EXIT_TEMPFAIL, "no policy is loaded in '%s'; use 'portgate kernel load'",
		    kargs.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the loaded policy in '%s'", kargs.pin_dir);
	kernel_check_cgroup(st);
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
	if (!kargs.all_netns && kargs.netns == NULL && st.cfg.magic != 0)
		keep_scope(&st.cfg, &prm);
	else
		scope_params(&prm);
	/* No --broker-user: the exemption given at load stays, as the scope does. */
	if (kargs.broker_user == NULL && st.cfg.magic != 0) {
		prm.nexempt = st.cfg.nexempt < PG_K_MAX_EXEMPT ? st.cfg.nexempt : PG_K_MAX_EXEMPT;
		memcpy(exempt, st.cfg.exempt, prm.nexempt * sizeof(exempt[0]));
	} else {
		prm.nexempt = exempt_uids(exempt);
	}
	/* No --log-grants or --no-log-grants: as load was given, too. */
	prm.log_grants = kargs.log_grants >= 0 ? kargs.log_grants == 1 : st.cfg.log_grants != 0;
	pg_bpf_status_clear(&st);
	prm.exempt = exempt;
	r = pg_bpf_reload(&k, &prm, kargs.pin_dir);
	if (r == -ESTALE)
		die(EXIT_TEMPFAIL,
		    "only one of the two links is pinned in '%s'; run 'portgate "
		    "kernel unload', then 'load'",
		    kargs.pin_dir);
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

	if (kargs.cgroup != NULL && pg_bpf_status(kargs.pin_dir, &st) == 0) {
		kernel_check_cgroup(&st);
		pg_bpf_status_clear(&st);
	}
	r = pg_bpf_unload(kargs.pin_dir);

	if (r == -ENOENT) {
		printf("nothing is loaded in %s\n", kargs.pin_dir);
		return EXIT_OK;
	}
	if (r == -EPERM || r == -EACCES)
		die_errno(EXIT_TEMPFAIL, -r, "unload from '%s' (run as root)", kargs.pin_dir);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "unload from '%s'", kargs.pin_dir);
	printf("unloaded: the kernel's default applies again\n");
	return EXIT_OK;
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

	kargs.pin_dir = PG_BPF_PIN_DIR;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			kargs.all_netns = true;
			break;
		case 'b':
			kargs.broker_user = optarg;
			break;
		case 'c':
			kargs.cgroup = optarg;
			break;
		case 'f':
			kargs.follow = true;
			break;
		case 'g':
			kargs.log_grants = 1;
			break;
		case 'j':
			kargs.json = true;
			break;
		case 'G':
			kargs.log_grants = 0;
			break;
		case 'h':
			print_usage_exit("kernel");
		case 'n':
			kargs.netns = optarg;
			break;
		case 'p':
			kargs.pin_dir = optarg;
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
	if (kargs.all_netns && kargs.netns != NULL)
		usage_die("kernel", "--all-netns and --netns exclude each other");
	if (kargs.follow && strcmp(verb, "log") != 0)
		usage_die("kernel", "--follow is for 'kernel log'");
	if (kargs.json && strcmp(verb, "log") != 0 && strcmp(verb, "status") != 0)
		usage_die("kernel", "--json is for 'kernel log' and 'kernel status'");
	if (kargs.log_grants >= 0 && strcmp(verb, "load") != 0 && strcmp(verb, "reload") != 0)
		usage_die("kernel", "--log-grants and --no-log-grants are for load and reload");
	if (kargs.pin_dir[0] != '/')
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
		return kernel_watch(kargs.pin_dir);
	if (strcmp(verb, "log") == 0)
		return kernel_log(kargs.pin_dir, kargs.follow, kargs.json);
	usage_die("kernel", "unknown subcommand '%s' (load, unload, reload, status, watch or log)",
		  verb);
}
