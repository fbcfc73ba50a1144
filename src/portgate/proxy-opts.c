// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy-opts.c - the options of `portgate proxy` (proxy-cli.h): parsed and
 * checked, the login shell of --login-shell, the backend of --to.  CLI code:
 * a bad value is a usage error of `proxy`.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "cli.h"
#include "proxy-cli.h"

static unsigned
parse_count(const char *opt, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > 1000000)
		usage_die("proxy", "bad %s '%s': expected a number from 0 to 1000000", opt, arg);
	return (unsigned)v;
}

static unsigned
parse_workers(const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] < '0' || arg[0] > '9' || v < 1 ||
	    v > MAX_WORKERS)
		usage_die("proxy", "bad --workers '%s': expected a number from 1 to %d", arg,
			  MAX_WORKERS);
	return (unsigned)v;
}

static unsigned
parse_seconds(const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v < 0 || v > 86400)
		usage_die("proxy", "bad %s '%s': expected seconds from 0 to 86400", opt, arg);
	return (unsigned)(v * 1000 + 0.5);
}

void
proxy_parse_options(int argc, char **argv, struct proxy_options *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ "listen", required_argument, NULL, 'l' },
		{ "inherit", no_argument, NULL, 'I' },
		{ "fdname", required_argument, NULL, 'F' },
		{ "launchd", required_argument, NULL, 'L' },
		{ "to", required_argument, NULL, 't' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "drain-timeout", required_argument, NULL, 'D' },
		{ "udp-idle-timeout", required_argument, NULL, 'U' },
		{ "copy", no_argument, NULL, 'C' },
		{ "proxy-protocol", required_argument, NULL, 'P' },
		{ "workers", required_argument, NULL, 'W' },
		{ "login-shell", no_argument, NULL, 'S' },
		KEEPER_LONG_OPTIONS,
		{ 0 },
	};
	int c;

	opterr = 0;
	keeper_options_init(&o->keeper, "proxy");
	while ((c = getopt_long(argc, argv, "+:hu:l:", opts, NULL)) != -1) {
		if (keeper_parse_option(&o->keeper, c, optarg))
			continue;
		switch (c) {
		case 'h':
			print_usage_exit("proxy");
		case 'u':
			o->user = optarg;
			break;
		case 'l':
			o->listen = xreallocarray(o->listen, o->nlisten + 1, sizeof(*o->listen));
			o->listen[o->nlisten++] = optarg;
			break;
		case 'L':
			o->launchd =
				xreallocarray(o->launchd, o->nlaunchd + 1, sizeof(*o->launchd));
			o->launchd[o->nlaunchd++] = optarg;
			break;
		case 'I':
			o->inherit = true;
			break;
		case 'F':
			o->fdname = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'm':
			o->max_connections = parse_count("--max-connections", optarg);
			break;
		case 'i':
			o->idle_timeout_ms = parse_seconds("--idle-timeout", optarg);
			break;
		case 'c':
			o->connect_timeout_ms = parse_seconds("--connect-timeout", optarg);
			break;
		case 'D':
			o->drain_timeout_ms = parse_seconds("--drain-timeout", optarg);
			break;
		case 'U':
			o->udp_idle_timeout_ms = parse_seconds("--udp-idle-timeout", optarg);
			break;
		case 'C':
			o->copy = true;
			break;
		case 'W':
			o->workers = parse_workers(optarg);
			break;
		case 'S':
			o->login_shell = true;
			break;
		case 'P':
			if (strcmp(optarg, "v1") == 0)
				o->proxy_protocol = 1;
			else if (strcmp(optarg, "v2") == 0)
				o->proxy_protocol = 2;
			else
				usage_die("proxy", "bad --proxy-protocol '%s': expected v1 or v2",
					  optarg);
			break;
		case ':':
			usage_die("proxy", "option '%s' needs an argument", argv[optind - 1]);
		default:
			usage_die("proxy", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->argv = argv + optind;
	if ((o->inherit ? 1 : 0) + (o->nlisten > 0) + (o->nlaunchd > 0) > 1)
		usage_die("proxy", "give one of -l SPEC, --launchd NAME or --inherit");
	if (o->fdname != NULL && !o->inherit)
		usage_die("proxy", "--fdname '%s' picks inherited sockets: it needs --inherit",
			  o->fdname);
	if (!o->inherit && o->nlisten == 0 && o->nlaunchd == 0)
		usage_die("proxy",
			  "no sockets to accept on: give -l SPEC, --launchd NAME or --inherit");
	if (o->to == NULL && o->argv == NULL)
		usage_die("proxy", "no backend: give --to unix:PATH or tcp:HOST:PORT, or a PROG");
	keeper_check_options(&o->keeper, false);
	if (o->keeper.keep && o->argv == NULL)
		usage_die("proxy", "--keep keeps PROG running behind the proxy: give a PROG");
	if (o->login_shell && o->argv == NULL)
		usage_die("proxy", "--login-shell runs PROG through a login shell: give a PROG");
}

/*
 * --login-shell: the login shell of whoever runs PROG (USER with -u, else the
 * caller), from the passwd entry.  It must be able to run "exec PROG ARGS"
 * given as positional parameters, so shells that are not POSIX-like, and the
 * ones that refuse logins, are refused here by name.
 */
char *
proxy_resolve_login_shell(struct proxy_options *o, const struct privdrop_target *t)
{
	static const char *const refused[] = { "nologin", "false", "true", "fish", "csh", "tcsh" };
	const char *shell = NULL, *who = o->user;
	struct passwd *pw = NULL;
	char *copy, idbuf[32];
	const char *base;

	if (o->user != NULL) {
		shell = t->shell;
	} else {
		errno = 0;
		pw = getpwuid(geteuid());
		if (pw != NULL) {
			shell = pw->pw_shell;
			who = pw->pw_name;
			o->login_home = strdup(pw->pw_dir);
			o->login_name = strdup(pw->pw_name);
			if (o->login_home == NULL || o->login_name == NULL)
				die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
		}
	}
	if (who == NULL) {
		(void)snprintf(idbuf, sizeof(idbuf), "uid %u", (unsigned)geteuid());
		who = idbuf;
	}
	if (shell == NULL || shell[0] == '\0')
		shell = "/bin/sh"; /* an empty passwd field means sh, as login(1) has it */
	if (shell[0] != '/')
		die(EXIT_NOEXEC,
		    "proxy: --login-shell: %s's login shell '%s' is not an absolute path; fix the "
		    "passwd entry",
		    who, shell);
	base = strrchr(shell, '/') + 1;
	for (size_t i = 0; i < nitems(refused); i++)
		if (strcmp(base, refused[i]) == 0)
			die(EXIT_NOEXEC,
			    "proxy: --login-shell: %s's login shell is %s, which cannot run PROG "
			    "as 'exec \"$0\" \"$@\"'; give %s a POSIX shell (sh, bash, dash, "
			    "ksh, zsh) or drop --login-shell",
			    who, shell, who);
	copy = strdup(shell);
	if (copy == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
	return copy;
}

/*
 * "unix:PATH", "tcp:HOST:PORT" (HOST may be "[v6]"), "unix-dgram:PATH" or
 * "udp:HOST:PORT" into cfg->backend and cfg->backend_type.
 */
void
proxy_parse_backend(const char *to, struct pg_proxy_config *cfg)
{
	bool dgram = strncmp(to, "unix-dgram:", 11) == 0 || strncmp(to, "udp:", 4) == 0;

	cfg->backend_type = dgram ? SOCK_DGRAM : SOCK_STREAM;
	if (strncmp(to, "unix:", 5) == 0 || strncmp(to, "unix-dgram:", 11) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&cfg->backend;
		const char *path = strchr(to, ':') + 1;
		size_t len = strlen(path);

		if (len == 0 || len >= sizeof(un->sun_path))
			usage_die("proxy", "bad --to '%s': the path must have 1 to %zu bytes", to,
				  sizeof(un->sun_path) - 1);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, len + 1);
		cfg->backend_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	} else if (strncmp(to, "tcp:", 4) == 0 || strncmp(to, "udp:", 4) == 0) {
		struct addrinfo hints = { .ai_socktype = dgram ? SOCK_DGRAM : SOCK_STREAM,
					  .ai_flags = AI_NUMERICSERV };
		struct addrinfo *ai = NULL;
		char host[256];
		const char *h = to + 4, *colon = strrchr(h, ':');
		size_t hlen;
		int r;

		if (colon == NULL || colon == h || colon[1] == '\0')
			usage_die("proxy", "bad --to '%s': expected %.3s:HOST:PORT", to, to);
		hlen = (size_t)(colon - h);
		if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
		}
		if (hlen == 0 || hlen >= sizeof(host))
			usage_die("proxy", "bad --to '%s': expected %.3s:HOST:PORT", to, to);
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		r = getaddrinfo(host, colon + 1, &hints, &ai);
		if (r != 0)
			usage_die("proxy", "bad --to '%s': %s", to, gai_strerror(r));
		memcpy(&cfg->backend, ai->ai_addr, ai->ai_addrlen);
		cfg->backend_len = ai->ai_addrlen;
		freeaddrinfo(ai);
	} else {
		usage_die("proxy",
			  "bad --to '%s': expected unix:PATH, tcp:HOST:PORT, unix-dgram:PATH or "
			  "udp:HOST:PORT",
			  to);
	}
}
