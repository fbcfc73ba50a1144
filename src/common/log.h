/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h - the one logging API of the portgate programs.
 * Library code (src/common, src/lib) never calls these: it returns -errno and
 * the program logs once, at its edge.  Every function preserves errno.
 */
#ifndef PG_LOG_H
#define PG_LOG_H

#include <stdarg.h>

#include "macro.h"

enum log_level { LOG_LEVEL_ERR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Messages go to stderr as "PROGNAME: message"; with syslog, to syslog too. */
void log_init(const char *progname, int verbosity, int use_syslog);
const char *log_progname(void);

void log_warn(const char *fmt, ...) _printf_(1, 2);	      /* appends strerror(errno) */
void log_warnc(int err, const char *fmt, ...) _printf_(2, 3); /* appends strerror(err) */
void log_warnx(const char *fmt, ...) _printf_(1, 2);
void log_info(const char *fmt, ...) _printf_(1, 2);
void log_debug(const char *fmt, ...) _printf_(1, 2);
void log_vmsg(enum log_level level, int err, const char *fmt, va_list ap) _printf_(3, 0);

#endif
