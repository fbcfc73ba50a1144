// SPDX-License-Identifier: BSD-2-Clause
/*
 * compat-linux.c - compat.h's out-of-line calls on Linux (glibc): the Linux
 * calls themselves.  compat-posix.c has the fallbacks elsewhere.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

int
pg_clearenv(void)
{
	return clearenv();
}

const char *
pg_errno_name(int err)
{
	return strerrorname_np(err);
}

int
pg_service_port(const char *name, const char *proto, uint16_t *ret)
{
	struct servent se, *res = NULL;
	char buf[1024];

	if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -ENOENT;
	*ret = ntohs((uint16_t)res->s_port);
	return 0;
}
