// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - stderr (and optional syslog) logging for the portgate programs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *progname = "portgate";
static int verbosity = LOG_LEVEL_INFO;
static int to_syslog;

void
log_init(const char *name, int v, int use_syslog)
{
	progname = name;
	verbosity = v;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

const char *
log_progname(void)
{
	return progname;
}

void
log_vmsg(enum log_level level, int err, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	char msg[1024];
	int n;

	if ((int)level > verbosity)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= 0 && err != 0 && (size_t)n < sizeof(msg))
		(void)snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	(void)fprintf(stderr, "%s: %s\n", progname, msg);
	if (to_syslog)
		syslog(prio[level], "%s", msg);
	errno = saved;
}

#define LOG_FN(name, level, err_expr)                                                              \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int _err = (err_expr);                                                             \
		va_list ap;                                                                        \
                                                                                                   \
		va_start(ap, fmt);                                                                 \
		log_vmsg(level, _err, fmt, ap);                                                    \
		va_end(ap);                                                                        \
	}

LOG_FN(log_warn, LOG_LEVEL_WARN, errno)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
log_warnc(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARN, err, fmt, ap);
	va_end(ap);
}
