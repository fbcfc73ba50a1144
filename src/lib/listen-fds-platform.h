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
