// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-exec.c - "portgate exec [-u USER] [--depth N | --deep] -- PROG [ARGS...]":
 * become PROG with the bind() shim preloaded (portgate-preload(8)), so that a
 * bind the kernel refuses is asked of portgated.  Runs as the invoking user;
 * as root with -u it becomes USER for good first, as `portgate run -u` does.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "../preload/preload.h"
#include "broker.h"
#include "cli-preload.h"
#include "cli.h"
#include "privdrop.h"

/* PATH for a program run as another user: the caller's PATH is not USER's to trust. */
#define EXEC_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define EXEC_DEPTH_MAX 100 /* authbind's limit */

struct exec_options {
	const char *user; /* -u as given */
	bool quiet;
	int depth; /* generations of exec'd programs that get the shim; 0: all (deep) */
	bool depth_given, deep_given;
	char **argv; /* PROG ARGS... */
};

static void
parse_depth(const char *arg, struct exec_options *o)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || n < 1 || n > EXEC_DEPTH_MAX)
		usage_die("exec", "bad --depth '%s': expected a number of generations from 1 to %d",
			  arg, EXEC_DEPTH_MAX);
	o->depth = (int)n;
	o->depth_given = true;
}

static void
parse_options(int argc, char **argv, struct exec_options *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },  { "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' }, { "depth", required_argument, NULL, 'D' },
		{ "deep", no_argument, NULL, 'd' },  { 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hu:q", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("exec");
		case 'u':
			o->user = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'D':
			parse_depth(optarg, o);
			break;
		case 'd':
			o->deep_given = true;
			break;
		case ':':
			usage_die("exec", "option '%s' needs an argument", argv[optind - 1]);
		default:
			/* authbind ignores unknown options; here a typo must not run PROG. */
			if (optopt != 0 && optopt != '?')
				usage_die("exec", "unknown option '-%c'", optopt);
			usage_die("exec", "unknown option '%s'", argv[optind - 1]);
		}
	}
	/* authbind's spelling: a bare "-" ends the options too (after "--" it is PROG). */
	if (optind < argc && strcmp(argv[optind], "-") == 0 && strcmp(argv[optind - 1], "--") != 0)
		optind++;
	if (o->depth_given && o->deep_given)
		usage_die("exec", "--depth and --deep exclude each other");
	if (optind >= argc)
		usage_die("exec", "missing PROG: give it after '--'");
	o->argv = argv + optind;
}

static void
xsetenv(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "set %s", name);
}

/* For -u: what a login of USER would have, plus portgate's own variables. */
static void
login_env(const struct privdrop_target *t)
{
	static const char *const keep[] = { "TERM", PG_WIRE_SOCKET_ENV, PG_PRELOAD_DEBUG_ENV };
	char *saved[nitems(keep)];

	for (size_t i = 0; i < nitems(keep); i++) {
		const char *v = getenv(keep[i]);

		saved[i] = NULL;
		if (v != NULL && (saved[i] = strdup(v)) == NULL)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "allocate memory");
	}
	if (pg_clearenv() != 0)
		die(EXIT_TEMPFAIL, "clear the environment");
	xsetenv("PATH", EXEC_SAFE_PATH);
	if (t->name != NULL) {
		xsetenv("HOME", t->home ? t->home : "/");
		xsetenv("USER", t->name);
		xsetenv("LOGNAME", t->name);
		xsetenv("SHELL", t->shell ? t->shell : "/bin/sh");
	}
	for (size_t i = 0; i < nitems(keep); i++) {
		if (saved[i] != NULL)
			xsetenv(keep[i], saved[i]);
		free(saved[i]);
	}
}

/* Preload the shim for PROG: appended to LD_PRELOAD, with its depth. */
static void
preload_env(const char *shim, const struct exec_options *o)
{
	_cleanup_free_ char *v = cli_preload_value(getenv(PG_PRELOAD_VAR), shim);
	char levels[16];

	xsetenv(PG_PRELOAD_VAR, v);
	xsetenv(PG_PRELOAD_ENV, shim);
	if (o->depth == 0)
		xsetenv(PG_PRELOAD_LEVELS_ENV, PG_PRELOAD_DEEP);
	else {
		(void)snprintf(levels, sizeof(levels), "%d", o->depth);
		xsetenv(PG_PRELOAD_LEVELS_ENV, levels);
	}
}

int
cmd_exec(int argc, char **argv)
{
	struct exec_options o = { 0 };
	struct privdrop_target t = { 0 };
	static char *shim; /* reachable until exec, for leak checkers on die() */
	const char *sock, *who = NULL;
	bool root;
	struct stat st;

	/* A set-user-ID portgate would let anyone bind anything: refuse to be one. */
	if (getuid() != geteuid() || getgid() != getegid())
		die(EXIT_DENIED, "exec: refusing to run set-user-ID or set-group-ID");
	root = geteuid() == 0;

	parse_options(argc, argv, &o);
	if (o.user != NULL) {
		privdrop_resolve("exec", o.user, &t);
		if (!root && (t.cred.uid != getuid() || t.cred.gid != getgid()))
			die(EXIT_DENIED,
			    "exec as '%s': only root can run a program as another user or group",
			    o.user);
		who = t.name ? t.name : o.user;
	}
	shim = cli_find_shim();

	if (o.user != NULL) {
		privdrop_become(&t, who);
		login_env(&t);
	}
	if (access(shim, R_OK) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "the preload library '%s'%s%s%s", shim,
			  who ? " (as '" : "", who ? who : "", who ? "')" : "");
	/* Root binds what it likes: only a program running as someone else needs portgated. */
	sock = pg_broker_socket_path();
	if (!o.quiet && geteuid() != 0 && stat(sock, &st) < 0 && errno == ENOENT)
		warnx("portgated is not running (no %s): binds the kernel refuses will fail with "
		      "EACCES; start portgated",
		      sock);
	preload_env(shim, &o);

	execvp(o.argv[0], o.argv);
	die_errno(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno,
		  "exec '%s'", o.argv[0]);
}
