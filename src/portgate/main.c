// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - "portgate [--config DIR] COMMAND [ARGS...]": global options, the
 * command table and dispatch; the helpers the commands share are in cli.c.
 * Runs as the invoking user.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_options cli;

/* Sorted by name: lookup uses bsearch() and t0100-cli.sh checks the order. */
const struct command commands[] = {
	{ "allow", cmd_allow, "allow PRINCIPAL SPEC...",
	  "grant a user or @group ports in the policy" },
	{ "check", cmd_check, "check [--user USER] [--platform linux|macos] [--json] SPEC...",
	  "explain the verdict for a user and a listen spec" },
	{ "deny", cmd_deny, "deny PRINCIPAL SPEC...", "remove a grant from the policy" },
	{ "exec", cmd_exec, "exec [-u USER] [--depth N | --deep] -- PROG [ARGS...]",
	  "run PROG with a bind() that asks portgated when the kernel refuses" },
	{ "help", cmd_help, "help [COMMAND]", "show the commands, or one command's usage" },
	{ "kernel", cmd_kernel,
	  "kernel load|unload|reload|status|watch|log [--cgroup PATH] [--pin-dir DIR] "
	  "[--all-netns | --netns PATH] [--broker-user USER] [--log-grants | --no-log-grants] "
	  "[--follow] [--json]",
	  "load, swap, remove, show, keep in sync or log the policy in the kernel's bind hooks" },
	{ "list", cmd_list, "list [--platform linux|macos] [--json]",
	  "show the managed ports and their owners" },
	{ "proxy", cmd_proxy,
	  "proxy [-l SPEC... | --launchd NAME... | --inherit [--fdname NAME]] "
	  "[--to unix:PATH|tcp:HOST:PORT|"
	  "udp:HOST:PORT|unix-dgram:PATH] [--proxy-protocol v1|v2] [--max-connections N] "
	  "[--idle-timeout S] [--connect-timeout S] [--drain-timeout S] [--udp-idle-timeout S] "
	  "[--workers N] [--copy] [-u USER] [--login-shell] [--keep [--restart "
	  "no|on-failure|always] "
	  "[--restart-delay S] [--stop-signal SIG] [--stop-timeout S] [--ready notify|S] "
	  "[--ready-timeout S]] [-- PROG [ARGS...]]",
	  "forward connections from privileged sockets to a local backend" },
	{ "run", cmd_run,
	  "run [-u USER[:GROUP]] [--no-new-privs] [-E VAR[=VAL]] [--launchd NAME]... "
	  "-l SPEC... [--fdname NAME]... [--adopt] [--keep [--restart no|on-failure|always] "
	  "[--restart-delay S] [--stop-signal SIG] [--stop-timeout S] [--ready notify|adopt|S] "
	  "[--ready-timeout S]] -- PROG [ARGS...]",
	  "bind sockets, then exec PROG with them (LISTEN_FDS)" },
	{ "status", cmd_status, "status [--pin-dir DIR] [--json]",
	  "say whether the policy is valid and what enforces it now" },
	{ "unit", cmd_unit, "unit launchd|systemd ...",
	  "print a launchd plist or systemd units for a server" },
	{ "verify", cmd_verify, "verify [DIR]",
	  "validate a configuration; errors as file:line:col" },
};
const size_t ncommands = nitems(commands);

int
cmd_help(int argc, char **argv)
{
	cli_check_help("help", argc, argv);
	if (argc > 2)
		usage_die("help", "too many arguments");
	if (argc == 2 && cli_find_command(argv[1]) == NULL)
		usage_die("help", "unknown command '%s'", argv[1]);
	if (argc == 2)
		print_usage_exit(argv[1]);
	cli_print_overview(stdout);
	return EXIT_OK;
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
			cli_print_overview(stdout);
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
	cmd = cli_find_command(argv[0]);
	if (cmd == NULL)
		usage_die(NULL, "unknown command '%s'", argv[0]);
	optind = 0; /* let the command run getopt from the start again */
	return cmd->run(argc, argv);
}
