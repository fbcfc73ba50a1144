// SPDX-License-Identifier: BSD-2-Clause
/*
 * pdeathsig-linux.c - pdeathsig.h on Linux: prctl(PR_SET_PDEATHSIG) and
 * prctl(PR_SET_CHILD_SUBREAPER).
 */
#ifdef __linux__
#include <errno.h>
#include <sys/prctl.h>

#include "pdeathsig.h"

int
pg_parent_death_signal(int sig)
{
	return prctl(PR_SET_PDEATHSIG, (unsigned long)sig) < 0 ? -errno : 0;
}

int
pg_child_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1UL) < 0 ? -errno : 0;
}
#endif
