// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-listeners-linux.c - the listeners of the current network namespace
 * (cli-listeners.h), from one sock_diag dump per family and protocol.
 * Runs as the invoking user.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli-listeners.h"
#include "macro.h"
#include "sysinfo.h"

#define TCP_STATE_ESTABLISHED 1
#define TCP_STATE_CLOSE	      7
#define TCP_STATE_LISTEN      10

static int
diag_add(struct cli_listeners *ls, const struct inet_diag_msg *m, size_t len, int proto)
{
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	size_t alen = len - NLMSG_ALIGN(sizeof(*m));
	struct cli_listener l = { .uid = m->idiag_uid };
	bool v6only = false;
	struct cli_listener *v;

	if (m->id.idiag_sport == 0)
		return 0;
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
			v6only = *(const uint8_t *)RTA_DATA(a) != 0;
	l.bind.proto = proto;
	l.bind.family = m->idiag_family;
	l.bind.port = ntohs(m->id.idiag_sport);
	memcpy(l.bind.addr, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
	l.bind.dual_stack = m->idiag_family == AF_INET6 && !v6only;
	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	ls->v = v;
	ls->v[ls->n++] = l;
	return 0;
}

/* One sock_diag dump: sockets of a family and protocol in the given states. */
static int
diag_dump(struct cli_listeners *ls, int family, int proto, uint32_t states)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		.req = { .sdiag_family = (uint8_t)family,
			 .sdiag_protocol = proto == PG_PROTO_TCP ? IPPROTO_TCP : IPPROTO_UDP,
			 .idiag_states = states },
	};
	_Alignas(struct nlmsghdr) char buf[32768];

	if (fd < 0)
		return -errno;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		left = (size_t)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			int r;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error < 0 ? e->error : -EPROTO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			r = diag_add(ls, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN, proto);
			if (r < 0)
				return r;
		}
	}
}

int
cli_listeners_collect(void *p)
{
	struct cli_listeners *ls = p;
	static const int families[2] = { AF_INET, AF_INET6 };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(ls->cookie);
	int r;

	if (fd >= 0)
		(void)getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &ls->cookie, &len);
	ls->unpriv_start = pg_unprivileged_port_start();
	for (int i = 0; i < 2; i++) {
		r = diag_dump(ls, families[i], PG_PROTO_TCP, 1u << TCP_STATE_LISTEN);
		if (r < 0)
			return r;
		r = diag_dump(ls, families[i], PG_PROTO_UDP,
			      (1u << TCP_STATE_CLOSE) | (1u << TCP_STATE_ESTABLISHED));
		if (r == -ENOENT || r == -EOPNOTSUPP) /* no udp_diag module */
			ls->udp_unavailable = true;
		else if (r < 0)
			return r;
	}
	return 0;
}
