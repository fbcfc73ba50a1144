// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-probe.c - the broker probe "portgate status" and "portgate kernel status"
 * share (cli-probe.h); the kernel's side is in cli-kpolicy-linux.c.
 * Runs as the invoking user.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "cli-probe.h"
#include "cred.h"
#include "macro.h"

int
cli_broker_probe(const char *path, pid_t *ret_pid, uid_t *ret_uid)
{
	_cleanup_close_ int fd = -1;
	pid_t pid = 0;
	char proc[32];
	struct stat st;
	int r = pg_broker_connect(path, &fd);

	if (r < 0 || ret_pid == NULL)
		return r;
	/*
	 * The listening socket's credentials are the ones of its listen(): root's,
	 * for a portgated started as root.  Its user now is the owner of /proc/PID;
	 * without /proc (macOS, where portgated stays root) the listener's user.
	 */
	if (pg_peer_pid(fd, &pid) < 0)
		pid = 0;
	(void)snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	*ret_pid = pid;
	*ret_uid = pid > 0 && stat(proc, &st) == 0 ? st.st_uid : (uid_t)-1;
	if (*ret_uid == (uid_t)-1 && pid > 0 && stat("/proc/self", &st) < 0 &&
	    pg_peer_uid(fd, ret_uid) < 0)
		*ret_uid = (uid_t)-1;
	return 0;
}
