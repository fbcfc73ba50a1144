/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pdeathsig.h - a signal for this process when its parent ends, the platform
 * seam of prctl(PR_SET_PDEATHSIG): pdeathsig-linux.c has it; elsewhere
 * (pdeathsig-posix.c) there is no such thing, and launchd or the terminal
 * ends the whole process group instead.  Each file is guarded by #if, as
 * evloop-*.c are.  Library code: returns -errno.
 */
#ifndef PG_PDEATHSIG_H
#define PG_PDEATHSIG_H

/*
 * Have sig sent to this process when the thread that forked it ends.  The
 * parent may be gone already: check getppid() after.  0, -ENOSYS where the
 * platform has no way, or -errno.
 */
int pg_parent_death_signal(int sig);

#endif
