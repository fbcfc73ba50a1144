/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen-fds-platform.h - where a platform may supply sockets when the
 * environment carries none: launchd's on macOS (listen-fds-darwin.c), none
 * elsewhere (listen-fds-none.c).  Same contract as portgate_listen_fds().
 */
#ifndef PG_LISTEN_FDS_PLATFORM_H
#define PG_LISTEN_FDS_PLATFORM_H

#include <stddef.h>

int listen_fds_platform(int unset_environment, char ***ret_names);

/*
 * Move fds[0..n) to PORTGATE_LISTEN_FDS_START.. in that order, each
 * close-on-exec; fds[] gets the new numbers.  0, or -EBUSY (nothing moved)
 * when one of those numbers is open and not one of fds: the process opened
 * it, and it is not ours to replace; else -errno, with fds[] holding what is
 * still open and -1 for the rest.
 */
int listen_fds_move(int *fds, size_t n);

#ifdef __APPLE__
/*
 * launchd's sockets of NAME (a key of the job's Sockets dictionary) where
 * launchd put them: a malloc'ed array of *ret_n close-on-exec fds (possibly
 * 0), launchd's own array freed.  -ESRCH not started by launchd, -ENOENT no
 * such key, -EALREADY taken before, else another -errno.  For `portgate run
 * --launchd` and `proxy --launchd` (src/portgate/launchd-darwin.c) too.
 */
int listen_fds_launchd(const char *name, int **ret_fds, size_t *ret_n);
#endif

#endif
