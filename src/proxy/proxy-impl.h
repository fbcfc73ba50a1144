/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxy-impl.h - the proxy engine's own state, shared by proxy.c (the event
 * loop and stream connections) and proxy-udp.c (the datagram relay); not for
 * the programs, which see proxy.h only.
 */
#ifndef PG_PROXY_IMPL_H
#define PG_PROXY_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"
#include "macro.h"
#include "proxy.h"
#include "shovel.h"

#define MAX_EVENTS	256
#define ACCEPT_BURST	64	   /* accepts per wakeup of one listener */
#define SHOVEL_BUDGET	(1U << 20) /* bytes per direction per turn: fairness */
#define ACCEPT_PAUSE_MS 100	   /* after EMFILE/ENFILE/ENOBUFS/ENOMEM */
#define RETRY_FIRST_MS	10	   /* backend not ready: first retry */
#define RETRY_MAX_MS	250
#define FAST_TICK_MS	10    /* while connects wait or accepting is paused */
#define LOG_INTERVAL_MS 10000 /* rate limit of the per-connection warnings */
#define DGRAM_BURST	64    /* datagrams per wakeup of one socket */
#define DGRAM_MAX	65536 /* the largest datagram relayed */

_Static_assert(MAX_EVENTS <= PG_EVLOOP_MAX_EVENTS, "pg_evloop_wait() returns at most that many");

enum tag_kind { TAG_LISTEN, TAG_CLIENT, TAG_BACKEND, TAG_EVENT, TAG_DGRAM, TAG_SESSION };

struct tag {
	enum tag_kind kind;
	void *ptr; /* struct conn * or struct listener * */
};

enum conn_state { CONN_CONNECTING, CONN_WAITING, CONN_OPEN };

struct conn {
	struct conn *prev, *next; /* all connections, or the dead list */
	struct conn *more_next;	  /* on the list of connections whose budget ran out */
	struct tag client_tag, backend_tag;
	int client, backend;
	enum conn_state state;
	bool dead, more;
	/* A hang-up (or error) seen before the shovels exist, on the client or the backend. */
	bool client_hup, backend_hup;
	struct pg_shovel up, down; /* client -> backend, backend -> client */
	uint64_t last_active, deadline, retry_at;
	unsigned retry_delay;
};

struct listener {
	struct tag tag;
	int fd; /* -1 once draining */
	bool armed;
	bool dgram; /* a bound datagram socket: relayed, never disarmed */
	bool tcp;   /* an IPv4/IPv6 stream socket: its clients get TCP_NODELAY */
};

/* One datagram client: its address and a socket connected to the backend. */
struct session {
	struct session *prev, *next; /* all sessions, or the dead list */
	struct tag tag;
	struct listener *l; /* where the client's datagrams arrive and replies leave */
	int fd;
	bool dead;
	struct sockaddr_storage client;
	socklen_t client_len;
	uint64_t last_active;
};

struct ratelimit {
	uint64_t next;
	unsigned suppressed;
};

struct pg_proxy {
	struct pg_proxy_config cfg;
	int epfd;
	struct listener *listeners;
	struct tag event_tag;
	struct conn *conns, *dead, *more;
	size_t nconns, nwaiting; /* nwaiting: CONNECTING or WAITING */
	struct session *sessions, *dead_sessions;
	size_t nsessions;
	char *dgram_buf; /* DGRAM_MAX bytes, with datagram listeners only */
	bool accept_paused, draining;
	bool share_paused;		    /* over its share of all the workers' connections */
	bool cap_full;			    /* the listeners are disarmed for the cap */
	_Atomic unsigned own_count, *count; /* connections open (cfg.shared_count or own) */
	uint64_t accept_resume, next_sweep, drain_deadline;
	struct ratelimit rl_backend, rl_accept, rl_setup, rl_sessions;
};

void _printf_(4, 5) pg_proxy_log(struct pg_proxy *p, int level, int err, const char *fmt, ...);
/* At most one line per LOG_INTERVAL_MS for this kind of failure; the rest are counted. */
void _printf_(5, 6) pg_proxy_log_limited(struct pg_proxy *p, struct ratelimit *rl, int level,
					 int err, const char *fmt, ...);
/* "tcp:HOST:PORT", "udp:[HOST]:PORT", "unix:PATH"...: the backend, for messages. */
const char *pg_proxy_backend_name(const struct pg_proxy *p, char *buf, size_t size);

/* proxy-udp.c: the datagram relay, one session (a connected socket) per client. */
void pg_proxy_on_datagram(struct pg_proxy *p, struct listener *l);
void pg_proxy_on_session(struct pg_proxy *p, struct session *s);
void pg_proxy_session_close(struct pg_proxy *p, struct session *s);
void pg_proxy_sweep_sessions(struct pg_proxy *p, uint64_t now);
void pg_proxy_reap_dead_sessions(struct pg_proxy *p);

#endif
