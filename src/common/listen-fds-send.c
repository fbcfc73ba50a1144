// SPDX-License-Identifier: BSD-2-Clause
/*
 * listen-fds-send.c - install sockets at fds 3.. for exec and write the
 * LISTEN_* variables that sd_listen_fds(3) and portgate_listen_fds() read.
 * Library code: returns -errno, never logs.  Runs in the process that is
 * about to exec, possibly as root: nothing but the sockets may survive it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "compat.h"
#include "listen-fds-send.h"
#include "macro.h"

bool
pg_fdname_is_valid(const char *name)
{
	const char *p;

	if (name == NULL)
		return false;
	for (p = name; *p != '\0'; p++)
		if (*p < ' ' || *p > '~' || *p == ':')
			return false;
	return p - name <= PG_FDNAME_MAX;
}

static int
set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -errno;
	if (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* For kernels before 5.11, which lack CLOSE_RANGE_CLOEXEC. */
static int
cloexec_from_proc(int first)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int r = 0;

	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = strtol(de->d_name, &end, 10);
		if (*end != '\0' || fd < first || fd > INT_MAX || fd == dirfd(d))
			continue;
		r = set_cloexec((int)fd);
		if (r < 0 && r != -EBADF)
			break;
		r = 0;
	}
	(void)closedir(d);
	return r;
}

/* Without /proc: every fd up to the limit, which is slow only for huge limits. */
static int
cloexec_by_limit(int first)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
		rl.rlim_cur = INT_MAX;
	for (long fd = first; fd < (long)rl.rlim_cur; fd++) {
		int r = set_cloexec((int)fd);

		if (r < 0 && r != -EBADF)
			return r;
	}
	return 0;
}

static int
cloexec_all_from(int first)
{
	int r;

	if (pg_close_range((unsigned)first, ~0U, 1) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
	r = cloexec_from_proc(first);
	if (r == -ENOENT || r == -EACCES)
		r = cloexec_by_limit(first);
	return r;
}

static void
close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			(void)close(fds[i]);
		fds[i] = -1;
	}
}

int
pg_listen_fds_place(int *fds, size_t n)
{
	_cleanup_free_ int *tmp = NULL;
	int first_free, r;
	size_t i;

	/*
	 * Caller bugs: refuse before touching anything, since closing a repeated
	 * fd twice could close an unrelated one.
	 */
	if (n == 0 || n > (size_t)(INT_MAX - PG_LISTEN_FDS_START))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (fds[i] == fds[j])
				return -EINVAL;
	}

	tmp = malloc(n * sizeof(*tmp));
	if (tmp == NULL) {
		close_all(fds, n);
		return -ENOMEM;
	}

	/*
	 * First copy every fd above the target range, then close the originals,
	 * then copy each into place.  No target can then hold a socket that is
	 * still waiting to be moved, whatever the order of the input.
	 */
	first_free = PG_LISTEN_FDS_START + (int)n;
	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, first_free);
		if (tmp[i] < 0) {
			r = -errno;
			close_all(tmp, i);
			close_all(fds, n);
			return r;
		}
	}
	close_all(fds, n);

	for (i = 0; i < n; i++) {
		int target = PG_LISTEN_FDS_START + (int)i;

		/* dup3() without O_CLOEXEC: the one place an fd is meant to survive exec. */
		if (pg_dup3(tmp[i], target, 0) < 0) {
			r = -errno;
			close_all(fds, i);
			close_all(tmp, n);
			return r;
		}
		fds[i] = target;
	}
	close_all(tmp, n);

	r = cloexec_all_from(first_free);
	if (r < 0) {
		close_all(fds, n);
		return r;
	}
	return 0;
}

int
pg_listen_env_format(pid_t pid, size_t n, const char *const *names, char *ret[static 3])
{
	_cleanup_free_ char *fds_s = NULL, *pid_s = NULL, *names_s = NULL;
	size_t len = sizeof("LISTEN_FDNAMES=");

	if (n == 0 || n > (size_t)(INT_MAX - PG_LISTEN_FDS_START) || pid <= 0)
		return -EINVAL;
	if (asprintf(&fds_s, "LISTEN_FDS=%zu", n) < 0) {
		fds_s = NULL;
		return -ENOMEM;
	}
	if (asprintf(&pid_s, "LISTEN_PID=%ld", (long)pid) < 0) {
		pid_s = NULL;
		return -ENOMEM;
	}
	if (names != NULL) {
		char *p;

		for (size_t i = 0; i < n; i++) {
			if (!pg_fdname_is_valid(names[i]))
				return -EINVAL;
			len += strlen(names[i]) + 1;
		}
		names_s = malloc(len);
		if (names_s == NULL)
			return -ENOMEM;
		p = stpcpy(names_s, "LISTEN_FDNAMES=");
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				*p++ = ':';
			p = stpcpy(p, names[i]);
		}
	}
	ret[0] = TAKE_PTR(fds_s);
	ret[1] = TAKE_PTR(pid_s);
	ret[2] = TAKE_PTR(names_s);
	return 0;
}
