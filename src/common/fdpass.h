/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fdpass.h - send and receive one small message with at most one file
 * descriptor over an AF_UNIX socket (SCM_RIGHTS).
 * Library code: returns -errno, never logs; safe inside the preload shim.
 */
#ifndef PG_FDPASS_H
#define PG_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Send len bytes with fd attached (fd -1: none).  The whole message is sent or
 * -errno returned; SIGPIPE is never raised.  The caller keeps its fd.
 */
int pg_fdpass_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receive up to size bytes.  Returns the byte count (0 at EOF) or -errno.
 * *ret_fd is a close-on-exec fd now owned by the caller, or -1 if none came;
 * extra fds are closed.  A truncated control message is -EMSGSIZE (and any fd
 * received with it is closed).  flags are recvmsg flags (MSG_DONTWAIT...).
 */
ssize_t pg_fdpass_recv(int sock, void *buf, size_t size, int flags, int *ret_fd);

/*
 * pg_fdpass_recv(), and *ret_nfds is how many fds arrived, the closed extras
 * included, so a receiver can refuse a message that carried more than one.
 */
ssize_t pg_fdpass_recv_count(int sock, void *buf, size_t size, int flags, int *ret_fd,
			     size_t *ret_nfds);

#endif
