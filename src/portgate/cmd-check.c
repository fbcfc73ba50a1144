// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-check.c - "portgate check": explain the verdict for a user and listen
 * specs; "portgate verify": validate a configuration like "nginx -t".
 * Runs as the invoking user; reads the policy, changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kpolicy-authbind.h"
#include "sysinfo.h"

/* Print one verdict line; returns true if the bind would succeed. */
static bool
report(const struct pg_verdict *v, const char *spec, const char *who, uid_t uid,
       unsigned unpriv_start)
{
	char why[512];
	const char *word;
	bool ok;

	(void)pg_verdict_explain(v, why, sizeof(why));
	switch (v->decision) {
	case PG_ALLOW:
		word = "allow";
		ok = true;
		break;
	case PG_DENY:
		word = "deny";
		ok = false;
		break;
	case PG_UNMANAGED:
	default:
		word = "unmanaged";
		ok = v->judged.port == 0 || v->judged.port >= unpriv_start || uid == 0;
		break;
	}
	printf("%s: %s for %s (uid %u): %s", word, spec, who, (unsigned)uid, why);
	if (v->decision == PG_UNMANAGED && v->reason == PG_REASON_NOT_NAMED)
		printf(ok ? " (allowed: ports from %u need no privilege)"
			  : " (refused: ports below %u need root or CAP_NET_BIND_SERVICE)",
		       unpriv_start);
	printf("\n");
	return ok;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ 0 },
	};
	const char *user = NULL;
	char name[64];
	struct pg_policy *p;
	struct pg_cred cred;
	unsigned unpriv_start;
	bool all_ok = true;
	int c, r;

	while ((c = getopt_long(argc, argv, "+hu:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("check");
		case 'u':
			user = optarg;
			break;
		default:
			usage_die("check", "unknown option");
		}
	}
	if (optind == argc)
		usage_die("check", "missing SPEC (e.g. tcp://127.0.0.1:80 or :80)");

	if (user != NULL) {
		r = pg_cred_for_user(user, NULL, &cred, NULL);
		if (r == -ESRCH)
			die(EXIT_DENIED, "unknown user '%s'", user);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "look up user '%s'", user);
	} else {
		r = pg_cred_self(&cred);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "read my own credentials");
	}
	(void)pg_user_name(cred.uid, name, sizeof(name));

	/* Parse every spec before judging any, so a typo fails the whole call. */
	struct pg_bind *binds = calloc((size_t)(argc - optind), sizeof(*binds));
	if (binds == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "check");
	for (int i = optind; i < argc; i++) {
		struct pg_spec spec;

		cli_parse_spec("check", argv[i], PG_SPEC_SINGLE_PORT | PG_SPEC_PORT_ZERO, &spec);
		if (pg_spec_to_bind(&spec, &binds[i - optind]) < 0)
			usage_die("check", "'%s' is not one bindable address", argv[i]);
	}

	p = cli_load_policy();
	unpriv_start = pg_unprivileged_port_start();
	for (int i = optind; i < argc; i++) {
		struct pg_verdict v;

		pg_policy_eval(p, &cred, &binds[i - optind], &v);
		if (!report(&v, argv[i], name, cred.uid, unpriv_start))
			all_ok = false;
	}
	free(binds);
	pg_policy_free(p);
	return all_ok ? EXIT_OK : EXIT_DENIED;
}

int
cmd_verify(int argc, char **argv)
{
	struct pg_diags d = { 0 };
	struct pg_policy *p = NULL;
	const char *dir;
	struct stat st;
	int r;

	cli_check_help("verify", argc, argv);
	if (argc > 2)
		usage_die("verify", "too many arguments: give one configuration directory");
	dir = argc == 2 ? argv[1] : cli.config_dir;
	if (stat(dir, &st) < 0)
		die_errno(EXIT_DENIED, errno, "cannot read configuration directory '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		die(EXIT_DENIED, "'%s' is not a directory (give the directory that holds %s)", dir,
		    PG_CONFIG_FILE);

	r = pg_policy_load(dir, cli.authbind_dir, &p, &d);
	if (r == 0 && p->authbind_dir != NULL) {
		r = pg_authbind_check_tree(p->authbind_dir, &d);
		if (r < 0)
			pg_policy_free(p);
	}
	cli_print_diags(&d);
	if (r < 0) {
		fprintf(stderr, "portgate: %s: %zu error%s, configuration not valid\n", dir, d.n,
			d.n == 1 ? "" : "s");
		pg_diags_clear(&d);
		return r == -ENOMEM ? EXIT_TEMPFAIL : EXIT_DENIED;
	}
	printf("%s: configuration OK: %zu rule%s from %zu file%s", dir, p->nrules,
	       p->nrules == 1 ? "" : "s", p->nfiles, p->nfiles == 1 ? "" : "s");
	if (p->authbind_dir != NULL)
		printf("; authbind tree %s also grants ports below 1024", p->authbind_dir);
	printf("\n");
	pg_diags_clear(&d);
	pg_policy_free(p);
	return EXIT_OK;
}
