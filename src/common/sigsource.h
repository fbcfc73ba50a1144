/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigsource.h - signals as an fd an event loop can watch, the platform seam of
 * signal handling.  Two implementations, and the Makefile builds one of them
 * into libpgcommon.a by platform (make SIGSOURCE=signalfd|pipe overrides it):
 *
 *   sigsource-signalfd.c  Linux: the signals are blocked and read from a
 *                         signalfd(2).
 *   sigsource-pipe.c      POSIX (macOS, the BSDs): a sigaction(2) handler
 *                         writes each signal to a non-blocking self-pipe.
 *
 * Both are built and unit-tested on Linux (test-sigsource-*), and they behave
 * alike in everything below: what a caller sees does not depend on which one
 * it got.  At most one source is open in a process at a time.  Library code:
 * returns -errno, never logs.  Not thread-safe: for single-threaded programs.
 */
#ifndef PG_SIGSOURCE_H
#define PG_SIGSOURCE_H

#include <signal.h>

struct pg_sigsource;

/*
 * Take the signals in set (not SIGKILL or SIGSTOP) away from their
 * dispositions: from now on each is reported by pg_sigsource_read() instead,
 * and makes pg_sigsource_fd() readable.  A signal of set that was blocked and
 * pending before (a caller may block signals early, so that those sent before
 * the source exists wait for it: across fork() too, as the mask is inherited)
 * is reported as soon as the source is open.  0 and *ret, or -errno (-EINVAL
 * for SIGKILL or SIGSTOP, -EBUSY when a source is open already).
 */
int pg_sigsource_open(const sigset_t *set, struct pg_sigsource **ret);

/* The fd to watch for readability (close-on-exec, non-blocking); src owns it. */
int pg_sigsource_fd(const struct pg_sigsource *src);

/*
 * The next signal that came, once per arrival (two arrivals of a signal before
 * it is read are one, as with any standard signal); 0 when none is left, or
 * -errno.  The fd may be readable with nothing to report: read until 0.
 */
int pg_sigsource_read(struct pg_sigsource *src);

/*
 * In the process that opened src: put back what open changed (the signals'
 * dispositions and their bits in the signal mask) and free src.  A signal
 * that came and was not read is pending again, and is delivered or stays
 * blocked as the restored mask says.  NULL is a no-op.
 */
void pg_sigsource_close(struct pg_sigsource *src);

/*
 * Give up src without delivering anything in the meantime: in a child forked
 * while src was open, before it execs or opens a source of its own (the
 * parent's fds are closed, and nothing in the child reports to the parent any
 * more), or in a process about to exit.  The dispositions are put back, and
 * the whole signal mask is set to the one open found plus hold (NULL: none),
 * which undoes blocks made since, too.  A signal that reached this process
 * and was not read is pending again: one in hold waits (for the child's own
 * source, say), any other is delivered as the restored disposition says.
 * Signals the parent got stay the parent's.  Frees src; 0 or -errno.
 */
int pg_sigsource_detach(struct pg_sigsource *src, const sigset_t *hold);

#endif
