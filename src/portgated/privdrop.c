// SPDX-License-Identifier: BSD-2-Clause
/*
 * privdrop.c - the daemon user, looked up in the account database (see
 * privdrop.h).  The drop itself is the system's: privdrop-linux.c keeps
 * CAP_NET_BIND_SERVICE, privdrop-darwin.c stays root.
 */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "privdrop.h"

int
privdrop_lookup(const char *user, struct privdrop_user *ret)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long v;
	int r;

	errno = 0;
	v = strtoul(user, &end, 10);
	if (user[0] >= '0' && user[0] <= '9' && *end == '\0' && errno == 0 && v < UINT32_MAX)
		r = getpwuid_r((uid_t)v, &pw, buf, sizeof(buf), &res);
	else
		r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r != 0 || res == NULL) {
		log_warnx("unknown user '%s' (create it, or pass --user)", user);
		return -ESRCH;
	}
	if (res->pw_uid == 0) {
		log_warnx("refusing to run as root ('%s'): pass --user with an unprivileged user",
			  user);
		return -EPERM;
	}
	ret->uid = res->pw_uid;
	ret->gid = res->pw_gid;
	(void)snprintf(ret->name, sizeof(ret->name), "%s", res->pw_name);
	return 0;
}
