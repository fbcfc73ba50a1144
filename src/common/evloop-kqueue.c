// SPDX-License-Identifier: BSD-2-Clause
/*
 * evloop-kqueue.c - evloop.h on macOS and the BSDs, with kqueue(2).  Each fd
 * has a read and a write filter, both added at once and enabled or disabled
 * by interest, so pg_evloop_mod() needs no memory of what was watched.
 * PG_EV_EXCLUSIVE has no kqueue counterpart and is ignored: every process
 * watching a shared listening socket wakes, and all but one find nothing to
 * accept.  Not built on Linux (evloop-epoll.c is); CI cross-builds it for
 * macOS (`make macos`), no BSD machine compiles it.
 */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__) ||                        \
	defined(__OpenBSD__) || defined(__NetBSD__)
#include <errno.h>
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "evloop.h"

int
pg_evloop_open(void)
{
	int fd;

#if defined(__NetBSD__) || defined(__FreeBSD__)
	fd = kqueue1(O_CLOEXEC);
#else
	fd = kqueue();
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int err = errno;

		(void)close(fd);
		return -err;
	}
#endif
	return fd < 0 ? -errno : fd;
}

static int
ctl(int evfd, int fd, unsigned interest, void *ptr, unsigned short action)
{
	const unsigned short clear = interest & PG_EV_EDGE ? EV_CLEAR : 0;
	struct kevent kev[2];

	EV_SET(&kev[0], (uintptr_t)fd, EVFILT_READ,
	       action | clear | (interest & PG_EV_READ ? EV_ENABLE : EV_DISABLE), 0, 0, ptr);
	EV_SET(&kev[1], (uintptr_t)fd, EVFILT_WRITE,
	       action | clear | (interest & PG_EV_WRITE ? EV_ENABLE : EV_DISABLE), 0, 0, ptr);
	return kevent(evfd, kev, 2, NULL, 0, NULL) < 0 ? -errno : 0;
}

int
pg_evloop_add(int evfd, int fd, unsigned interest, void *ptr)
{
	return ctl(evfd, fd, interest, ptr, EV_ADD);
}

int
pg_evloop_mod(int evfd, int fd, unsigned interest, void *ptr)
{
	return ctl(evfd, fd, interest, ptr, EV_ADD); /* EV_ADD on a known filter modifies it */
}

int
pg_evloop_del(int evfd, int fd)
{
	struct kevent kev[2];

	EV_SET(&kev[0], (uintptr_t)fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	EV_SET(&kev[1], (uintptr_t)fd, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	return kevent(evfd, kev, 2, NULL, 0, NULL) < 0 ? -errno : 0;
}

int
pg_evloop_wait(int evfd, struct pg_event *ev, int max, int timeout_ms)
{
	struct kevent e[PG_EVLOOP_MAX_EVENTS];
	struct timespec ts, *tp = NULL;
	int n;

	if (max > PG_EVLOOP_MAX_EVENTS)
		max = PG_EVLOOP_MAX_EVENTS;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tp = &ts;
	}
	n = kevent(evfd, NULL, 0, e, max, tp);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		ev[i].ptr = (void *)e[i].udata;
		ev[i].what = (e[i].filter == EVFILT_READ ? PG_EV_READABLE : 0u) |
			     (e[i].filter == EVFILT_WRITE ? PG_EV_WRITABLE : 0u) |
			     (e[i].flags & EV_EOF ? PG_EV_HANGUP : 0u) |
			     (e[i].flags & EV_ERROR || (e[i].flags & EV_EOF && e[i].fflags != 0)
				      ? PG_EV_ERROR
				      : 0u);
	}
	return n;
}
#endif
