/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify-recv.h - the receiving side of the sd_notify(3) protocol, for
 * `portgate run --keep --ready=notify`: a datagram socket whose address goes
 * into a child's NOTIFY_SOCKET, and each message with the pid and uid of the
 * process that sent it, as the kernel vouches for them.  A platform seam:
 * notify-recv-linux.c (an abstract AF_UNIX socket, SO_PASSCRED and
 * SCM_CREDENTIALS); notify-recv-none.c elsewhere (-ENOSYS: no credentials
 * come with a datagram there).  Library code: returns -errno, never logs.
 */
#ifndef PG_NOTIFY_RECV_H
#define PG_NOTIFY_RECV_H

#include <stddef.h>
#include <sys/types.h>

/* Room for "@" and an abstract name, NUL-terminated. */
#define PG_NOTIFY_ADDR_MAX 108

/*
 * A new close-on-exec, non-blocking datagram socket on an address the kernel
 * picks, which nobody else has; its NOTIFY_SOCKET spelling (an abstract name:
 * "@" then the name) goes to addr.  Returns the fd, or -errno.
 */
int pg_notify_listen(char addr[static PG_NOTIFY_ADDR_MAX]);

/*
 * The next message, at most size - 1 bytes of it, NUL-terminated in buf, and
 * its sender's pid and uid (0 and (uid_t)-1 when the kernel gave none).  Fds
 * sent along are closed.  Returns the length kept, -EAGAIN when nothing is
 * waiting, or -errno.
 */
int pg_notify_recv(int fd, char *buf, size_t size, pid_t *ret_pid, uid_t *ret_uid);

#endif
