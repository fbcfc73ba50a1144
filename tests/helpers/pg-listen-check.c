// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-listen-check - a socket activation receiver for the integration tests.
 * Takes its sockets with portgate_listen_fds() and prints, one fact per line,
 * what a test asserts on: the sockets, any other open fd, its credentials,
 * no_new_privs and capabilities, and its environment.  Test code; trusts its
 * environment.
 *
 *	listen_fds=N			(or listen_fds=error:MESSAGE, exit 1)
 *	fd=3 name=NAME family=inet|inet6|unix|other type=stream|dgram|... addr=A port=P
 *	     listening=0|1 v6only=0|1|- cloexec=0|1
 *	other_fd=N target=LINK		(one per fd >= 3 that is not a socket passed)
 *	other_fds=COUNT
 *	uid=R,E,S  gid=R,E,S  groups=G,...  (groups sorted, "-" if none)
 *	NoNewPrivs=V CapEff=V CapPrm=V	(from /proc/self/status)
 *	env=NAME=VALUE			(the environment before the LISTEN_* are unset,
 *					 sorted; newlines shown as \n)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portgate.h"

extern char **environ;

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted copy of the environment, taken before portgate_listen_fds() edits it. */
static char **
snapshot_env(size_t *ret_n)
{
	size_t n = 0;
	char **v;

	while (environ[n] != NULL)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = strdup(environ[i]);
	qsort(v, n, sizeof(*v), str_cmp);
	*ret_n = n;
	return v;
}

static const char *
type_name(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "other";
	}
}

static void
print_fd(int fd, const char *name)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), olen;
	char addr[INET6_ADDRSTRLEN] = "-", v6only[4] = "-", cloexec[8];
	const char *family = "other";
	int type = 0, listening = 0, flags, port = 0, v;

	olen = sizeof(type);
	(void)getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen);
	olen = sizeof(listening);
	(void)getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			family = "inet";
			inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			family = "inet6";
			inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
			port = ntohs(sin6->sin6_port);
			olen = sizeof(v);
			if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &olen) == 0)
				snprintf(v6only, sizeof(v6only), "%d", !!v);
		} else if (ss.ss_family == AF_UNIX) {
			family = "unix";
		}
	}
	flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		snprintf(cloexec, sizeof(cloexec), "closed");
	else
		snprintf(cloexec, sizeof(cloexec), "%d", !!(flags & FD_CLOEXEC));
	printf("fd=%d name=%s family=%s type=%s addr=%s port=%d listening=%d v6only=%s "
	       "cloexec=%s\n",
	       fd, name, family, type_name(type), addr, port, listening, v6only, cloexec);
}

/* Every fd >= 3 outside the passed range: a leak from whoever started us. */
static void
print_other_fds(int n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int count = 0;

	if (d == NULL) {
		printf("other_fds=error:%s\n", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char path[64], target[PATH_MAX];
		long fd = strtol(de->d_name, NULL, 10);
		ssize_t len;

		if (de->d_name[0] == '.' || fd < 3 || fd == dirfd(d) ||
		    (fd >= PORTGATE_LISTEN_FDS_START && fd < PORTGATE_LISTEN_FDS_START + n))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
		len = readlink(path, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		printf("other_fd=%ld target=%s\n", fd, target);
		count++;
	}
	closedir(d);
	printf("other_fds=%d\n", count);
}

static void
print_creds(void)
{
	gid_t groups[NGROUPS_MAX];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int n;

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	printf("uid=%u,%u,%u\n", ru, eu, su);
	printf("gid=%u,%u,%u\n", rg, eg, sg);
	n = getgroups(NGROUPS_MAX, groups);
	if (n < 0)
		n = 0;
	qsort(groups, (size_t)n, sizeof(gid_t), gid_cmp);
	printf("groups=");
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	printf("%s\n", n == 0 ? "-" : "");
}

static void
print_status(void)
{
	static const char *const keys[] = { "NoNewPrivs:", "CapEff:", "CapPrm:" };
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t len = strlen(keys[i]);
			char *v = line + len;

			if (strncmp(line, keys[i], len) != 0)
				continue;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			printf("%.*s=%s\n", (int)len - 1, keys[i], v);
		}
	}
	fclose(f);
}

static void
print_env(char **env, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs("env=", stdout);
		for (const char *p = env[i]; p != NULL && *p != '\0'; p++) {
			if (*p == '\n')
				fputs("\\n", stdout);
			else
				putchar(*p);
		}
		putchar('\n');
	}
}

int
main(void)
{
	char **names = NULL, **env;
	size_t nenv = 0;
	int n;

	env = snapshot_env(&nenv);
	n = portgate_listen_fds(1, &names);
	if (n < 0) {
		printf("listen_fds=error:%s\n", strerror(-n));
		return 1;
	}
	printf("listen_fds=%d\n", n);
	for (int i = 0; i < n; i++)
		print_fd(PORTGATE_LISTEN_FDS_START + i, names[i]);
	print_other_fds(n);
	print_creds();
	print_status();
	if (env != NULL)
		print_env(env, nenv);
	for (size_t i = 0; env != NULL && i < nenv; i++)
		free(env[i]);
	free(env);
	portgate_free_names(names);
	return 0;
}
