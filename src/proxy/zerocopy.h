/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zerocopy.h - the platform seam of the shovel's zero-copy path: a pipe
 * between two sockets that the kernel moves pages through without a copy to
 * user space.  zerocopy-linux.c implements it with splice(2) and
 * F_GETPIPE_SZ/F_SETPIPE_SZ; zerocopy-none.c, everywhere else, has none to
 * give (-ENOSYS), so the shovel copies.  Each file is guarded by #if, so the
 * Makefile builds both; test-shovel-none links zerocopy-none.c on Linux too
 * (built with PG_ZEROCOPY_NONE).
 * Library code: returns -errno, never logs.
 */
#ifndef PG_ZEROCOPY_H
#define PG_ZEROCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whether this build has a zero-copy path at all. */
bool pg_zerocopy_available(void);

/*
 * A new close-on-exec, non-blocking pipe (fds[0] reads, fds[1] writes), of
 * the kernel's default size, given in *ret_size.  Returns 0, or -errno
 * (-ENOSYS: no zero-copy here; -EMFILE...) with no fd left open.
 */
int pg_zerocopy_pipe(int fds[2], size_t *ret_size);

/*
 * Ask for a pipe of want bytes.  Returns the size it has now (the kernel
 * rounds up), or -errno (-EPERM: over the user's pipe budget).
 */
long pg_zerocopy_resize(int fd, size_t want);

/*
 * Move up to len bytes from in to out without blocking, one of them the
 * pipe.  Returns the bytes moved (0: in is at EOF), or -errno: -EAGAIN,
 * and -EINVAL when the fds do not support it (no byte was moved).
 */
ssize_t pg_zerocopy_splice(int in, int out, size_t len);

#endif
