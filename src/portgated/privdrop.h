/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privdrop.h - become the daemon user with CAP_NET_BIND_SERVICE and nothing
 * else, then prove it.
 * Privilege: started as root (it changes user itself) or as the daemon user
 * with CAP_NET_BIND_SERVICE (systemd User= + AmbientCapabilities=).
 * Trust: it checks the result with getres[ug]id, capget and prctl instead of
 * trusting the return values.
 */
#ifndef PGD_PRIVDROP_H
#define PGD_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

struct privdrop_user {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Look up USER (a name or a number); refuses root.  Logs and returns -errno. */
int privdrop_lookup(const char *user, struct privdrop_user *ret);

/*
 * Linux (privdrop-linux.c): drop to u keeping only CAP_NET_BIND_SERVICE
 * (effective and permitted), supplementary groups cleared, ambient and
 * inheritable empty, no new privileges; as root also the bounding set cleared
 * but for it.  Then verify.  Logs and returns -errno on any failure or mismatch.
 * macOS (privdrop-darwin.c): there are no capabilities to keep, and only root
 * binds a port below 1024 on one address, so portgated stays root (it runs as
 * a LaunchDaemon); u only owns the control socket.  -EPERM when not root.
 */
int privdrop_drop(const struct privdrop_user *u);

#endif
