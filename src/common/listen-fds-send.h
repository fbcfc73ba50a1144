/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen-fds-send.h - the sending side of the socket activation protocol
 * (sd_listen_fds(3)): put sockets at fds 3.. and describe them in LISTEN_FDS,
 * LISTEN_PID and LISTEN_FDNAMES for the program about to be executed.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_LISTEN_FDS_SEND_H
#define PG_LISTEN_FDS_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PG_LISTEN_FDS_START 3
#define PG_FDNAME_MAX	    255

/* systemd's fdname_is_valid(): printable ASCII, no ':', at most 255 bytes; "" is valid. */
bool pg_fdname_is_valid(const char *name);

/*
 * Move fds[0..n-1] to PG_LISTEN_FDS_START + i, in order, without one
 * clobbering another, clear FD_CLOEXEC on exactly those, and make every other
 * fd >= PG_LISTEN_FDS_START + n close-on-exec.  Fds 0-2 are left alone unless
 * one of them is in fds[], in which case it is closed after the move.
 * Returns -EINVAL, touching nothing, if n is 0 or an fd is negative or
 * repeated.  Otherwise it takes ownership of the fds: on success fds[i] is
 * PG_LISTEN_FDS_START + i; on failure (-errno) every fd given, or its copy
 * if it had been moved already, is closed and fds[] is set to -1.
 */
int pg_listen_fds_place(int *fds, size_t n);

/*
 * The environment entries for n fds handed to process pid:
 * "LISTEN_FDS=n", "LISTEN_PID=pid" and, if names is not NULL (n entries),
 * "LISTEN_FDNAMES=a:b:...".  LISTEN_PIDFDID is never produced.
 * On success ret[0..2] are malloc'd strings owned by the caller (ret[2] is
 * NULL without names).  Returns -EINVAL for an invalid name or count.
 */
int pg_listen_env_format(pid_t pid, size_t n, const char *const *names, char *ret[static 3]);

#endif
