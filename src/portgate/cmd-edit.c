// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-edit.c - "portgate allow" and "portgate deny": edit the policy files.
 * Each changed file is validated whole before it is written, and replaced
 * atomically (write, fsync, rename); comments and layout are kept.  Runs as
 * the invoking user, who needs write access to the configuration directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "sysinfo.h"

struct edit_args {
	const char *principal;
	enum pg_principal_kind kind;
	uint32_t id;
	struct pg_spec *specs;
	size_t nspecs;
	char **texts;
};

/* Parse "PRINCIPAL SPEC..." from the command line; usage errors exit 100. */
static void
parse_edit_args(const char *cmd, int argc, char **argv, struct edit_args *a)
{
	struct pg_parse_error err;

	cli_check_help(cmd, argc, argv);
	if (argc < 3)
		usage_die(cmd, "expected a PRINCIPAL (user, uid:N, @group or gid:N) and a SPEC");
	a->principal = argv[1];
	if (pg_principal_parse(argv[1], strlen(argv[1]), &a->kind, &a->id, &err) < 0)
		usage_die(cmd, "bad principal '%s': %s", argv[1], err.msg);
	a->nspecs = (size_t)argc - 2;
	a->texts = argv + 2;
	if ((a->specs = calloc(a->nspecs, sizeof(*a->specs))) == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "%s", cmd);
	for (size_t i = 0; i < a->nspecs; i++)
		cli_parse_spec(cmd, a->texts[i], 0, &a->specs[i]);
}

/* Serialise editors: an exclusive lock on the configuration directory. */
static int
lock_config_dir(const char *cmd)
{
	int fd;

	if (mkdir(cli.config_dir, 0755) < 0 && errno != EEXIST)
		die_errno(EXIT_TEMPFAIL, errno, "%s: create '%s'", cmd, cli.config_dir);
	fd = open(cli.config_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die_errno(EXIT_TEMPFAIL, errno, "%s: open '%s'", cmd, cli.config_dir);
	if (flock(fd, LOCK_EX) < 0)
		die_errno(EXIT_TEMPFAIL, errno, "%s: lock '%s'", cmd, cli.config_dir);
	return fd;
}

/* Validate a file's new text as the loader will read it, then replace the file. */
static void
commit_file(const char *cmd, const char *path, const char *buf, size_t len)
{
	struct pg_policy *scratch = pg_policy_new();
	struct pg_diags d = { 0 };
	struct stat st;
	int r;

	if (scratch == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "%s", cmd);
	r = pg_policy_parse_buffer(scratch, path, buf, len, &d);
	if (r < 0) {
		cli_print_diags(&d);
		die(EXIT_DENIED, "%s: the edited '%s' would not be valid; nothing was changed", cmd,
		    path);
	}
	pg_diags_clear(&d);
	pg_policy_free(scratch);

	if (stat(path, &st) < 0) {
		st.st_mode = 0644;
		st.st_uid = (uid_t)-1;
		st.st_gid = (gid_t)-1;
	}
	r = pg_write_file_atomic(path, buf, len, st.st_mode & 07777, st.st_uid, st.st_gid);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "%s: write '%s'", cmd, path);
}

int
cmd_allow(int argc, char **argv)
{
	_cleanup_close_ int lock_fd = -1;
	_cleanup_free_ char *old = NULL, *buf = NULL;
	struct edit_args a = { 0 };
	char path[PATH_MAX], spec[PG_SPEC_STRLEN];
	size_t oldlen = 0, len, cap, added = 0;
	bool *is_new;
	unsigned line;
	struct pg_policy *p;
	int r;

	parse_edit_args("allow", argc, argv, &a);
	lock_fd = lock_config_dir("allow");
	p = cli_load_policy();
	(void)snprintf(path, sizeof(path), "%s/%s", cli.config_dir, PG_CONFIG_FILE);
	r = pg_read_file(path, PG_POLICY_MAX_FILE, &old, &oldlen);
	if (r < 0 && r != -ENOENT)
		die_errno(EXIT_TEMPFAIL, -r, "allow: read '%s'", path);

	cap = oldlen + strlen(a.principal) + a.nspecs * (PG_SPEC_STRLEN + 1) + 3;
	if ((buf = malloc(cap)) == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "allow");
	memcpy(buf, old ? old : "", oldlen);
	len = oldlen;
	if (len > 0 && buf[len - 1] != '\n')
		buf[len++] = '\n';
	line = 1;
	for (size_t i = 0; i < len; i++)
		line += buf[i] == '\n';
	len += (size_t)snprintf(buf + len, cap - len, "%s", a.principal);
	if ((is_new = calloc(a.nspecs, sizeof(*is_new))) == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "allow");

	for (size_t i = 0; i < a.nspecs; i++) {
		const struct pg_rule *dup = NULL;

		for (size_t j = 0; j < p->nrules && dup == NULL; j++)
			if (p->rules[j].kind == a.kind && p->rules[j].id == a.id &&
			    pg_spec_equal(&p->rules[j].spec, &a.specs[i]))
				dup = &p->rules[j];
		if (dup != NULL) {
			printf("%s already has %s (%s:%u)\n", a.principal,
			       pg_spec_format(&a.specs[i], spec), dup->file, dup->line);
			continue;
		}
		len += (size_t)snprintf(buf + len, cap - len, " %s",
					pg_spec_format(&a.specs[i], spec));
		is_new[i] = true;
		added++;
	}
	if (added > 0) {
		buf[len++] = '\n';
		commit_file("allow", path, buf, len);
		for (size_t i = 0; i < a.nspecs; i++)
			if (is_new[i])
				printf("allowed %s %s (%s:%u)\n", a.principal,
				       pg_spec_format(&a.specs[i], spec), path, line);
	}
	pg_policy_free(p);
	free(is_new);
	free(a.specs);
	return EXIT_OK;
}

/* Does rule spec r cover every bind that spec s describes? */
static bool
spec_covers(const struct pg_spec *r, const struct pg_spec *s)
{
	if (r->proto != s->proto || s->port_lo < r->port_lo || s->port_hi > r->port_hi)
		return false;
	if (r->addr.family == AF_UNSPEC)
		return true;
	if (r->addr.family != s->addr.family || r->addr.prefixlen > s->addr.prefixlen)
		return false;
	for (unsigned bit = 0; bit < r->addr.prefixlen; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((r->addr.bytes[bit / 8] & m) != (s->addr.bytes[bit / 8] & m))
			return false;
	}
	return true;
}

/*
 * Remove from buf (one file's text) the spec tokens of the marked rules.  A
 * line left with no spec loses its principal too; its comment, if any, stays.
 */
static size_t
remove_tokens(const char *buf, size_t len, char *out, const struct pg_rule *const *doomed,
	      size_t ndoomed)
{
	size_t pos = 0, olen = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, n, kept = 0, cut_from = 0;
		const char *s = buf + pos;
		struct pg_token tok[256];
		bool drop[256] = { false }, any = false;

		lineno++;
		n = pg_policy_tokenize(s, end - pos, tok, nitems(tok));
		for (size_t k = 0; k < ndoomed; k++)
			for (size_t t = 1; t < n && t < nitems(tok); t++)
				if (doomed[k]->line == lineno && doomed[k]->col == tok[t].start + 1)
					drop[t] = any = true;
		if (!any) {
			memcpy(out + olen, s, end - pos);
			olen += end - pos;
		} else {
			for (size_t t = 1; t < n && t < nitems(tok); t++)
				kept += !drop[t];
			if (kept == 0) {
				const char *hash = memchr(s, '#', end - pos);

				/* Keep the comment; the line otherwise goes. */
				if (hash == NULL)
					goto next_line;
				cut_from = (size_t)(hash - s);
				memcpy(out + olen, hash, end - pos - cut_from);
				olen += end - pos - cut_from;
			} else {
				size_t from = 0;

				for (size_t t = 1; t < n && t < nitems(tok); t++) {
					size_t gap = tok[t - 1].start + tok[t - 1].len;

					if (!drop[t])
						continue;
					memcpy(out + olen, s + from, gap - from);
					olen += gap - from;
					from = tok[t].start + tok[t].len;
					/* The next token's leading gap is kept by the copy. */
					tok[t].start = tok[t - 1].start;
					tok[t].len = tok[t - 1].len;
				}
				memcpy(out + olen, s + from, end - pos - from);
				olen += end - pos - from;
			}
		}
		if (nl != NULL)
			out[olen++] = '\n';
	next_line:
		pos = end + 1;
	}
	return olen;
}

int
cmd_deny(int argc, char **argv)
{
	_cleanup_close_ int lock_fd = -1;
	struct edit_args a = { 0 };
	const struct pg_rule **doomed;
	size_t ndoomed = 0;
	char spec[PG_SPEC_STRLEN], wide[PG_SPEC_STRLEN];
	struct pg_policy *p, *after;
	unsigned unpriv_start = pg_unprivileged_port_start();

	parse_edit_args("deny", argc, argv, &a);
	lock_fd = lock_config_dir("deny");
	p = cli_load_policy();
	if ((doomed = calloc(p->nrules + 1, sizeof(*doomed))) == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "deny");

	/* Decide everything before writing anything. */
	for (size_t i = 0; i < a.nspecs; i++) {
		const struct pg_rule *wider = NULL;
		size_t found = 0;

		for (size_t j = 0; j < p->nrules; j++) {
			const struct pg_rule *r = &p->rules[j];

			if (r->kind != a.kind || r->id != a.id)
				continue;
			if (pg_spec_equal(&r->spec, &a.specs[i])) {
				doomed[ndoomed++] = r;
				found++;
			} else if (wider == NULL && spec_covers(&r->spec, &a.specs[i])) {
				wider = r;
			}
		}
		if (found == 0 && wider != NULL)
			die(EXIT_DENIED,
			    "deny: %s gets %s from the wider rule %s:%u '%s'; edit that line by "
			    "hand "
			    "(nothing was changed)",
			    a.principal, pg_spec_format(&a.specs[i], spec), wider->file,
			    wider->line, pg_spec_format(&wider->spec, wide));
		if (found == 0)
			die(EXIT_DENIED, "deny: %s has no grant for %s (nothing was changed)",
			    a.principal, pg_spec_format(&a.specs[i], spec));
	}

	for (size_t f = 0; f < p->nfiles; f++) {
		const struct pg_rule *mine[256];
		_cleanup_free_ char *buf = NULL, *out = NULL;
		size_t n = 0, len, olen;
		int r;

		for (size_t k = 0; k < ndoomed && n < nitems(mine); k++)
			if (doomed[k]->file == p->files[f])
				mine[n++] = doomed[k];
		if (n == 0)
			continue;
		r = pg_read_file(p->files[f], PG_POLICY_MAX_FILE, &buf, &len);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "deny: read '%s'", p->files[f]);
		if ((out = malloc(len + 1)) == NULL)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "deny");
		olen = remove_tokens(buf, len, out, mine, n);
		commit_file("deny", p->files[f], out, olen);
	}
	for (size_t k = 0; k < ndoomed; k++)
		printf("denied %s %s (removed from %s:%u)\n", a.principal,
		       pg_spec_format(&doomed[k]->spec, spec), doomed[k]->file, doomed[k]->line);

	/* Say so when a reserved port just became free for everybody. */
	after = cli_load_policy();
	for (size_t i = 0; i < a.nspecs; i++)
		if (a.specs[i].port_lo >= unpriv_start &&
		    pg_policy_port_owner(after, a.specs[i].proto, a.specs[i].port_lo) == NULL)
			printf("note: %s/%u is no longer named in the policy: any user may bind it "
			       "now\n",
			       pg_proto_name(a.specs[i].proto), a.specs[i].port_lo);
	pg_policy_free(after);
	pg_policy_free(p);
	free(doomed);
	free(a.specs);
	return EXIT_OK;
}
