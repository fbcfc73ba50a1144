// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-unit.c - "portgate unit launchd|systemd ...": print (or install) a launchd
 * property list or a systemd .socket + .service pair that has the service
 * manager bind the listen specs and hand them to PROG.  Runs as the invoking
 * user; nothing is bound or judged here, only files are written.  This file
 * parses the command line and writes the output; unit-launchd.c and
 * unit-systemd.c make each service manager's files (unit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "cli.h"
#include "fileio.h"
#include "listen-fds-send.h"
#include "spec.h"
#include "unit.h"

/* Valid UTF-8 without control characters: what both file formats can carry. */
static bool
is_clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned n = 0;

		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			n = 1;
		else if ((*p & 0xf0) == 0xe0)
			n = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return false;
		p++;
		for (unsigned i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

void
unit_check_text(const char *what, const char *s)
{
	if (!is_clean_text(s))
		usage_die("unit", "bad %s '%s': control characters or invalid UTF-8", what, s);
}

/* Labels, unit names and user names become file names or unit keys: keep them plain. */
static bool
is_plain_name(const char *s, const char *extra)
{
	if (s[0] == '\0' || s[0] == '.' || s[0] == '-' || strlen(s) > 200)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr("._-", *p) == NULL &&
		    strchr(extra, *p) == NULL)
			return false;
	return true;
}

static void
add_fdnames(struct unit_options *o, const char *arg)
{
	char *copy = xstrdup(arg), *p = copy;

	o->copies = xreallocarray(o->copies, o->ncopies + 1, sizeof(*o->copies));
	o->copies[o->ncopies++] = copy;
	for (;;) {
		char *colon = strchr(p, ':');

		if (colon != NULL)
			*colon = '\0';
		if (*p == '\0' || !pg_fdname_is_valid(p))
			usage_die("unit",
				  "bad --fdname '%s': a name is printable ASCII without ':', 1 to "
				  "%d characters",
				  arg, PG_FDNAME_MAX);
		o->names = xreallocarray(o->names, o->nnames + 1, sizeof(*o->names));
		o->names[o->nnames++] = p;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
}

static void
parse_listen(struct unit_options *o, const char *text)
{
	struct unit_listen *l;
	char buf[64];

	o->listen = xreallocarray(o->listen, o->nlisten + 1, sizeof(*o->listen));
	l = &o->listen[o->nlisten++];
	*l = (struct unit_listen){ .text = text };
	if (strncmp(text, "unix:", 5) == 0) {
		/* A UNIX stream socket: launchd's SockPathName (unit-launchd.c checks it). */
		if (o->kind != UNIT_LAUNCHD)
			usage_die("unit",
				  "%s cannot express listen spec '%s' yet: unix:PATH is "
				  "for 'portgate unit launchd'",
				  o->kindname, text);
		l->path = text + 5;
		l->spec.proto = PG_PROTO_TCP;
		return;
	}
	cli_parse_spec("unit", text, 0, &l->spec);
	if (l->spec.port_lo != l->spec.port_hi)
		usage_die("unit",
			  "%s cannot express listen spec '%s': a port range (give one -l per port)",
			  o->kindname, text);
	if (l->spec.addr.family != AF_UNSPEC) {
		struct pg_bind b;

		if (pg_spec_to_bind(&l->spec, &b) < 0)
			usage_die("unit",
				  "%s cannot express listen spec '%s': an address prefix (%s); "
				  "give one address",
				  o->kindname, text, pg_addr_format(&l->spec.addr, buf));
	}
}

static void
parse_options(int argc, char **argv, struct unit_options *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "agent", no_argument, NULL, 'A' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "label", required_argument, NULL, 'L' },
		{ "name", required_argument, NULL, 'n' },
		{ "user", required_argument, NULL, 'u' },
		{ "proxy", no_argument, NULL, 'P' },
		{ "to", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "fdname", required_argument, NULL, 'F' },
		{ "install", no_argument, NULL, 'I' },
		{ "force", no_argument, NULL, 'f' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "env", required_argument, NULL, 'E' },
		{ "chdir", required_argument, NULL, 'C' },
		{ "stdout", required_argument, NULL, 'O' },
		{ "stderr", required_argument, NULL, 'R' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "launch-socket-server", no_argument, NULL, 'S' },
		{ "portgated", no_argument, NULL, 'G' },
		{ 0 },
	};
	const char **listen = NULL;
	size_t nlisten = 0;
	bool launchd = o->kind == UNIT_LAUNCHD;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hu:l:", opts, NULL)) != -1) {
		const char *only = NULL; /* the flavour an option belongs to */

		switch (c) {
		case 'h':
			print_usage_exit("unit");
		case 'A':
			o->agent = true;
			only = "launchd";
			break;
		case 'D':
			o->daemon = true;
			only = "launchd";
			break;
		case 'L':
			o->label = optarg;
			only = "launchd";
			break;
		case 'I':
			o->install = true;
			only = "launchd";
			break;
		case 'n':
			o->name = optarg;
			only = "systemd";
			break;
		case 'o':
			o->output_dir = optarg;
			only = "systemd";
			break;
		case 'u':
			o->user = xstrdup(optarg);
			break;
		case 'P':
			o->proxy = true;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'l':
			listen = xreallocarray(listen, nlisten + 1, sizeof(*listen));
			listen[nlisten++] = optarg;
			break;
		case 'F':
			add_fdnames(o, optarg);
			break;
		case 'f':
			o->force = true;
			break;
		case 'E':
			o->env = xreallocarray(o->env, o->nenv + 1, sizeof(*o->env));
			o->env[o->nenv++] = optarg;
			only = "launchd";
			break;
		case 'C':
			o->chdir = optarg;
			only = "launchd";
			break;
		case 'O':
			o->stdout_path = optarg;
			only = "launchd";
			break;
		case 'R':
			o->stderr_path = optarg;
			only = "launchd";
			break;
		case 'M':
			o->sock_mode = optarg;
			only = "launchd";
			break;
		case 'S':
			o->lss = true;
			only = "launchd";
			break;
		case 'G':
			o->portgated = true;
			only = "launchd";
			break;
		case ':':
			usage_die("unit", "option '%s' needs an argument", argv[optind - 1]);
		default:
			usage_die("unit", "unknown option '%s'", argv[optind - 1]);
		}
		if (only != NULL && strcmp(only, o->kindname) != 0)
			usage_die("unit", "option '%s' is for 'portgate unit %s' only",
				  argv[optind - 1], only);
	}
	if (optind < argc)
		o->argv = argv + optind;

	if (o->portgated && o->agent)
		usage_die("unit", "--portgated makes a daemon (portgated runs as root on macOS): "
				  "not with --agent");
	if (o->portgated) {
		o->daemon = true;
		if (o->label == NULL)
			o->label = UNIT_PORTGATED_LABEL;
	}
	if (launchd && o->agent && o->daemon)
		usage_die("unit", "give either --agent or --daemon, not both");
	if (launchd && !o->daemon)
		o->agent = true;
	if (launchd && o->label == NULL)
		usage_die("unit", "missing --label LABEL (such as com.example.web)");
	if (launchd && !is_plain_name(o->label, ""))
		usage_die("unit", "bad --label '%s': letters, digits, '.', '_' and '-' only",
			  o->label);
	if (!launchd && o->name == NULL)
		usage_die("unit", "missing --name NAME (the units become NAME.socket and "
				  "NAME.service)");
	if (!launchd && !is_plain_name(o->name, "@"))
		usage_die("unit", "bad --name '%s': letters, digits, '.', '_', '-' and '@' only",
			  o->name);
	if (o->user != NULL) {
		o->group = strchr(o->user, ':');
		if (o->group != NULL)
			*o->group++ = '\0';
		if (!is_plain_name(o->user, "") || (o->group && !is_plain_name(o->group, "")))
			usage_die("unit", "bad -u '%s%s%s': expected USER or USER:GROUP", o->user,
				  o->group ? ":" : "", o->group ? o->group : "");
	}
	if (launchd && o->agent && o->user != NULL)
		usage_die("unit", "-u '%s' needs --daemon: an agent runs as the user who loads it",
			  o->user);
	if (o->force && !o->install && o->output_dir == NULL)
		usage_die("unit", "--force replaces installed files: it needs %s",
			  launchd ? "--install" : "--output-dir");
	if (o->proxy && o->lss)
		usage_die("unit", "give either --proxy or --launch-socket-server, not both");
	if (o->to != NULL && !o->proxy && !o->lss)
		usage_die("unit", "--to '%s' names the proxy's backend: it needs --proxy%s", o->to,
			  launchd ? " or --launch-socket-server" : "");
	if (o->to != NULL)
		unit_check_text("--to", o->to);
	if (o->portgated && (o->proxy || o->lss || o->user != NULL || nlisten > 0 ||
			     o->argv != NULL || o->nnames > 0))
		usage_die("unit", "--portgated takes no -l, --fdname, -u, --proxy, "
				  "--launch-socket-server or PROG: portgated binds for its "
				  "clients, as root");
	if (o->argv == NULL && !((o->proxy || o->lss) && o->to != NULL) && !o->portgated)
		usage_die("unit", "missing PROG: give it after '--'");
	for (char **a = o->argv; a != NULL && *a != NULL; a++)
		unit_check_text("argument", *a);
	if (nlisten == 0 && !o->portgated)
		usage_die("unit", "no sockets: give -l SPEC");
	if (o->nnames > 0 && o->nnames != nlisten)
		usage_die("unit", "--fdname gives %zu names for %zu sockets from -l", o->nnames,
			  nlisten);
	for (size_t i = 0; i < nlisten; i++)
		parse_listen(o, listen[i]);
	free(listen);
}

/* The names in order of first appearance: launchd groups sockets of one name. */
size_t
unit_distinct_names(const struct unit_options *o, const char ***ret)
{
	const char **v = xreallocarray(NULL, o->nlisten, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < o->nlisten; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (strcmp(v[j], o->listen[i].name) == 0)
				break;
		if (j == n)
			v[n++] = o->listen[i].name;
	}
	*ret = v;
	return n;
}

/* This portgate, as ProgramArguments and ExecStart start it. */
const char *
unit_self_path(void)
{
	static char buf[PATH_MAX];

	if (pg_self_exe(buf, sizeof(buf)) < 0)
		return "/usr/local/bin/portgate";
	return buf;
}

bool
unit_word_is_plain(const char *s)
{
	if (*s == '\0')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr("/._,:=+@-", *p) == NULL)
			return false;
	return true;
}

/* A word for a shell command line: single-quoted unless plain. */
void
unit_shell_word(FILE *f, const char *s)
{
	if (unit_word_is_plain(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* Write a new file of mode 0644; an existing one only with force (replaced atomically). */
void
unit_write_new_file(const char *path, const char *buf, size_t len, bool force)
{
	_cleanup_close_ int fd = -1;
	size_t off = 0;
	int r;

	if (force) {
		r = pg_write_file_atomic(path, buf, len, 0644, (uid_t)-1, (gid_t)-1);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "unit: write '%s'", path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		die(EXIT_DENIED, "unit: '%s' exists; not replacing it without --force", path);
	if (fd < 0)
		die_errno(EXIT_TEMPFAIL, errno, "unit: create '%s'", path);
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	return;
fail:
	r = errno;
	(void)unlink(path);
	die_errno(EXIT_TEMPFAIL, r, "unit: write '%s'", path);
}

void
unit_mkdir_one(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die_errno(EXIT_TEMPFAIL, errno, "unit: create directory '%s'", path);
}

FILE *
unit_open_buf(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		die_errno(EXIT_TEMPFAIL, errno, "unit: allocate memory");
	return f;
}

void
unit_close_buf(FILE *f)
{
	if (fclose(f) != 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
}

void
unit_emit(const char *buf, size_t len)
{
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		die_errno(EXIT_TEMPFAIL, errno, "unit: write to standard output");
}

static void
options_free(struct unit_options *o)
{
	for (size_t i = 0; i < o->ncopies; i++)
		free(o->copies[i]);
	free(o->copies);
	free(o->names);
	free(o->listen);
	free(o->user);
	free(o->env);
}

int
cmd_unit(int argc, char **argv)
{
	struct unit_options o = { 0 };
	int r;

	cli_check_help("unit", argc, argv);
	if (argc < 2)
		usage_die("unit", "missing 'launchd' or 'systemd'");
	if (strcmp(argv[1], "launchd") == 0)
		o.kind = UNIT_LAUNCHD;
	else if (strcmp(argv[1], "systemd") == 0)
		o.kind = UNIT_SYSTEMD;
	else
		usage_die("unit", "unknown unit kind '%s': expected 'launchd' or 'systemd'",
			  argv[1]);
	o.kindname = argv[1];
	parse_options(argc - 1, argv + 1, &o);
	if (o.kind == UNIT_LAUNCHD)
		unit_launchd_check(&o);
	r = o.kind == UNIT_LAUNCHD ? unit_run_launchd(&o) : unit_run_systemd(&o);
	options_free(&o);
	return r;
}
