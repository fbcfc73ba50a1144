// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-run.c - "portgate run [-u USER[:GROUP]] [-l SPEC... | --launchd NAME...] -- PROG
 * [ARGS...]": obtain listening sockets (inherited, from launchd, bound), put them at
 * fds 3.. with LISTEN_FDS (sd_listen_fds(3)), and become PROG.  Runs as the invoking user.  As root
 * with -u it judges every socket by the policy for USER before binding any, then drops to USER for
 * good.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat.h"
#include "broker.h"
#include "cli-bind.h"
#include "cli-preload.h"
#include "cli.h"
#include "keeper.h"
#include "launchd.h"
#include "listen-fds-send.h"
#include "portgate.h"
#include "privdrop.h"
#include "../preload/adopt.h"
#include "../preload/preload.h"
#include "sock.h"

extern char **environ;

/* PATH for a program run as another user: the caller's PATH is not USER's to trust. */
#define RUN_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The process becomes PROG or exits through die(), so what it still needs is
 * never freed; it stays reachable from these structures, which keeps leak
 * checkers quiet on the error paths.
 */
struct run_socket {
	const char *text; /* the -l argument, "inherited fd N (...)" or "launchd ..." */
	struct pg_spec spec;
	struct pg_bind bind;
	bool inherited; /* inherited or from launchd: nothing to bind */
	bool launchd;
	bool has_bind; /* false for an inherited socket that is not TCP/UDP over IP */
	const char *name;
	int fd;
};

struct run_options {
	const char *user; /* -u as given: "USER" or "USER:GROUP" */
	bool no_new_privs;
	const char **setenv; /* -E arguments */
	size_t nsetenv;
	const char **listen; /* -l arguments */
	size_t nlisten;
	const char **names; /* --fdname arguments, split at ':' */
	size_t nnames;
	const char **launchd; /* --launchd arguments */
	size_t nlaunchd;
	bool adopt;		      /* --adopt: PROG's own bind() takes the sockets */
	struct keeper_options keeper; /* --keep and its options */
	char **argv;		      /* PROG ARGS... */
};

struct env {
	char **v; /* NULL-terminated */
	size_t n;
	const char **owned; /* what env_set() allocated, replaced or not */
	size_t nowned;
};

static void
strv_push(const char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static size_t
env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool
is_listen_var(const char *entry)
{
	static const char *const vars[] = { "LISTEN_PID", "LISTEN_PIDFDID", "LISTEN_FDS",
					    "LISTEN_FDNAMES" };
	size_t len = env_name_len(entry);

	for (size_t i = 0; i < nitems(vars); i++)
		if (strlen(vars[i]) == len && strncmp(entry, vars[i], len) == 0)
			return true;
	return false;
}

/*
 * Set "NAME=VALUE", replacing an earlier NAME.  The string is not copied; it is
 * never written to either, but environ's type has no const.
 */
static void
env_put(struct env *e, const char *entry)
{
	size_t len = env_name_len(entry);
	char *ent = (char *)(uintptr_t)entry;

	for (size_t i = 0; i < e->n; i++) {
		if (env_name_len(e->v[i]) == len && strncmp(e->v[i], entry, len) == 0) {
			e->v[i] = ent;
			return;
		}
	}
	e->v = xreallocarray(e->v, e->n + 2, sizeof(*e->v));
	e->v[e->n++] = ent;
	e->v[e->n] = NULL;
}

static void
env_set(struct env *e, const char *name, const char *value)
{
	char *entry;

	if (asprintf(&entry, "%s=%s", name, value) < 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "run: allocate memory");
	strv_push(&e->owned, &e->nowned, entry);
	env_put(e, entry);
}

static void
parse_fdnames(struct run_options *o, const char *arg)
{
	char *copy = xstrdup(arg), *p = copy;

	for (;;) {
		char *colon = strchr(p, ':');

		if (colon != NULL)
			*colon = '\0';
		if (!pg_fdname_is_valid(p))
			usage_die(
				"run",
				"bad --fdname '%s': a name is printable ASCII without ':', at most "
				"%d characters",
				arg, PG_FDNAME_MAX);
		strv_push(&o->names, &o->nnames, p);
		if (colon == NULL)
			break;
		p = colon + 1;
	}
}

static void
check_setenv(const char *arg)
{
	size_t len = env_name_len(arg);

	if (len == 0)
		usage_die("run", "bad -E '%s': expected NAME or NAME=VALUE", arg);
	if (is_listen_var(arg))
		usage_die("run", "bad -E '%s': portgate run sets the LISTEN_* variables itself",
			  arg);
}

static void
parse_options(int argc, char **argv, struct run_options *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-new-privs", no_argument, NULL, 'N' },
		{ "setenv", required_argument, NULL, 'E' },
		{ "listen", required_argument, NULL, 'l' },
		{ "fdname", required_argument, NULL, 'F' },
		{ "launchd", required_argument, NULL, 'L' },
		{ "adopt", no_argument, NULL, 'A' },
		KEEPER_LONG_OPTIONS,
		{ 0 },
	};
	int c;

	opterr = 0;
	keeper_options_init(&o->keeper, "run");
	while ((c = getopt_long(argc, argv, "+:hu:E:l:", opts, NULL)) != -1) {
		if (keeper_parse_option(&o->keeper, c, optarg))
			continue;
		switch (c) {
		case 'h':
			print_usage_exit("run");
		case 'u':
			o->user = optarg;
			break;
		case 'N':
			o->no_new_privs = true;
			break;
		case 'A':
			o->adopt = true;
			break;
		case 'E':
			check_setenv(optarg);
			strv_push(&o->setenv, &o->nsetenv, optarg);
			break;
		case 'l':
			strv_push(&o->listen, &o->nlisten, optarg);
			break;
		case 'F':
			parse_fdnames(o, optarg);
			break;
		case 'L':
			if (!pg_fdname_is_valid(optarg))
				usage_die("run",
					  "bad --launchd '%s': a name is printable ASCII without "
					  "':', at most %d characters",
					  optarg, PG_FDNAME_MAX);
			strv_push(&o->launchd, &o->nlaunchd, optarg);
			break;
		case ':':
			usage_die("run", "option '%s' needs an argument", argv[optind - 1]);
		default:
			usage_die("run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	keeper_check_options(&o->keeper, o->adopt);
	if (optind >= argc)
		usage_die("run", "missing PROG: give it after '--'");
	o->argv = argv + optind;
	if (o->nnames > 0 && o->nnames != o->nlisten)
		usage_die("run", "--fdname gives %zu names for %zu sockets from -l", o->nnames,
			  o->nlisten);
}

/* Take over the sockets we were activated with: they go first, in order. */
static void
take_inherited(struct run_socket **socks, size_t *nsocks, bool *ret_named)
{
	const char *fds_env = getenv("LISTEN_FDS");
	_cleanup_free_ char *fds_s = fds_env ? xstrdup(fds_env) : NULL;
	bool named = getenv("LISTEN_FDNAMES") != NULL;
	_cleanup_free_ char **names = NULL; /* the strings move to the sockets */
	int n;

	n = portgate_listen_fds(1, &names);
	if (n < 0)
		die_errno(EXIT_TEMPFAIL, -n, "take over the sockets in LISTEN_FDS='%s'",
			  fds_s ? fds_s : "");
	*socks = xreallocarray(NULL, (size_t)n + 1, sizeof(**socks));
	for (int i = 0; i < n; i++) {
		struct run_socket *s = &(*socks)[i];

		if (!pg_fdname_is_valid(names[i]))
			die(EXIT_TEMPFAIL,
			    "pass on the inherited socket names: bad name '%s' in LISTEN_FDNAMES",
			    names[i]);
		*s = (struct run_socket){ .inherited = true,
					  .name = names[i],
					  .fd = PORTGATE_LISTEN_FDS_START + i };
	}
	*nsocks = (size_t)n;
	/* Names in a LISTEN_FDNAMES meant for another process are not ours to pass on. */
	*ret_named = named && n > 0;
}

/*
 * Take the sockets launchd bound under each --launchd NAME, after the inherited
 * ones, in order; each must be a listening TCP or a bound UDP socket.
 */
static void
take_launchd(const struct run_options *o, struct run_socket **socks, size_t *nsocks)
{
	for (size_t i = 0; i < o->nlaunchd; i++) {
		const char *name = o->launchd[i];
		char msg[PG_FDNAME_MAX + 128];
		int *fds = NULL, r;
		size_t n = 0;

		r = pg_launchd_sockets(name, &fds, &n);
		if (r < 0 && pg_launchd_strerror(r, name, msg, sizeof(msg)))
			die(EXIT_TEMPFAIL, "run: %s", msg);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "run: take the launchd sockets of '%s'", name);
		*socks = xreallocarray(*socks, *nsocks + n, sizeof(**socks));
		for (size_t k = 0; k < n; k++) {
			const char *problem = pg_launchd_fd_problem(fds[k]);

			if (problem != NULL)
				die(EXIT_TEMPFAIL, "run: launchd socket '%s' (%zu of %zu) %s", name,
				    k + 1, n, problem);
			(*socks)[(*nsocks)++] = (struct run_socket){
				.inherited = true, .launchd = true, .name = name, .fd = fds[k]
			};
		}
		free(fds);
	}
}

/* What an inherited socket is bound to, so that it can be judged like a -l socket. */
static void
describe_inherited(struct run_socket *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), olen;
	char buf[PG_BIND_STRLEN], *text;
	int proto = 0, v6only = 0;

	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == 0 &&
	    pg_sock_protocol(s->fd, &proto) == 0 &&
	    (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		olen = sizeof(v6only);
		if (ss.ss_family == AF_INET6)
			(void)getsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
		s->has_bind =
			pg_bind_from_sockaddr((struct sockaddr *)&ss, len,
					      proto == IPPROTO_TCP ? PG_PROTO_TCP : PG_PROTO_UDP,
					      v6only, &s->bind) == 0;
	}
	if (asprintf(&text, "%s fd %d (%s)", s->launchd ? "launchd" : "inherited", s->fd,
		     s->has_bind ? pg_bind_format(&s->bind, buf) : "not TCP/UDP") < 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "run: allocate memory");
	s->text = text;
}

/* As root for another user: refuse before anything is bound if the policy says no. */
static void
judge_all(const struct run_socket *socks, size_t n, const struct privdrop_target *t,
	  const char *who)
{
	struct pg_policy *policy = cli_load_policy();

	for (size_t i = 0; i < n; i++)
		if (socks[i].has_bind)
			cli_judge_bind(policy, t, &socks[i].bind, socks[i].text, who);
	pg_policy_free(policy);
}

static void
bind_all(struct run_socket *socks, size_t n, bool root)
{
	for (size_t i = 0; i < n; i++)
		if (!socks[i].inherited)
			socks[i].fd = cli_bind_listen(socks[i].text, &socks[i].spec, &socks[i].bind,
						      root);
}

/*
 * The environment PROG starts with: for -u only what a login of USER would
 * have, otherwise ours; then -E; the LISTEN_* variables are added at the end.
 */
static void
build_env(struct env *e, const struct run_options *o, const struct privdrop_target *t)
{
	if (o->user != NULL) {
		const char *term = getenv("TERM");

		env_set(e, "PATH", RUN_SAFE_PATH);
		if (t->name != NULL) {
			env_set(e, "HOME", t->home ? t->home : "/");
			env_set(e, "USER", t->name);
			env_set(e, "LOGNAME", t->name);
			env_set(e, "SHELL", t->shell ? t->shell : "/bin/sh");
		}
		if (term != NULL)
			env_set(e, "TERM", term);
	} else {
		for (char **p = environ; *p != NULL; p++)
			if (!is_listen_var(*p))
				env_put(e, *p);
	}
	for (size_t i = 0; i < o->nsetenv; i++) {
		const char *arg = o->setenv[i];

		if (strchr(arg, '=') != NULL)
			env_put(e, arg);
		else if (getenv(arg) != NULL)
			env_set(e, arg, getenv(arg));
	}
}

/*
 * --adopt: no LISTEN_* variables (PROG knows nothing of them); the shim is
 * preloaded and told which fds it may hand to PROG's own bind() (adopt.h).
 */
static void
adopt_env(struct env *e, const struct run_options *o, size_t nsocks)
{
	_cleanup_free_ char *shim = cli_find_shim(), *preload = NULL, *held = NULL;
	const char *old = o->user != NULL ? NULL : getenv(PG_PRELOAD_VAR);
	char *p;

	if (access(shim, R_OK) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "--adopt: the preload library '%s'", shim);
	preload = cli_preload_value(old, shim);
	env_set(e, PG_PRELOAD_VAR, preload);
	env_set(e, PG_PRELOAD_ENV, shim);
	env_set(e, PG_PRELOAD_LEVELS_ENV, PG_PRELOAD_DEEP);
	/* "3,4,...": the sockets sit at fds 3.. (pg_listen_fds_place()). */
	held = p = xreallocarray(NULL, nsocks, 8);
	for (size_t i = 0; i < nsocks; i++)
		p += sprintf(p, "%s%zu", i > 0 ? "," : "", 3 + i);
	env_set(e, PG_ADOPT_ENV, held);
}

int
cmd_run(int argc, char **argv)
{
	/*
	 * Static: the keeper (--keep) returns from here and exits; what PROG's
	 * environment and the sockets need stays reachable until then.
	 */
	static struct run_options o;
	static struct privdrop_target t;
	static struct run_socket *socks;
	static struct env env;
	size_t nsocks = 0, ntaken;
	const char *who;
	bool root, named;
	char *listen_env[3];
	const char **names;
	int *fds, r;

	/* A set-user-ID portgate would let anyone bind anything: refuse to be one. */
	if (getuid() != geteuid() || getgid() != getegid())
		die(EXIT_DENIED, "run: refusing to run set-user-ID or set-group-ID");
	root = geteuid() == 0;

	parse_options(argc, argv, &o);
	take_inherited(&socks, &nsocks, &named);
	if (nsocks + o.nlaunchd + o.nlisten == 0)
		usage_die("run", "no sockets to pass: give -l SPEC or --launchd NAME");

	if (o.user != NULL) {
		privdrop_resolve("run", o.user, &t);
		if (!root && (t.cred.uid != getuid() || t.cred.gid != getgid()))
			die(EXIT_DENIED,
			    "run as '%s': only root can run a program as another user or group",
			    o.user);
	}

	/* launchd's sockets are named after their key: LISTEN_FDNAMES tells them apart. */
	take_launchd(&o, &socks, &nsocks);
	named = named || o.nlaunchd > 0;
	ntaken = nsocks;
	socks = xreallocarray(socks, ntaken + o.nlisten, sizeof(*socks));
	for (size_t i = 0; i < ntaken; i++)
		describe_inherited(&socks[i]);
	for (size_t i = 0; i < o.nlisten; i++) {
		struct run_socket *s = &socks[nsocks++];

		*s = (struct run_socket){ .text = o.listen[i],
					  .has_bind = true,
					  .name = o.nnames ? o.names[i] : "unknown",
					  .fd = -1 };
		cli_parse_spec("run", s->text, PG_SPEC_SINGLE_PORT, &s->spec);
		if (pg_spec_to_bind(&s->spec, &s->bind) < 0)
			usage_die("run", "bad listen spec '%s': not a single address", s->text);
	}

	who = t.name ? t.name : o.user;
	if (root && o.user != NULL)
		judge_all(socks, nsocks, &t, who);
	bind_all(socks, nsocks, root);

	if (root && o.user != NULL)
		privdrop_become(&t, who);
	if (o.no_new_privs && pg_set_no_new_privs() < 0)
		die_errno(EXIT_TEMPFAIL, errno, "set no_new_privs");
	build_env(&env, &o, &t);

	/* Placed last, so the close-on-exec sweep also covers fds opened on the way here. */
	fds = xreallocarray(NULL, nsocks, sizeof(*fds));
	names = xreallocarray(NULL, nsocks, sizeof(*names));
	for (size_t i = 0; i < nsocks; i++) {
		fds[i] = socks[i].fd;
		names[i] = socks[i].name;
	}
	r = pg_listen_fds_place(fds, nsocks);
	free(fds);
	if (r < 0) {
		free(names);
		die_errno(EXIT_TEMPFAIL, -r, "move the sockets to fds 3-%zu", 2 + nsocks);
	}
	/* LISTEN_PID is our own pid: this process becomes PROG (with --keep each child writes its
	 * own). */
	r = pg_listen_env_format(getpid(), nsocks, named || o.nnames ? names : NULL, listen_env);
	free(names);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "set LISTEN_FDS for '%s'", o.argv[0]);
	if (o.adopt)
		adopt_env(&env, &o, nsocks);
	else
		for (size_t i = 0; i < 3 && listen_env[i] != NULL; i++)
			env_put(&env, listen_env[i]);

	/* --keep: stay, hold the sockets and run PROG in children (keeper.c). */
	if (o.keeper.keep)
		return keeper_run(&o.keeper, nsocks, o.argv, env.v);

	/* execvp() searches the PATH PROG will see, which for -u is the safe one. */
	environ = env.v;
	execvp(o.argv[0], o.argv);
	die_errno(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno,
		  "exec '%s'", o.argv[0]);
}
