/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigsource-impl.h - what the two implementations of sigsource.h share: the
 * checks and the signal-mask arithmetic.  Not for callers.
 */
#ifndef PG_SIGSOURCE_IMPL_H
#define PG_SIGSOURCE_IMPL_H

#include <errno.h>
#include <signal.h>

#ifndef NSIG
#define NSIG 65 /* Linux's; glibc, musl, macOS and the BSDs define it */
#endif

/* Whether set may be taken: SIGKILL and SIGSTOP can be neither blocked nor caught. */
static inline int
sigsource_check_set(const sigset_t *set)
{
	return sigismember(set, SIGKILL) == 1 || sigismember(set, SIGSTOP) == 1 ? -EINVAL : 0;
}

/* Set set's bits of the signal mask to what orig has for them; the other bits stay. */
static inline int
sigsource_restore_bits(const sigset_t *set, const sigset_t *orig)
{
	sigset_t block, unblock;

	(void)sigemptyset(&block);
	(void)sigemptyset(&unblock);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(set, sig) != 1)
			continue;
		(void)sigaddset(sigismember(orig, sig) == 1 ? &block : &unblock, sig);
	}
	if (sigprocmask(SIG_BLOCK, &block, NULL) < 0 ||
	    sigprocmask(SIG_UNBLOCK, &unblock, NULL) < 0)
		return -errno;
	return 0;
}

/* Set the whole signal mask to orig plus hold (NULL: nothing more). */
static inline int
sigsource_set_mask(const sigset_t *orig, const sigset_t *hold)
{
	sigset_t mask = *orig;

	for (int sig = 1; hold != NULL && sig < NSIG; sig++)
		if (sigismember(hold, sig) == 1)
			(void)sigaddset(&mask, sig);
	return sigprocmask(SIG_SETMASK, &mask, NULL) < 0 ? -errno : 0;
}

#endif
