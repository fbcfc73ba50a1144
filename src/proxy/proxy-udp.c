// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy-udp.c - the datagram relay of `portgate proxy`: a session per client
 * address, each a socket connected to the backend, replies sent back from the
 * listening socket; sessions end after --udp-idle-timeout.  Library code:
 * returns -errno; logs only through the caller's callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "clock.h"
#include "evloop.h"
#include "proxy-impl.h"
#include "sock.h"

void
pg_proxy_session_close(struct pg_proxy *p, struct session *s)
{
	if (s->dead)
		return;
	s->dead = true;
	closep(&s->fd);
	s->fd = -1;
	if (s->prev)
		s->prev->next = s->next;
	else
		p->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = NULL;
	s->next = p->dead_sessions;
	p->dead_sessions = s;
	p->nsessions--;
}

static bool
addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b, socklen_t len)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return memcmp(a, b, len) == 0;
}

/* The session of this client on this socket, moved to the front (recent first). */
static struct session *
session_find(struct pg_proxy *p, struct listener *l, const struct sockaddr_storage *from,
	     socklen_t len)
{
	for (struct session *s = p->sessions; s != NULL; s = s->next) {
		if (s->l != l || s->client_len != len || !addr_equal(&s->client, from, len))
			continue;
		if (s != p->sessions) {
			s->prev->next = s->next;
			if (s->next)
				s->next->prev = s->prev;
			s->prev = NULL;
			s->next = p->sessions;
			p->sessions->prev = s;
			p->sessions = s;
		}
		return s;
	}
	return NULL;
}

/* AF_UNIX with a PROG: the socket file must be the owner's (or root's). */
static int
check_dgram_owner(const struct pg_proxy *p)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&p->cfg.backend;
	struct stat st;

	if (!p->cfg.check_owner || un->sun_family != AF_UNIX || un->sun_path[0] == '\0')
		return 0;
	if (lstat(un->sun_path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode) || (st.st_uid != 0 && st.st_uid != p->cfg.owner_uid))
		return -EPERM;
	return 0;
}

static struct session *
session_new(struct pg_proxy *p, struct listener *l, const struct sockaddr_storage *from,
	    socklen_t len)
{
	const struct sockaddr_storage *be = &p->cfg.backend;
	struct session *s;
	char name[160];
	int fd, r;

	if (p->cfg.max_connections > 0 && p->nsessions >= p->cfg.max_connections) {
		pg_proxy_log_limited(
			p, &p->rl_sessions, PG_PROXY_LOG_WARN, 0,
			"%zu datagram sessions open (the cap): dropping a new client's "
			"datagram",
			p->nsessions);
		return NULL;
	}
	r = check_dgram_owner(p);
	if (r < 0) {
		pg_proxy_log_limited(
			p, &p->rl_backend, PG_PROXY_LOG_WARN, -r,
			"backend %s: refused (not a socket of the expected owner); dropping "
			"a datagram",
			pg_proxy_backend_name(p, name, sizeof(name)));
		return NULL;
	}
	fd = pg_socket_nb(be->ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		pg_proxy_log_limited(p, &p->rl_setup, PG_PROXY_LOG_WARN, -fd,
				     "create a datagram socket for the backend");
		return NULL;
	}
	if (be->ss_family == AF_UNIX) {
		/* Autobind: an abstract address the backend's replies can reach. */
		struct sockaddr_un self = { .sun_family = AF_UNIX };

		if (bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0) {
			r = -errno;
			goto fail;
		}
	}
	if (connect(fd, (const struct sockaddr *)be, p->cfg.backend_len) < 0) {
		r = -errno;
		pg_proxy_log_limited(p, &p->rl_backend, PG_PROXY_LOG_WARN, -r,
				     "backend %s: connect; dropping a datagram",
				     pg_proxy_backend_name(p, name, sizeof(name)));
		closep(&fd);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	*s = (struct session){ .tag = { TAG_SESSION, s }, .l = l, .fd = fd, .client_len = len };
	memcpy(&s->client, from, len);
	r = pg_evloop_add(p->epfd, fd, PG_EV_READ, &s->tag);
	if (r < 0) {
		free(s);
		goto fail;
	}
	s->next = p->sessions;
	if (p->sessions)
		p->sessions->prev = s;
	p->sessions = s;
	p->nsessions++;
	return s;
fail:
	pg_proxy_log_limited(p, &p->rl_setup, PG_PROXY_LOG_WARN, -r, "set up a datagram session");
	closep(&fd);
	return NULL;
}

/* A client's datagrams: each to the backend through the client's own session. */
void
pg_proxy_on_datagram(struct pg_proxy *p, struct listener *l)
{
	char name[160];

	for (int i = 0; i < DGRAM_BURST && l->fd >= 0; i++) {
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		struct session *s;
		ssize_t n;

		n = recvfrom(l->fd, p->dgram_buf, DGRAM_MAX, MSG_DONTWAIT, (struct sockaddr *)&from,
			     &len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, errno, "receive a datagram");
			continue;
		}
		if (len > sizeof(from))
			continue;
		s = session_find(p, l, &from, len);
		if (s == NULL)
			s = session_new(p, l, &from, len);
		if (s == NULL)
			continue;
		s->last_active = pg_now_ms();
		if (send(s->fd, p->dgram_buf, (size_t)n, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			pg_proxy_log_limited(p, &p->rl_backend, PG_PROXY_LOG_WARN, errno,
					     "backend %s: send a datagram; dropped it",
					     pg_proxy_backend_name(p, name, sizeof(name)));
	}
}

/* The backend's replies: back to the session's client from the listening socket. */
void
pg_proxy_on_session(struct pg_proxy *p, struct session *s)
{
	for (int i = 0; i < DGRAM_BURST; i++) {
		ssize_t n = recv(s->fd, p->dgram_buf, DGRAM_MAX, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			if (errno == ECONNREFUSED)
				continue; /* an earlier datagram found nobody; sends report it */
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, errno, "receive from the backend");
			pg_proxy_session_close(p, s);
			return;
		}
		s->last_active = pg_now_ms();
		if (sendto(s->l->fd, p->dgram_buf, (size_t)n, MSG_DONTWAIT,
			   (const struct sockaddr *)&s->client, s->client_len) < 0)
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, errno,
				     "send a reply to a datagram client");
	}
}

/* Timers: connect deadlines and retries, idle timeouts, the accept pause. */
/* Close the sessions idle for --udp-idle-timeout. */
void
pg_proxy_sweep_sessions(struct pg_proxy *p, uint64_t now)
{
	for (struct session *s = p->sessions, *next; s != NULL; s = next) {
		next = s->next;
		if (p->cfg.udp_idle_timeout_ms > 0 &&
		    now - s->last_active >= p->cfg.udp_idle_timeout_ms) {
			pg_proxy_log(p, PG_PROXY_LOG_DEBUG, 0, "closing an idle datagram session");
			pg_proxy_session_close(p, s);
		}
	}
}

void
pg_proxy_reap_dead_sessions(struct pg_proxy *p)
{
	while (p->dead_sessions != NULL) {
		struct session *s = p->dead_sessions;

		p->dead_sessions = s->next;
		free(s);
	}
}
