// SPDX-License-Identifier: BSD-2-Clause
/*
 * evloop-epoll.c - evloop.h on Linux, with epoll(7).
 */
#ifdef __linux__
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "evloop.h"

int
pg_evloop_open(void)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int
ctl(int evfd, int op, int fd, unsigned interest, void *ptr)
{
	struct epoll_event ev = { .data.ptr = ptr };

	/* EPOLLEXCLUSIVE refuses EPOLLRDHUP (EINVAL); a listening socket never hangs up. */
	if (interest & PG_EV_READ)
		ev.events |= EPOLLIN | (interest & PG_EV_EXCLUSIVE ? 0u : EPOLLRDHUP);
	if (interest & PG_EV_WRITE)
		ev.events |= EPOLLOUT;
	if (interest & PG_EV_EDGE)
		ev.events |= EPOLLET;
	if (interest & PG_EV_EXCLUSIVE)
		ev.events |= EPOLLEXCLUSIVE;
	return epoll_ctl(evfd, op, fd, &ev) < 0 ? -errno : 0;
}

int
pg_evloop_add(int evfd, int fd, unsigned interest, void *ptr)
{
	return ctl(evfd, EPOLL_CTL_ADD, fd, interest, ptr);
}

int
pg_evloop_mod(int evfd, int fd, unsigned interest, void *ptr)
{
	return ctl(evfd, EPOLL_CTL_MOD, fd, interest, ptr);
}

int
pg_evloop_del(int evfd, int fd)
{
	return epoll_ctl(evfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

int
pg_evloop_wait(int evfd, struct pg_event *ev, int max, int timeout_ms)
{
	struct epoll_event e[PG_EVLOOP_MAX_EVENTS];
	int n;

	if (max > PG_EVLOOP_MAX_EVENTS)
		max = PG_EVLOOP_MAX_EVENTS;
	n = epoll_wait(evfd, e, max, timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const uint32_t x = e[i].events;

		ev[i].ptr = e[i].data.ptr;
		ev[i].what = (x & EPOLLIN ? PG_EV_READABLE : 0u) |
			     (x & EPOLLOUT ? PG_EV_WRITABLE : 0u) |
			     (x & (EPOLLHUP | EPOLLRDHUP) ? PG_EV_HANGUP : 0u) |
			     (x & EPOLLERR ? PG_EV_ERROR : 0u);
	}
	return n;
}
#endif
