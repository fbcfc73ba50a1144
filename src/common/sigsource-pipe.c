// SPDX-License-Identifier: BSD-2-Clause
/*
 * sigsource-pipe.c - sigsource.h in plain POSIX, with the self-pipe trick: a
 * sigaction(2) handler notes each signal of the source and writes its number
 * to a non-blocking, close-on-exec pipe, whose read end is the source's fd.
 * The Makefile builds it where there is no signalfd (macOS, the BSDs), or
 * on Linux with SIGSOURCE=pipe; the unit tests build it on Linux always.
 *
 * The handler is async-signal-safe: it touches only volatile sig_atomic_t
 * flags, calls getpid() and write(), and saves and restores errno.  A flag per
 * signal, set before the byte is written, is what pg_sigsource_read() reports;
 * the bytes only wake the caller, and since a byte is written only when a
 * signal's flag goes up, the pipe holds at most one byte per signal and never
 * fills.  A handler that runs in a child forked while the source is open (in
 * the window before the child detaches) notes the signal for the child
 * instead, so the parent's pipe hears only of the parent's signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "sigsource-impl.h"
#include "sigsource.h"
#include "sock.h"

struct pg_sigsource {
	int fd;	 /* the pipe's read end */
	int wfd; /* its write end, the handler's */
	sigset_t set;
	sigset_t orig;		    /* the signal mask open found */
	struct sigaction old[NSIG]; /* the dispositions open replaced */
};

_Static_assert(sizeof(pid_t) <= sizeof(sig_atomic_t), "a pid fits in a sig_atomic_t");

/* The handler's view: set before it is installed, cleared after it is removed. */
static volatile sig_atomic_t handler_wfd = -1;
static volatile sig_atomic_t handler_owner; /* the pid that opened the source */
static volatile sig_atomic_t caught[NSIG];  /* came to the owner, not read yet */
static volatile sig_atomic_t foreign[NSIG]; /* came to a forked child before it detached */
static struct pg_sigsource *current;	    /* at most one source at a time */

static void
on_signal(int sig)
{
	int saved = errno;

	if ((pid_t)handler_owner != getpid()) {
		foreign[sig] = 1;
	} else if (!caught[sig]) {
		unsigned char b = (unsigned char)sig;
		ssize_t n;

		caught[sig] = 1;
		n = write(handler_wfd, &b, 1); /* cannot be full: one byte per signal */
		(void)n;
	}
	errno = saved;
}

/* Put back the dispositions of src's signals below upto. */
static void
restore_actions(const struct pg_sigsource *src, int upto)
{
	for (int sig = 1; sig < upto; sig++)
		if (sigismember(&src->set, sig) == 1)
			(void)sigaction(sig, &src->old[sig], NULL);
}

int
pg_sigsource_open(const sigset_t *set, struct pg_sigsource **ret)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct pg_sigsource *src;
	int p[2], r = sigsource_check_set(set);

	if (r < 0)
		return r;
	if (current != NULL)
		return -EBUSY;
	src = calloc(1, sizeof(*src));
	if (src == NULL)
		return -ENOMEM;
	src->set = *set;
	sa.sa_mask = *set; /* one handler of the source at a time */
	/* Blocked while the handlers go in; what is pending is delivered to them at the end. */
	if (sigprocmask(SIG_BLOCK, set, &src->orig) < 0) {
		r = -errno;
		free(src);
		return r;
	}
	r = pg_pipe_nb(p);
	if (r < 0)
		goto fail;
	src->fd = p[0];
	src->wfd = p[1];
	handler_wfd = p[1];
	handler_owner = getpid();
	for (int sig = 1; sig < NSIG; sig++)
		caught[sig] = foreign[sig] = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(set, sig) != 1 || sigaction(sig, &sa, &src->old[sig]) == 0)
			continue;
		r = -errno;
		restore_actions(src, sig);
		handler_wfd = -1;
		(void)close(p[0]);
		(void)close(p[1]);
		goto fail;
	}
	current = src;
	(void)sigprocmask(SIG_UNBLOCK, set, NULL);
	*ret = src;
	return 0;
fail:
	(void)sigsource_restore_bits(set, &src->orig);
	free(src);
	return r;
}

int
pg_sigsource_fd(const struct pg_sigsource *src)
{
	return src->fd;
}

int
pg_sigsource_read(struct pg_sigsource *src)
{
	unsigned char buf[64];
	ssize_t n;

	/* Drain the wake-ups, then look at the flags (the handler raises one before its byte). */
	while ((n = read(src->fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	for (int sig = 1; sig < NSIG; sig++) {
		if (caught[sig]) {
			caught[sig] = 0;
			return sig;
		}
	}
	return 0;
}

/*
 * With src's signals blocked: the old dispositions back, the fds closed, and
 * what came to this process and was not read raised again, pending now.
 */
static void
uninstall(struct pg_sigsource *src)
{
	bool owner = (pid_t)handler_owner == getpid();

	restore_actions(src, NSIG);
	handler_wfd = -1;
	handler_owner = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		if ((owner && caught[sig]) || foreign[sig])
			(void)raise(sig);
		caught[sig] = foreign[sig] = 0;
	}
	(void)close(src->fd);
	(void)close(src->wfd);
	current = NULL;
}

void
pg_sigsource_close(struct pg_sigsource *src)
{
	if (src == NULL)
		return;
	(void)sigprocmask(SIG_BLOCK, &src->set, NULL);
	uninstall(src);
	(void)sigsource_restore_bits(&src->set, &src->orig);
	free(src);
}

int
pg_sigsource_detach(struct pg_sigsource *src, const sigset_t *hold)
{
	int r;

	(void)sigprocmask(SIG_BLOCK, &src->set, NULL);
	uninstall(src);
	r = sigsource_set_mask(&src->orig, hold);
	free(src);
	return r;
}
