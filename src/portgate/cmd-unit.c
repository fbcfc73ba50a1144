// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-unit.c - "portgate unit launchd|systemd ...": print (or install) a launchd
 * property list or a systemd .socket + .service pair that has the service
 * manager bind the listen specs and hand them to PROG.  Runs as the invoking
 * user; nothing is bound or judged here, only files are written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "listen-fds-send.h"
#include "spec.h"

#define LAUNCHD_DAEMON_DIR "/Library/LaunchDaemons"
#define LAUNCHD_DAEMON_LOG "/usr/local/var/log"

enum unit_kind { UNIT_LAUNCHD, UNIT_SYSTEMD };

struct unit_listen {
	const char *text; /* the -l argument */
	struct pg_spec spec;
	const char *name; /* --fdname, or the launchd default; NULL: none */
};

struct unit_options {
	enum unit_kind kind;
	const char *kindname;
	bool agent, daemon, install, force, proxy;
	const char *label;	/* launchd --label */
	const char *name;	/* systemd --name */
	const char *output_dir; /* systemd --output-dir */
	char *user, *group;	/* -u USER[:GROUP], split */
	const char *to;		/* --proxy --to */
	struct unit_listen *listen;
	size_t nlisten;
	const char **names; /* --fdname, split at ':' */
	size_t nnames;
	char **copies; /* the --fdname arguments the names point into */
	size_t ncopies;
	char **argv; /* PROG ARGS..., NULL-terminated; NULL if none */
};

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n, size);

	if (q == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	return q;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	return d;
}

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

static void
check_text(const char *what, const char *s)
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
	if (o->to != NULL && !o->proxy)
		usage_die("unit", "--to '%s' names the proxy's backend: it needs --proxy", o->to);
	if (o->to != NULL)
		check_text("--to", o->to);
	if (o->argv == NULL && !(o->proxy && o->to != NULL))
		usage_die("unit", "missing PROG: give it after '--'");
	for (char **a = o->argv; a != NULL && *a != NULL; a++)
		check_text("argument", *a);
	if (nlisten == 0)
		usage_die("unit", "no sockets: give -l SPEC");
	if (o->nnames > 0 && o->nnames != nlisten)
		usage_die("unit", "--fdname gives %zu names for %zu sockets from -l", o->nnames,
			  nlisten);
	for (size_t i = 0; i < nlisten; i++)
		parse_listen(o, listen[i]);
	free(listen);
}

/* The names in order of first appearance: launchd groups sockets of one name. */
static size_t
distinct_names(const struct unit_options *o, const char ***ret)
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
static const char *
self_path(void)
{
	static char buf[PATH_MAX];

	if (realpath("/proc/self/exe", buf) == NULL)
		return "/usr/local/bin/portgate";
	return buf;
}

static void
xml_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void
plist_key(FILE *f, int depth, const char *key)
{
	fprintf(f, "%*s<key>", depth * 2, "");
	xml_escaped(f, key);
	fputs("</key>\n", f);
}

static void
plist_string(FILE *f, int depth, const char *key, const char *value)
{
	if (key != NULL)
		plist_key(f, depth, key);
	fprintf(f, "%*s<string>", depth * 2, "");
	xml_escaped(f, value);
	fputs("</string>\n", f);
}

static void
plist_sock(FILE *f, int depth, const struct unit_listen *l)
{
	const struct pg_spec *s = &l->spec;
	char addr[64], port[8];

	fprintf(f, "%*s<dict>\n", depth * 2, "");
	if (s->addr.family != AF_UNSPEC) {
		/* Bare, as getaddrinfo() wants it: no brackets around IPv6. */
		(void)inet_ntop(s->addr.family, s->addr.bytes, addr, sizeof(addr));
		plist_string(f, depth + 1, "SockNodeName", addr);
		plist_string(f, depth + 1, "SockFamily",
			     s->addr.family == AF_INET ? "IPv4" : "IPv6");
	}
	(void)snprintf(port, sizeof(port), "%u", s->port_lo);
	plist_string(f, depth + 1, "SockServiceName", port);
	plist_string(f, depth + 1, "SockType", s->proto == PG_PROTO_UDP ? "dgram" : "stream");
	fprintf(f, "%*s</dict>\n", depth * 2, "");
}

static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] == '/')
		return home;
	pw = getpwuid(getuid());
	if (pw == NULL || pw->pw_dir == NULL || pw->pw_dir[0] != '/')
		die(EXIT_TEMPFAIL, "unit: cannot find your home directory: set HOME");
	return pw->pw_dir;
}

static void
gen_launchd(FILE *f, struct unit_options *o, const char *home)
{
	_cleanup_free_ const char **names = NULL;
	size_t nnames;
	char *log;

	for (size_t i = 0; i < o->nlisten; i++) {
		static char defaults[64][32]; /* room for any size_t: no truncation warning */

		if (o->nnames > 0) {
			o->listen[i].name = o->names[i];
		} else if (i == 0) {
			o->listen[i].name = "Listeners";
		} else {
			if (i >= nitems(defaults))
				usage_die("unit",
					  "too many -l sockets (at most %zu without --fdname)",
					  nitems(defaults));
			(void)snprintf(defaults[i], sizeof(defaults[i]), "Listeners%zu", i + 1);
			o->listen[i].name = defaults[i];
		}
	}
	nnames = distinct_names(o, &names);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	      "<!-- Generated by portgate unit launchd; see portgate(1). -->\n"
	      "<plist version=\"1.0\">\n<dict>\n",
	      f);
	plist_string(f, 1, "Label", o->label);
	if (o->user != NULL) {
		plist_string(f, 1, "UserName", o->user);
		if (o->group != NULL)
			plist_string(f, 1, "GroupName", o->group);
	}
	plist_key(f, 1, "ProgramArguments");
	fputs("  <array>\n", f);
	plist_string(f, 2, NULL, self_path());
	plist_string(f, 2, NULL, o->proxy ? "proxy" : "run");
	for (size_t i = 0; i < nnames; i++) {
		plist_string(f, 2, NULL, "--launchd");
		plist_string(f, 2, NULL, names[i]);
	}
	if (o->to != NULL) {
		plist_string(f, 2, NULL, "--to");
		plist_string(f, 2, NULL, o->to);
	}
	if (o->argv != NULL) {
		plist_string(f, 2, NULL, "--");
		for (char **a = o->argv; *a != NULL; a++)
			plist_string(f, 2, NULL, *a);
	}
	fputs("  </array>\n", f);
	plist_key(f, 1, "Sockets");
	fputs("  <dict>\n", f);
	for (size_t i = 0; i < nnames; i++) {
		size_t count = 0;

		for (size_t j = 0; j < o->nlisten; j++)
			count += strcmp(o->listen[j].name, names[i]) == 0;
		plist_key(f, 2, names[i]);
		if (count > 1)
			fputs("    <array>\n", f);
		for (size_t j = 0; j < o->nlisten; j++)
			if (strcmp(o->listen[j].name, names[i]) == 0)
				plist_sock(f, count > 1 ? 3 : 2, &o->listen[j]);
		if (count > 1)
			fputs("    </array>\n", f);
	}
	fputs("  </dict>\n", f);
	plist_key(f, 1, "KeepAlive");
	fputs("  <true/>\n", f);
	plist_key(f, 1, "RunAtLoad");
	fputs("  <true/>\n", f);
	if ((o->daemon ? asprintf(&log, "%s/%s.log", LAUNCHD_DAEMON_LOG, o->label)
		       : asprintf(&log, "%s/Library/Logs/%s.log", home, o->label)) < 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	plist_string(f, 1, "StandardOutPath", log);
	plist_string(f, 1, "StandardErrorPath", log);
	free(log);
	fputs("</dict>\n</plist>\n", f);
}

/* One word of ExecStart=: quoted unless plain; '%' and '$' are not expanded. */
static void
exec_word(FILE *f, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr("/._,:=+@-", *p) == NULL)
			plain = false;
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '%' || *s == '$')
			fputc(*s, f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* PROG as ExecStart needs it: absolute, found in PATH, or refused. */
static char *
resolve_prog(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *dir, *save = NULL;

	if (prog[0] == '/')
		return xstrdup(prog);
	if (strchr(prog, '/') != NULL)
		usage_die("unit",
			  "PROG '%s' must be an absolute path (systemd does not search "
			  "relative paths)",
			  prog);
	copy = xstrdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		char *full;
		struct stat st;

		if (dir[0] != '/')
			continue;
		if (asprintf(&full, "%s/%s", dir, prog) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return full;
		free(full);
	}
	die(EXIT_NOTFOUND, "unit: PROG '%s' is not in PATH; give its absolute path", prog);
}

/*
 * systemd allows one FileDescriptorName= per .socket unit, so sockets of
 * different --fdname go to different units: NAME.socket when there is one name
 * (or none), NAME-FDNAME.socket for each otherwise, FDNAME escaped as
 * systemd-escape(1) does for the characters a unit name cannot hold.
 */
static char *
socket_unit_name(const struct unit_options *o, const char *fdname, size_t ngroups)
{
	char *buf, *p;
	size_t len;

	if (ngroups <= 1) {
		if (asprintf(&buf, "%s.socket", o->name) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
		return buf;
	}
	len = strlen(o->name) + 1 + 4 * strlen(fdname) + sizeof(".socket");
	buf = p = xreallocarray(NULL, len, 1);
	p += sprintf(p, "%s-", o->name);
	for (const unsigned char *c = (const unsigned char *)fdname; *c != '\0'; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("_.-", *c) != NULL)
			*p++ = (char)*c;
		else
			p += sprintf(p, "\\x%02x", *c);
	strcpy(p, ".socket");
	if (strlen(buf) > 255) /* UNIT_NAME_MAX */
		usage_die("unit", "unit name '%s' for --fdname '%s' is longer than 255 characters",
			  buf, fdname);
	return buf;
}

/* The .socket unit for the specs named fdname (all of them if fdname is NULL). */
static void
gen_socket(FILE *f, const struct unit_options *o, const char *fdname)
{
	bool any_dual = false, any_v6_wild = false;
	const char *dual_text = NULL, *v6_text = NULL;

	for (size_t i = 0; i < o->nlisten; i++) {
		const struct pg_spec *s = &o->listen[i].spec;
		static const uint8_t zero[16];

		if (fdname != NULL && strcmp(o->listen[i].name, fdname) != 0)
			continue;
		if (s->addr.family == AF_UNSPEC) {
			any_dual = true;
			dual_text = o->listen[i].text;
		} else if (s->addr.family == AF_INET6 && memcmp(s->addr.bytes, zero, 16) == 0) {
			any_v6_wild = true;
			v6_text = o->listen[i].text;
		}
	}
	if (any_dual && any_v6_wild)
		usage_die("unit",
			  "systemd cannot express listen specs '%s' and '%s' in one .socket unit "
			  "(BindIPv6Only= is one setting): '*' is dual-stack, '[::]' IPv6 only; "
			  "give them different --fdname",
			  dual_text, v6_text);

	fprintf(f,
		"# Generated by portgate unit systemd; see portgate(1).\n"
		"[Unit]\n"
		"Description=Sockets for %s%s%s%s\n\n"
		"[Socket]\n",
		o->name, fdname ? " (" : "", fdname ? fdname : "", fdname ? ")" : "");
	for (size_t i = 0; i < o->nlisten; i++) {
		const struct pg_spec *s = &o->listen[i].spec;
		char addr[64];

		if (fdname != NULL && strcmp(o->listen[i].name, fdname) != 0)
			continue;
		fprintf(f, "%s=%s:%u\n",
			s->proto == PG_PROTO_UDP ? "ListenDatagram" : "ListenStream",
			s->addr.family == AF_UNSPEC ? "[::]" : pg_addr_format(&s->addr, addr),
			s->port_lo);
	}
	if (any_dual)
		fputs("BindIPv6Only=both\n", f);
	else if (any_v6_wild)
		fputs("BindIPv6Only=ipv6-only\n", f);
	if (fdname != NULL)
		fprintf(f, "FileDescriptorName=%s\n", fdname);
	fprintf(f, "Service=%s.service\n\n[Install]\nWantedBy=sockets.target\n", o->name);
}

/* A word for a shell command line: single-quoted unless plain. */
static void
shell_word(FILE *f, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p != '\0'; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr("/._,:=+@-", *p) == NULL)
			plain = false;
	if (plain) {
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

static void
gen_service(FILE *f, const struct unit_options *o, char *const *sockets, size_t nsockets)
{
	fprintf(f,
		"# Generated by portgate unit systemd; see portgate(1).\n"
		"# systemd binds the sockets; the portgate policy still applies to who may\n"
		"# have them.  Check it with:\n"
		"#   portgate check --user %s",
		o->user ? o->user : "root");
	for (size_t i = 0; i < o->nlisten; i++) {
		fputc(' ', f);
		shell_word(f, o->listen[i].text);
	}
	fprintf(f, "\n\n[Unit]\nDescription=%s\n", o->name);
	for (const char *key = "Requires"; key != NULL;
	     key = strcmp(key, "Requires") == 0 ? "After" : NULL) {
		fprintf(f, "%s=", key);
		for (size_t i = 0; i < nsockets; i++)
			fprintf(f, "%s%s", i ? " " : "", sockets[i]);
		fputc('\n', f);
	}
	fputs("\n[Service]\n", f);
	if (nsockets > 1) {
		/* Without it the service would get only the sockets of NAME.socket. */
		fputs("Sockets=", f);
		for (size_t i = 0; i < nsockets; i++)
			fprintf(f, "%s%s", i ? " " : "", sockets[i]);
		fputc('\n', f);
	}
	fputs("ExecStart=", f);
	if (o->proxy) {
		exec_word(f, self_path());
		fputs(" proxy --inherit", f);
		if (o->to != NULL) {
			fputs(" --to ", f);
			exec_word(f, o->to);
		}
		if (o->argv != NULL)
			fputs(" --", f);
	}
	for (char **a = o->argv; a != NULL && *a != NULL; a++) {
		_cleanup_free_ char *prog = NULL;

		if (o->proxy || a != o->argv) {
			fputc(' ', f);
			exec_word(f, *a);
			continue;
		}
		prog = resolve_prog(*a);
		check_text("PROG", prog);
		exec_word(f, prog);
	}
	fputc('\n', f);
	if (o->user != NULL)
		fprintf(f, "User=%s\n", o->user);
	if (o->group != NULL)
		fprintf(f, "Group=%s\n", o->group);
	fputs("NoNewPrivileges=yes\n"
	      "ProtectSystem=strict\n"
	      "ProtectHome=yes\n"
	      "PrivateTmp=yes\n"
	      "PrivateDevices=yes\n"
	      "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
	      "CapabilityBoundingSet=\n",
	      f);
}

/* Write a new file of mode 0644; an existing one only with force (replaced atomically). */
static void
write_new_file(const char *path, const char *buf, size_t len, bool force)
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

static void
mkdir_one(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die_errno(EXIT_TEMPFAIL, errno, "unit: create directory '%s'", path);
}

static FILE *
open_buf(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		die_errno(EXIT_TEMPFAIL, errno, "unit: allocate memory");
	return f;
}

static void
close_buf(FILE *f)
{
	if (fclose(f) != 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
}

static void
emit(const char *buf, size_t len)
{
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		die_errno(EXIT_TEMPFAIL, errno, "unit: write to standard output");
}

static int
run_launchd(struct unit_options *o)
{
	const char *home = o->daemon ? NULL : home_dir();
	_cleanup_free_ char *buf = NULL, *path = NULL;
	size_t len = 0;
	FILE *f = open_buf(&buf, &len);

	gen_launchd(f, o, home);
	close_buf(f);
	if (!o->install) {
		emit(buf, len);
		return EXIT_OK;
	}
	if (o->daemon) {
		if (asprintf(&path, "%s/%s.plist", LAUNCHD_DAEMON_DIR, o->label) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	} else {
		_cleanup_free_ char *lib = NULL, *agents = NULL;

		if (asprintf(&lib, "%s/Library", home) < 0 ||
		    asprintf(&agents, "%s/LaunchAgents", lib) < 0 ||
		    asprintf(&path, "%s/%s.plist", agents, o->label) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
		mkdir_one(lib);
		mkdir_one(agents);
	}
	write_new_file(path, buf, len, o->force);

	free(buf);
	buf = NULL;
	f = open_buf(&buf, &len);
	if (o->daemon)
		fprintf(f, "%slaunchctl bootstrap system ", geteuid() == 0 ? "" : "sudo ");
	else
		fprintf(f, "launchctl bootstrap gui/%u ", (unsigned)getuid());
	shell_word(f, path);
	fputc('\n', f);
	close_buf(f);
	emit(buf, len);
	return EXIT_OK;
}

static int
run_systemd(struct unit_options *o)
{
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ char *svc = NULL, *out = NULL, *vp = NULL;
	char **units, **bufs, **paths;
	size_t *lens, ngroups, nsvc = 0, nout = 0;
	FILE *f;

	for (size_t i = 0; i < o->nlisten; i++)
		o->listen[i].name = o->nnames > 0 ? o->names[i] : "";
	ngroups = distinct_names(o, &names);
	units = xreallocarray(NULL, ngroups, sizeof(*units));
	bufs = xreallocarray(NULL, ngroups, sizeof(*bufs));
	paths = xreallocarray(NULL, ngroups, sizeof(*paths));
	lens = xreallocarray(NULL, ngroups, sizeof(*lens));
	for (size_t g = 0; g < ngroups; g++) {
		units[g] = socket_unit_name(o, names[g], ngroups);
		bufs[g] = NULL;
		f = open_buf(&bufs[g], &lens[g]);
		gen_socket(f, o, o->nnames > 0 ? names[g] : NULL);
		close_buf(f);
		paths[g] = NULL;
		if (o->output_dir != NULL &&
		    asprintf(&paths[g], "%s/%s", o->output_dir, units[g]) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	}
	f = open_buf(&svc, &nsvc);
	gen_service(f, o, units, ngroups);
	close_buf(f);

	f = open_buf(&out, &nout);
	if (o->output_dir == NULL) {
		for (size_t g = 0; g < ngroups; g++)
			fprintf(f, "# %s\n%s# ---\n", units[g], bufs[g]);
		fprintf(f, "# %s.service\n%s", o->name, svc);
	} else {
		if (asprintf(&vp, "%s/%s.service", o->output_dir, o->name) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
		/* All or nothing: look before writing the first file. */
		for (size_t g = 0; g <= ngroups && !o->force; g++) {
			const char *p = g < ngroups ? paths[g] : vp;

			if (access(p, F_OK) == 0)
				die(EXIT_DENIED,
				    "unit: '%s' exists; not replacing it without --force", p);
		}
		for (size_t g = 0; g < ngroups; g++)
			write_new_file(paths[g], bufs[g], lens[g], o->force);
		write_new_file(vp, svc, nsvc, o->force);
		fputs("systemctl daemon-reload\nsystemctl enable --now", f);
		for (size_t g = 0; g < ngroups; g++) {
			fputc(' ', f);
			shell_word(f, units[g]);
		}
		fputc('\n', f);
	}
	close_buf(f);
	emit(out, nout);
	for (size_t g = 0; g < ngroups; g++) {
		free(units[g]);
		free(bufs[g]);
		free(paths[g]);
	}
	free(units);
	free(bufs);
	free(paths);
	free(lens);
	return EXIT_OK;
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
	r = o.kind == UNIT_LAUNCHD ? run_launchd(&o) : run_systemd(&o);
	options_free(&o);
	return r;
}
