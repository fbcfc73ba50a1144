// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-authbind.c - pg_authbind_eval() against authbind 2.1.3's rules: every row of
 * prior-art §1.7 the config decides (T2-T13, A2-A9), the '!' prefix, byuid formats
 * and ignored lines, execute permission by owner, group, supplementary groups and
 * POSIX ACLs, path lookup (search permission, symlinks), root, noexec, and a
 * comparison of the byuid parser with glibc sscanf() on random lines.
 * Builds trees under a mkdtemp() directory; the ownership cases need root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/acl.h>
#include <sys/mount.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include "authbind.h"
#include "compat.h"
#include "tap.h"

static char base[PATH_MAX];
static char tree[PATH_MAX];
static bool is_root;

static struct pg_cred u1 = { .uid = 1001, .gid = 1001, .ngroups = 1, .groups = { 1001 } };
/* u2 is in group 2000 ("abgrp") through its supplementary groups only. */
static struct pg_cred u2 = { .uid = 1002, .gid = 1002, .ngroups = 2, .groups = { 1002, 2000 } };
static struct pg_cred u2_clear = { .uid = 1002, .gid = 1002, .ngroups = 0 };
static struct pg_cred root_cred = { .uid = 0, .gid = 0, .ngroups = 1, .groups = { 0 } };
/* The test's own uid, for the cases that run without root. */
static struct pg_cred me;

_noreturn_ _printf_(1, 2) static void bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", strerror(errno));
	exit(1);
}

/* snprintf() that bails out rather than truncate. */
#define xsnprintf(buf, size, ...)                                                                  \
	do {                                                                                       \
		int _n = snprintf(buf, size, __VA_ARGS__);                                         \
		if (_n < 0 || (size_t)_n >= (size))                                                \
			bail("path too long");                                                     \
	} while (0)

static const char *
at(const char *rel)
{
	static char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s", tree, rel) >= (int)sizeof(p))
		bail("path too long");
	return p;
}

static void
own(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	if (is_root && lchown(at(rel), uid, gid) < 0)
		bail("chown %s", rel);
	if (chmod(at(rel), mode) < 0)
		bail("chmod %s", rel);
}

/* A file of content (len bytes, or strlen), then its owner and mode. */
static void
put_n(const char *rel, mode_t mode, uid_t uid, gid_t gid, const char *content, size_t len)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, content, len) != (ssize_t)len || close(fd) < 0)
		bail("write %s", rel);
	own(rel, mode, uid, gid);
}

static void
put(const char *rel, mode_t mode, uid_t uid, gid_t gid, const char *content)
{
	put_n(rel, mode, uid, gid, content, strlen(content));
}

static void
mkd(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(at(rel), 0700) < 0)
		bail("mkdir %s", rel);
	own(rel, mode, uid, gid);
}

static void
sym(const char *rel, const char *target)
{
	if (symlink(target, at(rel)) < 0)
		bail("symlink %s", rel);
}

/* A POSIX ACL on rel; false where there are none (macOS: portgate reads no ACL there). */
static bool
set_acl(const char *rel, const char *text)
{
#ifndef __linux__
	(void)rel;
	(void)text;
	return false;
#else
	acl_t acl = acl_from_text(text);
	int r;

	if (acl == NULL)
		bail("acl_from_text %s", text);
	r = acl_set_file(at(rel), ACL_TYPE_ACCESS, acl);
	acl_free(acl);
	return r == 0;
#endif
}

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	return type == FTW_DP ? rmdir(p) : unlink(p);
}

static void
rm_tree(const char *p)
{
	if (nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		bail("remove %s", p);
}

/* A fresh tree: DIR 755 with byport, byaddr and byuid 755, all root's. */
static void
reset(void)
{
	rm_tree(tree);
	if (mkdir(tree, 0755) < 0 || chmod(tree, 0755) < 0)
		bail("mkdir %s", tree);
	mkd("byport", 0755, 0, 0);
	mkd("byaddr", 0755, 0, 0);
	mkd("byuid", 0755, 0, 0);
}

static struct pg_bind
bind_of(enum pg_proto proto, const char *addr, uint16_t port)
{
	struct pg_bind b = { .proto = proto, .port = port };

	if (inet_pton(AF_INET, addr, b.addr) == 1) {
		b.family = AF_INET;
	} else {
		b.family = AF_INET6;
		if (inet_pton(AF_INET6, addr, b.addr) != 1)
			bail("bad address %s", addr);
		b.dual_stack = strcmp(addr, "::") == 0;
	}
	return b;
}

/*
 * Judge proto addr:port for c in the current tree.  want_err 0 means allowed;
 * want_file is the deciding file relative to the tree, or NULL not to check;
 * want_line the byuid line (0: none).
 */
static void
expect_p(const struct pg_cred *c, enum pg_proto proto, const char *addr, uint16_t port,
	 int want_err, const char *want_file, unsigned want_line, const char *what)
{
	struct pg_bind b = bind_of(proto, addr, port);
	struct pg_authbind_verdict v = { 0 };
	char want_path[PATH_MAX];
	int r = pg_authbind_eval(tree, c, &b, &v);
	bool pass;

	if (want_file)
		xsnprintf(want_path, sizeof(want_path), "%s/%s", tree, want_file);
	pass = r == 0 && v.allowed == (want_err == 0) && v.err == want_err &&
	       (!want_file || strcmp(v.path, want_path) == 0) && v.line == want_line;
	ok(pass, "%s: uid %u %s %s:%u -> %s", what, (unsigned)c->uid, pg_proto_name(proto), addr,
	   port, want_err ? pg_errno_name(want_err) : "allowed");
	if (!pass)
		tap_diag("  got r=%d allowed=%d err=%s path=%s line=%u", r, v.allowed,
			 pg_errno_name(v.err) ? pg_errno_name(v.err) : "0", v.path, v.line);
}

static void
expect(const struct pg_cred *c, const char *addr, uint16_t port, int want_err,
       const char *want_file, unsigned want_line, const char *what)
{
	expect_p(c, PG_PROTO_TCP, addr, port, want_err, want_file, want_line, what);
}

static void
skip_root(const char *what)
{
	tap_skip("needs root (chown)", "%s", what);
}

/* --- the API's edges ------------------------------------------------------------ */

static void
test_api(void)
{
	struct pg_authbind_verdict v = { 0 };
	struct pg_bind b;
	char missing[PATH_MAX + 16];
	static const uint16_t outside[] = { 0, 1024, 5060, 65535 };

	reset();
	put("byport/80", 0755, 0, 0, "");
	for (size_t i = 0; i < nitems(outside); i++) {
		b = bind_of(PG_PROTO_TCP, "127.0.0.1", outside[i]);
		v.allowed = true;
		is_int(pg_authbind_eval(tree, &me, &b, &v), 0, "port %u: judged", outside[i]);
		ok(!v.allowed && v.err == ENOSYS && v.path[0] == '\0',
		   "port %u is not authbind's: not allowed, ENOSYS", outside[i]);
	}
	b = bind_of(PG_PROTO_TCP, "127.0.0.1", 80);
	xsnprintf(missing, sizeof(missing), "%s/nonexistent", base);
	is_int(pg_authbind_eval(missing, &me, &b, &v), -ENOENT, "a missing tree is -ENOENT");
	b.family = AF_UNIX;
	is_int(pg_authbind_eval(tree, &me, &b, &v), -EAFNOSUPPORT, "not INET: -EAFNOSUPPORT");

	/* The reported path joins DIR and the name once, whatever DIR's trailing '/'. */
	xsnprintf(missing, sizeof(missing), "%s//", tree);
	b = bind_of(PG_PROTO_TCP, "127.0.0.1", 80);
	is_int(pg_authbind_eval(missing, &me, &b, &v), 0, "DIR with trailing slashes");
	xsnprintf(missing, sizeof(missing), "%s/byport/80", tree);
	is_str(v.path, missing, "path is DIR/byport/80");
}

/* --- T2, T3, A6: byuid presence -------------------------------------------------- */

static char byuid_me[64];

static void
lines(const char *text)
{
	put(byuid_me, 0644, 0, 0, text);
}

static void
test_byuid_presence(void)
{
	struct pg_cred other = me;
	char other_path[64];

	reset();
	expect(&me, "127.0.0.1", 80, EPERM, byuid_me, 0, "T2 empty config: no byuid file, EPERM");
	lines("");
	expect(&me, "127.0.0.1", 80, ENOENT, byuid_me, 0, "T3 empty byuid file: ENOENT");
	if (is_root) {
		put(byuid_me, 0000, 0, 0, "127.0.0.1,80\n");
		expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "A6 byuid mode 000 is still read");
	} else {
		skip_root("A6 byuid mode 000");
	}
	other.uid++;
	xsnprintf(other_path, sizeof(other_path), "byuid/%u", (unsigned)other.uid);
	expect(&other, "127.0.0.1", 80, EPERM, other_path, 0, "byuid of another uid");
	rm_tree(at("byuid"));
	expect(&me, "127.0.0.1", 80, EPERM, byuid_me, 0, "no byuid directory: EPERM");
	put("byuid", 0644, 0, 0, "");
	expect(&me, "127.0.0.1", 80, ENOTDIR, byuid_me, 0, "byuid is a file: ENOTDIR");
	rm_tree(at("byuid"));
	mkd("byuid", 0755, 0, 0);
	mkd(byuid_me, 0755, 0, 0);
	expect(&me, "127.0.0.1", 80, EISDIR, byuid_me, 0, "byuid/UID a directory: EISDIR");
}

/* --- T4-T6, A5, A7, A8: byport execute permission ----------------------------------- */

static void
test_byport(void)
{
	static const char *addrs[] = { "127.0.0.1", "0.0.0.0", "::1", "::" };

	if (!is_root) {
		skip_root("T4-T6, A5, A7, A8: byport owners and groups");
		return;
	}
	reset();
	put("byport/80", 0500, 1001, 1001, "");
	for (size_t i = 0; i < nitems(addrs); i++) {
		expect_p(&u1, PG_PROTO_TCP, addrs[i], 80, 0, "byport/80", 0, "T4 owner 500");
		expect_p(&u1, PG_PROTO_UDP, addrs[i], 80, 0, "byport/80", 0, "T4 owner 500");
		expect_p(&u2, PG_PROTO_TCP, addrs[i], 80, EACCES, "byport/80", 0, "T4 other");
	}
	expect(&u1, "127.0.0.1", 81, EPERM, "byuid/1001", 0, "T4 byport/80 says nothing of 81");

	/* T5: EACCES ends the check; byuid/1002 would allow. */
	put("byuid/1002", 0644, 0, 0, "127.0.0.1,80\n");
	expect(&u2, "127.0.0.1", 80, EACCES, "byport/80", 0, "T5 no fall-through to byuid");
	put("byport/80", 0400, 1001, 1001, "");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "owner without x: EACCES");
	put("byport/80", 0077, 1001, 1001, "");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "owner gets owner bits only");

	/* T6 and A8: group root:abgrp 750, abgrp a supplementary group of u2. */
	put("byport/80", 0750, 0, 2000, "");
	expect(&u2, "127.0.0.1", 80, 0, "byport/80", 0, "T6 member of the group");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "T6 not a member");
	expect(&u2_clear, "127.0.0.1", 80, EACCES, "byport/80", 0,
	       "A8 same user without supplementary groups");
	put("byport/80", 0750, 0, 1002, "");
	expect(&u2_clear, "127.0.0.1", 80, 0, "byport/80", 0, "primary group counts");
	put("byport/80", 0701, 0, 2000, "");
	expect(&u2, "127.0.0.1", 80, EACCES, "byport/80", 0, "group without x beats other x");
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "other x for a non-member");

	put("byport/80", 0711, 0, 0, "");
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "A7 711: any user");
	expect(&u2, "::1", 80, 0, "byport/80", 0, "A7 711: any user");
	put("byport/80", 0755, 1001, 1001, "");
	expect(&u2, "127.0.0.1", 80, 0, "byport/80", 0, "A5 755 grants every user");
}

/* --- T7-T9: byaddr ----------------------------------------------------------------- */

static void
test_byaddr(void)
{
	reset();
	put("byaddr/127.0.0.1,80", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 80, 0, "byaddr/127.0.0.1,80", 0, "T7 byaddr ADDR,PORT");
	expect_p(&me, PG_PROTO_UDP, "127.0.0.1", 80, 0, "byaddr/127.0.0.1,80", 0, "T7 udp too");
	expect(&me, "127.0.0.2", 80, EPERM, NULL, 0, "T7 another address");
	expect(&me, "0.0.0.0", 80, EPERM, NULL, 0, "T7 the wildcard is another address");
	expect(&me, "::ffff:127.0.0.1", 80, EPERM, NULL, 0, "T7 not for ::ffff:127.0.0.1");

	put("byaddr/127.0.0.1:81", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 81, 0, "byaddr/127.0.0.1:81", 0, "T8 legacy A.B.C.D:PORT");

	put("byaddr/::1,82", 0755, 0, 0, "");
	put("byaddr/0:0:0:0:0:0:0:1,83", 0755, 0, 0, "");
	expect(&me, "::1", 82, 0, "byaddr/::1,82", 0, "T9 inet_ntop form");
	expect(&me, "::1", 83, 0, "byaddr/0:0:0:0:0:0:0:1,83", 0, "T9 uncompressed form");
	expect(&me, "::1", 84, EPERM, NULL, 0, "T9 port 84 has no file");
	put("byaddr/::1:81", 0755, 0, 0, "");
	expect(&me, "::1", 81, EPERM, NULL, 0, "no legacy ':' form for IPv6");

	put("byaddr/::ffff:127.0.0.1,85", 0755, 0, 0, "");
	put("byaddr/0:0:0:0:0:ffff:7f00:1,86", 0755, 0, 0, "");
	put("byaddr/2001:db8:0:0:0:0:0:a,87", 0755, 0, 0, "");
	expect(&me, "::ffff:127.0.0.1", 85, 0, "byaddr/::ffff:127.0.0.1,85", 0, "mapped, ntop");
	expect(&me, "::ffff:127.0.0.1", 86, 0, "byaddr/0:0:0:0:0:ffff:7f00:1,86", 0,
	       "mapped, uncompressed");
	expect(&me, "127.0.0.1", 85, EPERM, NULL, 0, "IPv4 bind does not use the mapped file");
	expect(&me, "2001:db8::a", 87, 0, "byaddr/2001:db8:0:0:0:0:0:a,87", 0,
	       "uncompressed, no leading zeros");

	if (!is_root) {
		skip_root("byaddr execute permission and ordering");
		return;
	}
	/* byport first; a non-executable byaddr ends the check too. */
	put("byaddr/127.0.0.1,80", 0700, 0, 0, "");
	put("byuid/1001", 0644, 0, 0, "127.0.0.1,80\n");
	expect(&u1, "127.0.0.1", 80, EACCES, "byaddr/127.0.0.1,80", 0, "byaddr EACCES stops");
	put("byport/80", 0755, 0, 0, "");
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "byport is checked before byaddr");
	put("byaddr/127.0.0.1:81", 0700, 0, 0, "");
	put("byaddr/127.0.0.1,81", 0755, 0, 0, "");
	expect(&u1, "127.0.0.1", 81, EACCES, "byaddr/127.0.0.1:81", 0,
	       "legacy ':' file is checked before ','");
}

/* --- T12, T13: the '!' prefix for 512-1023 --------------------------------------------- */

static void
test_bang(void)
{
	char bang_uid[64];

	reset();
	put("byport/600", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 600, EPERM, NULL, 0, "T12 byport/600 is not consulted");
	put("byport/!600", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 600, 0, "byport/!600", 0, "T13 byport/!600");
	rm_tree(at("byport/!600"));
	put("byport/511", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 511, 0, "byport/511", 0, "511 takes no '!'");
	put("byport/!512", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 512, 0, "byport/!512", 0, "512 takes '!'");
	put("byport/!1023", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 1023, 0, "byport/!1023", 0, "1023 takes '!'");

	put("byaddr/!127.0.0.1,700", 0755, 0, 0, "");
	put("byaddr/!127.0.0.1:701", 0755, 0, 0, "");
	put("byaddr/!::1,702", 0755, 0, 0, "");
	put("byaddr/!0:0:0:0:0:0:0:1,703", 0755, 0, 0, "");
	put("byaddr/127.0.0.1,704", 0755, 0, 0, "");
	expect(&me, "127.0.0.1", 700, 0, "byaddr/!127.0.0.1,700", 0, "byaddr/!ADDR,PORT");
	expect(&me, "127.0.0.1", 701, 0, "byaddr/!127.0.0.1:701", 0, "byaddr/!A.B.C.D:PORT");
	expect(&me, "::1", 702, 0, "byaddr/!::1,702", 0, "byaddr/!::1,PORT");
	expect(&me, "::1", 703, 0, "byaddr/!0:0:0:0:0:0:0:1,703", 0, "byaddr/! uncompressed");
	expect(&me, "127.0.0.1", 704, EPERM, NULL, 0, "byaddr without '!' is not consulted");

	xsnprintf(bang_uid, sizeof(bang_uid), "byuid/!%u", (unsigned)me.uid);
	lines("127.0.0.1,1-1023\n");
	expect(&me, "127.0.0.1", 600, EPERM, bang_uid, 0, "byuid/UID is not read for 600");
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "byuid/UID for 80");
	put(bang_uid, 0644, 0, 0, "127.0.0.1,1-1023\n");
	expect(&me, "127.0.0.1", 600, 0, bang_uid, 1, "byuid/!UID for 600");
}

/* --- byuid lines ------------------------------------------------------------------------ */

static void
test_byuid_lines(void)
{
	char buf[1024];

	reset();

	/* T10 */
	lines("127.0.0.0/8,80-90\n"
	      "127.0.0.1/32: 100,110\n"
	      "::1,443\n"
	      "::/0,53\n"
	      "127.0.0.5,8\n"
	      "127.0.0.1/24,99\n");
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "T10 prefix, low end of the range");
	expect(&me, "127.0.0.1", 90, 0, byuid_me, 1, "T10 prefix, high end of the range");
	expect(&me, "127.0.0.1", 105, 0, byuid_me, 2, "T10 legacy format");
	expect(&me, "::1", 443, 0, byuid_me, 3, "T10 IPv6 address");
	expect_p(&me, PG_PROTO_UDP, "::", 53, 0, byuid_me, 4, "T10 ::/0 covers [::]");
	expect(&me, "127.0.0.5", 8, 0, byuid_me, 5, "T10 single address");
	expect(&me, "127.0.0.1", 91, ENOENT, byuid_me, 0, "T10 91 outside 80-90");
	expect(&me, "::1", 80, ENOENT, byuid_me, 0, "T10 IPv4 rule does not cover ::1");
	expect_p(&me, PG_PROTO_UDP, "0.0.0.0", 53, ENOENT, byuid_me, 0,
		 "T10 IPv6 rule does not cover IPv4");
	expect(&me, "127.0.0.1", 99, ENOENT, byuid_me, 0, "T10 host bits set: line ignored");
	expect(&me, "127.0.0.6", 8, ENOENT, byuid_me, 0, "T10 single address is exact");

	/* A2, A3: no address spelling crosses families. */
	lines("0.0.0.0/0,80\n127.0.0.1,81\n");
	expect(&me, "::", 80, ENOENT, byuid_me, 0, "A2 0.0.0.0/0 does not cover [::]");
	expect(&me, "0.0.0.0", 80, 0, byuid_me, 1, "A2 0.0.0.0/0 covers 0.0.0.0");
	expect(&me, "::ffff:127.0.0.1", 81, ENOENT, byuid_me, 0,
	       "A3 127.0.0.1 does not cover ::ffff:127.0.0.1");
	lines("::ffff:127.0.0.1,81\n::ffff:0.0.0.0/96,82\n");
	expect(&me, "::ffff:127.0.0.1", 81, 0, byuid_me, 1, "a mapped rule covers the mapped bind");
	expect(&me, "127.0.0.1", 81, ENOENT, byuid_me, 0, "but not the IPv4 bind");
	expect(&me, "::ffff:10.1.2.3", 82, 0, byuid_me, 2, "mapped prefix");

	/* A9 and other ignored lines. */
	lines(" 127.0.0.1 , 80 \n127.0.0.1,80 # comment\n127.0.0.1 ,80\n\t127.0.0.1,80\n"
	      "# 127.0.0.1,80\n127.0.0.1,80 -90\n127.0.0.1, 80x\n127.0.0.1\n");
	expect(&me, "127.0.0.1", 80, ENOENT, byuid_me, 0,
	       "A9 whitespace around the address, "
	       "trailing comment, no comma");
	lines("127.0.0.1,\t80 \r\n");
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "the port part tolerates whitespace");
	lines("127.0.0.1,80- 90\n");
	expect(&me, "127.0.0.1", 85, 0, byuid_me, 1, "whitespace after the port '-'");
	lines("127.0.0.1,90-80\n127.0.0.9-127.0.0.1,85\n127.0.0.0/33,85\n127.0.0.0/8-9,85\n"
	      "127.0.0.1/8,85\n");
	expect(&me, "127.0.0.1", 85, ENOENT, byuid_me, 0,
	       "min > max, reversed range, /33, '/' with '-', host bits: ignored");
	lines("::/129,85\n::1/128,86\n");
	expect(&me, "::1", 85, ENOENT, byuid_me, 0, "IPv6 /129 ignored");
	expect(&me, "::1", 86, 0, byuid_me, 2, "IPv6 /128");

	/* Format (a): ranges compared as network-order bytes. */
	lines("127.0.0.2-127.0.0.9,80\n::1-::ff,81-82\n10.0.0.0-10.255.255.255,83\n");
	expect(&me, "127.0.0.2", 80, 0, byuid_me, 1, "(a) low end");
	expect(&me, "127.0.0.9", 80, 0, byuid_me, 1, "(a) high end");
	expect(&me, "127.0.0.1", 80, ENOENT, byuid_me, 0, "(a) below");
	expect(&me, "127.0.0.10", 80, ENOENT, byuid_me, 0, "(a) above");
	expect(&me, "::80", 82, 0, byuid_me, 2, "(a) IPv6 range");
	expect(&me, "10.20.30.40", 83, 0, byuid_me, 3, "(a) wide range");
	/* Format (b) */
	lines("127.0.0.0/ 8 ,80\n2001:db8::/32,81\n0.0.0.0/0,1-1023\n");
	expect(&me, "127.200.0.1", 80, 0, byuid_me, 1, "(b) whitespace around the length");
	expect(&me, "2001:db8:ffff::1", 81, 0, byuid_me, 2, "(b) IPv6 prefix");
	expect(&me, "2001:db9::1", 81, ENOENT, byuid_me, 0, "(b) outside the IPv6 prefix");
	expect(&me, "192.0.2.1", 511, 0, byuid_me, 3, "(b) /0");
	/* Format (c), IPv4 only, with whitespace where sscanf allows it. */
	lines(" 10.0.0.0/8:80,90 \n 192.168. 1. 0/ 24:  5, 7 \n10.0.0.0/8: 100,90\n");
	expect(&me, "10.1.1.1", 85, 0, byuid_me, 1, "(c) legacy line");
	expect(&me, "192.168.1.77", 6, 0, byuid_me, 2, "(c) whitespace after each '.'");
	expect(&me, "10.1.1.1", 95, ENOENT, byuid_me, 0, "(c) min > max never matches");
	lines("10.0.0.0/33: 80,90\n10.0.0.0/8: 80,65536\n256.0.0.0/0: 80,90\n");
	expect(&me, "10.1.1.1", 85, ENOENT, byuid_me, 0, "(c) /33, port > 65535, octet > 255");

	/* Numbers are read by %u: signs, and values beyond 32 bits wrap. */
	lines("127.0.0.1,4294967376\n127.0.0.1,+81\n127.0.0.1,82--1\n");
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "%u keeps the low 32 bits");
	expect(&me, "127.0.0.1", 81, 0, byuid_me, 2, "%u takes a '+'");
	expect(&me, "127.0.0.1", 500, 0, byuid_me, 3, "%u reads -1 as UINT_MAX");
	lines("127.0.0.0/-1,80\n127.0.0.0/4294967295,81\n0.0.0.0/4294967290,82\n");
	expect(&me, "127.0.0.1", 80, ENOENT, byuid_me, 0, "a '-' in the length: '/' and '-'");
	expect(&me, "127.1.2.3", 81, 0, byuid_me, 2, "length 2^32-1 as authbind's amd64 build");
	expect(&me, "126.0.0.1", 81, ENOENT, byuid_me, 0, "length 2^32-1: first byte exact");
	expect(&me, "127.1.2.3", 82, ENOENT, byuid_me, 0, "length 2^32-6");

	/* The helper's fgets() buffer: 298 bytes, then the rest is another line. */
	memset(buf, 'x', 298);
	xsnprintf(buf + 298, sizeof(buf) - 298, "127.0.0.1,80\n127.0.0.1,81\n");
	lines(buf);
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "a 298-byte head, the tail is a line");
	expect(&me, "127.0.0.1", 81, 0, byuid_me, 2, "line numbers count real lines");
	memset(buf, 'x', 297);
	xsnprintf(buf + 297, sizeof(buf) - 297, "127.0.0.1,80\n");
	lines(buf);
	expect(&me, "127.0.0.1", 80, ENOENT, byuid_me, 0, "split inside the address");
	expect(&me, "27.0.0.1", 80, 0, byuid_me, 1, "and the tail '27.0.0.1,80' is a rule");
	memset(buf, ' ', 296);
	xsnprintf(buf + 296, sizeof(buf) - 296, "\n127.0.0.1,80");
	lines(buf);
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 2, "297-byte line, last line without newline");
	put_n(byuid_me, 0644, 0, 0, "127.0.0.1,80\0garbage\n127.0.0.1,81 \0\n", 36);
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 1, "a NUL ends the line");
	expect(&me, "127.0.0.1", 81, 0, byuid_me, 2, "a NUL ends the line, again");

	lines("1.2.3.4,1\n127.0.0.1,80\n127.0.0.0/8,80\n");
	expect(&me, "127.0.0.1", 80, 0, byuid_me, 2, "the first matching line decides");
}

/* --- path lookup ------------------------------------------------------------------------ */

static void
test_lookup(void)
{
	char abs[PATH_MAX];

	if (!is_root) {
		skip_root("search permission, directories and symlinks");
		return;
	}
	reset();
	put("byuid/1001", 0644, 0, 0, "127.0.0.1,1-1023\n");

	mkd("byport/80", 0711, 0, 0);
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "a directory byport/80 counts");
	own("byport/80", 0700, 0, 0);
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "non-searchable directory byport/80");

	own("byport", 0700, 0, 0);
	expect(&u1, "127.0.0.1", 81, EACCES, "byport/81", 0,
	       "byport not searchable: EACCES even for a missing name");
	own("byport", 0711, 0, 0);
	expect(&u1, "127.0.0.1", 81, 0, "byuid/1001", 1, "byport searchable: missing name goes on");
	own("byport", 0750, 0, 2000);
	expect(&u2, "127.0.0.1", 81, EPERM, "byuid/1002", 0, "search through the group");
	expect(&u1, "127.0.0.1", 81, EACCES, "byport/81", 0, "no search for others");

	reset();
	put("byuid/1001", 0644, 0, 0, "127.0.0.1,1-1023\n");
	own(".", 0700, 0, 0);
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "DIR itself not searchable");
	own(".", 0711, 0, 0);
	expect(&u1, "127.0.0.1", 80, 0, "byuid/1001", 1,
	       "DIR searchable; the directories above it are not checked");

	rm_tree(at("byport"));
	expect(&u1, "127.0.0.1", 80, 0, "byuid/1001", 1, "no byport directory: next step");
	put("byport", 0755, 0, 0, "");
	expect(&u1, "127.0.0.1", 80, ENOTDIR, "byport/80", 0, "byport is a file: ENOTDIR stops");
	rm_tree(at("byport"));
	mkd("byport", 0755, 0, 0);

	put("byport/80", 0755, 0, 0, "");
	sym("byport/443", "80");
	expect(&u1, "127.0.0.1", 443, 0, "byport/443", 0, "symlink to an executable file");
	sym("byport/444", "missing");
	expect(&u1, "127.0.0.1", 444, 0, "byuid/1001", 1, "dangling symlink: ENOENT, next step");
	sym("byport/445", "445");
	expect(&u1, "127.0.0.1", 445, ELOOP, "byport/445", 0, "symlink loop: ELOOP stops");
	mkd("private", 0700, 0, 0);
	put("private/x", 0755, 0, 0, "");
	sym("byport/446", "../private/x");
	expect(&u1, "127.0.0.1", 446, EACCES, "byport/446", 0,
	       "symlink target in a non-searchable directory");
	expect(&root_cred, "127.0.0.1", 446, 0, "byport/446", 0, "root searches everything");
	/* An absolute link is looked up from "/": through the mkdtemp() directory, 0700. */
	xsnprintf(abs, sizeof(abs), "%s", at("byport/80"));
	sym("byport/447", abs);
	expect(&u1, "127.0.0.1", 447, EACCES, "byport/447", 0,
	       "absolute symlink: every directory on its way is checked");
	expect(&root_cred, "127.0.0.1", 447, 0, "byport/447", 0, "absolute symlink, root");
	sym("byport/448", "80/");
	expect(&u1, "127.0.0.1", 448, ENOTDIR, "byport/448", 0, "trailing '/' on a file");
	sym("byport/449", "./.././byport/80");
	expect(&u1, "127.0.0.1", 449, 0, "byport/449", 0, "'.' and '..' in a symlink");
}

/* --- POSIX ACLs ------------------------------------------------------------------------- */

static void
test_acl(void)
{
	if (!is_root) {
		skip_root("ACLs");
		return;
	}
	reset();
	put("byport/80", 0700, 0, 0, "");
	if (!set_acl("byport/80", "u::rwx,u:1001:r-x,g::---,m::r-x,o::---")) {
		tap_skip("no POSIX ACLs on this file system", "ACL cases");
		return;
	}
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "ACL named user grants");
	expect(&u2, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL names another user");

	set_acl("byport/80", "u::rwx,u:1001:r-x,g::---,m::r--,o::---");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL mask removes x");
	set_acl("byport/80", "u::rwx,u:1001:r--,g::---,m::rwx,o::--x");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0,
	       "ACL named user without x beats other");
	expect(&u2, "127.0.0.1", 80, 0, "byport/80", 0, "ACL other");
	/* Linux skips the ACL when the group class (the mask) is empty: mode bits decide. */
	set_acl("byport/80", "u::rw-,u:1001:--x,g::---,m::---,o::--x");
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "ACL with mask ---: other x applies");
	set_acl("byport/80", "u::rw-,u:1001:--x,g::---,m::---,o::---");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL with mask ---: other ---");

	set_acl("byport/80", "u::rwx,g::---,g:2000:--x,m::--x,o::---");
	expect(&u2, "127.0.0.1", 80, 0, "byport/80", 0, "ACL named group (supplementary)");
	expect(&u2_clear, "127.0.0.1", 80, EACCES, "byport/80", 0,
	       "ACL named group, no supplementary groups");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL named group, not a member");
	set_acl("byport/80", "u::rwx,g::---,g:2000:r--,g:1002:--x,m::rwx,o::--x");
	expect(&u2, "127.0.0.1", 80, 0, "byport/80", 0, "ACL: any matching group grants");
	set_acl("byport/80", "u::rwx,g::---,g:2000:r--,m::rwx,o::--x");
	expect(&u2, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL: group matched, no x: not other");
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "ACL: no group matched: other");
	set_acl("byport/80", "u::rwx,g::--x,g:2000:--x,m::r--,o::--x");
	expect(&u2, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL mask limits the groups");
	own("byport/80", 0, 1001, 0);
	set_acl("byport/80", "u::---,u:1001:--x,g::---,m::--x,o::---");
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "the owner gets the owner entry only");

	/* ACLs on directories: search permission. */
	own("byport/80", 0755, 0, 0);
	own("byport", 0700, 0, 0);
	set_acl("byport", "u::rwx,u:1001:--x,g::---,m::--x,o::---");
	expect(&u1, "127.0.0.1", 80, 0, "byport/80", 0, "ACL grants search on byport");
	expect(&u2, "127.0.0.1", 80, EACCES, "byport/80", 0, "ACL gives others no search");
}

/* --- root ------------------------------------------------------------------------------- */

static void
test_root(void)
{
	if (!is_root) {
		skip_root("uid 0 as the judged user");
		return;
	}
	reset();
	put("byport/80", 0600, 0, 0, "");
	expect(&root_cred, "127.0.0.1", 80, EACCES, "byport/80", 0, "root: no x bit anywhere");
	put("byport/80", 0010, 1001, 1001, "");
	expect(&root_cred, "127.0.0.1", 80, 0, "byport/80", 0, "root: any x bit");
	rm_tree(at("byport/80"));
	mkd("byport/80", 0000, 1001, 1001);
	expect(&root_cred, "127.0.0.1", 80, 0, "byport/80", 0, "root: a directory, mode 000");
	own("byport", 0000, 1001, 1001);
	expect(&root_cred, "127.0.0.1", 80, 0, "byport/80", 0, "root: byport mode 000");
}

/* --- noexec ----------------------------------------------------------------------------- */

static void
test_noexec(void)
{
	char mnt[PATH_MAX], saved[PATH_MAX];

	if (!is_root) {
		skip_root("noexec mount");
		return;
	}
#ifndef __linux__
	(void)mnt;
	(void)saved;
	tap_skip("no mount namespace to mount a tmpfs in (Linux only)", "noexec mount");
	return;
#else
	xsnprintf(mnt, sizeof(mnt), "%s/noexec", base);
	if (mkdir(mnt, 0755) < 0)
		bail("mkdir %s", mnt);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("pgtest", mnt, "tmpfs", MS_NOEXEC | MS_NOSUID | MS_NODEV, "mode=755") < 0) {
		tap_skip("cannot mount a tmpfs here", "noexec mount");
		return;
	}
	memcpy(saved, tree, sizeof(saved));
	xsnprintf(tree, sizeof(tree), "%s/authbind", mnt);
	reset();
	put("byport/80", 0755, 0, 0, "");
	put("byuid/1001", 0644, 0, 0, "127.0.0.1,81\n");
	mkd("byport/82", 0755, 0, 0);
	expect(&u1, "127.0.0.1", 80, EACCES, "byport/80", 0, "noexec: X_OK refused");
	expect(&root_cred, "127.0.0.1", 80, EACCES, "byport/80", 0, "noexec: even for root");
	expect(&u1, "127.0.0.1", 81, 0, "byuid/1001", 1, "noexec: byuid is still read");
	expect(&u1, "127.0.0.1", 82, 0, "byport/82", 0, "noexec: directories still searchable");
	rm_tree(tree);
	if (umount(mnt) < 0)
		bail("umount %s", mnt);
	memcpy(tree, saved, sizeof(tree));
#endif
}

/* --- byuid parser vs glibc sscanf() ------------------------------------------------------ */

/* The helper's byuid test for one line, written with sscanf() as the helper does. */
static bool
ref_match(const char *line, const struct pg_bind *b)
{
	char s[300], *comma, *slash, *hyphen;
	unsigned a[4], alen, pmin, pmax;
	size_t n = b->family == AF_INET ? 4 : 16;
	int nchar = -1;

	xsnprintf(s, sizeof(s), "%s", line);
	if (b->family == AF_INET && (sscanf(s, " %u.%u.%u.%u/%u: %u,%u %n", &a[0], &a[1], &a[2],
					    &a[3], &alen, &pmin, &pmax, &nchar),
				     nchar >= 0 && (size_t)nchar == strlen(s))) {
		unsigned long net, host, mask;

		if (alen > 32 || pmin > 0xffff || pmax > 0xffff || a[0] > 255 || a[1] > 255 ||
		    a[2] > 255 || a[3] > 255)
			return false;
		net = (unsigned long)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
		host = (unsigned long)b->addr[0] << 24 | b->addr[1] << 16 | b->addr[2] << 8 |
		       b->addr[3];
		mask = alen ? 0xffffffffUL << (32 - alen) : 0;
		if ((host & mask) != net)
			return false;
	} else {
		comma = strchr(s, ',');
		if (!comma)
			return false;
		*comma++ = '\0';
		slash = strchr(s, '/');
		hyphen = strchr(s, '-');
		if (slash && hyphen)
			return false;
		if (slash) {
			unsigned char net[16];
			int remain;

			*slash++ = '\0';
			nchar = -1;
			sscanf(slash, " %u %n", &alen, &nchar);
			if (nchar < 0 || (size_t)nchar != strlen(slash))
				return false;
			if (inet_pton(b->family, s, net) != 1)
				return false;
			memcpy(&remain, &alen, sizeof(remain));
			for (size_t i = 0; i < n; i++) {
				int bits = remain < 8 ? remain : 8;

				remain -= bits;
				if ((b->addr[i] & (0xffu ^ (0xffu >> (bits & 31)))) != net[i])
					return false;
			}
			if (remain)
				return false;
		} else {
			unsigned char lo[16], hi[16];
			const char *max = s;

			if (hyphen) {
				*hyphen = '\0';
				max = hyphen + 1;
			}
			if (inet_pton(b->family, s, lo) != 1 || inet_pton(b->family, max, hi) != 1)
				return false;
			if (memcmp(b->addr, lo, n) < 0 || memcmp(b->addr, hi, n) > 0)
				return false;
		}
		nchar = -1;
		sscanf(comma, " %u-%u %n", &pmin, &pmax, &nchar);
		if (nchar < 0 || (size_t)nchar != strlen(comma)) {
			nchar = -1;
			sscanf(comma, " %u %n", &pmin, &nchar);
			if (nchar < 0 || (size_t)nchar != strlen(comma))
				return false;
			pmax = pmin;
		}
	}
	return b->port >= pmin && b->port <= pmax;
}

/* One of n strings: half of the time the first (the well-formed choice), else any. */
static const char *
pick(unsigned *seed, const char *const *v, size_t n)
{
	return rand_r(seed) % 2 ? v[0] : v[rand_r(seed) % n];
}

static void
test_fuzz(void)
{
	static const char *const lead[] = { "", " ", "\t", "x" };
	static const char *const addr[] = {
		"127.0.0.1",   "127.0.0.0", "127.1.2.3",	"0.0.0.0",
		"::1",	       "::",	    "::ffff:127.0.0.1", "2001:db8::",
		"127.0.0.256", "1.2.3",	    " 127.0.0.1",	"127. 0. 0. 1"
	};
	static const char *const suffix[] = { "",
					      "/8",
					      "/0",
					      "/32",
					      "/24",
					      "/128",
					      "/33",
					      "/129",
					      "/4294967295",
					      "/4294967290",
					      "/4294967271",
					      "/+8",
					      "/ 8 ",
					      "/-1",
					      "-127.0.0.9",
					      "-::ff",
					      "-255.255.255.255",
					      "/8: 80,90",
					      "/0:1,1023",
					      "/16:  80 , 90",
					      "/8 : 80,90",
					      "/8: 80, 90 ",
					      "/8:80,90x",
					      "/33: 80,90",
					      "/8: 70000,90" };
	static const char *const sep[] = { ",", " ,", ", ", "", ";", ",," };
	static const char *const ports[] = { "1-1023",
					     "80",
					     "80-90",
					     " 80",
					     "+80",
					     "4294967376",
					     "90-80",
					     "1--1",
					     "80 -90",
					     "80- 90",
					     "00080",
					     "0x50",
					     "99999999999999999999999",
					     "-1",
					     "8",
					     "1",
					     "65536-1" };
	static const char *const tail[] = { "", " ", " # c", "x", "\r", "\t", "\v\f", "-", "," };
	static const char mut[] = " ,/-:.+0123456789x#\t";
	static const char *binds[][2] = { { "127.0.0.1", "80" },  { "127.1.2.3", "90" },
					  { "0.0.0.0", "1" },	  { "::1", "80" },
					  { "::", "8" },	  { "::ffff:127.0.0.1", "80" },
					  { "127.0.0.9", "85" },  { "1.2.3.4", "90" },
					  { "2001:db8::1", "80" } };
	unsigned seed = 12345, mismatches = 0, checked = 0, matched = 0;
	char line[300];

	reset();
	for (int iter = 0; iter < 2000; iter++) {
		int n = snprintf(line, sizeof(line) - 2, "%s%s%s%s%s%s",
				 pick(&seed, lead, nitems(lead)), pick(&seed, addr, nitems(addr)),
				 pick(&seed, suffix, nitems(suffix)), pick(&seed, sep, nitems(sep)),
				 pick(&seed, ports, nitems(ports)),
				 pick(&seed, tail, nitems(tail)));
		size_t len = n > 0 ? (size_t)n : 0;

		/* Now and then one character more or less. */
		if (rand_r(&seed) % 4 == 0 && len > 0) {
			size_t at_ = rand_r(&seed) % len;

			if (rand_r(&seed) % 2) {
				memmove(line + at_ + 1, line + at_, len - at_ + 1);
				line[at_] = mut[rand_r(&seed) % (sizeof(mut) - 1)];
			} else {
				memmove(line + at_, line + at_ + 1, len - at_);
			}
		}
		lines(line);
		for (size_t i = 0; i < nitems(binds); i++) {
			struct pg_bind b =
				bind_of(PG_PROTO_TCP, binds[i][0], (uint16_t)atoi(binds[i][1]));
			struct pg_authbind_verdict v = { 0 };
			bool want = ref_match(line, &b);
			int r = pg_authbind_eval(tree, &me, &b, &v);

			checked++;
			matched += want;
			if (r != 0 || v.allowed != want) {
				if (mismatches++ < 5)
					tap_diag("  line '%s' bind %s:%s: eval %d/%d, sscanf %d",
						 line, binds[i][0], binds[i][1], r, v.allowed,
						 want);
			}
		}
	}
	ok(mismatches == 0 && matched > 100,
	   "byuid parser agrees with sscanf() on %u random line/bind pairs (%u match)", checked,
	   matched);
}

int
main(void)
{
	is_root = geteuid() == 0;
	if (pg_cred_self(&me) < 0)
		bail("pg_cred_self");
	if (is_root)
		me = u1;

	xsnprintf(base, sizeof(base), "%s/pg-authbind.XXXXXX",
		  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(base) == NULL)
		bail("mkdtemp");
	xsnprintf(tree, sizeof(tree), "%s/authbind", base);
	xsnprintf(byuid_me, sizeof(byuid_me), "byuid/%u", (unsigned)me.uid);

	test_api();
	test_byuid_presence();
	test_byport();
	test_byaddr();
	test_bang();
	test_byuid_lines();
	test_lookup();
	test_acl();
	test_root();
	test_fuzz();
	test_noexec();

	rm_tree(base);
	return tap_done();
}
