/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pdeathsig.h - a signal for this process when its parent ends, and its
 * orphans for it: the platform seam of prctl(PR_SET_PDEATHSIG) and
 * PR_SET_CHILD_SUBREAPER.  pdeathsig-linux.c has them; elsewhere
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

/*
 * Have this process's orphaned descendants reparented to it rather than to
 * init (PR_SET_CHILD_SUBREAPER), so that it can stop and reap what a child
 * left behind.  0, -ENOSYS where the platform has no way, or -errno.
 */
int pg_child_subreaper(void);

#endif
