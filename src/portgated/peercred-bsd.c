// SPDX-License-Identifier: BSD-2-Clause
/*
 * peercred-bsd.c - peer credentials on macOS and the BSDs, as of the peer's
 * connect(): getpeereid() gives the effective uid and gid everywhere; the
 * supplementary groups come from LOCAL_PEERCRED (struct xucred) where the
 * kernel records them (macOS, FreeBSD, DragonFly), and from the account
 * database (getgrouplist) on OpenBSD and NetBSD, which record none for a
 * socket peer.  The pid comes from LOCAL_PEERPID (macOS), xucred's cr_pid
 * (FreeBSD 13 and later) or SO_PEERCRED (OpenBSD); elsewhere it is 0.
 * Privilege: none needed.
 *
 * Limits, all of which can only refuse more, never grant more: macOS's xucred
 * holds at most XU_NGROUPS (16) groups, so a peer with more is judged by the
 * first ones (groups_truncated).  Groups from the account database are the
 * groups the user would get at login, not the ones the peer process holds: a
 * process that dropped a group still counts as its member, so on OpenBSD and
 * NetBSD a @group grant follows the account database, as login(1) does.
 *
 * Not built on Linux (peercred-linux.c is); CI cross-builds it for macOS
 * (`make macos`), no BSD machine compiles it.
 */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__) ||                        \
	defined(__OpenBSD__) || defined(__NetBSD__)

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__)
#include <sys/ucred.h>
#endif

#include "macro.h"
#include "peercred.h"

#ifndef SOL_LOCAL
#define SOL_LOCAL 0 /* FreeBSD and DragonFly: LOCAL_* options live at level 0 */
#endif

/* FreeBSD names the size of cr_groups; macOS declares it as NGROUPS. */
#ifndef XU_NGROUPS
#define XU_NGROUPS NGROUPS
#endif

/* Append gid to c's supplementary groups unless it is there already or full. */
static void
add_group(struct peer *p, gid_t gid)
{
	for (size_t i = 0; i < p->cred.ngroups; i++)
		if (p->cred.groups[i] == gid)
			return;
	if (p->cred.ngroups < PG_CRED_MAX_GROUPS)
		p->cred.groups[p->cred.ngroups++] = gid;
	else
		p->groups_truncated = true;
}

#ifdef LOCAL_PEERCRED
/* The groups the kernel recorded at connect(); cr_groups[0] is the egid. */
static int
peer_groups(int fd, struct peer *p)
{
	struct xucred xuc;
	socklen_t len = sizeof(xuc);

	memset(&xuc, 0, sizeof(xuc));
	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xuc, &len) < 0)
		return -errno;
	if (xuc.cr_version != XUCRED_VERSION || xuc.cr_uid != p->cred.uid || xuc.cr_ngroups < 1 ||
	    xuc.cr_ngroups > XU_NGROUPS)
		return -EIO;
	for (int i = 1; i < xuc.cr_ngroups; i++)
		add_group(p, xuc.cr_groups[i]);
	if (xuc.cr_ngroups == XU_NGROUPS)
		p->groups_truncated = true; /* there may have been more */
#if defined(__FreeBSD__) && defined(cr_pid)
	p->pid = xuc.cr_pid;
#endif
	return 0;
}
#else
/* The groups the account database gives the peer's uid. */
static int
peer_groups(int fd, struct peer *p)
{
	struct passwd pw, *res = NULL;
	gid_t groups[PG_CRED_MAX_GROUPS + 1];
	int n = (int)nitems(groups), r;
	char buf[4096];

	(void)fd;
	r = getpwuid_r(p->cred.uid, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (res == NULL)
		return 0; /* a uid without an account: no supplementary groups */
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0) {
		n = (int)nitems(groups);
		p->groups_truncated = true;
	}
	for (int i = 0; i < n; i++)
		add_group(p, groups[i]);
	return 0;
}
#endif

int
peercred_get(int fd, struct peer *ret)
{
	struct peer p;
	uid_t uid;
	gid_t gid;
	int r;

	memset(&p, 0, sizeof(p));
	if (getpeereid(fd, &uid, &gid) < 0)
		return -errno;
	p.cred.uid = uid;
	p.cred.gid = gid;
	if ((r = peer_groups(fd, &p)) < 0)
		return r;
#if defined(__APPLE__) && defined(LOCAL_PEERPID)
	{
		pid_t pid;
		socklen_t len = sizeof(pid);

		if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0 && len == sizeof(pid))
			p.pid = pid;
	}
#elif defined(__OpenBSD__)
	{
		struct sockpeercred spc;
		socklen_t len = sizeof(spc);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &spc, &len) == 0 && len == sizeof(spc))
			p.pid = spc.pid;
	}
#endif
	*ret = p;
	return 0;
}
#endif
