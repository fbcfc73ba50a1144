// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-cred.c - pg_peer_uid(): the uid of a UNIX socket's peer, from both
 * ends of a socketpair and of a connection, and, as root, of a peer that
 * runs as another user (nobody).  Not a socket: -ENOTSOCK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "cred.h"
#include "tap.h"

#define NOBODY 65534

static void
check_socketpair(void)
{
	uid_t a = (uid_t)-1, b = (uid_t)-1;
	int sv[2], p[2];

	if (pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0, sv) < 0) {
		ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	is_int(pg_peer_uid(sv[0], &a), 0, "socketpair: one end");
	is_int(pg_peer_uid(sv[1], &b), 0, "socketpair: the other end");
	ok(a == geteuid() && b == geteuid(), "socketpair: both say our uid (%u)",
	   (unsigned)geteuid());
	(void)close(sv[0]);
	(void)close(sv[1]);

	if (pipe(p) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	is_int(pg_peer_uid(p[0], &a), -ENOTSOCK, "a pipe: -ENOTSOCK");
	(void)close(p[0]);
	(void)close(p[1]);
}

/*
 * A listener of ours and a client that runs as uid (forked; as root it drops
 * to uid first).  The accepting side sees uid, the client sees our uid.
 */
static void
check_connection(const char *dir, uid_t uid, const char *what)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	uid_t seen = (uid_t)-1;
	int lfd, afd, status = -1;
	pid_t pid;

	(void)snprintf(un.sun_path, sizeof(un.sun_path), "%s/l.sock", dir);
	(void)unlink(un.sun_path);
	lfd = pg_socket(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC | PG_SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(lfd, 1) < 0 ||
	    chmod(un.sun_path, 0777) < 0) {
		ok(0, "%s: listen: %s", what, strerror(errno));
		if (lfd >= 0)
			(void)close(lfd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		int c;
		uid_t mine = geteuid(), peer = (uid_t)-1;

		if (uid != mine && pg_setresuid(uid) < 0)
			_exit(2);
		c = pg_socket(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&un, sizeof(un)) < 0)
			_exit(3);
		/* The connecting side sees whoever called listen(). */
		_exit(pg_peer_uid(c, &peer) == 0 && peer == mine ? 0 : 4);
	}
	/* The connection waits in the backlog after the client exits; never block on it. */
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
	afd = pg_accept4(lfd, NULL, NULL, PG_SOCK_CLOEXEC);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	       "%s: the client sees the listener's uid", what);
	is_int(afd >= 0 ? pg_peer_uid(afd, &seen) : -1, 0, "%s: pg_peer_uid on the accepted socket",
	       what);
	is_int((long)seen, (long)uid, "%s: it is the client's uid", what);
	if (afd >= 0)
		(void)close(afd);
	(void)close(lfd);
	(void)unlink(un.sun_path);
}

int
main(void)
{
	char dir[] = "/tmp/pg-test-cred.XXXXXX";

	check_socketpair();
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) < 0) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	check_connection(dir, geteuid(), "our own uid");
	if (geteuid() == 0)
		check_connection(dir, NOBODY, "root's listener, nobody's client");
	else
		tap_skip("needs root", "a client of another uid");
	(void)rmdir(dir);
	return tap_done();
}
