// SPDX-License-Identifier: BSD-2-Clause
/*
 * policy-parse.c - read portgate.conf and conf.d/NAME.conf into a struct pg_policy.
 * Keeps going after an error so that every problem is reported with its
 * file:line:col, and returns nothing unless the whole policy is clean.
 * Library code: returns -errno, never logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "policy.h"

#define PG_MAX_DIAGS 1000

static void _printf_(5, 0) vdiag(struct pg_diags *d, const char *file, unsigned line, unsigned col,
				 const char *fmt, va_list ap)
{
	struct pg_diag *x;

	if (d == NULL || d->n >= PG_MAX_DIAGS)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct pg_diag *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			return;
		d->v = v;
		d->cap = cap;
	}
	x = &d->v[d->n];
	memset(x, 0, sizeof(*x));
	if ((x->file = strdup(file)) == NULL)
		return;
	x->line = line;
	x->col = col;
	(void)vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	d->n++;
}

static void _printf_(5, 6) diag(struct pg_diags *d, const char *file, unsigned line, unsigned col,
				const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, file, line, col, fmt, ap);
	va_end(ap);
}

void
pg_diag_add(struct pg_diags *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, file, line, col, fmt, ap);
	va_end(ap);
}

void
pg_diags_clear(struct pg_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].file);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

struct pg_policy *
pg_policy_new(void)
{
	return calloc(1, sizeof(struct pg_policy));
}

void
pg_policy_free(struct pg_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nrules; i++)
		free(p->rules[i].principal);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->rules);
	free(p->files);
	free(p->config_dir);
	free(p->authbind_dir);
	free(p);
}

const char *
pg_config_dir_default(void)
{
	const char *e = getenv(PG_CONFIG_ENV);

	return e != NULL && *e != '\0' ? e : PG_CONFIG_DIR;
}

const char *
pg_authbind_dir_default(void)
{
	const char *e = getenv(PG_AUTHBIND_ENV);

	if (e == NULL)
		return PG_AUTHBIND_DIR;
	return *e != '\0' ? e : NULL;
}

static const char *
intern_file(struct pg_policy *p, const char *file)
{
	char **v, *copy;

	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i], file) == 0)
			return p->files[i];
	if ((copy = strdup(file)) == NULL)
		return NULL;
	v = realloc(p->files, (p->nfiles + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return NULL;
	}
	p->files = v;
	p->files[p->nfiles++] = copy;
	return copy;
}

static int
add_rule(struct pg_policy *p, const struct pg_rule *r)
{
	if ((p->nrules & (p->nrules - 1)) == 0) { /* grow at powers of two */
		size_t cap = p->nrules ? p->nrules * 2 : 1;
		struct pg_rule *v = realloc(p->rules, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		p->rules = v;
	}
	p->rules[p->nrules++] = *r;
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

size_t
pg_policy_tokenize(const char *s, size_t len, struct pg_token *tok, size_t max)
{
	size_t i = 0, n = 0;

	for (;;) {
		size_t start;

		while (i < len && is_space(s[i]))
			i++;
		if (i == len || s[i] == '#')
			return n;
		start = i;
		while (i < len && !is_space(s[i]))
			i++;
		if (n < max) {
			tok[n].start = start;
			tok[n].len = i - start;
		}
		n++;
	}
}

static int _printf_(3, 4) fail(struct pg_parse_error *err, size_t col, const char *fmt, ...)
{
	va_list ap;

	err->col = col;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
pg_principal_parse(const char *s, size_t len, enum pg_principal_kind *ret_kind, uint32_t *ret_id,
		   struct pg_parse_error *err)
{
	char name[256];
	unsigned long v;
	char *end;

	if (len >= sizeof(name))
		return fail(err, 0, "principal '%.40s...' is too long", s);
	memcpy(name, s, len);
	name[len] = '\0';
	if (strstr(name, "://") != NULL)
		return fail(err, 0, "expected a user or @group before the listen specs, got '%s'",
			    name);
	if (strncmp(name, "uid:", 4) == 0 || strncmp(name, "gid:", 4) == 0) {
		errno = 0;
		v = strtoul(name + 4, &end, 10);
		if (name[4] < '0' || name[4] > '9' || *end != '\0' || errno != 0 ||
		    v >= (unsigned long)UINT32_MAX)
			return fail(err, 4, "expected a number after '%.4s', got '%s'", name,
				    name + 4);
		*ret_kind = name[0] == 'u' ? PG_PRINCIPAL_USER : PG_PRINCIPAL_GROUP;
		*ret_id = (uint32_t)v;
	} else if (name[0] == '@') {
		gid_t gid;

		if (name[1] == '\0' || (name[1] >= '0' && name[1] <= '9') ||
		    pg_lookup_gid(name + 1, &gid) < 0)
			return fail(
				err, 1,
				"unknown group '%s' (not in the group database; use gid:N for a "
				"number)",
				name + 1);
		*ret_kind = PG_PRINCIPAL_GROUP;
		*ret_id = gid;
	} else {
		uid_t uid;

		if ((name[0] >= '0' && name[0] <= '9') || pg_lookup_uid(name, &uid) < 0)
			return fail(err, 0,
				    "unknown user '%s' (not in the user database; use uid:N for a "
				    "number)",
				    name);
		*ret_kind = PG_PRINCIPAL_USER;
		*ret_id = uid;
	}
	return 0;
}

#define MAX_TOKENS 256

/* Parse one line; appends rules to p.  Returns the number of errors found, or -ENOMEM. */
static int
parse_line(struct pg_policy *p, const char *file, unsigned lineno, const char *s, size_t len,
	   struct pg_diags *d)
{
	struct pg_rule proto = { .file = file, .line = lineno };
	struct pg_token tok[MAX_TOKENS];
	struct pg_parse_error err;
	size_t n = pg_policy_tokenize(s, len, tok, MAX_TOKENS);
	int errors = 0;

	if (n == 0)
		return 0;
	if (n > MAX_TOKENS) {
		diag(d, file, lineno, (unsigned)tok[MAX_TOKENS - 1].start + 1,
		     "more than %d listen specs on one line; split it", MAX_TOKENS - 1);
		return 1;
	}
	if (pg_principal_parse(s + tok[0].start, tok[0].len, &proto.kind, &proto.id, &err) < 0) {
		diag(d, file, lineno, (unsigned)(tok[0].start + err.col) + 1, "%s", err.msg);
		return 1;
	}
	if (n == 1) {
		diag(d, file, lineno, (unsigned)(tok[0].start + tok[0].len) + 1,
		     "expected at least one listen spec (tcp://ADDR:PORT or udp://ADDR:PORT) after "
		     "'%.*s'",
		     (int)tok[0].len, s + tok[0].start);
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		struct pg_rule rule = proto;

		if (pg_spec_parse(s + tok[i].start, tok[i].len, 0, &rule.spec, &err) < 0) {
			diag(d, file, lineno, (unsigned)(tok[i].start + err.col) + 1, "%s",
			     err.msg);
			errors++;
			continue;
		}
		rule.col = (unsigned)tok[i].start + 1;
		rule.principal = strndup(s + tok[0].start, tok[0].len);
		if (rule.principal == NULL || add_rule(p, &rule) < 0) {
			free(rule.principal);
			return -ENOMEM;
		}
	}
	return errors;
}

int
pg_policy_parse_buffer(struct pg_policy *p, const char *file, const char *buf, size_t len,
		       struct pg_diags *d)
{
	const char *fname = intern_file(p, file);
	unsigned lineno = 0;
	size_t pos = 0;
	int errors = 0;

	if (fname == NULL)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		const char *nul = memchr(buf + pos, '\0', end - pos);
		int r;

		lineno++;
		if (nul != NULL) {
			diag(d, fname, lineno, (unsigned)(nul - (buf + pos)) + 1,
			     "unexpected NUL byte: is this a text file?");
			errors++;
		} else {
			r = parse_line(p, fname, lineno, buf + pos, end - pos, d);
			if (r < 0)
				return r;
			errors += r;
		}
		pos = end + 1;
	}
	return errors ? -EINVAL : 0;
}

static int
load_file(struct pg_policy *p, const char *path, bool missing_ok, struct pg_diags *d)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = pg_read_file(path, PG_POLICY_MAX_FILE, &buf, &len);
	if (r == -ENOENT && missing_ok)
		return 0;
	if (r == -EFBIG) {
		diag(d, path, 0, 0, "file is larger than %d bytes", PG_POLICY_MAX_FILE);
		return -EINVAL;
	}
	if (r == -EINVAL) {
		diag(d, path, 0, 0, "not a regular file");
		return -EINVAL;
	}
	if (r < 0) {
		/* Not the file's fault (permissions, I/O): the caller may say so. */
		diag(d, path, 0, 0, "cannot read: %s", strerror(-r));
		return r == -EISDIR ? -EINVAL : r;
	}
	return pg_policy_parse_buffer(p, path, buf, len, d);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* conf.d/NAME.conf in name order; hidden files and other suffixes are not read. */
static int
load_dropins(struct pg_policy *p, const char *config_dir, struct pg_diags *d)
{
	char path[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (snprintf(path, sizeof(path), "%s/%s", config_dir, PG_CONFIG_DROPIN) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (dir == NULL) {
		if (errno == ENOENT)
			return 0;
		diag(d, path, 0, 0, "cannot read directory: %s", strerror(errno));
		return errno == ENOTDIR ? -EINVAL : -errno;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (v == NULL) {
				r = -ENOMEM;
				break;
			}
			names = v;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	(void)closedir(dir);
	if (r == 0 && n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (r != -ENOMEM) {
			int q;

			(void)snprintf(path, sizeof(path), "%s/%s/%s", config_dir, PG_CONFIG_DROPIN,
				       names[i]);
			q = load_file(p, path, false, d);
			if (q < 0 && r == 0)
				r = q;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int
pg_policy_load(const char *config_dir, const char *authbind_dir, struct pg_policy **ret,
	       struct pg_diags *d)
{
	struct pg_policy *p = pg_policy_new();
	char path[PATH_MAX];
	struct stat st;
	int r, q;

	if (p == NULL)
		return -ENOMEM;
	if ((p->config_dir = strdup(config_dir)) == NULL) {
		pg_policy_free(p);
		return -ENOMEM;
	}
	if (authbind_dir != NULL && stat(authbind_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (p->authbind_dir = strdup(authbind_dir)) == NULL) {
		pg_policy_free(p);
		return -ENOMEM;
	}
	if (snprintf(path, sizeof(path), "%s/%s", config_dir, PG_CONFIG_FILE) >=
	    (int)sizeof(path)) {
		pg_policy_free(p);
		return -ENAMETOOLONG;
	}
	r = load_file(p, path, true, d);
	q = load_dropins(p, config_dir, d);
	if (r == 0)
		r = q;
	if (r < 0) {
		pg_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}
