// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-shovel.c - one direction of a proxied connection between two UNIX
 * socket pairs: every byte arrives in order in splice and copy mode, the
 * source's EOF becomes shutdown(SHUT_WR) on the destination; splice mode
 * copies small messages (a short exchange never makes a pipe) and turns to a
 * pipe for a stream, and the pipe grows (up to its limit, never past it)
 * only when the stream fills it.
 * test-shovel-none runs the same cases against zerocopy-none.c (a platform
 * without splice): every byte still arrives; the assertions about pipes
 * become assertions that no pipe is made (see `zerocopy`).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat.h"
#include "../../src/proxy/shovel.h"
#include "../../src/proxy/zerocopy.h"
#include "tap.h"

/* false in test-shovel-none: the shovel copies where it would splice. */
static bool zerocopy;

#define TOTAL (3 * 1024 * 1024)

struct rig {
	int src[2]; /* the test writes src[0]; the shovel reads src[1] */
	int dst[2]; /* the shovel writes dst[0]; the test reads dst[1] */
};

static int
rig_open(struct rig *r)
{
	if (pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_NONBLOCK | PG_SOCK_CLOEXEC, 0, r->src) < 0)
		return -errno;
	if (pg_socketpair(AF_UNIX, SOCK_STREAM | PG_SOCK_NONBLOCK | PG_SOCK_CLOEXEC, 0, r->dst) < 0)
		return -errno;
		/*
		 * Room for more than a stream's first pipe in the source, so that one
		 * splice can fill it and the pipe grows (as root: past wmem_max).
		 * SO_SNDBUFFORCE is Linux's; elsewhere SO_SNDBUF twice.
		 */
#ifndef SO_SNDBUFFORCE
#define SO_SNDBUFFORCE SO_SNDBUF
#endif
	for (int big = 4 << 20, i = 0; i < 2; i++)
		(void)setsockopt(r->src[0], SOL_SOCKET, i ? SO_SNDBUF : SO_SNDBUFFORCE, &big,
				 sizeof(big));
	return 0;
}

static void
rig_close(struct rig *r)
{
	for (int i = 0; i < 2; i++) {
		(void)close(r->src[i]);
		(void)close(r->dst[i]);
	}
}

static unsigned char
pattern(size_t i)
{
	return (unsigned char)((i * 7 + i / 4093) & 0xff);
}

/*
 * Push TOTAL bytes through the shovel, then EOF.  Returns the bytes that
 * arrived intact (stops at the first wrong one); *ret_eof says whether the
 * reader saw EOF after them.  Bounded: every round moves something, or stops.
 */
static size_t
pump(struct pg_shovel *s, struct rig *r, bool *ret_eof, size_t *ret_max_cap)
{
	static unsigned char chunk[65536], in[65536];
	size_t sent = 0, got = 0;
	bool shut = false;

	*ret_eof = false;
	*ret_max_cap = s->cap;
	for (int round = 0; round < 1000000; round++) {
		bool progress = false, more;
		ssize_t n;
		long m;

		/* Up to 16 chunks a round: more than a pipe of PG_SHOVEL_PIPE_START. */
		for (int c = 0; c < 16 && sent < TOTAL; c++) {
			size_t len = TOTAL - sent < sizeof(chunk) ? TOTAL - sent : sizeof(chunk);

			for (size_t i = 0; i < len; i++)
				chunk[i] = pattern(sent + i);
			n = write(r->src[0], chunk, len);
			if (n <= 0)
				break;
			sent += (size_t)n;
			progress = true;
		}
		if (sent == TOTAL && !shut) {
			(void)shutdown(r->src[0], SHUT_WR);
			shut = progress = true;
		}
		pg_shovel_readable(s, shut); /* what the event loop would say */
		m = pg_shovel_run(s, r->src[1], r->dst[0], 1U << 20, &more);
		if (m < 0)
			return got;
		if (m > 0 || more)
			progress = true;
		if (s->cap > *ret_max_cap)
			*ret_max_cap = s->cap;
		while ((n = read(r->dst[1], in, sizeof(in))) > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (in[i] != pattern(got + (size_t)i))
					return got + (size_t)i;
			got += (size_t)n;
			progress = true;
		}
		if (n == 0) {
			*ret_eof = true;
			return got;
		}
		if (!progress && s->done)
			return got;
	}
	return got;
}

static void
check_mode(bool splice, size_t size, const char *what)
{
	struct pg_shovel s;
	struct rig r;
	size_t got, max_cap = 0;
	bool eof;
	int e;

	if (rig_open(&r) < 0) {
		ok(0, "%s: socketpair: %s", what, strerror(errno));
		return;
	}
	e = pg_shovel_init(&s, splice, size);
	is_int(e, 0, "%s: init", what);
	if (e < 0) {
		rig_close(&r);
		return;
	}
	if (splice)
		ok(s.pipe[0] < 0 && s.buf != NULL && s.cap == PG_SHOVEL_FIRST,
		   "%s: it starts copying, with no pipe yet", what);
	got = pump(&s, &r, &eof, &max_cap);
	is_int((long)got, (long)TOTAL, "%s: every byte arrived, in order", what);
	ok(eof, "%s: the source's EOF became the destination's EOF", what);
	ok(s.done, "%s: the shovel is done", what);
	if (splice && zerocopy)
		ok(s.buf == NULL && s.pipe[0] >= 0, "%s: the stream turned it to a pipe", what);
	if (splice && !zerocopy) /* about pipes: none here */
		ok(s.buf != NULL && s.pipe[0] < 0 && s.cap == PG_SHOVEL_SIZE / 4,
		   "%s: no zero-copy: the stream is copied through a larger buffer, no pipe", what);
	if (splice && s.buf == NULL) {
		if (size > 65536)
			ok(max_cap > 65536, "%s: a bulk stream grew the pipe (to %zu)", what,
			   max_cap);
		ok(max_cap <= (size > 65536 ? size : 65536),
		   "%s: the pipe never grew past its limit (%zu)", what, max_cap);
	}
	if (!splice)
		is_int((long)s.cap, (long)size, "%s: the buffer has the size asked for", what);
	pg_shovel_free(&s);
	rig_close(&r);
}

/*
 * A stream's pipe starts at PG_SHOVEL_PIPE_START (or the limit, if smaller):
 * 20 KiB waiting fill the first 16 KiB buffer, the rest goes through the new
 * pipe, too little to fill it and make it grow.
 */
static void
check_pipe_start(size_t limit, const char *what)
{
	static char data[20 * 1024], back[sizeof(data)];
	size_t start = limit < PG_SHOVEL_PIPE_START ? limit : PG_SHOVEL_PIPE_START;
	struct pg_shovel s;
	struct rig r;
	size_t got = 0;
	bool more;
	ssize_t n;

	if (rig_open(&r) < 0 || pg_shovel_init(&s, true, limit) < 0) {
		ok(0, "%s: setup", what);
		return;
	}
	memset(data, 'p', sizeof(data));
	ok(write(r.src[0], data, sizeof(data)) == (ssize_t)sizeof(data), "%s: the source sends",
	   what);
	pg_shovel_readable(&s, false);
	for (int i = 0; i < 4; i++) {
		(void)pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more);
		while ((n = read(r.dst[1], back + got, sizeof(back) - got)) > 0)
			got += (size_t)n;
		pg_shovel_readable(&s, false);
	}
	is_int((long)got, (long)sizeof(data), "%s: every byte arrived", what);
	if (zerocopy)
		ok(s.buf == NULL && s.cap == start, "%s: the pipe started at %zu bytes (has %zu)",
		   what, start, s.cap);
	else
		ok(s.buf != NULL && s.pipe[0] < 0, "%s: no zero-copy: no pipe", what);
	pg_shovel_free(&s);
	rig_close(&r);
}

static void
check_preload(bool splice)
{
	const char *what = splice ? "splice" : "copy";
	struct pg_shovel s;
	struct rig r;
	char buf[64] = { 0 };
	bool more;
	ssize_t n;

	if (rig_open(&r) < 0 || pg_shovel_init(&s, splice, PG_SHOVEL_PIPE_MAX) < 0) {
		ok(0, "%s: preload setup", what);
		return;
	}
	is_int(pg_shovel_preload(&s, "HDR", 3), 0, "%s: preload", what);
	ok(write(r.src[0], "body", 4) == 4, "%s: the source sends", what);
	(void)shutdown(r.src[0], SHUT_WR);
	(void)pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more);
	n = read(r.dst[1], buf, sizeof(buf) - 1);
	is_int((long)n, 7L, "%s: preloaded bytes and the source's bytes", what);
	is_str(buf, "HDRbody", "%s: the preloaded bytes go first", what);
	if (splice)
		ok(s.pipe[0] < 0, "%s: a short exchange never makes a pipe", what);
	pg_shovel_free(&s);
	rig_close(&r);
}

/* Messages smaller than the copy buffer, one at a time: copied, never a pipe. */
static void
check_small_messages(void)
{
	struct pg_shovel s;
	struct rig r;
	char msg[1024], buf[2048];
	bool more, all = true;

	if (rig_open(&r) < 0 || pg_shovel_init(&s, true, PG_SHOVEL_PIPE_MAX) < 0) {
		ok(0, "small messages: setup");
		return;
	}
	memset(msg, 'm', sizeof(msg));
	for (int i = 0; i < 200 && all; i++) {
		all = write(r.src[0], msg, sizeof(msg)) == (ssize_t)sizeof(msg);
		pg_shovel_readable(&s, false);
		all = all &&
		      pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more) == (long)sizeof(msg) &&
		      read(r.dst[1], buf, sizeof(buf)) == (ssize_t)sizeof(msg);
	}
	ok(all, "small messages: 200 KiB in 1 KiB messages, each delivered whole");
	ok(s.pipe[0] < 0 && s.buf != NULL, "small messages: still copying, no pipe made");
	pg_shovel_free(&s);
	rig_close(&r);
}

/*
 * A short read drains the source: without a new event the next run reads
 * nothing; an event makes it read; a hang-up reported with the last bytes
 * makes it read on to the EOF in the same run.
 */
static void
check_readiness(void)
{
	struct pg_shovel s;
	struct rig r;
	char buf[64] = { 0 };
	bool more;

	if (rig_open(&r) < 0 || pg_shovel_init(&s, true, PG_SHOVEL_PIPE_MAX) < 0) {
		ok(0, "readiness: setup");
		return;
	}
	ok(write(r.src[0], "one", 3) == 3, "readiness: the source sends");
	is_int(pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more), 3L,
	       "readiness: a fresh shovel reads at once");
	ok(!s.in_ready, "readiness: a short read leaves it not ready");
	ok(write(r.src[0], "two", 3) == 3, "readiness: more bytes, no event yet");
	is_int(pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more), 0L,
	       "readiness: without an event nothing is read");
	pg_shovel_readable(&s, false);
	is_int(pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more), 3L,
	       "readiness: the event makes it read");
	ok(write(r.src[0], "end", 3) == 3 && shutdown(r.src[0], SHUT_WR) == 0,
	   "readiness: last bytes and EOF together");
	pg_shovel_readable(&s, true);
	is_int(pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more), 3L,
	       "readiness: one event with a hang-up delivers the bytes");
	ok(s.eof && s.done, "readiness: ... and the EOF, in the same run");
	ok(read(r.dst[1], buf, sizeof(buf) - 1) == 9 && strcmp(buf, "onetwoend") == 0,
	   "readiness: everything arrived in order");
	pg_shovel_free(&s);
	rig_close(&r);
}

/*
 * A pipe can run out of slots (one per socket buffer) before it runs out of
 * bytes: a splice then says EAGAIN with the source not dry.  With the
 * destination blocked, only writable events follow (the source sends
 * nothing new): the shovel must still read the rest.
 */
static void
check_pipe_slots(void)
{
	static char big[PG_SHOVEL_FIRST], sink[65536];
	struct pg_shovel s;
	struct rig r;
	size_t sent = 0, got = 0, filler = 0;
	bool more, stuck = false;
	ssize_t n;
	long m;

	if (rig_open(&r) < 0 || pg_shovel_init(&s, true, PG_SHOVEL_PIPE_MAX) < 0) {
		ok(0, "pipe slots: setup");
		return;
	}
	/* One full buffer turns the shovel to splice. */
	memset(big, 'b', sizeof(big));
	ok(write(r.src[0], big, sizeof(big)) == (ssize_t)sizeof(big) &&
		   pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more) == (long)sizeof(big) &&
		   (zerocopy ? s.buf == NULL : s.buf != NULL && s.pipe[0] < 0),
	   zerocopy ? "pipe slots: a full buffer turned it to a pipe"
		    : "pipe slots: no zero-copy: a full buffer left it copying, no pipe");
	while ((n = read(r.dst[1], sink, sizeof(sink))) > 0)
		got += (size_t)n;
	/* Block the destination: fill its socket buffer ourselves. */
	while ((n = write(r.dst[0], sink, sizeof(sink))) > 0)
		filler += (size_t)n;
	/* 64 small writes: 64 socket buffers, more than a pipe's 16 slots. */
	for (int i = 0; i < 64; i++)
		sent += write(r.src[0], "0123456789", 10) == 10 ? 10 : 0;
	pg_shovel_readable(&s, false);
	(void)pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more);
	/* From here on only the destination's readiness changes. */
	for (int round = 0; round < 1000 && !stuck; round++) {
		while ((n = read(r.dst[1], sink, sizeof(sink))) > 0)
			got += (size_t)n;
		m = pg_shovel_run(&s, r.src[1], r.dst[0], 1U << 20, &more);
		if (m < 0)
			stuck = true;
		if (got >= sizeof(big) + filler + sent && s.len == 0)
			break;
	}
	is_int((long)got, (long)(sizeof(big) + filler + sent),
	       "pipe slots: every byte arrived with only writable events after the first");
	pg_shovel_free(&s);
	rig_close(&r);
}

int
main(void)
{
	zerocopy = pg_zerocopy_available();
	check_mode(true, PG_SHOVEL_PIPE_MAX, "splice");
	check_mode(true, 65536, "splice, limit 64 KiB");
	check_mode(false, PG_SHOVEL_SIZE, "copy");
	check_pipe_start(PG_SHOVEL_PIPE_MAX, "pipe start");
	check_pipe_start(65536, "pipe start, limit 64 KiB");
	check_preload(true);
	check_preload(false);
	check_small_messages();
	check_readiness();
	check_pipe_slots();
	return tap_done();
}
