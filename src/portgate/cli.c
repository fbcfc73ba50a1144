// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli.c - the helpers every portgate command shares (cli.h): messages and
 * die(), usage and --help from the command table, the policy loader that
 * prints its diagnostics, and the parsers of common arguments.  Commands
 * depend on these and on shared code only, never on each other.
 * Runs as the invoking user.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compat.h"
#include "osrule.h"

_printf_(1, 0) static void vmsg(const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "portgate: ");
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void
die_errno(int code, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	exit(code);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q = pg_reallocarray(p, n, size);

	if (q == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "allocate memory");
	return q;
}

char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "allocate memory");
	return d;
}

static int
command_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct command *)elem)->name);
}

const struct command *
cli_find_command(const char *name)
{
	return bsearch(name, commands, ncommands, sizeof(commands[0]), command_cmp);
}

void
usage_die(const char *cmd, const char *fmt, ...)
{
	const struct command *c = cmd ? cli_find_command(cmd) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	if (c != NULL)
		fprintf(stderr, "usage: portgate %s (see 'portgate %s --help')\n", c->usage,
			c->name);
	else
		fprintf(stderr,
			"usage: portgate [--config DIR] COMMAND [ARGS...] (see 'portgate help')\n");
	exit(EXIT_USAGE);
}

void
cli_print_overview(FILE *f)
{
	fprintf(f, "usage: portgate [--config DIR] [-v] COMMAND [ARGS...]\n"
		   "       portgate --version\n\n"
		   "Who may bind which port, on which address, with which protocol.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ncommands; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\nGlobal options:\n"
		"  --config DIR  policy directory (default $PORTGATE_CONFIG_DIR or %s)\n"
		"  -v            more detail\n"
		"  -h, --help    this text; 'portgate COMMAND --help' for one command\n\n"
		"Exit status: 0 ok/allowed, 1 denied or invalid configuration, 100 usage error,\n"
		"111 system error, 126 PROG not executable, 127 PROG not found.\n"
		"See portgate(1) and portgate.conf(5).\n",
		PG_CONFIG_DIR);
}

void
print_usage_exit(const char *cmd)
{
	const struct command *c = cli_find_command(cmd);

	if (c == NULL) {
		cli_print_overview(stdout);
		exit(EXIT_OK);
	}
	printf("usage: portgate %s\n\n%s.\nSee portgate(1) for the details.\n", c->usage,
	       c->summary);
	exit(EXIT_OK);
}

void
cli_check_help(const char *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			print_usage_exit(cmd);
	}
}

void
cli_print_diags(const struct pg_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct pg_diag *x = &d->v[i];

		if (x->line == 0)
			fprintf(stderr, "%s: %s\n", x->file, x->msg);
		else
			fprintf(stderr, "%s:%u:%u: %s\n", x->file, x->line, x->col, x->msg);
	}
}

struct pg_policy *
cli_load_policy(void)
{
	struct pg_diags d = { 0 };
	struct pg_policy *p = NULL;
	int r;

	r = pg_policy_load(cli.config_dir, cli.authbind_dir, &p, &d);
	cli_print_diags(&d);
	pg_diags_clear(&d);
	if (r < 0 && r != -EINVAL)
		die_errno(EXIT_TEMPFAIL, -r,
			  "cannot read the policy in '%s' (run as root, or ask "
			  "an administrator)",
			  cli.config_dir);
	if (r < 0)
		die(EXIT_DENIED,
		    "the policy in '%s' has errors (nothing was applied); fix them and "
		    "run 'portgate verify'",
		    cli.config_dir);
	return p;
}

void
cli_parse_spec(const char *cmd, const char *text, unsigned flags, struct pg_spec *ret)
{
	struct pg_parse_error err;

	if (pg_spec_parse(text, strlen(text), flags | PG_SPEC_SHORTHAND, ret, &err) < 0)
		usage_die(cmd, "bad listen spec '%s': %s", text, err.msg);
}

void
cli_parse_platform(const char *cmd, const char *text, struct pg_os_rule *ret)
{
	if (pg_os_rule_named(text, ret) < 0)
		usage_die(cmd, "unknown --platform '%s': give linux or macos", text);
}
