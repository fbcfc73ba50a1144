/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testtree.h - random authbind trees for the differential tests: byport and
 * byaddr names (with and without '!', some never looked up), files and
 * directories of random modes, owners, groups and ACLs, symbolic links to
 * other names, byuid files of lines authbind reads in each of its formats,
 * and now and then a directory authbind cannot search or a byport that is a
 * file.  Needs root (chown).  Uses random(): seed it first.
 */
#ifndef PG_TESTTREE_H
#define PG_TESTTREE_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <acl/libacl.h>
#include <sys/acl.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

static const char *const tt_byport[] = { "80", "81", "443", "511", "!600", "!700", "!1023", "600" };
static const char *const tt_byaddr[] = {
	"127.0.0.1,80",	       "127.0.0.1:81",	 "::1,82",	"0:0:0:0:0:0:0:1,83",
	"::ffff:127.0.0.1,85", "!127.0.0.1,700", "0.0.0.0,80",	"::,443",
	"127.0.0.5,8",	       "!::1,600",	 "10.1.2.3,53", "127.000.0.1,80",
	"!0.0.0.0,1023",
};
static const char *const tt_lines[] = {
	"127.0.0.0/8,80-90",
	"127.0.0.1/32: 100,110",
	"::1,443",
	"::/0,53",
	"127.0.0.5,8",
	"0.0.0.0/0,80",
	"127.0.0.2-127.0.0.9,80",
	"::1-::ff,81",
	"127.0.0.1,1-1023",
	"0.0.0.0,1-511",
	"::ffff:127.0.0.1,85",
	"10.0.0.0/8,512-1023",
	"127.0.0.1,\t81 ",
	"127.0.0.0/4294967295,82",
	"::,600-700",
};
static const mode_t tt_modes[] = { 0500, 0700, 0711, 0750, 0701, 0755, 0644, 0077, 0601, 0710 };

static unsigned
tt_rnd(unsigned n)
{
	return (unsigned)random() % n;
}

static int
tt_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the tree at dir (symbolic links are not followed). */
static inline void
tt_remove(const char *dir)
{
	(void)nftw(dir, tt_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* An owner: root or one of ids; a group: one of gids (or 0). */
static void
tt_own(const char *path, const uid_t *uids, size_t nuids, const gid_t *gids, size_t ngids)
{
	uid_t u = tt_rnd(3) == 0 ? 0 : uids[tt_rnd((unsigned)nuids)];
	gid_t g = tt_rnd(3) == 0 ? 0 : gids[tt_rnd((unsigned)ngids)];

	if (lchown(path, u, g) < 0)
		return;
}

/* Sometimes an ACL: a named user or group with or without x, a mask with or without x. */
static void
tt_acl(const char *path, const uid_t *uids, size_t nuids, const gid_t *gids, size_t ngids)
{
#ifdef __linux__
	char text[200];
	acl_t acl;

	if (tt_rnd(4) != 0)
		return;
	(void)snprintf(text, sizeof(text), "u::rwx,%s:%u:%s,g::%s,m::%s,o::%s",
		       tt_rnd(2) ? "u" : "g",
		       tt_rnd(2) ? (unsigned)uids[tt_rnd((unsigned)nuids)]
				 : (unsigned)gids[tt_rnd((unsigned)ngids)],
		       tt_rnd(2) ? "x" : "r", tt_rnd(2) ? "x" : "-", tt_rnd(3) ? "x" : "r",
		       tt_rnd(2) ? "x" : "-");
	acl = acl_from_text(text);
	if (acl != NULL) {
		(void)acl_set_file(path, ACL_TYPE_ACCESS, acl);
		(void)acl_free(acl);
	}
#else
	/* No POSIX ACLs read off Linux (authbind-acl-posix.c): none written either. */
	(void)path;
	(void)uids;
	(void)nuids;
	(void)gids;
	(void)ngids;
#endif
}

/* One entry of byport or byaddr: a file or a directory. */
static void
tt_entry(const char *dir, const char *name, const uid_t *uids, size_t nuids, const gid_t *gids,
	 size_t ngids)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tt_rnd(8) == 0) {
		if (mkdir(path, 0700) < 0)
			return;
	} else {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0)
			return;
		(void)close(fd);
	}
	tt_own(path, uids, nuids, gids, ngids);
	(void)chmod(path, tt_modes[tt_rnd(nitems(tt_modes))]);
	tt_acl(path, uids, nuids, gids, ngids);
}

/* Some of the names not made: relative links to names that are (so never dangling). */
static void
tt_links(const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[512], to[512];
		const char *target = names[tt_rnd((unsigned)n)];
		struct stat st;

		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)snprintf(to, sizeof(to), "%s/%s", dir, target);
		if (tt_rnd(4) != 0 || lstat(path, &st) == 0 || lstat(to, &st) < 0 ||
		    S_ISLNK(st.st_mode))
			continue;
		if (symlink(target, path) < 0)
			continue;
	}
}

/* A sub-directory of the tree, usually searchable by all. */
static bool
tt_subdir(const char *path, const uid_t *uids, size_t nuids, const gid_t *gids, size_t ngids)
{
	static const mode_t modes[] = { 0755, 0755, 0755, 0711, 0750, 0700, 0710 };

	if (tt_rnd(12) == 0)
		return false; /* missing */
	if (tt_rnd(30) == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd >= 0)
			(void)close(fd);
		return false; /* a file where a directory belongs */
	}
	if (mkdir(path, 0755) < 0)
		return false;
	if (tt_rnd(4) == 0) {
		tt_own(path, uids, nuids, gids, ngids);
		(void)chmod(path, modes[tt_rnd(nitems(modes))]);
		tt_acl(path, uids, nuids, gids, ngids);
	}
	return true;
}

/* A random tree at dir (which must not exist), its entries owned by uids and gids. */
static inline int
tt_make(const char *dir, const uid_t *uids, size_t nuids, const gid_t *gids, size_t ngids)
{
	char path[1024];

	if (mkdir(dir, 0755) < 0)
		return -1;
	if (tt_rnd(10) == 0)
		(void)chmod(dir, tt_rnd(2) ? 0711 : 0750);
	(void)snprintf(path, sizeof(path), "%s/byport", dir);
	if (tt_subdir(path, uids, nuids, gids, ngids))
		for (size_t i = 0; i < nitems(tt_byport); i++)
			if (tt_rnd(3) == 0)
				tt_entry(path, tt_byport[i], uids, nuids, gids, ngids);
	tt_links(path, tt_byport, nitems(tt_byport));
	(void)snprintf(path, sizeof(path), "%s/byaddr", dir);
	if (tt_subdir(path, uids, nuids, gids, ngids))
		for (size_t i = 0; i < nitems(tt_byaddr); i++)
			if (tt_rnd(3) == 0)
				tt_entry(path, tt_byaddr[i], uids, nuids, gids, ngids);
	tt_links(path, tt_byaddr, nitems(tt_byaddr));
	(void)snprintf(path, sizeof(path), "%s/byuid", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	for (size_t i = 0; i < nuids; i++) {
		for (int bang = 0; bang < 2; bang++) {
			char file[1100];
			FILE *f;

			if (tt_rnd(3) != 0)
				continue;
			(void)snprintf(file, sizeof(file), "%s/%s%u", path, bang ? "!" : "",
				       (unsigned)uids[i]);
			if ((f = fopen(file, "we")) == NULL)
				return -1;
			for (unsigned n = tt_rnd(4); n > 0; n--)
				(void)fprintf(f, "%s\n", tt_lines[tt_rnd(nitems(tt_lines))]);
			(void)fclose(f);
			(void)chmod(file, tt_rnd(4) == 0 ? 0 : 0644);
		}
	}
	return 0;
}

#endif
