// SPDX-License-Identifier: BSD-2-Clause
/*
 * notify-recv-none.c - notify-recv.h where a datagram carries no sender
 * credentials (macOS, the BSDs): -ENOSYS, so --ready=notify is refused there.
 */
#ifndef __linux__
#include <errno.h>

#include "notify-recv.h"

int
pg_notify_listen(char addr[static PG_NOTIFY_ADDR_MAX])
{
	addr[0] = '\0';
	return -ENOSYS;
}

int
pg_notify_recv(int fd, char *buf, size_t size, pid_t *ret_pid, uid_t *ret_uid)
{
	(void)fd;
	if (size > 0)
		buf[0] = '\0';
	*ret_pid = 0;
	*ret_uid = (uid_t)-1;
	return -ENOSYS;
}
#endif
