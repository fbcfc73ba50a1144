// SPDX-License-Identifier: BSD-2-Clause
/*
 * authbind.c - an /etc/authbind tree judged for any user exactly as authbind 2.1.3's
 * setuid helper would: access(X_OK) emulated for that user (mode, POSIX ACLs, path
 * lookup), then byuid read as root.  Trust: the tree is the administrator's, byuid
 * text is untrusted input (bounded lines and reads).  Needs root (what the helper
 * sees) and /proc (ACLs of O_PATH fds).  Library code: returns -errno, never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authbind-acl.h"
#include "authbind.h"
#include "compat.h"
#include "macro.h"

/* fgets(buf, 299, f) in the helper: at most 298 bytes per line, longer lines are split. */
#define AB_MAXSYMLINKS 40    /* the kernel's limit on symlinks in one lookup */
#define AB_WALK_STEPS  65536 /* components + links in one lookup, a backstop */
#define AB_NAME_MAX    96    /* "byaddr/!0:0:0:0:0:ffff:7f00:1,1023" and the like */

#define AB_SEARCH_CACHE 8 /* directories whose search verdict one evaluation remembers */

/* One evaluation: who, which tree, and the directories already judged for search. */
struct ab_ctx {
	const struct pg_cred *cred;
	const char *dir;
	int dirfd;
	struct stat dir_st;
	unsigned nsearch;
	struct {
		dev_t dev;
		ino_t ino;
		int r;
	} search[AB_SEARCH_CACHE];
};

/*
 * The errno bind() reports under authbind for a helper that exits with e: the helper
 * exits ENOSYS for values outside 1..127, libauthbind turns 127 into ENXIO.
 */
static int
helper_errno(int e)
{
	if (e <= 0 || e >= 128)
		return ENOSYS;
	return e == 127 ? ENXIO : e;
}

/*
 * May cred execute (or, for a directory, search) this inode?  The kernel's
 * generic_permission() with access(2)'s credentials: the owner gets the owner bits
 * and nothing else; an ACL is consulted only when the group class bits are not all
 * clear (so a mask of "---" makes named entries fall back to the mode, as Linux does);
 * without one the group bits count only when they differ from "other".  uid 0 keeps
 * its capabilities under access(2): every directory, any file with an x bit.
 * Returns 0, a positive errno for the user, or -errno if we cannot tell.
 */
static int
may_exec(const struct pg_cred *cred, int fd, const struct stat *st)
{
	mode_t mode = st->st_mode;

	if (cred->uid == 0)
		return S_ISDIR(mode) || (mode & (S_IXUSR | S_IXGRP | S_IXOTH)) ? 0 : EACCES;
	if (st->st_uid == cred->uid)
		return mode & S_IXUSR ? 0 : EACCES;
	if (mode & S_IRWXG) {
		int r = pg_ab_acl_may_exec(cred, fd, st);

		if (r != PG_AB_NO_ACL)
			return r;
	}
	if (((mode >> 3) ^ mode) & S_IXOTH && pg_cred_in_group(cred, st->st_gid))
		return mode & S_IXGRP ? 0 : EACCES;
	return mode & S_IXOTH ? 0 : EACCES;
}

/*
 * may_exec() for a directory about to be searched, remembered for the rest of this
 * evaluation: every step looks into DIR and most into byport or byaddr.
 */
static int
may_search(struct ab_ctx *ctx, int fd, const struct stat *st)
{
	int r;

	for (unsigned i = 0; i < ctx->nsearch; i++)
		if (ctx->search[i].dev == st->st_dev && ctx->search[i].ino == st->st_ino)
			return ctx->search[i].r;
	r = may_exec(ctx->cred, fd, st);
	if (r >= 0 && ctx->nsearch < AB_SEARCH_CACHE) {
		ctx->search[ctx->nsearch].dev = st->st_dev;
		ctx->search[ctx->nsearch].ino = st->st_ino;
		ctx->search[ctx->nsearch].r = r;
		ctx->nsearch++;
	}
	return r;
}

/* fs.protected_symlinks; unreadable means on, the stricter answer. */
static bool
protected_symlinks(void)
{
	_cleanup_close_ int fd = -1;
	char c = '1';

	fd = open("/proc/sys/fs/protected_symlinks", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || RETRY_EINTR(read(fd, &c, 1)) != 1)
		return true;
	return c != '0';
}

/* The kernel's may_follow_link(): a symlink in a sticky world-writable directory. */
static int
may_follow(const struct pg_cred *cred, const struct stat *dir, const struct stat *link)
{
	if (link->st_uid == cred->uid)
		return 0;
	if ((dir->st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH))
		return 0;
	if (dir->st_uid == link->st_uid)
		return 0;
	return protected_symlinks() ? EACCES : 0;
}

/*
 * An openat() failure: the user was allowed to search this directory, so EACCES or
 * EPERM now means that we are not (we are not root), and resource shortages are ours.
 */
static int
lookup_errno(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
		return -e;
	default:
		return e;
	}
}

/*
 * Resolve relpath below the directory dirfd as path lookup in access(2) would for
 * cred: search permission on every directory looked into, "." and "..", symlinks
 * followed (absolute ones from "/"), a trailing '/' demanding a directory.
 * Returns 0 with the final inode in *ret_fd (O_PATH) and *ret_st, a positive errno
 * the user would have got (ENOENT, EACCES, ENOTDIR, ELOOP, ...), or -errno.
 */
static int
walk(struct ab_ctx *ctx, const char *relpath, int *ret_fd, struct stat *ret_st)
{
	_cleanup_close_ int cur = -1;
	struct stat cur_st;
	char rem[PATH_MAX], target[PATH_MAX];
	size_t pos = 0, len = strlen(relpath);
	unsigned links = 0;

	if (len == 0)
		return ENOENT;
	if (len >= sizeof(rem))
		return ENAMETOOLONG;
	memcpy(rem, relpath, len + 1);
	cur = fcntl(ctx->dirfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	cur_st = ctx->dir_st;

	for (unsigned step = 0;; step++) {
		_cleanup_close_ int next = -1;
		struct stat next_st;
		char name[NAME_MAX + 1];
		size_t n, restlen;
		ssize_t tl;
		int r;

		if (step >= AB_WALK_STEPS)
			return ELOOP;
		while (rem[pos] == '/')
			pos++;
		if (rem[pos] == '\0')
			break;
		n = strcspn(rem + pos, "/");
		if (n > NAME_MAX)
			return ENAMETOOLONG;
		memcpy(name, rem + pos, n);
		name[n] = '\0';
		pos += n;

		if (!S_ISDIR(cur_st.st_mode))
			return ENOTDIR;
		r = may_search(ctx, cur, &cur_st);
		if (r != 0)
			return r;
		if (strcmp(name, ".") == 0)
			continue;
		next = openat(cur, name, PG_O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return lookup_errno(errno);
		if (fstat(next, &next_st) < 0)
			return -errno;

		if (!S_ISLNK(next_st.st_mode)) {
			closep(&cur);
			cur = TAKE_FD(next);
			cur_st = next_st;
			if (rem[pos] == '/' && !S_ISDIR(cur_st.st_mode))
				return ENOTDIR;
			continue;
		}

		if (++links > AB_MAXSYMLINKS)
			return ELOOP;
		r = may_follow(ctx->cred, &cur_st, &next_st);
		if (r != 0)
			return r;
		tl = readlinkat(next, "", target, sizeof(target));
		if (tl < 0)
			return lookup_errno(errno);
		if ((size_t)tl >= sizeof(target))
			return ENAMETOOLONG;
		if (tl == 0)
			return ENOENT;
		/* Splice: the link's text followed by what is left of the path. */
		restlen = strlen(rem + pos);
		if ((size_t)tl + restlen >= sizeof(rem))
			return ENAMETOOLONG;
		memmove(rem + tl, rem + pos, restlen + 1);
		memcpy(rem, target, (size_t)tl);
		pos = 0;
		if (target[0] == '/') {
			closep(&cur);
			cur = open("/", PG_O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (cur < 0 || fstat(cur, &cur_st) < 0)
				return -errno;
		}
	}
	*ret_fd = TAKE_FD(cur);
	*ret_st = cur_st;
	return 0;
}

/* access(DIR/name, X_OK) as the user.  0, a positive errno, or -errno. */
static int
access_x(struct ab_ctx *ctx, const char *name)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = walk(ctx, name, &fd, &st);
	if (r != 0)
		return r;
	/* access(2) refuses X_OK on a regular file of a noexec mount, even to root. */
	if (S_ISREG(st.st_mode)) {
		r = pg_fd_noexec(fd);
		if (r < 0)
			return -errno;
		if (r == 1)
			return EACCES;
	}
	return may_exec(ctx->cred, fd, &st);
}

static int
set_path(struct pg_authbind_verdict *ret, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	int n;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	n = snprintf(ret->path, sizeof(ret->path), "%.*s%s%s", (int)dl, dir,
		     dir[dl - 1] == '/' ? "" : "/", name);
	if (n < 0 || (size_t)n >= sizeof(ret->path))
		return -ENAMETOOLONG;
	return 0;
}

/*
 * One byport/byaddr step.  Returns 1 if it decided (*ret filled), 0 to go on to the
 * next step (the name does not exist), or -errno.
 */
static int
step_exec(struct ab_ctx *ctx, const char *name, struct pg_authbind_verdict *ret)
{
	int r = access_x(ctx, name);

	if (r < 0)
		return r;
	if (r == ENOENT)
		return 0;
	ret->allowed = r == 0;
	ret->step = strncmp(name, "byport/", 7) == 0 ? PG_AUTHBIND_STEP_BYPORT
						     : PG_AUTHBIND_STEP_BYADDR;
	ret->err = r == 0 ? 0 : helper_errno(r);
	r = set_path(ret, ctx->dir, name);
	return r < 0 ? r : 1;
}

/* Step 4: byuid/UID, read as root; always decides. */
static int
step_byuid(struct ab_ctx *ctx, const char *bang, const struct pg_bind *b,
	   struct pg_authbind_verdict *ret)
{
	struct pg_authbind_reader rd = { .fd = -1 };
	_cleanup_close_ int fd = -1;
	char name[AB_NAME_MAX], line[PG_AUTHBIND_LINE_MAX + 1];
	unsigned lineno = 1;
	int r;

	ret->step = PG_AUTHBIND_STEP_BYUID;
	(void)snprintf(name, sizeof(name), "byuid/%s%lu", bang, (unsigned long)ctx->cred->uid);
	r = set_path(ret, ctx->dir, name);
	if (r < 0)
		return r;
	fd = openat(ctx->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			ret->err = EPERM;
			return 0;
		}
		/* The helper opens as root: EACCES can only mean that we are not root. */
		r = lookup_errno(errno);
		if (r < 0)
			return r;
		ret->err = helper_errno(r);
		return 0;
	}
	rd.fd = fd;
	for (;;) {
		struct pg_authbind_range range;
		unsigned this_line = lineno;
		size_t n = 0;

		r = pg_authbind_read_line(&rd, line, &n);
		if (r < 0)
			return r;
		if (r > 0) {
			/* The helper stops at the read error and exits with it. */
			ret->err = helper_errno(r);
			return 0;
		}
		if (n == 0)
			break;
		if (line[n - 1] == '\n')
			lineno++;
		if (pg_authbind_line_range(line, b->family, &range, NULL) &&
		    pg_authbind_range_covers(&range, b)) {
			ret->allowed = true;
			ret->line = this_line;
			return 0;
		}
	}
	ret->err = ENOENT;
	return 0;
}

int
pg_authbind_eval(const char *dir, const struct pg_cred *cred, const struct pg_bind *b,
		 struct pg_authbind_verdict *ret)
{
	_cleanup_close_ int dirfd = -1;
	struct ab_ctx ctx = { .cred = cred, .dir = dir, .dirfd = -1 };
	char name[AB_NAME_MAX], text[INET6_ADDRSTRLEN];
	const char *bang;
	int r;

	if (dir == NULL || dir[0] == '\0' || cred == NULL || b == NULL || ret == NULL)
		return -EINVAL;
	if (b->family != AF_INET && b->family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(ret, 0, sizeof(*ret));
	/* libauthbind hands only ports 1..1023 to the helper. */
	if (b->port == 0 || b->port >= 1024) {
		ret->err = ENOSYS;
		return 0;
	}
	bang = b->port >= 512 ? "!" : "";

	/* The helper chdir()s here as root: no check on the directories above it. */
	dirfd = open(dir, PG_O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fstat(dirfd, &ctx.dir_st) < 0)
		return -errno;
	ctx.dirfd = dirfd;

	(void)snprintf(name, sizeof(name), "byport/%s%u", bang, b->port);
	r = step_exec(&ctx, name, ret);
	if (r != 0)
		return r < 0 ? r : 0;

	if (inet_ntop(b->family, b->addr, text, sizeof(text)) == NULL)
		return -errno;
	if (b->family == AF_INET) {
		(void)snprintf(name, sizeof(name), "byaddr/%s%s:%u", bang, text, b->port);
		r = step_exec(&ctx, name, ret);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	(void)snprintf(name, sizeof(name), "byaddr/%s%s,%u", bang, text, b->port);
	r = step_exec(&ctx, name, ret);
	if (r != 0)
		return r < 0 ? r : 0;

	if (b->family == AF_INET6) {
		/* Eight groups in hex without leading zeros and without "::". */
		size_t used = 0;

		for (int i = 0; i < 8; i++)
			used += (size_t)snprintf(
				text + used, sizeof(text) - used, "%s%x", i ? ":" : "",
				(unsigned)b->addr[2 * i] << 8 | b->addr[2 * i + 1]);
		(void)snprintf(name, sizeof(name), "byaddr/%s%s,%u", bang, text, b->port);
		r = step_exec(&ctx, name, ret);
		if (r != 0)
			return r < 0 ? r : 0;
	}

	return step_byuid(&ctx, bang, b, ret);
}
