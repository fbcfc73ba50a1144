/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli.h - what every portgate subcommand shares: the exit-code contract,
 * die(), global options and the policy loader with printed diagnostics.
 * Runs as the invoking user.
 *
 * To add a subcommand: write cmd-<verb>.c with cmd_<verb>(), declare it below,
 * add a row to commands[] in main.c (kept sorted; t0100-cli.sh checks it),
 * document it in man/portgate.1 and test it in tests/integration/.
 */
#ifndef PG_CLI_H
#define PG_CLI_H

#include <stdio.h>
#include <sys/types.h>

#include "macro.h"
#include "policy.h"

/* The exit-code contract, documented in portgate(1). */
enum {
	EXIT_OK = 0,
	EXIT_DENIED = 1,     /* denied by policy, or the configuration has errors */
	EXIT_USAGE = 100,    /* bad command line */
	EXIT_TEMPFAIL = 111, /* a system call or the environment failed */
	EXIT_NOEXEC = 126,   /* PROG could not be executed */
	EXIT_NOTFOUND = 127, /* PROG was not found */
};

struct cli_options {
	const char *config_dir;	  /* --config or $PORTGATE_CONFIG_DIR or /etc/portgate */
	const char *authbind_dir; /* $PORTGATE_AUTHBIND_DIR or /etc/authbind; NULL: off */
	int verbose;
};
extern struct cli_options cli;

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;   /* the synopsis after "portgate " */
	const char *summary; /* one line for "portgate help" */
};
extern const struct command commands[];
extern const size_t ncommands;

_noreturn_ void die(int code, const char *fmt, ...) _printf_(2, 3);
_noreturn_ void die_errno(int code, int err, const char *fmt, ...) _printf_(3, 4);
/* "portgate: MSG" plus the command's synopsis and a pointer to --help; exit 100. */
_noreturn_ void usage_die(const char *cmd, const char *fmt, ...) _printf_(2, 3);
void warnx(const char *fmt, ...) _printf_(1, 2);
/* reallocarray() and strdup() that die (EXIT_TEMPFAIL) when memory runs out. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/* The command named name in commands[], or NULL. */
const struct command *cli_find_command(const char *name);

/* "usage: portgate ...", the commands with their summaries, and the exit codes. */
void cli_print_overview(FILE *f);

/* Print a command's usage to stdout (for --help) and exit 0. */
_noreturn_ void print_usage_exit(const char *cmd);

/* Handle -h/--help in argv[1..]; call first in every command without getopt. */
void cli_check_help(const char *cmd, int argc, char **argv);

/* Print each diagnostic as "file:line:col: message" to stderr. */
void cli_print_diags(const struct pg_diags *d);

/* Load the policy from cli.config_dir; on errors print them and exit 1. */
struct pg_policy *cli_load_policy(void);

/* Parse a SPEC given on the command line (shorthand allowed); usage error quotes it. */
void cli_parse_spec(const char *cmd, const char *text, unsigned flags, struct pg_spec *ret);

/* --platform linux|macos: the system whose port rule check and list explain; usage error else. */
struct pg_os_rule;
void cli_parse_platform(const char *cmd, const char *text, struct pg_os_rule *ret);

int cmd_allow(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_deny(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
/* portgate invoked as launch_socket_server (argv[0]): the drop-in, in cmd-proxy.c. */
int cmd_launch_socket_server(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_unit(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
