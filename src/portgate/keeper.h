/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keeper.h - `portgate run --keep` and `portgate proxy --keep`: stay the
 * parent of PROG for the life of the service, hold the listening sockets (for
 * the proxy: none, it holds them), start PROG again when it ends
 * (--restart), replace it gracefully on SIGHUP (--ready), stop it on
 * SIGTERM/SIGINT.  CLI code: logs one line per event to stderr, dies on usage
 * errors.  Runs as the user of -u once the sockets are bound.
 */
#ifndef PG_KEEPER_H
#define PG_KEEPER_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum keeper_restart { KEEP_RESTART_NO, KEEP_RESTART_ON_FAILURE, KEEP_RESTART_ALWAYS };

/*
 * When a new PROG started by SIGHUP is ready: after ready_after_us alive,
 * on READY=1 (sd_notify), or once it adopted and listens on every held
 * socket (--adopt; the shim tells the keeper, adopt.h).
 */
enum keeper_ready { KEEP_READY_SECONDS, KEEP_READY_NOTIFY, KEEP_READY_ADOPT };

struct keeper_options {
	const char *cmd; /* "run" or "proxy", for usage errors */
	bool keep;
	const char *first; /* the first keeper option given, for "needs --keep" */
	enum keeper_restart restart;
	uint64_t restart_delay_us; /* the first back-off; doubles to KEEP_DELAY_CAP */
	int stop_signal;
	uint64_t stop_timeout_us;
	enum keeper_ready ready;   /* --ready */
	bool ready_given;	   /* --ready came: --adopt does not change it */
	uint64_t ready_after_us;   /* --ready=SECONDS */
	uint64_t ready_timeout_us; /* --ready-timeout, for notify and adopt */
};

/* The long options of the keeper, for the getopt_long() tables of `run` and `proxy`. */
enum {
	KEEP_OPT_KEEP = 0x4b00,
	KEEP_OPT_RESTART,
	KEEP_OPT_RESTART_DELAY,
	KEEP_OPT_STOP_SIGNAL,
	KEEP_OPT_STOP_TIMEOUT,
	KEEP_OPT_READY,
	KEEP_OPT_READY_TIMEOUT,
};
#define KEEPER_LONG_OPTIONS                                                                        \
	{ "keep", no_argument, NULL, KEEP_OPT_KEEP },                                              \
		{ "restart", required_argument, NULL, KEEP_OPT_RESTART },                          \
		{ "restart-delay", required_argument, NULL, KEEP_OPT_RESTART_DELAY },              \
		{ "stop-signal", required_argument, NULL, KEEP_OPT_STOP_SIGNAL },                  \
		{ "stop-timeout", required_argument, NULL, KEEP_OPT_STOP_TIMEOUT },                \
		{ "ready", required_argument, NULL, KEEP_OPT_READY },                              \
	{                                                                                          \
		"ready-timeout", required_argument, NULL, KEEP_OPT_READY_TIMEOUT                   \
	}

/* "no", "on-failure", "always", by enum keeper_restart. */
extern const char *const keeper_restart_names[];

/* "SIGTERM" for SIGTERM, "signal N" for a signal without a name here. */
const char *keeper_signame(int sig, char buf[static 16]);

/* The defaults: on-failure, 0.1 s, SIGTERM, 10 s, ready after 1 s (adopt with --adopt), 30 s. */
void keeper_options_init(struct keeper_options *o, const char *cmd);

/*
 * Take getopt_long()'s c and optarg if c is a keeper option: true, or a
 * usage error of o->cmd for a bad value.  false for any other option.
 */
bool keeper_parse_option(struct keeper_options *o, int c, const char *arg);

/*
 * After the options: a usage error if a keeper option came without --keep,
 * or --ready=adopt without --adopt; with --adopt and no --ready, ready is adopt.
 */
void keeper_check_options(struct keeper_options *o, bool adopt);

/*
 * Keep the nfds sockets at fds 3.. (placed there, without close-on-exec) and
 * run argv with them, envp (NULL-terminated; its LISTEN_PID, NOTIFY_SOCKET and
 * PORTGATE_ADOPT_NOTIFY are replaced per child) as its environment, until PROG ends for good or a
 * SIGTERM/SIGINT stops it.  Returns the exit status of `portgate run`.
 */
int keeper_run(const struct keeper_options *o, size_t nfds, char **argv, char **envp);

#endif
