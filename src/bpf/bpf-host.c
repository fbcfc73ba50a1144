// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf-host.c - the host around the bind hooks (bpf-loader.h): where cgroup v2
 * is mounted, the path of a cgroup by id, a pin directory on bpffs, and the
 * network namespaces the hooks are scoped to.  Runs as root.  Library code:
 * returns -errno, never logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf-loader.h"
#include "macro.h"
#include "sysinfo.h"

/* Undo the \ooo escapes of /proc/self/mountinfo in place. */
static void
unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int
pg_cgroup2_root(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int r = -ENOENT;

	if (f == NULL)
		return -errno;
	while (r == -ENOENT && fgets(line, sizeof(line), f) != NULL) {
		char *sep = strstr(line, " - "), *save = NULL, *tok;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE OPTIONS */
		if (sep == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		tok = strtok_r(line, " ", &save);
		for (int field = 1; tok != NULL && field < 5; field++)
			tok = strtok_r(NULL, " ", &save);
		if (tok == NULL)
			continue;
		unescape_octal(tok);
		if (strlen(tok) >= size)
			r = -ENAMETOOLONG;
		else
			r = (memcpy(buf, tok, strlen(tok) + 1), 0);
	}
	(void)fclose(f);
	return r;
}

/* Depth-first search for a directory whose inode number is id (the cgroup id). */
static int
find_cgroup(int dir_fd, const char *path, uint64_t id, unsigned depth, char *buf, size_t size)
{
	DIR *d;
	struct dirent *e;
	int r = -ENOENT;

	if (depth > 32)
		return -ENOENT;
	d = fdopendir(dir_fd);
	if (d == NULL) {
		(void)close(dir_fd);
		return -errno;
	}
	while (r == -ENOENT && (e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;
		int fd;

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_ino == id) {
			(void)close(fd);
			r = snprintf(buf, size, "%s", sub) >= (int)size ? -ENAMETOOLONG : 0;
			break;
		}
		r = find_cgroup(fd, sub, id, depth + 1, buf, size);
	}
	(void)closedir(d);
	return r;
}

int
pg_cgroup_path(const char *root, uint64_t id, char *buf, size_t size)
{
	struct stat st;
	int fd;

	if (stat(root, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_ino == id)
		return snprintf(buf, size, "%s", root) >= (int)size ? -ENAMETOOLONG : 0;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return find_cgroup(fd, root, id, 0, buf, size);
}

static bool
on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int
pg_bpf_pin_dir_prepare(const char *pin_dir)
{
	char path[PATH_MAX];
	size_t n = strlen(PG_BPF_FS);

	if (strlen(pin_dir) >= sizeof(path) || pin_dir[0] != '/')
		return -EINVAL;
	if (!on_bpffs(PG_BPF_FS) && strncmp(pin_dir, PG_BPF_FS "/", n + 1) == 0 &&
	    mount("bpf", PG_BPF_FS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return -errno;
	/* mkdir -p, one component at a time. */
	memcpy(path, pin_dir, strlen(pin_dir) + 1);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return on_bpffs(pin_dir) ? 0 : -ENOTDIR;
}

/* --- network namespaces ---------------------------------------------------------- */

int
pg_netns_run(const char *ns_path, int (*fn)(void *arg), void *arg)
{
	_cleanup_close_ int target = open(ns_path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int self = -1;
	struct stat a, b;
	int r;

	if (target < 0)
		return -errno;
	if (fstat(target, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return -errno;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return fn(arg);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0)
		return -errno;
	r = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0)
		return -errno; /* the caller must not go on: it is in the wrong netns */
	return r;
}

struct netns_info {
	uint64_t cookie;
	unsigned unpriv_start;
};

static int
read_netns_info(void *arg)
{
	struct netns_info *info = arg;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(info->cookie);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &info->cookie, &len) < 0)
		return -errno; /* ENOPROTOOPT before 5.14 */
	info->unpriv_start = pg_unprivileged_port_start();
	return 0;
}

int
pg_netns_info(const char *ns_path, uint64_t *ret_cookie, unsigned *ret_unpriv_start)
{
	struct netns_info info = { 0 };
	int r = pg_netns_run(ns_path, read_netns_info, &info);

	if (r < 0)
		return r;
	*ret_cookie = info.cookie;
	*ret_unpriv_start = info.unpriv_start;
	return 0;
}
