// SPDX-License-Identifier: BSD-2-Clause
/*
 * cred.c - credentials from the account database, from the process, and
 * of a UNIX socket's peer.
 * Library code: returns -errno, never logs.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifndef __linux__
#include <sys/un.h> /* LOCAL_PEERPID (macOS) */
#endif
#include <unistd.h>

#include "compat.h"
#include "cred.h"
#include <stdint.h>

#include "macro.h"

bool
pg_cred_in_group(const struct pg_cred *c, gid_t gid)
{
	if (c->gid == gid)
		return true;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

static int
parse_id(const char *s, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= (unsigned long)UINT32_MAX)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
pg_lookup_uid(const char *name, uid_t *ret)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long v;

	if (parse_id(name, &v) == 0) {
		*ret = (uid_t)v;
		return 0;
	}
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -ESRCH;
	*ret = res->pw_uid;
	return 0;
}

int
pg_lookup_gid(const char *name, gid_t *ret)
{
	struct group gr, *res = NULL;
	char buf[16384];
	unsigned long v;

	if (parse_id(name, &v) == 0) {
		*ret = (gid_t)v;
		return 0;
	}
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -ESRCH;
	*ret = res->gr_gid;
	return 0;
}

int
pg_cred_for_user(const char *user, const char *group, struct pg_cred *ret, char **ret_name)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long v;
	int n = PG_CRED_MAX_GROUPS;
	char *name = NULL;
	struct pg_cred c = { 0 };

	if (parse_id(user, &v) == 0) {
		if (getpwuid_r((uid_t)v, &pw, buf, sizeof(buf), &res) != 0)
			res = NULL;
		c.uid = (uid_t)v;
		c.gid = res ? res->pw_gid : (gid_t)v;
	} else {
		if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
			return -ESRCH;
		c.uid = res->pw_uid;
		c.gid = res->pw_gid;
	}
	if (group != NULL && pg_lookup_gid(group, &c.gid) < 0)
		return -ESRCH;
	if (res != NULL) {
		gid_t *groups = (gid_t *)c.groups;

		if (pg_getgrouplist(res->pw_name, c.gid, groups, &n) < 0)
			return -E2BIG;
		c.ngroups = (size_t)n;
		if (ret_name != NULL && (name = strdup(res->pw_name)) == NULL)
			return -ENOMEM;
	} else {
		c.groups[0] = c.gid;
		c.ngroups = 1;
	}
	*ret = c;
	if (ret_name != NULL)
		*ret_name = name;
	return 0;
}

const char *
pg_user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		(void)snprintf(buf, size, "%s", res->pw_name);
	else
		(void)snprintf(buf, size, "uid:%u", (unsigned)uid);
	return buf;
}

int
pg_cred_self(struct pg_cred *ret)
{
	int n;

	ret->uid = getuid();
	ret->gid = getgid();
	n = getgroups(PG_CRED_MAX_GROUPS, ret->groups);
	if (n < 0)
		return -errno;
	ret->ngroups = (size_t)n;
	return 0;
}

#ifdef __linux__
int
pg_peer_uid(int fd, uid_t *ret)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EIO;
	*ret = uc.uid;
	return 0;
}

int
pg_peer_pid(int fd, pid_t *ret)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc) || uc.pid <= 0)
		return -EIO;
	*ret = uc.pid;
	return 0;
}
#else
/* macOS and the BSDs (OpenBSD's SO_PEERCRED has another struct: not used). */
int
pg_peer_uid(int fd, uid_t *ret)
{
	uid_t uid;
	gid_t gid;

	if (getpeereid(fd, &uid, &gid) < 0)
		return -errno;
	*ret = uid;
	return 0;
}

int
pg_peer_pid(int fd, pid_t *ret)
{
#ifdef LOCAL_PEERPID
	pid_t pid = 0;
	socklen_t len = sizeof(pid);

	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) < 0)
		return -errno;
	if (pid <= 0)
		return -EIO;
	*ret = pid;
	return 0;
#else
	(void)fd;
	(void)ret;
	return -EOPNOTSUPP;
#endif
}
#endif
