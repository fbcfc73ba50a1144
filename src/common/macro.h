/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * macro.h - small helpers shared by every part of portgate.
 */
#ifndef PG_MACRO_H
#define PG_MACRO_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_     __attribute__((noreturn))
#define _unused_       __attribute__((unused))
#define _cleanup_(f)   __attribute__((cleanup(f)))

static inline void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		(void)close(*fd);
		errno = saved;
	}
}

static inline void
freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_free_	_cleanup_(freep)

/* Give away ownership: yields the value and leaves the variable empty. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tfd = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_tfd;                                                                              \
	})
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tp = (p);                                                           \
		(p) = NULL;                                                                        \
		_tp;                                                                               \
	})

/* Retry a libc call interrupted by a signal; evaluates to its result. */
#define RETRY_EINTR(expr)                                                                          \
	({                                                                                         \
		__typeof__(expr) _r;                                                               \
		do                                                                                 \
			_r = (expr);                                                               \
		while (_r == -1 && errno == EINTR);                                                \
		_r;                                                                                \
	})

#endif
