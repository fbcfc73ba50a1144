// SPDX-License-Identifier: BSD-2-Clause
/*
 * peercred-linux.c - peer credentials on Linux: SO_PEERCRED (uid, gid, pid)
 * and SO_PEERGROUPS (supplementary groups), both as of the peer's connect().
 * Privilege: none needed.  The peer controls nothing here but how many groups
 * it has, which is bounded by the kernel (NGROUPS_MAX).
 */
#ifdef __linux__
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "peercred.h"

#define PEERGROUPS_KERNEL_MAX 65536 /* NGROUPS_MAX on Linux */

int
peercred_get(int fd, struct peer *ret)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct peer p = { 0 };

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EIO;
	p.cred.uid = uc.uid;
	p.cred.gid = uc.gid;
	p.pid = uc.pid;

	len = sizeof(p.cred.groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p.cred.groups, &len) == 0) {
		p.cred.ngroups = len / sizeof(gid_t);
	} else if (errno == ERANGE && len / sizeof(gid_t) <= PEERGROUPS_KERNEL_MAX) {
		/* Rules only grant, so counting fewer groups can only refuse more. */
		_cleanup_free_ gid_t *all = malloc(len);

		if (all == NULL)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &len) < 0)
			return -errno;
		memcpy(p.cred.groups, all, sizeof(p.cred.groups));
		p.cred.ngroups = PG_CRED_MAX_GROUPS;
		p.groups_truncated = true;
	} else {
		return -errno;
	}
	*ret = p;
	return 0;
}
#endif
