// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-evloop.c - the event seam (evloop.h) on this platform: readable,
 * writable, edge-triggered once per change, paused by mod(0), hang-up, del,
 * timeouts, close-on-exec.  (Unit tests run in the host's network namespace,
 * so nothing here binds an INET port; the proxy's tests cover connect errors.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat.h"
#include "evloop.h"
#include "tap.h"

static int tag_a, tag_b;

/* Wait once with a short timeout; the events found for ptr, or -1 if none. */
static int
events_for(int ev, void *ptr)
{
	struct pg_event e[PG_EVLOOP_MAX_EVENTS];
	int n = pg_evloop_wait(ev, e, PG_EVLOOP_MAX_EVENTS, 100);
	int what = -1;

	for (int i = 0; i < n; i++)
		if (e[i].ptr == ptr)
			what = (what < 0 ? 0 : what) | (int)e[i].what;
	return what;
}

/* Whether one wait finds events for ptr that include what. */
static bool
has_event(int ev, void *ptr, unsigned what)
{
	int w = events_for(ev, ptr);

	return w >= 0 && ((unsigned)w & what);
}

int
main(void)
{
	struct pg_event e[4];
	int ev = pg_evloop_open(), sv[2], what;
	char c;

	ok(ev >= 0, "pg_evloop_open gives an fd");
	ok(fcntl(ev, F_GETFD) & FD_CLOEXEC, "... which is close-on-exec");
	ok(pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC | PG_SOCK_NONBLOCK, 0, sv) == 0,
	   "a socketpair");

	is_int(pg_evloop_add(ev, sv[0], PG_EV_READ | PG_EV_EDGE, &tag_a), 0, "add, read, edge");
	is_int(pg_evloop_wait(ev, e, 4, 0), 0, "nothing yet: timeout 0 returns 0");
	ok(write(sv[1], "xy", 2) == 2, "the peer writes");
	what = events_for(ev, &tag_a);
	ok(what >= 0 && (what & PG_EV_READABLE), "readable, with our pointer");
	is_int(events_for(ev, &tag_a), -1, "edge-triggered: not again while unread");
	ok(write(sv[1], "z", 1) == 1, "more data arrives");
	ok(has_event(ev, &tag_a, PG_EV_READABLE), "a new edge: readable again");

	is_int(pg_evloop_mod(ev, sv[0], PG_EV_WRITE, &tag_b), 0, "mod to write, level");
	what = events_for(ev, &tag_b);
	ok(what >= 0 && (what & PG_EV_WRITABLE), "writable, with the new pointer");
	ok(!(what & PG_EV_READABLE), "not readable: read interest was dropped");
	ok(has_event(ev, &tag_b, PG_EV_WRITABLE), "level-triggered: writable again");

	is_int(pg_evloop_mod(ev, sv[0], 0, &tag_a), 0, "mod to nothing pauses it");
	is_int(events_for(ev, &tag_a), -1, "paused: no events");
	is_int(events_for(ev, &tag_b), -1, "... under either pointer");

	is_int(pg_evloop_mod(ev, sv[0], PG_EV_READ, &tag_a), 0, "read again, level");
	while (read(sv[0], &c, 1) == 1)
		;
	(void)shutdown(sv[1], SHUT_WR);
	what = events_for(ev, &tag_a);
	ok(what >= 0 && (what & PG_EV_HANGUP), "the peer's shutdown(SHUT_WR) is a hang-up");
	ok(what & PG_EV_READABLE, "... and readable (read gives EOF)");

	is_int(pg_evloop_del(ev, sv[0]), 0, "del");
	is_int(events_for(ev, &tag_a), -1, "deleted: no events");
	is_int(pg_evloop_del(ev, sv[0]), -ENOENT, "del twice: -ENOENT");
	is_int(pg_evloop_mod(ev, sv[0], PG_EV_READ, &tag_a), -ENOENT, "mod of an unknown fd");
	is_int(pg_evloop_add(ev, 12345, PG_EV_READ, &tag_a), -EBADF, "add of a bad fd: -EBADF");
	(void)close(sv[0]);
	(void)close(sv[1]);

	/* The proxy's listener pause with a shared counter: exclusive, deleted and added again. */
	ok(pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_CLOEXEC | PG_SOCK_NONBLOCK, 0, sv) == 0,
	   "another socketpair");
	is_int(pg_evloop_add(ev, sv[0], PG_EV_READ | PG_EV_EXCLUSIVE, &tag_a), 0,
	       "add, read, exclusive");
	ok(write(sv[1], "x", 1) == 1, "the peer writes");
	ok(has_event(ev, &tag_a, PG_EV_READABLE), "exclusive: readable");
	is_int(pg_evloop_del(ev, sv[0]), 0, "del pauses it");
	is_int(events_for(ev, &tag_a), -1, "deleted: no events");
	is_int(pg_evloop_add(ev, sv[0], PG_EV_READ | PG_EV_EXCLUSIVE, &tag_a), 0,
	       "add again resumes it");
	ok(has_event(ev, &tag_a, PG_EV_READABLE), "readable again (level)");

	/* The proxy's connection sockets: read, write, edge; and max bounds a wait. */
	is_int(pg_evloop_add(ev, sv[1], PG_EV_READ | PG_EV_WRITE | PG_EV_EDGE, &tag_b), 0,
	       "add the peer, read, write, edge");
	what = events_for(ev, &tag_b);
	ok(what >= 0 && (what & PG_EV_WRITABLE), "a connected socket is writable");
	ok(!(what & PG_EV_READABLE), "... and not readable");
	is_int(events_for(ev, &tag_b), -1, "edge-triggered: not again");
	ok(write(sv[0], "y", 1) == 1, "a write to the peer");
	is_int(pg_evloop_wait(ev, e, 1, 100), 1, "two fds ready, max 1: one event");
	ok(PG_EVLOOP_MAX_EVENTS >= 256, "PG_EVLOOP_MAX_EVENTS covers the proxy's 256");
	(void)close(sv[0]);
	(void)close(sv[1]);

	(void)close(ev);
	return tap_done();
}
