// SPDX-License-Identifier: BSD-2-Clause
/*
 * kpolicy-authbind.c - compile the authbind tree into the pg_ab_file and
 * pg_ab_uid maps.  What authbind's helper decides depends on the user and on
 * which names exist: a byport name decides for every address of its port, a
 * byaddr name for one address, and a name that does not exist behaves alike at
 * every port (found missing, or not reachable at all).  So the tree is listed
 * once (as root: a superset of what any user reaches), then each user is
 * judged by pg_authbind_eval() at one port no name covers, at each listed
 * port and at each listed address: the same function "portgate check" uses.
 * byuid lines become address and port ranges (authbind-byuid.c).
 * Library code: returns -errno, never logs.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authbind-acl.h"
#include "kpolicy-authbind.h"
#include "macro.h"

/* A byaddr name: an address and port authbind looks up by that name. */
struct point {
	int family;
	uint16_t port;
	uint8_t addr[16];
};

struct byuid_file {
	uid_t uid;
	bool high; /* "!UID": ports 512-1023 */
};

/* What the tree holds, listed as root. */
struct tree {
	const char *dir;
	bool port_listed[1024];
	struct point *points;
	size_t npoints;
	uint32_t *ids; /* uids and gids it names: owners, groups, ACL entries */
	size_t nids;
	struct byuid_file *files;
	size_t nfiles;
	int err; /* the first -errno met (-ENOMEM...) */
	size_t nproblems;
	struct pg_diags *diags;
};

static void
tree_clear(struct tree *t)
{
	free(t->points);
	free(t->ids);
	free(t->files);
}

static void *
grow(void *v, size_t n, size_t size, int *err)
{
	void *nv = realloc(v, (n + 1) * size);

	if (nv == NULL && *err == 0)
		*err = -ENOMEM;
	return nv;
}

static void
add_id(struct tree *t, uint32_t id)
{
	uint32_t *v;

	for (size_t i = 0; i < t->nids; i++)
		if (t->ids[i] == id)
			return;
	if ((v = grow(t->ids, t->nids, sizeof(*v), &t->err)) == NULL)
		return;
	t->ids = v;
	t->ids[t->nids++] = id;
}

static bool
has_id(const struct tree *t, uint32_t id)
{
	for (size_t i = 0; i < t->nids; i++)
		if (t->ids[i] == id)
			return true;
	return false;
}

static void
add_id_cb(void *t, uint32_t id)
{
	add_id(t, id);
}

/* The owner, group and ACL entries of path (followed): who may see it differently. */
static void
add_ids_of(struct tree *t, const char *path, const struct stat *st)
{
	add_id(t, st->st_uid);
	add_id(t, st->st_gid);
	pg_ab_acl_ids(path, add_id_cb, t);
}

static void _printf_(4, 5)
	problem(struct tree *t, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->nproblems++;
	pg_diag_add(t->diags, file, line, line ? 1 : 0, "%s", msg);
}

/* "N" for 1-511, "!N" for 512-1023, as the helper spells it; 0 if not such a name. */
static unsigned
port_of_name(const char *s)
{
	bool bang = s[0] == '!';
	char *end;
	unsigned long v;
	char back[8];

	s += bang;
	if (s[0] < '1' || s[0] > '9')
		return 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v >= 1024 || (v >= 512) != bang)
		return 0;
	(void)snprintf(back, sizeof(back), "%lu", v);
	return strcmp(back, s) == 0 ? (unsigned)v : 0;
}

/* The byaddr names the helper looks up: "[!]A.B.C.D:P", "[!]ADDR,P", "[!]X:X:X:X:X:X:X:X,P". */
static bool
point_of_name(const char *name, struct point *ret)
{
	char text[INET6_ADDRSTRLEN + 8], back[INET6_ADDRSTRLEN];
	const char *sep = strrchr(name, ',');
	unsigned port;
	size_t alen;
	bool bang = name[0] == '!';

	if (sep == NULL)
		sep = strrchr(name, ':');
	if (sep == NULL)
		return false;
	alen = (size_t)(sep - name) - bang;
	if (alen == 0 || alen >= sizeof(text))
		return false;
	(void)snprintf(text, sizeof(text), "%s%s", bang ? "!" : "", sep + 1);
	port = port_of_name(text);
	if (port == 0)
		return false;
	memcpy(text, name + bang, alen);
	text[alen] = '\0';
	memset(ret, 0, sizeof(*ret));
	ret->port = (uint16_t)port;
	if (inet_pton(AF_INET, text, ret->addr) == 1) {
		ret->family = AF_INET;
		return inet_ntop(AF_INET, ret->addr, back, sizeof(back)) != NULL &&
		       strcmp(back, text) == 0;
	}
	if (*sep != ',' || inet_pton(AF_INET6, text, ret->addr) != 1)
		return false;
	ret->family = AF_INET6;
	if (inet_ntop(AF_INET6, ret->addr, back, sizeof(back)) != NULL && strcmp(back, text) == 0)
		return true;
	{
		size_t used = 0;

		for (int i = 0; i < 8; i++)
			used += (size_t)snprintf(
				back + used, sizeof(back) - used, "%s%x", i ? ":" : "",
				(unsigned)ret->addr[2 * i] << 8 | ret->addr[2 * i + 1]);
	}
	return strcmp(back, text) == 0;
}

static void
add_point(struct tree *t, const struct point *p)
{
	struct point *v;

	for (size_t i = 0; i < t->npoints; i++)
		if (t->points[i].family == p->family && t->points[i].port == p->port &&
		    memcmp(t->points[i].addr, p->addr, 16) == 0)
			return;
	if ((v = grow(t->points, t->npoints, sizeof(*v), &t->err)) == NULL)
		return;
	t->points = v;
	t->points[t->npoints++] = *p;
}

/* "[!]UID" as the helper spells it (%lu); false if not such a name. */
static bool
byuid_of_name(const char *s, struct byuid_file *ret)
{
	char back[16];
	char *end;
	unsigned long v;

	ret->high = s[0] == '!';
	s += ret->high;
	if (s[0] < '0' || s[0] > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > UINT32_MAX)
		return false;
	(void)snprintf(back, sizeof(back), "%lu", v);
	ret->uid = (uid_t)v;
	return strcmp(back, s) == 0;
}

/* One subdirectory: byport (0), byaddr (1) or byuid (2). */
static void
scan_subdir(struct tree *t, int which)
{
	static const char *const names[3] = { "byport", "byaddr", "byuid" };
	char path[PATH_MAX], file[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	(void)snprintf(path, sizeof(path), "%s/%s", t->dir, names[which]);
	d = opendir(path);
	if (d == NULL) {
		/* Missing, or not a directory: every user is judged alike, compiled as such. */
		if (errno != ENOENT && errno != ENOTDIR)
			problem(t, path, 0, "cannot read the directory: %s", strerror(errno));
		return;
	}
	if (fstat(dirfd(d), &st) == 0)
		add_ids_of(t, path, &st);
	while ((de = readdir(d)) != NULL) {
		struct point pt;
		struct byuid_file bf;
		struct stat lst;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", path, de->d_name) >= sizeof(file))
			continue;
		if (fstatat(dirfd(d), de->d_name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		add_id(t, lst.st_uid);
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			int e = errno;
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);

			target[n < 0 ? 0 : n] = '\0';
			if (e == ENOENT) {
				problem(t, file, 0,
					"a dangling symbolic link (to '%s'): authbind skips it",
					target);
				continue;
			}
			if (e == ELOOP) {
				problem(t, file, 0,
					"a symbolic link that loops (to '%s'): authbind refuses "
					"the port",
					target);
				continue;
			}
			/* Anything else (a link to "file/": ENOTDIR) is judged as authbind does. */
		} else {
			add_ids_of(t, file, &st);
		}
		if (which == 0 && port_of_name(de->d_name) != 0)
			t->port_listed[port_of_name(de->d_name)] = true;
		else if (which == 1 && point_of_name(de->d_name, &pt))
			add_point(t, &pt);
		else if (which == 2 && byuid_of_name(de->d_name, &bf)) {
			struct byuid_file *v = grow(t->files, t->nfiles, sizeof(*v), &t->err);

			if (v == NULL)
				break;
			t->files = v;
			t->files[t->nfiles++] = bf;
			add_id(t, bf.uid);
		}
	}
	(void)closedir(d);
}

static int
scan_tree(struct tree *t)
{
	struct stat st;

	if (stat(t->dir, &st) < 0)
		return -errno;
	add_ids_of(t, t->dir, &st);
	for (int i = 0; i < 3; i++)
		scan_subdir(t, i);
	return t->err;
}

/* --- byuid ---------------------------------------------------------------------- */

struct ranges {
	struct pg_authbind_range v[PG_K_AB_MAX_RANGES];
	size_t n;
	bool over;
};

static void
range_add(struct ranges *rs, struct pg_authbind_range *r, bool high)
{
	uint16_t lo = high ? 512 : 1, hi = high ? 1023 : 511;

	if (r->port_lo < lo)
		r->port_lo = lo;
	if (r->port_hi > hi)
		r->port_hi = hi;
	if (r->port_lo > r->port_hi)
		return; /* ports this file is never read for */
	for (size_t i = 0; i < rs->n; i++)
		if (memcmp(&rs->v[i], r, sizeof(*r)) == 0)
			return;
	if (rs->n == PG_K_AB_MAX_RANGES) {
		rs->over = true;
		return;
	}
	rs->v[rs->n++] = *r;
}

static bool
blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && (*s < '\t' || *s > '\r'))
			return false;
	return true;
}

/* One line: its ranges, or a problem if authbind would ignore it. */
static void
byuid_line(struct tree *t, const char *file, unsigned lineno, const char *line, size_t n, bool high,
	   struct ranges *rs)
{
	struct pg_authbind_range r4, r6;
	struct pg_authbind_line_error e4 = { 0 }, e6 = { 0 };
	bool ok4, ok6;
	const char *comma;

	if (strlen(line) < n) {
		t->nproblems++;
		pg_diag_add(t->diags, file, lineno, (unsigned)strlen(line) + 1,
			    "a NUL byte: authbind ignores the rest of the line");
	}
	if (n == PG_AUTHBIND_LINE_MAX && line[n - 1] != '\n') {
		t->nproblems++;
		pg_diag_add(t->diags, file, lineno, PG_AUTHBIND_LINE_MAX + 1,
			    "the line is longer than %d bytes: authbind reads the rest as "
			    "another line",
			    PG_AUTHBIND_LINE_MAX);
	}
	ok4 = pg_authbind_line_range(line, AF_INET, &r4, &e4);
	ok6 = pg_authbind_line_range(line, AF_INET6, &r6, &e6);
	if (ok4)
		range_add(rs, &r4, high);
	if (ok6)
		range_add(rs, &r6, high);
	if (ok4 || ok6 || blank(line))
		return;
	comma = strchr(line, ',');
	{
		const struct pg_authbind_line_error *e =
			memchr(line, ':', comma ? (size_t)(comma - line) : strlen(line)) ? &e6
											 : &e4;

		t->nproblems++;
		pg_diag_add(t->diags, file, lineno, e->col,
			    "authbind ignores this line: %s (ADDR[-ADDR],PORT[-PORT], "
			    "ADDR/LEN,PORT[-PORT] or A.B.C.D/LEN: PORT,PORT)",
			    e->msg);
	}
}

/* Read byuid/[!]UID as the helper does (as root); its ranges and problems. */
static int
byuid_read(struct tree *t, const struct byuid_file *f, struct ranges *rs)
{
	struct pg_authbind_reader rd = { .fd = -1 };
	_cleanup_close_ int fd = -1;
	char file[PATH_MAX], line[PG_AUTHBIND_LINE_MAX + 1];
	unsigned lineno = 1;

	memset(rs, 0, sizeof(*rs));
	(void)snprintf(file, sizeof(file), "%s/byuid/%s%lu", t->dir, f->high ? "!" : "",
		       (unsigned long)f->uid);
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOMEM)
			return -ENOMEM;
		problem(t, file, 0, "cannot read it: %s", strerror(errno));
		return 0;
	}
	rd.fd = fd;
	for (;;) {
		unsigned this_line = lineno;
		size_t n = 0;
		int r = pg_authbind_read_line(&rd, line, &n);

		if (r == -EFBIG) {
			problem(t, file, 0, "larger than %d bytes: not read further",
				PG_AUTHBIND_BYUID_MAX);
			break;
		}
		if (r != 0) {
			problem(t, file, 0, "cannot read it: %s", strerror(r < 0 ? -r : r));
			break;
		}
		if (n == 0)
			break;
		if (line[n - 1] == '\n')
			lineno++;
		byuid_line(t, file, this_line, line, n, f->high, rs);
	}
	if (rs->over)
		problem(t, file, 0,
			"more than %d different address and port ranges: more than the kernel "
			"map holds for one user",
			PG_K_AB_MAX_RANGES);
	return 0;
}

int
pg_authbind_check_tree(const char *dir, struct pg_diags *diags)
{
	struct tree t = { .dir = dir, .diags = diags };
	struct ranges *rs = malloc(sizeof(*rs));
	int r = rs ? scan_tree(&t) : -ENOMEM;

	for (size_t i = 0; r == 0 && i < t.nfiles; i++)
		r = byuid_read(&t, &t.files[i], rs);
	if (r == 0 && t.nproblems > 0)
		r = -EINVAL;
	free(rs);
	tree_clear(&t);
	return r;
}

/* --- the files, per user ----------------------------------------------------------- */

struct entries {
	struct pg_kabfile *v;
	size_t n;
	int err;
};

static void
entry_add(struct entries *e, uid_t uid, unsigned plen, uint16_t port, int family,
	  const uint8_t *addr, uint8_t verdict)
{
	struct pg_kabfile x;
	struct pg_kabfile *v;

	memset(&x, 0, sizeof(x));
	x.key.prefixlen = plen;
	x.key.uid = uid;
	if (plen > 32)
		x.key.port = port;
	if (plen > 48) {
		x.key.family = family == AF_INET ? PG_K_AF_INET : PG_K_AF_INET6;
		memcpy(x.key.addr, addr, family == AF_INET ? 4 : 16);
	}
	x.val.verdict = verdict;
	if ((v = grow(e->v, e->n, sizeof(*v), &e->err)) == NULL)
		return;
	e->v = v;
	e->v[e->n++] = x;
}

/* pg_authbind_eval() as a map verdict: the files decided, or byuid must. */
static int
judge(const struct tree *t, const struct pg_cred *c, int family, const uint8_t *addr, uint16_t port,
      uint8_t *ret)
{
	struct pg_bind b = { .proto = PG_PROTO_TCP, .family = family, .port = port };
	struct pg_authbind_verdict v;
	int r;

	memcpy(b.addr, addr, family == AF_INET ? 4 : 16);
	r = pg_authbind_eval(t->dir, c, &b, &v);
	if (r < 0)
		return r;
	if (v.step == PG_AUTHBIND_STEP_BYUID)
		*ret = PG_K_AB_PASS;
	else
		*ret = v.allowed ? PG_K_AB_ALLOW : PG_K_AB_DENY;
	return 0;
}

static bool
point_at(const struct tree *t, uint16_t port, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < t->npoints; i++)
		if (t->points[i].port == port && t->points[i].family == family &&
		    (addr == NULL || memcmp(t->points[i].addr, addr, 16) == 0))
			return true;
	return false;
}

/* An IPv4 address no byaddr name at port names. */
static void
unnamed_addr(const struct tree *t, uint16_t port, uint8_t addr[16])
{
	memset(addr, 0, 16);
	for (unsigned i = 1; point_at(t, port, AF_INET, addr); i++) {
		addr[2] = (uint8_t)(i >> 8);
		addr[3] = (uint8_t)i;
	}
}

/* Every entry one user (uid in the keys) needs. */
static int
user_entries(const struct tree *t, const struct pg_cred *c, uid_t uid, struct entries *e)
{
	uint8_t addr[16], v;
	int r;

	/* A port no name covers: the verdict of names that do not exist. */
	for (uint16_t p = 1; p < 1024; p++) {
		if (t->port_listed[p] || point_at(t, p, AF_INET, NULL) ||
		    point_at(t, p, AF_INET6, NULL))
			continue;
		memset(addr, 0, sizeof(addr));
		if ((r = judge(t, c, AF_INET, addr, p, &v)) < 0)
			return r;
		entry_add(e, uid, 32, 0, 0, NULL, v);
		break;
	}
	for (uint16_t p = 1; p < 1024; p++) {
		bool byport = false;

		if (t->port_listed[p]) {
			struct pg_authbind_verdict av;
			struct pg_bind b = { .proto = PG_PROTO_TCP, .family = AF_INET, .port = p };

			unnamed_addr(t, p, b.addr);
			if ((r = pg_authbind_eval(t->dir, c, &b, &av)) < 0)
				return r;
			byport = av.step == PG_AUTHBIND_STEP_BYPORT;
			v = av.step == PG_AUTHBIND_STEP_BYUID ? PG_K_AB_PASS
			    : av.allowed		      ? PG_K_AB_ALLOW
							      : PG_K_AB_DENY;
			entry_add(e, uid, 48, p, 0, NULL, v);
		}
		for (size_t i = 0; i < t->npoints && !byport; i++) {
			const struct point *pt = &t->points[i];

			if (pt->port != p)
				continue;
			if ((r = judge(t, c, pt->family, pt->addr, p, &v)) < 0)
				return r;
			entry_add(e, uid, PG_K_AB_HDR_BITS + (pt->family == AF_INET ? 32 : 128), p,
				  pt->family, pt->addr, v);
		}
	}
	return e->err;
}

/* Do two users' entries (from and from + n) say the same, uid aside? */
static bool
same_entries(const struct pg_kabfile *a, const struct pg_kabfile *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pg_kabfile x = a[i], y = b[i];

		x.key.uid = y.key.uid = 0;
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return false;
	}
	return true;
}

static int
abfile_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct pg_kabfile *)a)->key, &((const struct pg_kabfile *)b)->key,
		      sizeof(struct pg_k_ab_key));
}

static int
abuid_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct pg_kabuid *)a)->key, &((const struct pg_kabuid *)b)->key,
		      sizeof(struct pg_k_ab_uid_key));
}

static bool
listed(const uid_t *v, size_t n, uid_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == uid)
			return true;
	return false;
}

/* The files: everybody's entries, then those of each user who is judged otherwise. */
static int
compile_files(const struct tree *t, const struct pg_kab_users *users, struct entries *e)
{
	_cleanup_free_ uid_t *cand = calloc(users->nuids + t->nids + 1, sizeof(uid_t));
	struct pg_cred stranger = { .ngroups = 1 };
	size_t ncand = 0, nany;
	uid_t x = 0xfffffffeu;
	int r;

	if (cand == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < users->nuids; i++)
		if (users->uids[i] != 0 && !listed(cand, ncand, users->uids[i]))
			cand[ncand++] = users->uids[i];
	for (size_t i = 0; i < t->nids; i++)
		if (t->ids[i] != 0 && t->ids[i] != PG_K_AB_ANY_UID &&
		    !listed(cand, ncand, t->ids[i]))
			cand[ncand++] = t->ids[i];

	/* A stranger: a uid, and a group of the same number, that nothing names. */
	while (listed(cand, ncand, x) || has_id(t, x))
		x--;
	stranger.uid = stranger.gid = stranger.groups[0] = x;
	if ((r = user_entries(t, &stranger, PG_K_AB_ANY_UID, e)) < 0)
		return r;
	nany = e->n;

	for (size_t i = 0; i < ncand; i++) {
		_cleanup_free_ struct pg_cred *c = malloc(sizeof(*c));
		size_t start = e->n;

		if (c == NULL)
			return -ENOMEM;
		if ((r = users->cred(users->ctx, cand[i], c)) < 0)
			continue; /* not a user: judged as a stranger */
		if ((r = user_entries(t, c, cand[i], e)) < 0)
			return r;
		if (e->n - start == nany && same_entries(e->v, e->v + start, nany))
			e->n = start;
	}
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(e->v[0]), abfile_cmp);
	return 0;
}

/* The byuid files as ranges, host-order words as bind-policy.h has them. */
static int
compile_byuid(struct tree *t, struct pg_kabuid **ret, size_t *ret_n)
{
	_cleanup_free_ struct ranges *rs = malloc(sizeof(*rs));
	struct pg_kabuid *v = NULL;
	size_t n = 0;
	int r = 0;

	if (rs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->nfiles && r == 0; i++) {
		struct pg_kabuid *u;

		if ((r = byuid_read(t, &t->files[i], rs)) < 0 || t->files[i].uid == 0 || rs->n == 0)
			continue;
		if ((u = grow(v, n, sizeof(*u), &r)) == NULL)
			break;
		v = u;
		u = &v[n++];
		memset(u, 0, sizeof(*u));
		u->key.uid = t->files[i].uid;
		u->key.high = t->files[i].high;
		u->val.n = (uint32_t)rs->n;
		for (size_t j = 0; j < rs->n; j++) {
			const struct pg_authbind_range *s = &rs->v[j];
			struct pg_k_ab_range *d = &u->val.r[j];

			d->family = s->family == AF_INET ? PG_K_AF_INET : PG_K_AF_INET6;
			d->port_lo = s->port_lo;
			d->port_hi = s->port_hi;
			for (int w = 0; w < (s->family == AF_INET ? 1 : 4); w++) {
				const uint8_t *a = s->lo + 4 * w, *b = s->hi + 4 * w;

				d->lo[w] = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
					   (uint32_t)a[2] << 8 | a[3];
				d->hi[w] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
					   (uint32_t)b[2] << 8 | b[3];
			}
		}
	}
	if (r < 0) {
		free(v);
		return r;
	}
	if (n > 1)
		qsort(v, n, sizeof(v[0]), abuid_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

int
pg_kpolicy_compile_authbind(const char *dir, const struct pg_kab_users *users, struct pg_kpolicy *k,
			    struct pg_diags *diags)
{
	struct tree t = { .dir = dir, .diags = diags };
	struct entries e = { 0 };
	struct pg_kabuid *abuid = NULL;
	size_t nabuid = 0;
	int r;

	r = scan_tree(&t);
	if (r == 0)
		r = compile_byuid(&t, &abuid, &nabuid);
	if (r == 0 && t.nproblems > 0)
		r = -EINVAL;
	if (r == 0)
		r = compile_files(&t, users, &e);
	if (r == 0 && (e.n > PG_K_MAX_AB_FILE || nabuid > PG_K_MAX_AB_UID)) {
		pg_diag_add(diags, dir, 0, 0,
			    "needs %zu entries for byport and byaddr (the kernel map holds %d) and "
			    "%zu for byuid files (it holds %d): more than the maps hold",
			    e.n, PG_K_MAX_AB_FILE, nabuid, PG_K_MAX_AB_UID);
		r = -E2BIG;
	}
	tree_clear(&t);
	if (r < 0) {
		free(e.v);
		free(abuid);
		return r;
	}
	free(k->abfile);
	free(k->abuid);
	k->abfile = e.v;
	k->nabfile = e.n;
	k->abuid = abuid;
	k->nabuid = nabuid;
	pg_kpolicy_rehash(k);
	return 0;
}

/* --- the account database ------------------------------------------------------------ */

static int
account_cred(void *ctx, uid_t uid, struct pg_cred *ret)
{
	char text[16];

	(void)ctx;
	(void)snprintf(text, sizeof(text), "%lu", (unsigned long)uid);
	return pg_cred_for_user(text, NULL, ret, NULL);
}

int
pg_kab_users_from_accounts(struct pg_kab_users *ret)
{
	struct pg_kab_users u = { .cred = account_cred };
	struct passwd *pw;
	int r = 0;

	setpwent();
	for (;;) {
		uid_t *v;

		errno = 0;
		pw = getpwent();
		if (pw == NULL) {
			r = errno == 0 || errno == ENOENT ? 0 : -errno;
			break;
		}
		if (pw->pw_uid == 0 || listed(u.uids, u.nuids, pw->pw_uid))
			continue;
		if ((v = realloc(u.uids, (u.nuids + 1) * sizeof(*v))) == NULL) {
			r = -ENOMEM;
			break;
		}
		u.uids = v;
		u.uids[u.nuids++] = pw->pw_uid;
	}
	endpwent();
	if (r < 0) {
		free(u.uids);
		return r;
	}
	*ret = u;
	return 0;
}

void
pg_kab_users_clear(struct pg_kab_users *u)
{
	free(u->uids);
	*u = (struct pg_kab_users){ 0 };
}
