// SPDX-License-Identifier: BSD-2-Clause
/*
 * keeper-opts.c - the options of `portgate run --keep` (--restart,
 * --restart-delay, --stop-signal, --stop-timeout, --ready, --ready-timeout)
 * and the signal names the keeper reads and logs, for `run` and `proxy`.
 * CLI code: a bad value is a usage error of the command.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "keeper.h"

#define USEC		 1000000ULL
#define KEEP_SECONDS_MAX 86400.0

static const struct {
	const char *name;
	int sig;
} signals[] = { { "HUP", SIGHUP },   { "INT", SIGINT },	   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },  { "TERM", SIGTERM }, { "ALRM", SIGALRM },
		{ "CONT", SIGCONT }, { "WINCH", SIGWINCH } };

const char *const keeper_restart_names[] = { "no", "on-failure", "always" };

const char *
keeper_signame(int sig, char buf[static 16])
{
	for (size_t i = 0; i < nitems(signals); i++)
		if (signals[i].sig == sig) {
			(void)snprintf(buf, 16, "SIG%s", signals[i].name);
			return buf;
		}
	(void)snprintf(buf, 16, "signal %d", sig);
	return buf;
}

static uint64_t
parse_seconds(const char *cmd, const char *opt, const char *arg, double min)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(d) || d < min ||
	    d > KEEP_SECONDS_MAX)
		usage_die(cmd, "bad %s '%s': expected seconds, %g to %g", opt, arg, min,
			  KEEP_SECONDS_MAX);
	return (uint64_t)(d * (double)USEC + 0.5);
}

static int
parse_signal(const char *cmd, const char *arg)
{
	const char *name = strncasecmp(arg, "SIG", 3) == 0 ? arg + 3 : arg;
	char *end;
	long n;

	for (size_t i = 0; i < nitems(signals); i++)
		if (strcasecmp(name, signals[i].name) == 0)
			return signals[i].sig;
	n = strtol(arg, &end, 10);
	if (end != arg && *end == '\0' && n > 0 && n < NSIG)
		return (int)n;
	usage_die(cmd, "bad --stop-signal '%s': expected a name (TERM, QUIT, INT...) or a number",
		  arg);
}

void
keeper_options_init(struct keeper_options *o, const char *cmd)
{
	*o = (struct keeper_options){
		.cmd = cmd,
		.restart = KEEP_RESTART_ON_FAILURE,
		.restart_delay_us = USEC / 10,
		.stop_signal = SIGTERM,
		.stop_timeout_us = 10 * USEC,
		.ready_after_us = USEC,
		.ready_timeout_us = 30 * USEC,
	};
}

bool
keeper_parse_option(struct keeper_options *o, int c, const char *arg)
{
	static const char *const names[] = { "--keep",	       "--restart",	 "--restart-delay",
					     "--stop-signal",  "--stop-timeout", "--ready",
					     "--ready-timeout" };
	size_t i;

	if (c < KEEP_OPT_KEEP || c > KEEP_OPT_READY_TIMEOUT)
		return false;
	if (c != KEEP_OPT_KEEP && o->first == NULL)
		o->first = names[c - KEEP_OPT_KEEP];
	switch (c) {
	case KEEP_OPT_KEEP:
		o->keep = true;
		break;
	case KEEP_OPT_RESTART:
		for (i = 0; i < nitems(keeper_restart_names); i++)
			if (strcmp(arg, keeper_restart_names[i]) == 0)
				break;
		if (i == nitems(keeper_restart_names))
			usage_die(o->cmd, "bad --restart '%s': expected no, on-failure or always",
				  arg);
		o->restart = (enum keeper_restart)i;
		break;
	case KEEP_OPT_RESTART_DELAY:
		o->restart_delay_us = parse_seconds(o->cmd, "--restart-delay", arg, 0.001);
		break;
	case KEEP_OPT_STOP_SIGNAL:
		o->stop_signal = parse_signal(o->cmd, arg);
		break;
	case KEEP_OPT_STOP_TIMEOUT:
		o->stop_timeout_us = parse_seconds(o->cmd, "--stop-timeout", arg, 0);
		break;
	case KEEP_OPT_READY:
		o->ready_given = true;
		if (strcmp(arg, "notify") == 0) {
			o->ready = KEEP_READY_NOTIFY;
		} else if (strcmp(arg, "adopt") == 0) {
			o->ready = KEEP_READY_ADOPT;
		} else {
			o->ready = KEEP_READY_SECONDS;
			o->ready_after_us = parse_seconds(o->cmd, "--ready", arg, 0);
		}
		break;
	case KEEP_OPT_READY_TIMEOUT:
		o->ready_timeout_us = parse_seconds(o->cmd, "--ready-timeout", arg, 0.001);
		break;
	}
	return true;
}

void
keeper_check_options(struct keeper_options *o, bool adopt)
{
	if (!o->keep && o->first != NULL)
		usage_die(o->cmd, "%s needs --keep", o->first);
	if (o->ready == KEEP_READY_ADOPT && !adopt)
		usage_die(o->cmd, "--ready=adopt needs --adopt: only the shim can tell what PROG "
				  "adopted");
	if (adopt && !o->ready_given)
		o->ready = KEEP_READY_ADOPT;
}
