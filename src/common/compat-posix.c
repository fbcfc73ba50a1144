// SPDX-License-Identifier: BSD-2-Clause
/*
 * compat-posix.c - compat.h's out-of-line calls where libc lacks the glibc
 * ones (macOS): an empty environ for clearenv(), a table for
 * strerrorname_np(), getservbyname() under a lock for getservbyname_r().
 */
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "macro.h"

extern char **environ;

int
pg_clearenv(void)
{
	static char *empty[1] = { NULL };

	environ = empty;
	return 0;
}

#define E(name)                                                                                    \
	{                                                                                          \
		name, #name                                                                        \
	}
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	E(EPERM),	 E(ENOENT),	  E(ESRCH),	   E(EINTR),	     E(EIO),
	E(ENXIO),	 E(E2BIG),	  E(ENOEXEC),	   E(EBADF),	     E(ECHILD),
	E(EAGAIN),	 E(ENOMEM),	  E(EACCES),	   E(EFAULT),	     E(EBUSY),
	E(EEXIST),	 E(EXDEV),	  E(ENODEV),	   E(ENOTDIR),	     E(EISDIR),
	E(EINVAL),	 E(ENFILE),	  E(EMFILE),	   E(ENOTTY),	     E(EFBIG),
	E(ENOSPC),	 E(ESPIPE),	  E(EROFS),	   E(EMLINK),	     E(EPIPE),
	E(EDOM),	 E(ERANGE),	  E(EALREADY),	   E(EINPROGRESS),   E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE),	  E(EPROTOTYPE),   E(ENOPROTOOPT),   E(EPROTONOSUPPORT),
	E(EOPNOTSUPP),	 E(EAFNOSUPPORT), E(EADDRINUSE),   E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH),	 E(ECONNABORTED), E(ECONNRESET),   E(ENOBUFS),	     E(EISCONN),
	E(ENOTCONN),	 E(ETIMEDOUT),	  E(ECONNREFUSED), E(ELOOP),	     E(ENAMETOOLONG),
	E(EHOSTUNREACH), E(ENOTEMPTY),	  E(ENOSYS),	   E(ENOTSUP),	     E(EOVERFLOW),
	E(ECANCELED),	 E(EPROTO),	  E(EBADMSG),
};
#undef E

const char *
pg_errno_name(int err)
{
	for (size_t i = 0; i < nitems(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

int
pg_service_port(const char *name, const char *proto, uint16_t *ret)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct servent *se;
	int r = -ENOENT;

	(void)pthread_mutex_lock(&lock);
	se = getservbyname(name, proto);
	if (se != NULL) {
		*ret = ntohs((uint16_t)se->s_port);
		r = 0;
	}
	(void)pthread_mutex_unlock(&lock);
	return r;
}
