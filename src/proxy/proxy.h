/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxy.h - the connection engine of `portgate proxy`: accept on listening
 * sockets, connect each client to one backend address and shovel bytes both
 * ways in a single event loop (evloop.h: epoll on Linux, kqueue on macOS and
 * the BSDs).  Clients and backends are untrusted peers; an error on one
 * connection ends only that connection.
 * Library code: returns -errno; logs only through the caller's callback.
 */
#ifndef PG_PROXY_H
#define PG_PROXY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

enum { PG_PROXY_LOG_ERR = 0, PG_PROXY_LOG_WARN, PG_PROXY_LOG_INFO, PG_PROXY_LOG_DEBUG };

struct pg_proxy_config {
	/*
	 * Listening stream sockets, or bound datagram sockets (all of the
	 * backend's type); the engine makes them non-blocking.
	 */
	const int *listen_fds;
	size_t nlisten;
	struct sockaddr_storage backend; /* AF_UNIX, AF_INET or AF_INET6 */
	socklen_t backend_len;
	int backend_type;	  /* SOCK_STREAM (also 0) or SOCK_DGRAM */
	unsigned max_connections; /* 0: no cap; datagram sessions count too */
	/*
	 * NULL, or a counter shared (MAP_SHARED) by the processes serving the
	 * same listening sockets: max_connections then caps the stream
	 * connections open in all of them (reserved before accept, released on
	 * close), a full engine polls it, and the listeners are watched with
	 * PG_EV_EXCLUSIVE (EPOLLEXCLUSIVE) so one process wakes per connection
	 * (on Linux; kqueue wakes them all).
	 */
	_Atomic unsigned *shared_count;
	/*
	 * NULL, or how many processes serve with shared_count now (shared too;
	 * 0 or 1: this one alone).  With more, a process that holds more than
	 * its share of all their connections (plus one) stops watching the
	 * listeners once their backlog is empty, until it is back under: the
	 * kernel wakes the first idle watcher for each new connection, so
	 * without this one process could take them all while the others idle.
	 */
	const _Atomic unsigned *shared_workers;
	unsigned udp_idle_timeout_ms; /* a datagram session's idle timeout; 0: none */
	unsigned idle_timeout_ms;     /* 0: none */
	unsigned connect_timeout_ms;  /* how long a client waits for the backend */
	bool copy;		      /* read/write instead of splice */
	int proxy_protocol;	      /* 0, or 1/2: send a PROXY protocol v1/v2 header first */
	/* AF_UNIX: the backend's peer uid (datagram: its socket file's) must be owner_uid or 0 */
	bool check_owner;
	uid_t owner_uid;
	/* An extra fd to watch (e.g. a signalfd): event() returns non-zero to stop the loop. */
	int event_fd;
	int (*event)(void *userdata);
	void (*log)(void *userdata, int level, int err, const char *msg);
	void *userdata;
};

struct pg_proxy;

/* Returns 0 and a new engine in *ret, or -errno.  The fds stay the caller's. */
int pg_proxy_new(const struct pg_proxy_config *cfg, struct pg_proxy **ret);

/*
 * Serve until cfg->event() asks to stop or a drain is over (returns 0), or
 * the loop fails (-errno).
 */
int pg_proxy_run(struct pg_proxy *p);

/*
 * Stop accepting: the listening fds leave the loop at once (the caller may
 * close them now), datagram sessions end, and pg_proxy_run() returns 0 once
 * the open connections have finished or timeout_ms has passed.  Idempotent.
 */
void pg_proxy_drain(struct pg_proxy *p, unsigned timeout_ms);

/* Connections open now (for tests and status). */
size_t pg_proxy_connections(const struct pg_proxy *p);

/* Close every connection and free the engine; NULL is fine. */
void pg_proxy_free(struct pg_proxy *p);

#endif
