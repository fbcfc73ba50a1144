// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-launchd-double - stands in for launchd in the integration tests, serving
 * the test double in src/portgate/launchd-double.c.  Test code; trusts its
 * arguments.
 *
 *	pg-launchd-double SOCKPATH NAME=SPEC[,SPEC]...
 *
 * Binds every SPEC up front, as launchd does for a job's Sockets:
 *	tcp://HOST:PORT		a listening TCP socket ([v6] hosts are IPV6_V6ONLY)
 *	udp://HOST:PORT		a bound UDP socket
 *	tcp-bound://HOST:PORT	a bound TCP socket that does not listen (what launchd
 *				hands over when another process holds the port)
 * then listens on SOCKPATH (AF_UNIX, SOCK_SEQPACKET) and prints "ready".  Each
 * request is one packet with a NAME; the answer is one packet with an int: 0
 * with NAME's fds attached (SCM_RIGHTS), ENOENT for an unknown name, EALREADY
 * for a name already taken.  Exits after 60 seconds.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS	     8
#define LIFETIME_SEC 60

struct job_socket {
	const char *name;
	int fds[MAX_FDS];
	size_t nfds;
	int taken;
};

static void
fail(const char *what, const char *arg)
{
	fprintf(stderr, "pg-launchd-double: %s '%s': %s\n", what, arg, strerror(errno));
	exit(1);
}

static int
bind_spec(const char *spec)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256];
	const char *rest, *colon;
	size_t hlen;
	int listening = 1, fd, on = 1;

	if (strncmp(spec, "tcp://", 6) == 0) {
		hints.ai_socktype = SOCK_STREAM;
		rest = spec + 6;
	} else if (strncmp(spec, "tcp-bound://", 12) == 0) {
		hints.ai_socktype = SOCK_STREAM;
		listening = 0;
		rest = spec + 12;
	} else if (strncmp(spec, "udp://", 6) == 0) {
		hints.ai_socktype = SOCK_DGRAM;
		listening = 0;
		rest = spec + 6;
	} else {
		errno = EINVAL;
		fail("bad spec", spec);
	}
	colon = strrchr(rest, ':');
	if (colon == NULL || colon == rest) {
		errno = EINVAL;
		fail("bad spec", spec);
	}
	hlen = (size_t)(colon - rest);
	if (rest[0] == '[' && hlen >= 2) {
		rest++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		errno = EINVAL;
		fail("bad spec", spec);
	}
	memcpy(host, rest, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		errno = EINVAL;
		fail("bad spec", spec);
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket for", spec);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		fail("bind", spec);
	if (listening && listen(fd, SOMAXCONN) < 0)
		fail("listen", spec);
	freeaddrinfo(ai);
	return fd;
}

static void
parse_job(char *arg, struct job_socket *j)
{
	char *eq = strchr(arg, '='), *spec, *save = NULL;

	if (eq == NULL || eq == arg) {
		errno = EINVAL;
		fail("expected NAME=SPEC[,SPEC], not", arg);
	}
	*eq = '\0';
	j->name = arg;
	for (spec = strtok_r(eq + 1, ",", &save); spec != NULL; spec = strtok_r(NULL, ",", &save)) {
		if (j->nfds == MAX_FDS) {
			errno = E2BIG;
			fail("too many specs for", arg);
		}
		j->fds[j->nfds++] = bind_spec(spec);
	}
}

static void
answer(int conn, int err, const int *fds, size_t n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} control;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&control, 0, sizeof(control));
	if (n > 0) {
		struct cmsghdr *c;

		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	if (sendmsg(conn, &msg, MSG_NOSIGNAL) < 0)
		perror("pg-launchd-double: sendmsg");
}

int
main(int argc, char **argv)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct job_socket *jobs;
	size_t njobs;
	int s;

	if (argc < 3) {
		fprintf(stderr, "usage: pg-launchd-double SOCKPATH NAME=SPEC[,SPEC]...\n");
		return 2;
	}
	njobs = (size_t)argc - 2;
	jobs = calloc(njobs, sizeof(*jobs));
	if (jobs == NULL)
		fail("allocate", "jobs");
	for (size_t i = 0; i < njobs; i++)
		parse_job(argv[i + 2], &jobs[i]);

	if (strlen(argv[1]) >= sizeof(un.sun_path)) {
		errno = ENAMETOOLONG;
		fail("socket path", argv[1]);
	}
	strcpy(un.sun_path, argv[1]);
	(void)unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(s, 16) < 0)
		fail("listen on", argv[1]);
	alarm(LIFETIME_SEC);
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		char name[512];
		struct job_socket *j = NULL;
		ssize_t len;
		int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fail("accept on", argv[1]);
		}
		len = recv(conn, name, sizeof(name) - 1, 0);
		if (len > 0) {
			name[len] = '\0';
			for (size_t i = 0; i < njobs; i++)
				if (strcmp(jobs[i].name, name) == 0)
					j = &jobs[i];
			if (j == NULL)
				answer(conn, ENOENT, NULL, 0);
			else if (j->taken)
				answer(conn, EALREADY, NULL, 0);
			else
				answer(conn, 0, j->fds, j->nfds);
			if (j != NULL)
				j->taken = 1;
		}
		(void)close(conn);
	}
}
