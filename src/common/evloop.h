/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evloop.h - readiness of file descriptors, the one platform seam of an event
 * loop: epoll on Linux (evloop-epoll.c), kqueue on macOS and the BSDs
 * (evloop-kqueue.c).  Each file is guarded by #if, so the Makefile builds
 * both and each platform gets its own.  The callers (the proxy) see only
 * what is here.  Library code: returns -errno, never logs.
 */
#ifndef PG_EVLOOP_H
#define PG_EVLOOP_H

#include <stdbool.h>

/* What to watch an fd for (pg_evloop_add, pg_evloop_mod). */
enum {
	PG_EV_READ = 1u << 0,
	PG_EV_WRITE = 1u << 1,
	/* Report a readiness once, when it begins (EPOLLET, EV_CLEAR), not while it lasts. */
	PG_EV_EDGE = 1u << 2,
	/*
	 * A listening socket that other processes watch too: wake only one of
	 * them per connection where the platform can (EPOLLEXCLUSIVE; kqueue
	 * ignores it).  Cannot be changed by pg_evloop_mod(): delete and add.
	 * With PG_EV_READ, epoll then watches for no peer shutdown (EPOLLRDHUP
	 * is refused with EPOLLEXCLUSIVE); a listening socket has none.
	 */
	PG_EV_EXCLUSIVE = 1u << 3,
};

/* What happened (struct pg_event.what); several may come at once. */
enum {
	PG_EV_READABLE = 1u << 0,
	PG_EV_WRITABLE = 1u << 1,
	PG_EV_HANGUP = 1u << 2, /* the peer closed, or shut down its sending side */
	PG_EV_ERROR = 1u << 3,	/* an error is pending on the fd (SO_ERROR says which) */
};

struct pg_event {
	void *ptr; /* as given to pg_evloop_add or pg_evloop_mod */
	unsigned what;
};

/*
 * At most this many events per pg_evloop_wait() (the proxy takes 256 per
 * wakeup; the implementations keep an array of this size on the stack).
 */
#define PG_EVLOOP_MAX_EVENTS 256

/* A new, close-on-exec event queue; returns its fd or -errno. */
int pg_evloop_open(void);

/* Watch fd for interest (PG_EV_*), reporting ptr with its events.  0 or -errno. */
int pg_evloop_add(int evfd, int fd, unsigned interest, void *ptr);

/* Watch fd for interest instead; 0 (no PG_EV_READ or _WRITE) pauses it.  0 or -errno. */
int pg_evloop_mod(int evfd, int fd, unsigned interest, void *ptr);

/* Stop watching fd (closing fd does that too).  0 or -errno. */
int pg_evloop_del(int evfd, int fd);

/*
 * Wait up to timeout_ms (-1: forever, 0: not at all) for events; fills at
 * most max (<= PG_EVLOOP_MAX_EVENTS) and returns how many, or -errno
 * (-EINTR when a signal came).  With kqueue one fd may be reported twice in
 * one call, once readable and once writable.
 */
int pg_evloop_wait(int evfd, struct pg_event *ev, int max, int timeout_ms);

#endif
