/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctlsock.h - the control socket clients connect to: its directory checked
 * (or created) safely, a stale socket from a dead daemon replaced, a live one
 * left alone.
 * Privilege: runs before the privilege drop (as root, or as the daemon user
 * under a service manager).  Trust: the directory must be the daemon's or
 * root's and not writable by others; its parents are trusted.
 */
#ifndef PGD_CTLSOCK_H
#define PGD_CTLSOCK_H

#include <stdbool.h>
#include <sys/types.h>

struct ctlsock {
	int fd;
	dev_t dev; /* of the socket file, to remove only our own at exit */
	ino_t ino;
};

/*
 * Create, bind (mode 0666: the policy decides who gets what) and listen on
 * path.  A missing directory is made 0755 and given to uid:gid.  Logs why it
 * fails and returns -errno: -EADDRINUSE when another daemon answers there.
 */
int ctlsock_open(const char *path, uid_t uid, gid_t gid, struct ctlsock *ret);

/* Close the socket and remove its file if it is still ours. */
void ctlsock_close(const char *path, struct ctlsock *c);

#endif
