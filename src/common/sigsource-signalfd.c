// SPDX-License-Identifier: BSD-2-Clause
/*
 * sigsource-signalfd.c - sigsource.h on Linux, with signalfd(2): the source's
 * signals are blocked, so they stay pending until read from the signalfd (or
 * until close unblocks them); nothing runs in signal context.  The Makefile
 * builds it on Linux unless SIGSOURCE=pipe.
 */
#ifndef __linux__
#error "signalfd is Linux's: build with SIGSOURCE=pipe (sigsource-pipe.c)"
#endif
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sigsource-impl.h"
#include "sigsource.h"

struct pg_sigsource {
	int fd;
	sigset_t set;
	sigset_t orig; /* the signal mask open found */
};

static bool source_open; /* at most one at a time, as sigsource-pipe.c has it */

int
pg_sigsource_open(const sigset_t *set, struct pg_sigsource **ret)
{
	struct pg_sigsource *src;
	int r = sigsource_check_set(set);

	if (r < 0)
		return r;
	if (source_open)
		return -EBUSY;
	src = calloc(1, sizeof(*src));
	if (src == NULL)
		return -ENOMEM;
	src->set = *set;
	if (sigprocmask(SIG_BLOCK, set, &src->orig) < 0) {
		r = -errno;
		free(src);
		return r;
	}
	src->fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (src->fd < 0) {
		r = -errno;
		(void)sigsource_restore_bits(set, &src->orig);
		free(src);
		return r;
	}
	source_open = true;
	*ret = src;
	return 0;
}

int
pg_sigsource_fd(const struct pg_sigsource *src)
{
	return src->fd;
}

int
pg_sigsource_read(struct pg_sigsource *src)
{
	struct signalfd_siginfo si;
	ssize_t n = read(src->fd, &si, sizeof(si));

	if (n == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

void
pg_sigsource_close(struct pg_sigsource *src)
{
	if (src == NULL)
		return;
	(void)close(src->fd);
	source_open = false;
	/* What was not read is still pending: unblocking delivers it. */
	(void)sigsource_restore_bits(&src->set, &src->orig);
	free(src);
}

int
pg_sigsource_detach(struct pg_sigsource *src, const sigset_t *hold)
{
	int r;

	(void)close(src->fd);
	source_open = false;
	/* The signals this process got are still pending; the parent's never were ours. */
	r = sigsource_set_mask(&src->orig, hold);
	free(src);
	return r;
}
