/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shovel.h - move the bytes of one direction of a proxied connection: from a
 * source socket through a pipe (splice(2), zero-copy) or a buffer (read/write)
 * to a destination socket, and pass the source's EOF on as shutdown(SHUT_WR).
 * Library code: returns -errno, never logs.  Handles untrusted peers' bytes.
 */
#ifndef PG_SHOVEL_H
#define PG_SHOVEL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Bytes one direction may hold: the copy buffer, and the most a pipe grows to
 * (the kernel's default /proc/sys/fs/pipe-max-size, so unprivileged too).
 */
#define PG_SHOVEL_SIZE	   (256 * 1024)
#define PG_SHOVEL_PIPE_MAX (1024 * 1024)
/*
 * In splice mode a direction starts with a copy buffer of PG_SHOVEL_FIRST
 * bytes and turns to a pipe the first time one read fills that buffer (more
 * was waiting than it holds: a stream).  Messages smaller than that are
 * copied, which costs the same two system calls as splicing them and no pipe
 * (pipe2, its size, two closes); bulk data is spliced.
 */
#define PG_SHOVEL_FIRST (16 * 1024)
/*
 * A stream's pipe starts at this size (or size, if smaller), as
 * systemd-socket-proxyd's and haproxy's tuned ones do, and grows from there.
 */
#define PG_SHOVEL_PIPE_START (256 * 1024)

struct pg_shovel {
	int pipe[2];	/* splice mode: -1 in copy mode */
	char *buf;	/* copy mode: NULL in splice mode */
	size_t cap;	/* what the pipe or buffer holds now */
	size_t max;	/* splice mode: what the pipe may grow to */
	size_t len;	/* bytes held */
	size_t off;	/* copy mode: where the held bytes start in buf */
	bool eof;	/* the source said EOF */
	bool done;	/* EOF seen, everything delivered and SHUT_WR sent */
	bool no_grow;	/* the kernel refused a larger pipe (per-user pipe budget) */
	bool to_splice; /* copying for now; splice once a read fills the buffer */
	bool filled;	/* to_splice: a read filled the buffer */
	/*
	 * The source may have bytes (or EOF, or an error) to read: set at init
	 * and by pg_shovel_readable(); while copying, cleared when a read finds
	 * nothing or returns less than asked (the socket was drained; new bytes
	 * bring a new edge-triggered event).  Saves a read that would only say
	 * EAGAIN, per direction and event, for small messages; a spliced
	 * stream's source is tried at every event.
	 */
	bool in_ready;
	bool in_hup; /* the source hung up or has an error: read on to EOF */
};

/*
 * Prepare a shovel.  With splice it copies through a small buffer until a
 * read fills it (see PG_SHOVEL_FIRST), then uses a pipe of PG_SHOVEL_PIPE_START bytes
 * that grows, by four times at a step up to size bytes, each time one splice
 * fills all the room left (a bulk stream: fewer, larger splices); a pipe the
 * kernel will not grow stays as it is, and a pipe it will not give at all
 * (EMFILE) leaves the shovel copying.  On a platform without zero-copy
 * (zerocopy.h: zerocopy-none.c) that read trades the buffer for one of
 * PG_SHOVEL_SIZE / 4 bytes instead, and the shovel copies on.  Without
 * splice it uses a buffer of size bytes.  Returns 0 or -errno (-ENOMEM...).
 */
int pg_shovel_init(struct pg_shovel *s, bool splice, size_t size);
void pg_shovel_free(struct pg_shovel *s);

/*
 * The event loop saw the source readable; hup: it also hung up or has an
 * error, so the next run reads until EOF or the error.
 */
void pg_shovel_readable(struct pg_shovel *s, bool hup);

/*
 * Queue len bytes (at most a page) to go out before anything read from the
 * source; only on a fresh shovel.  Returns 0 or -errno.
 */
int pg_shovel_preload(struct pg_shovel *s, const void *data, size_t len);

/*
 * Move what can be moved now from in to out, both non-blocking, at most
 * budget bytes; in is read only while it may be readable (see in_ready).  Returns the bytes moved
 * (0: blocked or done), or -errno for an error on either socket.  *ret_more is set when the budget
 * ran out and the caller must call again without waiting for an event.  Where the platform has
 * no MSG_NOSIGNAL (macOS) the process must ignore SIGPIPE (see sock.h).
 */
long pg_shovel_run(struct pg_shovel *s, int in, int out, size_t budget, bool *ret_more);

#endif
