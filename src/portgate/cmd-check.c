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
#include "json.h"
#include "kpolicy-authbind.h"
#include "osrule.h"

static const char *
decision_word(enum pg_decision d)
{
	return d == PG_ALLOW ? "allow" : d == PG_DENY ? "deny" : "unmanaged";
}

static const char *
reason_word(enum pg_reason r)
{
	switch (r) {
	case PG_REASON_PORT_ZERO:
		return "port-zero";
	case PG_REASON_ROOT:
		return "root";
	case PG_REASON_RULE:
		return "rule";
	case PG_REASON_AUTHBIND:
		return "authbind";
	case PG_REASON_NOT_OWNER:
		return "not-owner";
	case PG_REASON_NOT_NAMED:
	default:
		return "not-named";
	}
}

/* Print one verdict line; returns true if the bind would succeed. */
static bool
report(const struct pg_verdict *v, const struct pg_bind *b, const char *spec, const char *who,
       uid_t uid, const struct pg_os_rule *os)
{
	char why[512], note[512];

	(void)pg_verdict_explain(v, why, sizeof(why));
	printf("%s: %s for %s (uid %u): %s%s\n", decision_word(v->decision), spec, who,
	       (unsigned)uid, why,
	       pg_os_check_note(os, b, v->decision, v->reason, note, sizeof(note)));
	return uid == 0 || pg_os_check_ok(os, b, v->decision);
}

/* The same as one member of the "verdicts" array of --json (portgate(1), JSON OUTPUT). */
static bool
report_json(struct pg_json *j, const struct pg_verdict *v, const struct pg_bind *b,
	    const char *spec, uid_t uid, const struct pg_os_rule *os)
{
	char why[512], note[512], text[PG_BIND_STRLEN], rspec[PG_SPEC_STRLEN];
	bool ok = uid == 0 || pg_os_check_ok(os, b, v->decision);
	const char *n = pg_os_check_note(os, b, v->decision, v->reason, note, sizeof(note));

	pg_json_begin_object(j, NULL);
	pg_json_string(j, "spec", spec);
	pg_json_string(j, "bind", pg_bind_format(b, text));
	pg_json_string(j, "verdict", decision_word(v->decision));
	pg_json_string(j, "reason", reason_word(v->reason));
	pg_json_bool(j, "allowed", ok);
	pg_json_string(j, "explanation", pg_verdict_explain(v, why, sizeof(why)));
	/* The note without its " (" ... ")" wrapping. */
	if (n[0] != '\0') {
		size_t len = strlen(n);

		note[len - 1] = '\0';
		n += 2;
	}
	pg_json_string(j, "platform_note", n[0] != '\0' ? n : NULL);
	if (v->rule != NULL) {
		pg_json_begin_object(j, "rule");
		pg_json_string(j, "file", v->rule->file);
		pg_json_int(j, "line", v->rule->line);
		pg_json_int(j, "col", v->rule->col);
		pg_json_string(j, "principal", v->rule->principal);
		pg_json_string(j, "spec", pg_spec_format(&v->rule->spec, rspec));
		pg_json_end_object(j);
	} else {
		pg_json_null(j, "rule");
	}
	if (v->reason == PG_REASON_AUTHBIND) {
		pg_json_begin_object(j, "authbind");
		pg_json_string(j, "file", v->authbind.path);
		if (v->authbind.line > 0)
			pg_json_int(j, "line", v->authbind.line);
		else
			pg_json_null(j, "line");
		pg_json_end_object(j);
	} else {
		pg_json_null(j, "authbind");
	}
	pg_json_end_object(j);
	return ok;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ "platform", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ 0 },
	};
	const char *user = NULL;
	char name[64];
	struct pg_policy *p;
	struct pg_cred cred;
	struct pg_os_rule os;
	struct pg_json j;
	bool json = false;
	bool all_ok = true;
	int c, r;

	pg_os_rule_host(&os);
	while ((c = getopt_long(argc, argv, "+hu:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("check");
		case 'u':
			user = optarg;
			break;
		case 'P':
			cli_parse_platform("check", optarg, &os);
			break;
		case 'J':
			json = true;
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
	if (json) {
		pg_json_init(&j, stdout);
		pg_json_begin_object(&j, NULL);
		pg_json_string(&j, "user", name);
		pg_json_int(&j, "uid", cred.uid);
		pg_json_string(&j, "platform", os.os == PG_OS_MACOS ? "macos" : "linux");
		pg_json_int(&j, "unprivileged_port_start", os.unpriv_start);
		pg_json_begin_array(&j, "verdicts");
	}
	for (int i = optind; i < argc; i++) {
		struct pg_verdict v;
		bool ok;

		pg_policy_eval(p, &cred, &binds[i - optind], &v);
		if (json)
			ok = report_json(&j, &v, &binds[i - optind], argv[i], cred.uid, &os);
		else
			ok = report(&v, &binds[i - optind], argv[i], name, cred.uid, &os);
		all_ok = all_ok && ok;
	}
	if (json) {
		pg_json_end_array(&j);
		pg_json_bool(&j, "allowed", all_ok);
		pg_json_end_object(&j);
		if ((r = pg_json_finish(&j)) < 0)
			die_errno(EXIT_TEMPFAIL, -r, "write the JSON answer");
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
