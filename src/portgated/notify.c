// SPDX-License-Identifier: BSD-2-Clause
/*
 * notify.c - the sd_notify(3) protocol in a few lines: one datagram of
 * newline-separated KEY=VALUE to $NOTIFY_SOCKET.
 * Privilege: connected before the drop.  Trust: the address is our manager's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "notify.h"

static int notify_fd = -1;

int
notify_open(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t len;
	size_t n;
	int fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET='%s' is not an AF_UNIX path or @name; not notifying",
			  path);
		return -EINVAL;
	}
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract: the name is exactly n bytes, no NUL */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	fd = pg_socket(AF_UNIX, SOCK_DGRAM | PG_SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) < 0) {
		int r = -errno;

		log_warnc(-r, "NOTIFY_SOCKET='%s'; not notifying", path);
		if (fd >= 0)
			(void)close(fd);
		return r;
	}
	notify_fd = fd;
	return 0;
}

void
notify_send(const char *state)
{
	if (notify_fd < 0)
		return;
	if (send(notify_fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("sd_notify '%s': %s", state, strerror(errno));
}

void
notify_close(void)
{
	if (notify_fd >= 0)
		(void)close(notify_fd);
	notify_fd = -1;
}
