// SPDX-License-Identifier: BSD-2-Clause
/*
 * session.c - one client connection to portgated: frame and decode its
 * requests, judge them with the policy, have binder.c bind, answer.
 * Privilege: the daemon's (CAP_NET_BIND_SERVICE).  Trust: every byte and fd
 * from the client is hostile until checked; the peer's identity is the
 * kernel's.  A client can only ever end its own session, never the daemon.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "binder.h"
#include "fdpass.h"
#include "hold.h"
#include "log.h"
#include "macro.h"
#include "session.h"
#include "sysinfo.h"

/* recvmsg calls per wakeup: enough for one request, however it was split */
#define READS_PER_WAKEUP 4

#define RULE_TEXT_MAX 4200 /* "authbind:" + a path + ":" + a line number */

struct session *
session_new(int fd, const struct peer *peer, uint64_t deadline)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fd = fd;
	s->peer = *peer;
	s->deadline = deadline;
	s->req_fd = -1;
	return s;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	if (s->req_fd >= 0)
		(void)close(s->req_fd);
	(void)close(s->fd);
	free(s);
}

/* "tcp/[::]:80 dualstack=1": pg_bind_format's text as one key=value token. */
static const char *
bind_text(const struct pg_bind *b, char buf[static PG_BIND_STRLEN + 16])
{
	struct pg_bind plain = *b;
	char t[PG_BIND_STRLEN];

	plain.dual_stack = false;
	(void)snprintf(buf, PG_BIND_STRLEN + 16, "%s%s", pg_bind_format(&plain, t),
		       b->dual_stack ? " dualstack=1" : "");
	return buf;
}

/* The deciding rule as "FILE:LINE", "root", "authbind:PATH:LINE" or "none". */
static const char *
rule_text(const struct pg_verdict *v, char *buf, size_t size)
{
	switch (v->reason) {
	case PG_REASON_RULE:
	case PG_REASON_NOT_OWNER:
		if (v->rule != NULL) {
			(void)snprintf(buf, size, "%s:%u", v->rule->file, v->rule->line);
			return buf;
		}
		break;
	case PG_REASON_ROOT:
		return "root";
	case PG_REASON_AUTHBIND:
		if (v->authbind.line)
			(void)snprintf(buf, size, "authbind:%s:%u", v->authbind.path,
				       v->authbind.line);
		else
			(void)snprintf(buf, size, "authbind:%s", v->authbind.path);
		return buf;
	default:
		break;
	}
	return "none";
}

static bool
reply(struct session *s, uint32_t id, int err, const char *reason, int fd)
{
	struct pg_wire_reply m;
	int r;

	pg_wire_encode_reply(id, err, reason, &m);
	/* The socket is non-blocking: a client whose buffer is full is not waited for. */
	r = pg_fdpass_send(s->fd, &m, sizeof(m), fd);
	if (r < 0) {
		log_debug("uid=%u pid=%d: cannot send a reply (%s), disconnecting",
			  (unsigned)s->peer.cred.uid, (int)s->peer.pid, strerror(-r));
		return false;
	}
	return true;
}

/* A request that is well-formed but cannot be served: say why, keep the connection. */
static bool
refuse(struct session *s, const struct pg_wire_req *req, const struct pg_bind *b, const char *via,
       int err, const char *why)
{
	char bt[PG_BIND_STRLEN + 16], en[16];

	log_info("refuse uid=%u pid=%d bind=%s via=%s error=%s reason=\"%s\"",
		 (unsigned)s->peer.cred.uid, (int)s->peer.pid, bind_text(b, bt), via,
		 pgd_errno_name(err, en), why);
	return reply(s, req->id, err, why, -1);
}

static bool
deny(struct session *s, const struct pg_wire_req *req, const struct pg_bind *b, const char *via,
     const struct pg_verdict *v, const char *why)
{
	char bt[PG_BIND_STRLEN + 16], rt[RULE_TEXT_MAX], ex[256];

	if (why == NULL)
		why = pg_verdict_explain(v, ex, sizeof(ex));
	log_info("deny uid=%u pid=%d bind=%s via=%s rule=%s reason=\"%s\"",
		 (unsigned)s->peer.cred.uid, (int)s->peer.pid, bind_text(b, bt), via,
		 rule_text(v, rt, sizeof(rt)), why);
	return reply(s, req->id, EACCES, why, -1);
}

static bool
allow(struct session *s, struct pgd *d, const struct pg_wire_req *req, const struct pg_bind *b,
      const char *via, const struct pg_verdict *v)
{
	char bt[PG_BIND_STRLEN + 16], rt[RULE_TEXT_MAX], ex[256], why[512], en[16];
	struct binder_held held = { .fd = -1 };
	const char *hold_note = "";
	int r = 0, fd = -1;
	bool sent;

	if (d->hold != NULL) {
		unsigned n =
			hold_release_for(d->hold, b, req->type == PG_WIRE_BIND_NEW ? &held : NULL);

		if (held.fd >= 0 && binder_handover(&held, b, req->flags) == 0) {
			fd = TAKE_FD(held.fd);
			hold_note = " hold=handed-over";
		} else {
			if (held.fd >= 0)
				(void)close(held.fd);
			if (n > 0)
				hold_note = " hold=released";
		}
	}
	if (fd < 0)
		r = req->type == PG_WIRE_BIND_THIS ? binder_bind_this(s->req_fd, b)
						   : binder_bind_new(b, req->flags, &fd);

	(void)pg_verdict_explain(v, ex, sizeof(ex));
	if (v->decision == PG_UNMANAGED)
		(void)snprintf(why, sizeof(why), "%s (port %u needs no privilege)", ex, b->port);
	else
		(void)snprintf(why, sizeof(why), "allowed: %s", ex);
	if (r < 0) {
		size_t len = strlen(why);

		(void)snprintf(why + len, sizeof(why) - len, "; bind: %s", strerror(-r));
	}
	log_info("allow uid=%u pid=%d bind=%s via=%s rule=%s result=%s%s",
		 (unsigned)s->peer.cred.uid, (int)s->peer.pid, bind_text(b, bt), via,
		 v->decision == PG_UNMANAGED ? "unmanaged" : rule_text(v, rt, sizeof(rt)),
		 r < 0 ? pgd_errno_name(-r, en) : "ok", hold_note);
	sent = reply(s, req->id, -r, why, fd);
	if (fd >= 0)
		(void)close(fd); /* the client has its own copy now */
	return sent;
}

/* ALLOW, or a port nobody manages that anyone may bind anyway. */
static bool
granted(const struct pg_verdict *v, uint16_t port)
{
	if (v->decision == PG_ALLOW)
		return true;
	return v->decision == PG_UNMANAGED && port >= pg_unprivileged_port_start();
}

static bool
handle_request(struct session *s, struct pgd *d, const struct pg_wire_req *req)
{
	const char *via = req->type == PG_WIRE_BIND_THIS ? "this" : "new";
	struct pg_bind b = req->bind;
	struct pg_verdict v;
	char why[PG_WIRE_REASON_LEN];
	bool v6only = false;

	if (req->type == PG_WIRE_BIND_THIS) {
		const struct binder_netns ns = {
			.cookie = d->netns_cookie,
			.known = d->netns_cookie_known,
			.allow_other = d->opt.allow_other_netns,
		};
		int r;

		if (s->req_nfds != 1) {
			(void)snprintf(why, sizeof(why),
				       "BIND_THIS needs exactly one socket attached, not %zu",
				       s->req_nfds);
			return refuse(s, req, &b, via, EBADF, why);
		}
		r = binder_check_this(s->req_fd, req, &ns, &b, &v6only, why, sizeof(why));
		if (r < 0)
			return refuse(s, req, &b, via, r == -EXDEV ? EACCES : -r, why);
	} else {
		if (s->req_nfds > 0)
			log_debug("uid=%u pid=%d: %zu fds came with BIND_NEW; closed unread",
				  (unsigned)s->peer.cred.uid, (int)s->peer.pid, s->req_nfds);
		b.dual_stack = b.family == AF_INET6 && pg_bytes_zero(b.addr, 16) &&
			       !(req->flags & PG_WIRE_F_V6ONLY);
	}

	pg_policy_eval(d->policy, &s->peer.cred, &b, &v);
	if (!granted(&v, b.port)) {
		if (v.decision == PG_UNMANAGED) {
			(void)snprintf(why, sizeof(why),
				       "%s/%u is not named in the policy, and ports below %u need "
				       "privilege",
				       pg_proto_name(b.proto), b.port,
				       pg_unprivileged_port_start());
			return deny(s, req, &b, via, &v, why);
		}
		return deny(s, req, &b, via, &v, NULL);
	}
	if (req->type == PG_WIRE_BIND_THIS && v6only && pg_bytes_zero(b.addr, 16)) {
		/*
		 * The client keeps its socket and may turn IPV6_V6ONLY off until the
		 * moment bind() runs, making [::] take 0.0.0.0 as well: grant it only
		 * if the dual-stack bind would be granted too.
		 */
		struct pg_bind dual = b;
		struct pg_verdict vd;

		dual.dual_stack = true;
		pg_policy_eval(d->policy, &s->peer.cred, &dual, &vd);
		if (!granted(&vd, b.port))
			return deny(s, req, &b, via, &vd,
				    "a v6-only [::] socket passed in could turn dual-stack before "
				    "bind(), and 0.0.0.0 is not granted: use BIND_NEW with V6ONLY");
	}
	return allow(s, d, req, &b, via, &v);
}

/* A message that cannot be served: answer with its id if one arrived, then hang up. */
static bool
malformed(struct session *s, int err, const char *why)
{
	uint32_t id = s->have >= sizeof(struct pg_wire_hdr) ? s->buf.hdr.id : 0;
	char en[16];

	log_debug("uid=%u pid=%d: malformed message (%s: %s), disconnecting",
		  (unsigned)s->peer.cred.uid, (int)s->peer.pid, pgd_errno_name(err, en), why);
	(void)reply(s, id, err, why, -1);
	return false;
}

static void
next_message(struct session *s, uint64_t deadline)
{
	if (s->req_fd >= 0)
		(void)close(s->req_fd);
	s->req_fd = -1;
	s->req_nfds = 0;
	s->have = 0;
	s->msg_len = 0;
	s->deadline = deadline;
}

bool
session_on_readable(struct session *s, struct pgd *d, uint64_t now)
{
	const uint64_t deadline = now + d->opt.timeout_ms;
	struct pg_wire_req req;
	char why[96];
	int r;

	for (int i = 0; i < READS_PER_WAKEUP; i++) {
		/*
		 * Never read past the request being framed: the next one's bytes
		 * may carry its own fd.  Every valid request is exactly
		 * sizeof(struct pg_wire_bind_req) bytes, so that much is safe to
		 * ask for before the header says more.
		 */
		size_t want = s->msg_len ? s->msg_len - s->have
					 : sizeof(struct pg_wire_bind_req) - s->have;
		size_t nfds = 0;
		int fd = -1;
		ssize_t n, len;

		n = pg_fdpass_recv_count(s->fd, s->buf.bytes + s->have, want, MSG_DONTWAIT, &fd,
					 &nfds);
		if (n == -EAGAIN)
			return true;
		if (n < 0) {
			log_debug("uid=%u pid=%d: receive: %s, disconnecting",
				  (unsigned)s->peer.cred.uid, (int)s->peer.pid, strerror((int)-n));
			return false; /* -EMSGSIZE: more fds than anyone should send */
		}
		if (n == 0)
			return false; /* the client is done */
		if (s->have == 0)
			s->deadline = deadline; /* a request has begun */
		s->have += (size_t)n;
		s->req_nfds += nfds;
		if (fd >= 0) {
			if (s->req_fd < 0)
				s->req_fd = fd;
			else
				(void)close(fd);
		}
		if (s->msg_len == 0) {
			if (s->have < sizeof(struct pg_wire_hdr))
				continue;
			len = pg_wire_msg_len(s->buf.bytes, s->have);
			if (len == -EPROTO)
				return malformed(s, EPROTO,
						 "not a portgated message of version 1 (bad magic "
						 "or version)");
			if (len < 0) {
				(void)snprintf(why, sizeof(why),
					       "message length %u is out of range",
					       (unsigned)s->buf.hdr.len);
				return malformed(s, EPROTO, why);
			}
			s->msg_len = (size_t)len;
		}
		if (s->have < s->msg_len)
			continue;

		r = pg_wire_decode_req(s->buf.bytes, s->msg_len, &req);
		if (r == -EINVAL)
			return malformed(
				s, EINVAL,
				"invalid request field (protocol, family, flags, reserved, "
				"port or address)");
		if (r < 0) {
			(void)snprintf(why, sizeof(why),
				       "not a bind request (type %u, %zu bytes; requests are %zu)",
				       (unsigned)s->buf.hdr.type, s->msg_len,
				       sizeof(struct pg_wire_bind_req));
			return malformed(s, EPROTO, why);
		}
		if (!handle_request(s, d, &req))
			return false;
		next_message(s, deadline);
		return true;
	}
	return true;
}
