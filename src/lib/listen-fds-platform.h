/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen-fds-platform.h - where a platform may supply sockets when the
 * environment carries none (launchd on macOS, not written yet: issue 12;
 * listen-fds-none.c everywhere for now).  Same contract as
 * portgate_listen_fds().
 */
#ifndef PG_LISTEN_FDS_PLATFORM_H
#define PG_LISTEN_FDS_PLATFORM_H

int listen_fds_platform(int unset_environment, char ***ret_names);

#endif
