// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - "portgate [--config DIR] COMMAND [ARGS...]": global options, the
 * command table and dispatch.  Runs as the invoking user.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "osrule.h"

struct cli_options cli;

/* Sorted by name: lookup uses bsearch() and t0100-cli.sh checks the order. */
const struct command commands[] = {
	{ "allow", cmd_allow, "allow PRINCIPAL SPEC...",
	  "grant a user or @group ports in the policy" },
	{ "check", cmd_check, "check [--user USER] [--platform linux|macos] SPEC...",
	  "explain the verdict for a user and a listen spec" },
	{ "deny", cmd_deny, "deny PRINCIPAL SPEC...", "remove a grant from the policy" },
	{ "exec", cmd_exec, "exec [-u USER] [--depth N | --deep] -- PROG [ARGS...]",
	  "run PROG with a bind() that asks portgated when the kernel refuses" },
	{ "help", cmd_help, "help [COMMAND]", "show the commands, or one command's usage" },
	{ "kernel", cmd_kernel,
	  "kernel load|unload|reload|status|watch [--cgroup PATH] [--pin-dir DIR] "
	  "[--all-netns | --netns PATH] [--broker-user USER]",
	  "load, swap, remove, show or keep in sync the policy in the kernel's bind hooks" },
	{ "list", cmd_list, "list [--platform linux|macos]",
	  "show the managed ports and their owners" },
	{ "proxy", cmd_proxy,
	  "proxy [-l SPEC... | --launchd NAME... | --inherit [--fdname NAME]] "
	  "[--to unix:PATH|tcp:HOST:PORT|"
	  "udp:HOST:PORT|unix-dgram:PATH] [--proxy-protocol v1|v2] [--max-connections N] "
	  "[--idle-timeout S] [--connect-timeout S] [--drain-timeout S] [--udp-idle-timeout S] "
	  "[--workers N] [--copy] [-u USER] [--login-shell] [-- PROG [ARGS...]]",
	  "forward connections from privileged sockets to a local backend" },
	{ "run", cmd_run,
	  "run [-u USER[:GROUP]] [--no-new-privs] [-E VAR[=VAL]] [--launchd NAME]... "
	  "-l SPEC... [--fdname NAME]... [--keep [--restart no|on-failure|always] "
	  "[--restart-delay S] [--stop-signal SIG] [--stop-timeout S] [--ready notify|S] "
	  "[--ready-timeout S]] -- PROG [ARGS...]",
	  "bind sockets, then exec PROG with them (LISTEN_FDS)" },
	{ "status", cmd_status, "status [--pin-dir DIR]",
	  "say whether the policy is valid and what enforces it now" },
	{ "unit", cmd_unit, "unit launchd|systemd ...",
	  "print a launchd plist or systemd units for a server" },
	{ "verify", cmd_verify, "verify [DIR]",
	  "validate a configuration; errors as file:line:col" },
};
const size_t ncommands = nitems(commands);

static void
vmsg(const char *fmt, va_list ap, int err)
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

static int
command_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct command *)elem)->name);
}

static const struct command *
find_command(const char *name)
{
	return bsearch(name, commands, ncommands, sizeof(commands[0]), command_cmp);
}

void
usage_die(const char *cmd, const char *fmt, ...)
{
	const struct command *c = cmd ? find_command(cmd) : NULL;
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

static void
print_overview(FILE *f)
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
	const struct command *c = find_command(cmd);

	if (c == NULL) {
		print_overview(stdout);
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

int
cmd_help(int argc, char **argv)
{
	cli_check_help("help", argc, argv);
	if (argc > 2)
		usage_die("help", "too many arguments");
	if (argc == 2 && find_command(argv[1]) == NULL)
		usage_die("help", "unknown command '%s'", argv[1]);
	if (argc == 2)
		print_usage_exit(argv[1]);
	print_overview(stdout);
	return EXIT_OK;
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const struct command *cmd;
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	int c;

	cli.config_dir = pg_config_dir_default();
	cli.authbind_dir = pg_authbind_dir_default();
	/* Installed as launch_socket_server too: that tool's command line, no global options. */
	if (argc > 0 && strcmp(base ? base + 1 : argv[0], "launch_socket_server") == 0)
		return cmd_launch_socket_server(argc, argv);
	while ((c = getopt_long(argc, argv, "+c:hvV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.config_dir = optarg;
			break;
		case 'h':
			print_overview(stdout);
			return EXIT_OK;
		case 'v':
			cli.verbose++;
			break;
		case 'V':
			printf("portgate %s\n", PG_VERSION);
			return EXIT_OK;
		default:
			usage_die(NULL, "unknown global option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage_die(NULL, "missing command");
	cmd = find_command(argv[0]);
	if (cmd == NULL)
		usage_die(NULL, "unknown command '%s'", argv[0]);
	optind = 0; /* let the command run getopt from the start again */
	return cmd->run(argc, argv);
}
