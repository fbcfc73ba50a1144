// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctlsock.c - the control socket and its directory (see ctlsock.h).
 * Privilege: before the drop; as root it creates the directory for the daemon
 * user.  Trust: refuses a directory someone else could swap the socket in.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "log.h"
#include "macro.h"
#include "sock.h"

/* The directory must be root's or the daemon's, and nobody else may write to it. */
static int
check_dir(const char *dir, uid_t uid)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		log_warn("socket directory '%s'", dir);
		return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		log_warnx("socket directory '%s' is a symbolic link; refusing it", dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("socket directory '%s' is not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != 0 && st.st_uid != uid) {
		log_warnx("socket directory '%s' belongs to uid %u, not to root or uid %u; "
			  "refusing it",
			  dir, (unsigned)st.st_uid, (unsigned)uid);
		return -EPERM;
	}
	if (st.st_mode & S_IWOTH) {
		log_warnx("socket directory '%s' is writable by everyone; refusing it "
			  "(use a directory of its own, such as /run/portgate)",
			  dir);
		return -EPERM;
	}
	if ((st.st_mode & S_IWGRP) && !(st.st_mode & S_ISVTX)) {
		log_warnx("socket directory '%s' is writable by its group; refusing it", dir);
		return -EPERM;
	}
	return 0;
}

static int
make_dir(const char *dir, uid_t uid, gid_t gid)
{
	_cleanup_close_ int fd = -1;

	if (mkdir(dir, 0755) < 0) {
		if (errno == EEXIST)
			return 0; /* made meanwhile: check_dir judges it */
		log_warn("cannot create the socket directory '%s'", dir);
		return -errno;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) < 0 || (geteuid() == 0 && fchown(fd, uid, gid) < 0)) {
		log_warn("cannot set up the socket directory '%s'", dir);
		return -errno;
	}
	log_info("created the socket directory '%s'", dir);
	return 0;
}

/* A socket file at path: refuse if a daemon answers there, remove it if none does. */
static int
clear_stale(const char *path, const struct sockaddr_un *sun)
{
	_cleanup_close_ int probe = -1;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("'%s'", path);
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("'%s' exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	probe = pg_socket_nb(AF_UNIX, SOCK_STREAM, 0);
	if (probe < 0) {
		log_warnc(-probe, "socket");
		return probe;
	}
	if (connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN ||
	    errno == EINPROGRESS) {
		log_warnx("another portgated is already serving '%s'; not starting a second one",
			  path);
		return -EADDRINUSE;
	}
	if (errno == ENOENT)
		return 0;
	if (errno != ECONNREFUSED) {
		log_warn("cannot tell whether '%s' is in use", path);
		return -errno;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("cannot remove the stale socket '%s'", path);
		return -errno;
	}
	log_info("removed the stale socket '%s' (no daemon answered there)", path);
	return 0;
}

int
ctlsock_open(const char *path, uid_t uid, gid_t gid, struct ctlsock *ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	char dir[PATH_MAX];
	const char *slash;
	struct stat st;
	int r;

	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("socket path '%s' must be absolute and shorter than %zu bytes", path,
			  sizeof(sun.sun_path));
		return -EINVAL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	slash = strrchr(path, '/');
	if (slash[1] == '\0') {
		log_warnx("socket path '%s' names a directory", path);
		return -EINVAL;
	}
	if (slash == path) {
		memcpy(dir, "/", 2);
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}

	if (lstat(dir, &st) < 0 && errno == ENOENT && (r = make_dir(dir, uid, gid)) < 0)
		return r;
	if ((r = check_dir(dir, uid)) < 0 || (r = clear_stale(path, &sun)) < 0)
		return r;

	fd = pg_socket_nb(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		log_warnc(-fd, "socket");
		return fd;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		if (r == -EADDRINUSE)
			log_warnx("'%s' appeared while starting: another portgated is starting; "
				  "not starting a second one",
				  path);
		else
			log_warnc(-r, "bind '%s'", path);
		return r;
	}
	/* Everyone may ask; the policy decides what they get. */
	if (chmod(path, 0666) < 0 || (geteuid() == 0 && lchown(path, uid, gid) < 0) ||
	    lstat(path, &st) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		log_warnc(-r, "set up '%s'", path);
		(void)unlink(path);
		return r;
	}
	ret->fd = TAKE_FD(fd);
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	return 0;
}

void
ctlsock_close(const char *path, struct ctlsock *c)
{
	struct stat st;

	if (c->fd < 0)
		return;
	(void)close(c->fd);
	c->fd = -1;
	if (lstat(path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino && unlink(path) < 0)
		log_debug("cannot remove '%s' (a later start replaces it): %s", path,
			  strerror(errno));
}
