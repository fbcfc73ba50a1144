// SPDX-License-Identifier: BSD-2-Clause
/*
 * unit-launchd.c - "portgate unit launchd": the launchd.plist(5) for a job
 * whose Sockets launchd binds and hands to PROG through portgate run or proxy
 * --launchd, printed or installed as an agent or a daemon.  XML written by
 * hand, every value escaped.  Runs as the invoking user; only files are
 * written.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "unit.h"
#include "wire.h"

#define LAUNCHD_DAEMON_DIR "/Library/LaunchDaemons"
#define LAUNCHD_DAEMON_LOG "/usr/local/var/log"
/* portgated's log: root's, in a folder macOS has (launchd creates no folders). */
#define LAUNCHD_PORTGATED_LOG "/var/log/portgated.log"

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
plist_bool(FILE *f, int depth, const char *key, bool value)
{
	plist_key(f, depth, key);
	fprintf(f, "%*s<%s/>\n", depth * 2, "", value ? "true" : "false");
}

static void
plist_sock(FILE *f, int depth, const struct unit_listen *l, long mode)
{
	const struct pg_spec *s = &l->spec;
	char addr[64], port[8];

	fprintf(f, "%*s<dict>\n", depth * 2, "");
	if (l->path != NULL) {
		plist_string(f, depth + 1, "SockPathName", l->path);
		if (mode >= 0) {
			/* An integer, decimal: plists have no octal (0660 is 432). */
			plist_key(f, depth + 1, "SockPathMode");
			fprintf(f, "%*s<integer>%ld</integer>\n", (depth + 1) * 2, "", mode);
		}
		plist_string(f, depth + 1, "SockType", "stream");
		fprintf(f, "%*s</dict>\n", depth * 2, "");
		return;
	}
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
	/* launchd.plist(5) documents TCP as the one value; dgram alone means UDP. */
	if (s->proto == PG_PROTO_TCP)
		plist_string(f, depth + 1, "SockProtocol", "TCP");
	fprintf(f, "%*s</dict>\n", depth * 2, "");
}

/*
 * NAME installed beside this portgate: PREFIX/sbin/NAME for PREFIX/bin/portgate,
 * as make install lays them out (launch_socket_server, portgated), else NAME
 * in portgate's own folder (a build tree).
 */
static char *
sibling_path(const char *name)
{
	const char *self = unit_self_path(), *slash = strrchr(self, '/');
	int dirlen = slash != NULL ? (int)(slash - self) : 0;
	char *path;
	int r;

	if (dirlen >= 4 && memcmp(self + dirlen - 4, "/bin", 4) == 0)
		r = asprintf(&path, "%.*ssbin/%s", dirlen - 3, self, name);
	else
		r = asprintf(&path, "%.*s/%s", dirlen, self, name);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	return path;
}

/* The length of NAME in NAME=VALUE, or 0 unless NAME is a portable variable name. */
static size_t
env_name_len(const char *s)
{
	const char *eq = strchr(s, '=');

	if (eq == NULL || eq == s || (*s >= '0' && *s <= '9'))
		return 0;
	for (const char *p = s; p < eq; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_')
			return 0;
	return (size_t)(eq - s);
}

static bool
env_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncmp(s, name, len) == 0;
}

static void
check_abs_path(const char *what, const char *path)
{
	if (path == NULL)
		return;
	if (path[0] != '/')
		usage_die("unit", "bad %s '%s': launchd needs an absolute path", what, path);
	unit_check_text(what, path);
}

/* The --launch-socket-server backend: tcp:HOST:PORT or unix:/PATH. */
static void
check_lss_to(const char *to)
{
	const char *colon = strncmp(to, "tcp:", 4) == 0 ? strrchr(to + 4, ':') : NULL;

	if (colon != NULL && colon > to + 4 && colon[1] != '\0')
		return;
	if (strncmp(to, "unix:", 5) == 0 && to[5] == '/')
		return;
	usage_die("unit",
		  "bad --to '%s' for --launch-socket-server: expected tcp:HOST:PORT or "
		  "unix:/PATH (LAUNCH_PROGRAM_TCP_ADDRESS or LAUNCH_PROGRAM_SOCKET_PATH)",
		  to);
}

void
unit_launchd_check(struct unit_options *o)
{
	bool any_path = false;

	o->sock_mode_bits = -1;
	for (size_t i = 0; i < o->nenv; i++) {
		size_t len = env_name_len(o->env[i]);

		if (strchr(o->env[i], '=') == NULL)
			usage_die("unit", "bad --env '%s': expected NAME=VALUE", o->env[i]);
		if (len == 0)
			usage_die("unit",
				  "bad --env '%s': NAME is letters, digits and '_', not starting "
				  "with a digit",
				  o->env[i]);
		unit_check_text("--env", o->env[i]);
		for (size_t j = 0; j < i; j++)
			if (env_name_len(o->env[j]) == len &&
			    strncmp(o->env[j], o->env[i], len) == 0)
				usage_die("unit", "--env %.*s is given twice", (int)len, o->env[i]);
		if (o->lss && (env_is(o->env[i], len, "LAUNCH_PROGRAM_TCP_ADDRESS") ||
			       env_is(o->env[i], len, "LAUNCH_PROGRAM_SOCKET_PATH") ||
			       env_is(o->env[i], len, "LAUNCH_DAEMON_SOCKET_NAME")))
			usage_die("unit",
				  "--env %.*s: --launch-socket-server sets it, from --to and "
				  "--fdname",
				  (int)len, o->env[i]);
	}
	check_abs_path("--chdir", o->chdir);
	check_abs_path("--stdout", o->stdout_path);
	check_abs_path("--stderr", o->stderr_path);
	for (size_t i = 0; i < o->nlisten; i++) {
		const struct unit_listen *l = &o->listen[i];

		if (l->path == NULL)
			continue;
		any_path = true;
		if (l->path[0] != '/')
			usage_die("unit", "bad listen spec '%s': launchd needs an absolute path",
				  l->text);
		unit_check_text("listen spec", l->text);
		/* sockaddr_un's sun_path is 104 bytes on macOS, 108 on Linux. */
		if (strlen(l->path) >= 104)
			usage_die("unit",
				  "bad listen spec '%s': a UNIX socket path is at most 103 bytes "
				  "on macOS",
				  l->text);
	}
	if (o->sock_mode != NULL) {
		char *end;

		errno = 0;
		o->sock_mode_bits = strtol(o->sock_mode, &end, 8);
		if (o->sock_mode[0] < '0' || o->sock_mode[0] > '7' || *end != '\0' || errno != 0 ||
		    o->sock_mode_bits > 0777)
			usage_die("unit",
				  "bad --socket-mode '%s': an octal mode up to 0777, such "
				  "as 0660",
				  o->sock_mode);
		if (!any_path)
			usage_die("unit", "--socket-mode is for UNIX sockets: give -l unix:PATH");
	}
	if (!o->lss)
		return;
	if (o->to != NULL)
		check_lss_to(o->to);
	for (size_t i = 1; i < o->nnames; i++)
		if (strcmp(o->names[i], o->names[0]) != 0)
			usage_die("unit",
				  "--launch-socket-server serves the sockets of one name: "
				  "--fdname gives '%s' and '%s'",
				  o->names[0], o->names[i]);
	for (size_t i = 0; i < o->nlisten; i++)
		if (o->listen[i].spec.proto == PG_PROTO_UDP)
			usage_die("unit",
				  "--launch-socket-server forwards TCP connections: listen spec "
				  "'%s' is UDP",
				  o->listen[i].text);
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

/* Each socket's Sockets key: --fdname, or Listeners, Listeners2, ... (Socket for
 * --launch-socket-server, the name the original takes by default). */
static void
name_sockets(struct unit_options *o)
{
	for (size_t i = 0; i < o->nlisten; i++) {
		static char defaults[64][32]; /* room for any size_t: no truncation warning */

		if (o->nnames > 0) {
			o->listen[i].name = o->names[i];
		} else if (o->lss) {
			o->listen[i].name = "Socket";
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
}

/* ProgramArguments: portgate run or proxy --launchd NAME..., the drop-in, or portgated. */
static void
gen_arguments(FILE *f, const struct unit_options *o, const char **names, size_t nnames)
{
	_cleanup_free_ char *prog = NULL;

	plist_key(f, 1, "ProgramArguments");
	fputs("  <array>\n", f);
	if (o->portgated) {
		prog = sibling_path("portgated");
		plist_string(f, 2, NULL, prog);
		plist_string(f, 2, NULL, "--foreground");
		plist_string(f, 2, NULL, "--hold");
		plist_string(f, 2, NULL, "--socket");
		plist_string(f, 2, NULL, PG_WIRE_SOCKET);
	} else if (o->lss) {
		prog = sibling_path("launch_socket_server");
		plist_string(f, 2, NULL, prog);
		if (o->argv == NULL)
			plist_string(f, 2, NULL, "-");
	} else {
		plist_string(f, 2, NULL, unit_self_path());
		plist_string(f, 2, NULL, o->proxy ? "proxy" : "run");
		for (size_t i = 0; i < nnames; i++) {
			plist_string(f, 2, NULL, "--launchd");
			plist_string(f, 2, NULL, names[i]);
		}
		if (o->to != NULL) {
			plist_string(f, 2, NULL, "--to");
			plist_string(f, 2, NULL, o->to);
		}
		if (o->argv != NULL)
			plist_string(f, 2, NULL, "--");
	}
	for (char **a = o->argv; a != NULL && *a != NULL; a++)
		plist_string(f, 2, NULL, *a);
	fputs("  </array>\n", f);
}

static void
gen_sockets(FILE *f, const struct unit_options *o, const char **names, size_t nnames)
{
	if (nnames == 0)
		return;
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
				plist_sock(f, count > 1 ? 3 : 2, &o->listen[j], o->sock_mode_bits);
		if (count > 1)
			fputs("    </array>\n", f);
	}
	fputs("  </dict>\n", f);
}

/* EnvironmentVariables: the drop-in's backend and socket name, then --env. */
static void
gen_environment(FILE *f, const struct unit_options *o, const char **names, size_t nnames)
{
	bool lss_name = o->lss && nnames > 0 && strcmp(names[0], "Socket") != 0;

	if (o->nenv == 0 && !(o->lss && o->to != NULL) && !lss_name)
		return;
	plist_key(f, 1, "EnvironmentVariables");
	fputs("  <dict>\n", f);
	if (o->lss && o->to != NULL && strncmp(o->to, "tcp:", 4) == 0)
		plist_string(f, 2, "LAUNCH_PROGRAM_TCP_ADDRESS", o->to + 4);
	else if (o->lss && o->to != NULL)
		plist_string(f, 2, "LAUNCH_PROGRAM_SOCKET_PATH", o->to + 5);
	if (lss_name)
		plist_string(f, 2, "LAUNCH_DAEMON_SOCKET_NAME", names[0]);
	for (size_t i = 0; i < o->nenv; i++) {
		size_t len = env_name_len(o->env[i]);
		char key[256];

		(void)snprintf(key, sizeof(key), "%.*s", (int)len, o->env[i]);
		if (len >= sizeof(key))
			usage_die("unit", "bad --env '%s': NAME is longer than %zu characters",
				  o->env[i], sizeof(key) - 1);
		plist_string(f, 2, key, o->env[i] + len + 1);
	}
	fputs("  </dict>\n", f);
}

static void
gen_launchd(FILE *f, struct unit_options *o, const char *home)
{
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ char *log = NULL;
	size_t nnames;
	int r;

	name_sockets(o);
	nnames = unit_distinct_names(o, &names);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	      "<!-- Generated by portgate unit launchd; see portgate(1).\n"
	      "     launchd binds the Sockets and keeps them open while the job restarts\n"
	      "     (KeepAlive): connections wait and nobody else can take the port, so\n"
	      "     the keep option of portgate run is not needed here (a comment cannot\n"
	      "     spell it); it is for where no such job holds the port, or to replace\n"
	      "     the server on SIGHUP once the new one is ready. -->\n"
	      "<plist version=\"1.0\">\n<dict>\n",
	      f);
	plist_string(f, 1, "Label", o->label);
	if (o->user != NULL) {
		plist_string(f, 1, "UserName", o->user);
		if (o->group != NULL)
			plist_string(f, 1, "GroupName", o->group);
	}
	gen_arguments(f, o, names, nnames);
	gen_sockets(f, o, names, nnames);
	gen_environment(f, o, names, nnames);
	if (o->chdir != NULL)
		plist_string(f, 1, "WorkingDirectory", o->chdir);
	plist_bool(f, 1, "KeepAlive", true);
	plist_bool(f, 1, "RunAtLoad", true);
	if (o->portgated)
		r = asprintf(&log, "%s", LAUNCHD_PORTGATED_LOG);
	else if (o->daemon)
		r = asprintf(&log, "%s/%s.log", LAUNCHD_DAEMON_LOG, o->label);
	else
		r = asprintf(&log, "%s/Library/Logs/%s.log", home, o->label);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "unit: allocate memory");
	plist_string(f, 1, "StandardOutPath", o->stdout_path ? o->stdout_path : log);
	plist_string(f, 1, "StandardErrorPath", o->stderr_path ? o->stderr_path : log);
	fputs("</dict>\n</plist>\n", f);
}

int
unit_run_launchd(struct unit_options *o)
{
	const char *home = o->daemon ? NULL : home_dir();
	_cleanup_free_ char *buf = NULL, *path = NULL;
	size_t len = 0;
	FILE *f = unit_open_buf(&buf, &len);

	gen_launchd(f, o, home);
	unit_close_buf(f);
	if (!o->install) {
		unit_emit(buf, len);
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
		unit_mkdir_one(lib);
		unit_mkdir_one(agents);
	}
	unit_write_new_file(path, buf, len, o->force);

	free(buf);
	buf = NULL;
	f = unit_open_buf(&buf, &len);
	if (o->daemon)
		fprintf(f, "%slaunchctl bootstrap system ", geteuid() == 0 ? "" : "sudo ");
	else
		fprintf(f, "launchctl bootstrap gui/%u ", (unsigned)getuid());
	unit_shell_word(f, path);
	fputc('\n', f);
	unit_close_buf(f);
	unit_emit(buf, len);
	return EXIT_OK;
}
