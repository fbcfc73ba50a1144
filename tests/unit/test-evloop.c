/*
 * test-evloop.c - the event seam (evloop.h) on this platform: readable,
 * writable, edge-triggered once per change, paused by mod(0), hang-up, del,
 * timeouts, close-on-exec.  (Unit tests run in the host's network namespace,
 * so nothing here binds an INET port; the proxy's tests cover connect errors.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int
main(void)
{
	struct pg_event e[4];
	int ev = pg_evloop_open(), sv[2], what;
	char c;

	ok(ev >= 0, "pg_evloop_open gives an fd");
	ok(fcntl(ev, F_GETFD) & FD_CLOEXEC, "... which is close-on-exec");
	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0,
	   "a socketpair");

	is_int(pg_evloop_add(ev, sv[0], PG_EV_READ | PG_EV_EDGE, &tag_a), 0, "add, read, edge");
	is_int(pg_evloop_wait(ev, e, 4, 0), 0, "nothing yet: timeout 0 returns 0");
	ok(write(sv[1], "xy", 2) == 2, "the peer writes");
	what = events_for(ev, &tag_a);
	ok(what >= 0 && (what & PG_EV_READABLE), "readable, with our pointer");
	is_int(events_for(ev, &tag_a), -1, "edge-triggered: not again while unread");
	ok(write(sv[1], "z", 1) == 1, "more data arrives");
	ok(events_for(ev, &tag_a) & PG_EV_READABLE, "a new edge: readable again");

	is_int(pg_evloop_mod(ev, sv[0], PG_EV_WRITE, &tag_b), 0, "mod to write, level");
	what = events_for(ev, &tag_b);
	ok(what >= 0 && (what & PG_EV_WRITABLE), "writable, with the new pointer");
	ok(!(what & PG_EV_READABLE), "not readable: read interest was dropped");
	ok(events_for(ev, &tag_b) & PG_EV_WRITABLE, "level-triggered: writable again");

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

	(void)close(ev);
	return tap_done();
}
