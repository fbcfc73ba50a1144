// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy.c - the connection engine of `portgate proxy`: one event loop
 * (evloop.h: epoll on Linux, kqueue on macOS/BSD), edge-triggered sockets,
 * a shovel per direction, timers by periodic sweep.  Clients and backends
 * are untrusted peers; an error on one connection ends only that connection.
 * Library code: returns -errno; logs only through the caller's callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "clock.h"
#include "cred.h"
#include "evloop.h"
#include "macro.h"
#include "proxyproto.h"
#include "shovel.h"
#include "sock.h"

#include "proxy-impl.h"

void _printf_(4, 5) pg_proxy_log(struct pg_proxy *p, int level, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->cfg.log == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->cfg.log(p->cfg.userdata, level, err, msg);
}

/* At most one line per LOG_INTERVAL_MS for this kind of failure; the rest are counted. */
void _printf_(5, 6) pg_proxy_log_limited(struct pg_proxy *p, struct ratelimit *rl, int level,
					 int err, const char *fmt, ...)
{
	uint64_t now = pg_now_ms();
	char msg[400];
	va_list ap;

	if (now < rl->next) {
		rl->suppressed++;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rl->suppressed > 0)
		pg_proxy_log(p, level, err, "%s (%u more like it suppressed)", msg, rl->suppressed);
	else
		pg_proxy_log(p, level, err, "%s", msg);
	rl->suppressed = 0;
	rl->next = now + LOG_INTERVAL_MS;
}

const char *
pg_proxy_backend_name(const struct pg_proxy *p, char *buf, size_t size)
{
	const struct sockaddr_storage *ss = &p->cfg.backend;
	char host[64];

	bool dgram = p->cfg.backend_type == SOCK_DGRAM;

	if (ss->ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)ss;

		(void)snprintf(buf, size, "%s:%.*s", dgram ? "unix-dgram" : "unix",
			       (int)sizeof(un->sun_path), un->sun_path);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		(void)inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		(void)snprintf(buf, size, "%s:%s:%u", dgram ? "udp" : "tcp", host,
			       ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		(void)inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		(void)snprintf(buf, size, "%s:[%s]:%u", dgram ? "udp" : "tcp", host,
			       ntohs(in6->sin6_port));
	}
	return buf;
}

/* Only for TCP sockets: small replies go out at once instead of after a delayed ACK. */
static void
set_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static bool
is_inet(sa_family_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static void
arm_listeners(struct pg_proxy *p, bool on)
{
	for (size_t i = 0; i < p->cfg.nlisten; i++) {
		struct listener *l = &p->listeners[i];
		int r;

		if (l->fd < 0 || l->dgram || l->armed == on)
			continue;
		if (p->cfg.shared_count == NULL) {
			if (pg_evloop_mod(p->epfd, l->fd, on ? PG_EV_READ : 0, &l->tag) == 0)
				l->armed = on;
			continue;
		}
		/* PG_EV_EXCLUSIVE cannot be modified: remove and add again. */
		r = on ? pg_evloop_add(p->epfd, l->fd, PG_EV_READ | PG_EV_EXCLUSIVE, &l->tag)
		       : pg_evloop_del(p->epfd, l->fd);
		if (r == 0)
			l->armed = on;
	}
}

/* Take a place under the cap (all processes' connections), or false. */
static bool
cap_reserve(struct pg_proxy *p)
{
	unsigned v = atomic_load(p->count);

	do {
		if (p->cfg.max_connections > 0 && v >= p->cfg.max_connections)
			return false;
	} while (!atomic_compare_exchange_weak(p->count, &v, v + 1));
	return true;
}

static void
cap_release(struct pg_proxy *p)
{
	atomic_fetch_sub(p->count, 1);
}

/*
 * This process holds more than its share of the connections open in all the
 * processes on these listeners, plus one (cfg.shared_workers).
 */
static bool
over_fair_share(const struct pg_proxy *p)
{
	unsigned n = p->cfg.shared_workers != NULL ? atomic_load(p->cfg.shared_workers) : 1;

	return n > 1 && p->nconns * n > (size_t)atomic_load(p->count) + n;
}

/* Accept again if neither the cap, a pause nor the fair share stops it. */
static void
update_accepting(struct pg_proxy *p)
{
	bool full = p->cfg.max_connections > 0 && atomic_load(p->count) >= p->cfg.max_connections;

	p->cap_full = full;
	if (p->share_paused && !over_fair_share(p))
		p->share_paused = false;
	arm_listeners(p, !full && !p->accept_paused && !p->share_paused);
}

static void
conn_close(struct pg_proxy *p, struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->state != CONN_OPEN)
		p->nwaiting--;
	closep(&c->client);
	closep(&c->backend);
	c->client = c->backend = -1;
	pg_shovel_free(&c->up);
	pg_shovel_free(&c->down);
	/* Move to the dead list: events of this batch may still point at it. */
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = p->dead;
	p->dead = c;
	p->nconns--;
	cap_release(p);
	update_accepting(p);
}

static void
reap_dead(struct pg_proxy *p)
{
	while (p->dead != NULL) {
		struct conn *c = p->dead;

		p->dead = c->next;
		free(c);
	}
}

/* An event on the source of s: it may have bytes, EOF or an error to read now. */
static void
note_readable(struct pg_shovel *s, unsigned what)
{
	if (what & (PG_EV_READABLE | PG_EV_HANGUP | PG_EV_ERROR))
		pg_shovel_readable(s, what & (PG_EV_HANGUP | PG_EV_ERROR));
}

/* Both directions, until blocked; frees the connection when both are done or one fails. */
static void
conn_shovel(struct pg_proxy *p, struct conn *c)
{
	bool more_up = false, more_down = false;
	long r;

	r = pg_shovel_run(&c->up, c->client, c->backend, SHOVEL_BUDGET, &more_up);
	if (r >= 0) {
		if (r > 0)
			c->last_active = pg_now_ms();
		r = pg_shovel_run(&c->down, c->backend, c->client, SHOVEL_BUDGET, &more_down);
		if (r > 0)
			c->last_active = pg_now_ms();
	}
	if (r < 0) {
		pg_proxy_log(p, PG_PROXY_LOG_DEBUG, (int)-r, "connection ended");
		conn_close(p, c);
		return;
	}
	if (c->up.done && c->down.done) {
		conn_close(p, c);
		return;
	}
	if ((more_up || more_down) && !c->more) {
		c->more = true;
		c->more_next = p->more;
		p->more = c;
	}
}

static void
conn_fail_backend(struct pg_proxy *p, struct conn *c, int err, const char *what)
{
	char name[160];

	pg_proxy_log_limited(p, &p->rl_backend, PG_PROXY_LOG_WARN, err,
			     "backend %s: %s; closing the client's connection",
			     pg_proxy_backend_name(p, name, sizeof(name)), what);
	conn_close(p, c);
}

/* Not ready yet (refused, no such socket, backlog full): try again later, within the deadline. */
static bool
backend_not_ready(int err)
{
	return err == ECONNREFUSED || err == ENOENT || err == EAGAIN || err == ECONNRESET ||
	       err == ETIMEDOUT;
}

static void conn_connect(struct pg_proxy *p, struct conn *c);

static void
conn_retry_later(struct pg_proxy *p, struct conn *c, int err)
{
	uint64_t now = pg_now_ms();

	closep(&c->backend);
	c->backend = -1;
	if (now + c->retry_delay >= c->deadline) {
		conn_fail_backend(p, c, err, "not reachable within the connect timeout");
		return;
	}
	c->state = CONN_WAITING;
	c->retry_at = now + c->retry_delay;
	c->retry_delay = c->retry_delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->retry_delay * 2;
}

/* Queue the PROXY protocol header: the first bytes the backend gets. */
static int
send_proxy_header(struct pg_proxy *p, struct conn *c)
{
	struct sockaddr_storage src, dst;
	socklen_t slen = sizeof(src), dlen = sizeof(dst);
	char hdr[PG_PROXYPROTO_MAX];
	int n;

	/* ENOTCONN: the client left while we connected. */
	if (getpeername(c->client, (struct sockaddr *)&src, &slen) < 0 ||
	    getsockname(c->client, (struct sockaddr *)&dst, &dlen) < 0)
		return -errno;
	n = pg_proxyproto_build((enum pg_proxyproto)p->cfg.proxy_protocol,
				(const struct sockaddr *)&src, (const struct sockaddr *)&dst, hdr,
				sizeof(hdr));
	if (n < 0)
		return n;
	return pg_shovel_preload(&c->up, hdr, (size_t)n);
}

/* The backend accepted: check who it is, then start moving bytes. */
static void
conn_established(struct pg_proxy *p, struct conn *c)
{
	size_t size;
	int r;

	if (p->cfg.check_owner && p->cfg.backend.ss_family == AF_UNIX) {
		uid_t uid;

		r = pg_peer_uid(c->backend, &uid);
		if (r < 0) {
			conn_fail_backend(p, c, -r, "reading its credentials");
			return;
		}
		if (uid != 0 && uid != p->cfg.owner_uid) {
			char what[96];

			(void)snprintf(what, sizeof(what),
				       "refused: its socket belongs to uid %u, not uid %u",
				       (unsigned)uid, (unsigned)p->cfg.owner_uid);
			conn_fail_backend(p, c, 0, what);
			return;
		}
	}
	if (is_inet(p->cfg.backend.ss_family))
		set_nodelay(c->backend);
	size = p->cfg.copy ? PG_SHOVEL_SIZE : PG_SHOVEL_PIPE_MAX;
	r = pg_shovel_init(&c->up, !p->cfg.copy, size);
	if (r == 0)
		r = pg_shovel_init(&c->down, !p->cfg.copy, size);
	if (r < 0) {
		pg_proxy_log_limited(p, &p->rl_setup, PG_PROXY_LOG_WARN, -r,
				     "set up a connection's buffers; closing it");
		conn_close(p, c);
		return;
	}
	/* Bytes and a hang-up that came before: the first runs read on to the EOF. */
	if (c->client_hup)
		pg_shovel_readable(&c->up, true);
	if (c->backend_hup)
		pg_shovel_readable(&c->down, true);
	if (p->cfg.proxy_protocol != 0) {
		r = send_proxy_header(p, c);
		if (r < 0) {
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, -r,
				     "the client's address (PROXY header)");
			conn_close(p, c);
			return;
		}
	}
	c->state = CONN_OPEN;
	p->nwaiting--;
	c->last_active = pg_now_ms();
	conn_shovel(p, c);
}

static void
conn_connect(struct pg_proxy *p, struct conn *c)
{
	int fd, r;

	fd = pg_socket_nb(p->cfg.backend.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		pg_proxy_log_limited(
			p, &p->rl_setup, PG_PROXY_LOG_WARN, -fd,
			"create a socket for the backend; closing a client's connection");
		conn_close(p, c);
		return;
	}
	c->backend = fd;
	c->backend_hup = false;
	c->state = CONN_CONNECTING;
	r = pg_evloop_add(p->epfd, fd, PG_EV_READ | PG_EV_WRITE | PG_EV_EDGE, &c->backend_tag);
	if (r < 0) {
		pg_proxy_log_limited(p, &p->rl_setup, PG_PROXY_LOG_WARN, -r,
				     "watch a backend socket");
		conn_close(p, c);
		return;
	}
	if (connect(fd, (const struct sockaddr *)&p->cfg.backend, p->cfg.backend_len) == 0) {
		conn_established(p, c);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR)
		return; /* PG_EV_WRITABLE tells */
	if (backend_not_ready(errno))
		conn_retry_later(p, c, errno);
	else
		conn_fail_backend(p, c, errno, "connect");
}

/*
 * Called once per event on the backend socket, with kqueue maybe twice in one
 * wait (readable, writable): the first may finish the connect (then the
 * second shovels, finding EAGAIN) or close the backend (then it is ignored).
 */
static void
on_backend_event(struct pg_proxy *p, struct conn *c, unsigned what)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->state == CONN_OPEN) {
		note_readable(&c->down, what);
		conn_shovel(p, c);
		return;
	}
	if (what & (PG_EV_HANGUP | PG_EV_ERROR))
		c->backend_hup = true; /* for conn_established() */
	if (c->state != CONN_CONNECTING || !(what & (PG_EV_WRITABLE | PG_EV_ERROR | PG_EV_HANGUP)))
		return;
	if (getsockopt(c->backend, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0)
		conn_established(p, c);
	else if (backend_not_ready(err))
		conn_retry_later(p, c, err);
	else
		conn_fail_backend(p, c, err, "connect");
}

static void
on_accept(struct pg_proxy *p, struct listener *l)
{
	/*
	 * Over its share, a process takes at most two connections per wakeup
	 * (the others take the rest of a burst) and tries the backlog once
	 * more after the first: only a process that saw it empty may leave the
	 * listeners to the others (below), as the kernel does not wake them for
	 * what already waits there.  With connections that come one at a time
	 * that second try is what finds it empty.
	 */
	int over = 0;

	if (l->fd < 0)
		return; /* draining */
	for (int i = 0; i < ACCEPT_BURST && over < 2; i++) {
		struct conn *c;
		int fd, r;

		if (!cap_reserve(p)) {
			update_accepting(p); /* disarms the listeners */
			return;
		}
		fd = pg_accept_nb(l->fd);
		if (fd < 0) {
			int err = -fd;

			cap_release(p);

			if (err == EAGAIN && over_fair_share(p)) {
				/*
				 * The backlog is empty: stop watching it, so that the
				 * kernel wakes another process for the next ones (it
				 * wakes the first idle watcher, always the same one
				 * while connections come one at a time).  Watched
				 * again, from the end of the line, once under
				 * (update_accepting(), from a close or sweep()).
				 */
				p->share_paused = true;
				update_accepting(p);
			}
			if (err == EAGAIN || err == EINTR)
				return;
			if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
				pg_proxy_log_limited(p, &p->rl_accept, PG_PROXY_LOG_WARN, err,
						     "accept; pausing new connections for %d ms",
						     ACCEPT_PAUSE_MS);
				p->accept_paused = true;
				p->accept_resume = pg_now_ms() + ACCEPT_PAUSE_MS;
				update_accepting(p);
				return;
			}
			/* ECONNABORTED, EPERM (firewall), EPROTO...: that client only. */
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, err, "accept");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			cap_release(p);
			close(fd);
			pg_proxy_log_limited(p, &p->rl_setup, PG_PROXY_LOG_WARN, ENOMEM,
					     "accept a connection");
			return;
		}
		*c = (struct conn){ .client = fd,
				    .backend = -1,
				    .client_tag = { TAG_CLIENT, c },
				    .backend_tag = { TAG_BACKEND, c },
				    .up = { .pipe = { -1, -1 } },
				    .down = { .pipe = { -1, -1 } },
				    .retry_delay = RETRY_FIRST_MS };
		c->last_active = pg_now_ms();
		c->deadline = c->last_active + p->cfg.connect_timeout_ms;
		c->next = p->conns;
		if (p->conns)
			p->conns->prev = c;
		p->conns = c;
		p->nconns++;
		p->nwaiting++;
		c->state = CONN_CONNECTING;
		if (l->tcp)
			set_nodelay(fd);
		r = pg_evloop_add(p->epfd, fd, PG_EV_READ | PG_EV_WRITE | PG_EV_EDGE,
				  &c->client_tag);
		if (r < 0) {
			pg_proxy_log_limited(p, &p->rl_setup, PG_PROXY_LOG_WARN, -r,
					     "watch a client socket");
			conn_close(p, c);
			continue;
		}
		conn_connect(p, c);
		if (over_fair_share(p))
			over++;
	}
}

static void
sweep(struct pg_proxy *p, uint64_t now)
{
	if (p->accept_paused && now >= p->accept_resume) {
		p->accept_paused = false;
		update_accepting(p);
	} else if ((p->cap_full || p->share_paused) && !p->draining) {
		/* another process may have closed or accepted one */
		update_accepting(p);
	}
	for (struct conn *c = p->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_WAITING && now >= c->retry_at) {
			conn_connect(p, c);
		} else if (c->state == CONN_CONNECTING && now >= c->deadline) {
			conn_fail_backend(p, c, ETIMEDOUT, "connect");
		} else if (c->state == CONN_OPEN && p->cfg.idle_timeout_ms > 0 &&
			   now - c->last_active >= p->cfg.idle_timeout_ms) {
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, 0, "closing an idle connection");
			conn_close(p, c);
		}
	}
	pg_proxy_sweep_sessions(p, now);
}

static uint64_t
idle_tick(unsigned timeout_ms)
{
	return timeout_ms / 4 > 1000 ? 1000 : timeout_ms / 4 + 1;
}

/* Milliseconds pg_evloop_wait() may sleep. */
static int
next_timeout(struct pg_proxy *p, uint64_t now)
{
	uint64_t tick = UINT64_MAX;

	if (p->nwaiting > 0 || p->accept_paused ||
	    ((p->cap_full || p->share_paused) && p->cfg.shared_count != NULL && !p->draining))
		tick = FAST_TICK_MS;
	if (p->cfg.idle_timeout_ms > 0 && p->nconns > 0 && idle_tick(p->cfg.idle_timeout_ms) < tick)
		tick = idle_tick(p->cfg.idle_timeout_ms);
	if (p->cfg.udp_idle_timeout_ms > 0 && p->nsessions > 0 &&
	    idle_tick(p->cfg.udp_idle_timeout_ms) < tick)
		tick = idle_tick(p->cfg.udp_idle_timeout_ms);
	if (p->draining) {
		uint64_t left = p->drain_deadline > now ? p->drain_deadline - now : 0;

		if (left < tick)
			tick = left;
	}
	if (tick == UINT64_MAX)
		return p->more != NULL ? 0 : -1;
	if (p->next_sweep == 0 || p->next_sweep > now + tick)
		p->next_sweep = now + tick;
	return p->more != NULL || p->next_sweep <= now ? 0 : (int)(p->next_sweep - now);
}

int
pg_proxy_new(const struct pg_proxy_config *cfg, struct pg_proxy **ret)
{
	struct pg_proxy *p;
	int r;

	int want = cfg->backend_type == SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM;

	if (cfg->nlisten == 0 || cfg->backend_len == 0 || cfg->proxy_protocol < 0 ||
	    cfg->proxy_protocol > 2 || (cfg->backend_type != 0 && cfg->backend_type != want))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->cfg = *cfg;
	p->count = cfg->shared_count != NULL ? cfg->shared_count : &p->own_count;
	p->event_tag = (struct tag){ TAG_EVENT, NULL };
	p->listeners = calloc(cfg->nlisten, sizeof(*p->listeners));
	p->epfd = pg_evloop_open();
	if (p->listeners == NULL || p->epfd < 0) {
		r = p->listeners == NULL ? -ENOMEM : p->epfd;
		goto fail;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		struct listener *l = &p->listeners[i];
		int flags = fcntl(cfg->listen_fds[i], F_GETFL), type = 0;
		socklen_t len = sizeof(type);
		int domain = 0;

		*l = (struct listener){ .tag = { TAG_LISTEN, l }, .fd = cfg->listen_fds[i] };
		if (flags < 0 || fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
		    getsockopt(l->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    pg_sock_domain(l->fd, &domain) < 0) {
			r = -errno;
			goto fail;
		}
		l->tcp = type == SOCK_STREAM && is_inet((sa_family_t)domain);
		if (type != want) {
			r = -ESOCKTNOSUPPORT; /* a listener the backend's type cannot serve */
			goto fail;
		}
		if (type == SOCK_DGRAM) {
			l->dgram = true;
			l->tag.kind = TAG_DGRAM;
			if (p->dgram_buf == NULL)
				p->dgram_buf = malloc(DGRAM_MAX);
			if (p->dgram_buf == NULL) {
				r = -ENOMEM;
				goto fail;
			}
		}
		r = pg_evloop_add(
			p->epfd, l->fd,
			PG_EV_READ | (l->dgram || cfg->shared_count == NULL ? 0 : PG_EV_EXCLUSIVE),
			&l->tag);
		if (r < 0)
			goto fail;
		l->armed = true;
	}
	if (cfg->event_fd >= 0 && cfg->event != NULL) {
		r = pg_evloop_add(p->epfd, cfg->event_fd, PG_EV_READ, &p->event_tag);
		if (r < 0)
			goto fail;
	}
	*ret = p;
	return 0;
fail:
	pg_proxy_free(p);
	return r;
}

void
pg_proxy_drain(struct pg_proxy *p, unsigned timeout_ms)
{
	if (p->draining)
		return;
	p->draining = true;
	p->drain_deadline = pg_now_ms() + timeout_ms;
	for (size_t i = 0; i < p->cfg.nlisten; i++) {
		struct listener *l = &p->listeners[i];

		if (l->fd >= 0)
			(void)pg_evloop_del(p->epfd, l->fd);
		l->fd = -1;
		l->armed = false;
	}
	/* Datagram sessions have nothing to finish; their replies would need the listeners. */
	while (p->sessions != NULL)
		pg_proxy_session_close(p, p->sessions);
	pg_proxy_log(p, PG_PROXY_LOG_INFO, 0, "draining: %zu connections open, waiting up to %u ms",
		     p->nconns, timeout_ms);
}

int
pg_proxy_run(struct pg_proxy *p)
{
	struct pg_event events[MAX_EVENTS];

	for (;;) {
		uint64_t now = pg_now_ms();
		int n, timeout = next_timeout(p, now);
		bool stop = false;

		n = pg_evloop_wait(p->epfd, events, MAX_EVENTS, timeout);
		if (n < 0) {
			if (n == -EINTR)
				continue;
			return n;
		}
		/*
		 * kqueue may report one fd twice (readable, writable): every
		 * handler reads or accepts until EAGAIN, so a second call finds
		 * nothing, and a connection closed by the first is only marked
		 * dead here and freed after the batch.
		 */
		for (int i = 0; i < n; i++) {
			struct tag *t = events[i].ptr;
			struct conn *c = t->ptr;

			switch (t->kind) {
			case TAG_LISTEN:
				on_accept(p, t->ptr);
				break;
			case TAG_CLIENT:
				if (c->dead)
					break;
				if (c->state == CONN_OPEN) {
					note_readable(&c->up, events[i].what);
					conn_shovel(p, c);
				} else if (events[i].what & (PG_EV_HANGUP | PG_EV_ERROR)) {
					c->client_hup = true; /* for conn_established() */
				}
				break;
			case TAG_BACKEND:
				if (!c->dead)
					on_backend_event(p, c, events[i].what);
				break;
			case TAG_EVENT:
				if (p->cfg.event(p->cfg.userdata) != 0)
					stop = true;
				break;
			case TAG_DGRAM:
				pg_proxy_on_datagram(p, t->ptr);
				break;
			case TAG_SESSION: {
				struct session *s = t->ptr;

				if (!s->dead)
					pg_proxy_on_session(p, s);
				break;
			}
			}
		}
		/* Connections whose budget ran out get another turn. */
		for (struct conn *c = TAKE_PTR(p->more), *next; c != NULL; c = next) {
			next = c->more_next;
			c->more = false;
			if (!c->dead)
				conn_shovel(p, c);
		}
		now = pg_now_ms();
		if (p->next_sweep != 0 && now >= p->next_sweep) {
			p->next_sweep = 0;
			sweep(p, now);
		}
		reap_dead(p);
		pg_proxy_reap_dead_sessions(p);
		if (stop)
			return 0;
		if (p->draining && (p->nconns == 0 || pg_now_ms() >= p->drain_deadline)) {
			if (p->nconns > 0)
				pg_proxy_log(p, PG_PROXY_LOG_WARN, 0,
					     "drain timed out: closing %zu connections", p->nconns);
			return 0;
		}
	}
}

size_t
pg_proxy_connections(const struct pg_proxy *p)
{
	return p->nconns;
}

void
pg_proxy_free(struct pg_proxy *p)
{
	if (p == NULL)
		return;
	while (p->conns != NULL)
		conn_close(p, p->conns);
	reap_dead(p);
	while (p->sessions != NULL)
		pg_proxy_session_close(p, p->sessions);
	pg_proxy_reap_dead_sessions(p);
	free(p->dgram_buf);
	closep(&p->epfd);
	free(p->listeners);
	free(p);
}
