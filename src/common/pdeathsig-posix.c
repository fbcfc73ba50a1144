// SPDX-License-Identifier: BSD-2-Clause
/*
 * pdeathsig-posix.c - pdeathsig.h where there is no parent-death signal
 * (macOS, OpenBSD, NetBSD; FreeBSD's procctl(PROC_PDEATHSIG_CTL) is not used
 * yet): -ENOSYS.  There launchd ends what is left of a job's process group
 * when the job ends (unless the plist sets AbandonProcessGroup), and a
 * terminal's Ctrl-C or hang-up reaches the whole group; a child whose parent
 * was killed outright under another supervisor lives on until it is stopped.
 * Not built on Linux (pdeathsig-linux.c is).
 */
#ifndef __linux__
#include <errno.h>

#include "pdeathsig.h"

int
pg_parent_death_signal(int sig)
{
	(void)sig;
	return -ENOSYS;
}

/* FreeBSD's procctl(PROC_REAP_ACQUIRE) would do; not used yet. */
int
pg_child_subreaper(void)
{
	return -ENOSYS;
}
#endif
