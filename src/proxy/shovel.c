// SPDX-License-Identifier: BSD-2-Clause
/*
 * shovel.c - one direction of a proxied connection: splice(2) through a pipe
 * once the direction carries a stream, read/write through a buffer for small
 * messages and when splice is off or unsupported.  The pipe and the splices
 * are the platform's (zerocopy.h): on a platform without them the shovel
 * copies.
 * Library code: returns -errno, never logs.  Handles untrusted peers' bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "shovel.h"
#include "sock.h" /* MSG_NOSIGNAL where the platform has none */
#include "zerocopy.h"

static int
copy_init(struct pg_shovel *s, size_t size)
{
	s->buf = malloc(size);
	if (s->buf == NULL)
		return -ENOMEM;
	s->cap = size;
	return 0;
}

int
pg_shovel_init(struct pg_shovel *s, bool splice, size_t size)
{
	*s = (struct pg_shovel){ .pipe = { -1, -1 }, .in_ready = true };
	if (!splice)
		return copy_init(s, size);
	s->max = size;
	s->to_splice = true;
	return copy_init(s, PG_SHOVEL_FIRST);
}

/*
 * Copy from now on, through a buffer of PG_SHOVEL_SIZE / 4 bytes: splice() is
 * not supported between these fds, or this platform has no zero-copy
 * (zerocopy-none.c).  Nothing is held.  Without memory for that buffer a
 * buffer the shovel has stays in use; -ENOMEM only when it has none.
 */
static int
copy_from_now(struct pg_shovel *s)
{
	char *buf = realloc(s->buf, PG_SHOVEL_SIZE / 4);

	s->to_splice = false;
	if (buf == NULL)
		return s->buf != NULL ? 0 : -ENOMEM;
	closep(&s->pipe[0]);
	closep(&s->pipe[1]);
	s->pipe[0] = s->pipe[1] = -1;
	s->buf = buf;
	s->cap = PG_SHOVEL_SIZE / 4;
	s->off = 0;
	return 0;
}

/*
 * The direction carries a stream: trade the buffer (empty now) for a pipe of
 * PG_SHOVEL_PIPE_START bytes, so a stream moves in large splices from its
 * first one.  Only streams get pipes: small messages never cost any of the
 * user's pipe budget (pipe-user-pages-soft), which counts a pipe's size
 * whether or not it is filled.  Over the budget the kernel refuses the size
 * and gives less than its default: use what we got, and do not ask for more.
 * Without a pipe (EMFILE...) the shovel goes on copying.
 */
static void
turn_to_splice(struct pg_shovel *s)
{
	size_t size;
	int fds[2], r;

	s->to_splice = false;
	r = pg_zerocopy_pipe(fds, &size);
	if (r == -ENOSYS) {
		(void)copy_from_now(s); /* no zero-copy here: zerocopy-none.c */
		return;
	}
	if (r < 0)
		return;
	if (size < PG_SHOVEL_PIPE_START && s->max > size) {
		long got = pg_zerocopy_resize(
			fds[0], s->max < PG_SHOVEL_PIPE_START ? s->max : PG_SHOVEL_PIPE_START);

		if (got > 0)
			size = (size_t)got;
		else
			s->no_grow = true;
	}
	free(s->buf);
	s->buf = NULL;
	s->pipe[0] = fds[0];
	s->pipe[1] = fds[1];
	s->cap = size;
	s->off = 0;
	s->in_ready = true; /* splicing: tried at every event (see fill) */
}

void
pg_shovel_readable(struct pg_shovel *s, bool hup)
{
	s->in_ready = true;
	if (hup)
		s->in_hup = true;
}

void
pg_shovel_free(struct pg_shovel *s)
{
	closep(&s->pipe[0]);
	closep(&s->pipe[1]);
	s->pipe[0] = s->pipe[1] = -1;
	free(s->buf);
	s->buf = NULL;
}

int
pg_shovel_preload(struct pg_shovel *s, const void *data, size_t len)
{
	ssize_t n;

	if (s->len != 0 || len > 4096 || len > s->cap)
		return -EINVAL;
	if (s->buf != NULL) {
		memcpy(s->buf, data, len);
		s->off = 0;
		s->len = len;
		return 0;
	}
	/* The pipe is empty and holds at least a page: the write is whole. */
	n = write(s->pipe[1], data, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	s->len = len;
	return 0;
}

/* A splice filled all the room there was: a bulk stream, so make the pipe larger if we may. */
static void
grow_pipe(struct pg_shovel *s)
{
	size_t want = s->cap * 4 < s->max ? s->cap * 4 : s->max;
	long r;

	if (s->no_grow || want <= s->cap)
		return;
	r = pg_zerocopy_resize(s->pipe[0], want);
	if (r < 0) {
		s->no_grow = true; /* EPERM: over the per-user pipe budget; keep this size */
		return;
	}
	s->cap = (size_t)r;
}

/* Fill from in: bytes read, 0 when blocked (or at EOF, then s->eof), or -errno. */
static long
fill(struct pg_shovel *s, int in, size_t max)
{
	ssize_t n;

	if (s->buf == NULL) {
		n = pg_zerocopy_splice(in, s->pipe[1], max);
		if (n == -EINVAL && s->len == 0) {
			int r = copy_from_now(s);

			if (r < 0)
				return r;
			return fill(s, in, max < s->cap ? max : s->cap);
		}
		if (n > 0 && (size_t)n == s->cap - s->len)
			grow_pipe(s);
	} else {
		if (s->off + s->len == s->cap && s->len > 0) {
			memmove(s->buf, s->buf + s->off, s->len);
			s->off = 0;
		} else if (s->len == 0) {
			s->off = 0;
		}
		if (max > s->cap - s->off - s->len)
			max = s->cap - s->off - s->len;
		n = recv(in, s->buf + s->off + s->len, max, 0);
		if (n < 0)
			n = -errno;
		if (s->to_splice && n > 0 && s->off + s->len + (size_t)n == s->cap)
			s->filled = true;
		if (n > 0 && (size_t)n < max && !s->in_hup)
			s->in_ready = false; /* drained: the next bytes bring an event */
	}
	if (n < 0) {
		/*
		 * Only a read's EAGAIN says the source is dry.  A splice into a
		 * pipe that holds bytes may say EAGAIN because the pipe is out of
		 * slots (one per socket buffer), with bytes still waiting that no
		 * event will announce again; and a stream is moved fastest by
		 * trying its source whenever either side has an event, as the
		 * splice path always did.
		 */
		if (n == -EAGAIN && s->buf != NULL)
			s->in_ready = false;
		return n == -EAGAIN || n == -EINTR ? 0 : n;
	}
	if (n == 0)
		s->eof = true;
	s->len += (size_t)n;
	return n;
}

/* Drain into out: bytes written, 0 when blocked, or -errno. */
static long
drain(struct pg_shovel *s, int out)
{
	ssize_t n;

	if (s->buf == NULL) {
		n = pg_zerocopy_splice(s->pipe[0], out, s->len);
	} else {
		n = send(out, s->buf + s->off, s->len, MSG_NOSIGNAL);
		if (n < 0)
			n = -errno;
	}
	if (n < 0)
		return n == -EAGAIN || n == -EINTR ? 0 : n;
	s->len -= (size_t)n;
	if (s->buf != NULL)
		s->off = s->len == 0 ? 0 : s->off + (size_t)n;
	return n;
}

long
pg_shovel_run(struct pg_shovel *s, int in, int out, size_t budget, bool *ret_more)
{
	size_t moved = 0;

	*ret_more = false;
	while (!s->done) {
		long r, w = 0;

		r = 0;
		if (!s->eof && s->len < s->cap && s->in_ready) {
			size_t max = s->cap - s->len;

			if (max > budget - moved)
				max = budget - moved;
			r = fill(s, in, max);
			if (r < 0)
				return r;
		}
		if (s->len > 0) {
			w = drain(s, out);
			if (w < 0)
				return w;
			moved += (size_t)w;
			if (s->to_splice && s->filled && s->len == 0 && !s->eof)
				turn_to_splice(s);
		}
		if (s->eof && s->len == 0) {
			/* Half-close: the peer of out learns that no more is coming. */
			if (shutdown(out, SHUT_WR) < 0 && errno != ENOTCONN)
				return -errno;
			s->done = true;
			break;
		}
		if (r == 0 && w == 0)
			break; /* blocked both ways: an edge on in or out wakes us */
		if (moved >= budget) {
			*ret_more = true;
			break;
		}
	}
	return (long)moved;
}
