// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-proxy.c - "portgate proxy [-l SPEC... | --launchd NAME... | --inherit]
 * --to unix:PATH|tcp:HOST:PORT
 * [options] [-- PROG [ARGS...]]": accept on privileged sockets and forward each
 * connection to a local backend, optionally starting and supervising PROG, the
 * server behind it.  Runs as the invoking user; as root with -u both the proxy
 * and PROG become USER once the sockets are bound.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "cli-bind.h"
#include "cli.h"
#include "launchd.h"
#include "log.h"
#include "pdeathsig.h"
#include "portgate.h"
#include "privdrop.h"
#include "sigsource.h"
#include "../proxy/proxy.h"

/* PATH for a program run as another user: the caller's PATH is not USER's to trust. */
#define PROXY_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define BACKEND_NAME	"backend.sock"
#define MAX_WORKERS	64
/* With workers: the connections open in all processes, and how many serve. */
#define SHARED_MAP_SIZE (2 * sizeof(_Atomic unsigned))

struct proxy_options {
	const char *user;
	const char **listen;
	size_t nlisten;
	const char **launchd; /* --launchd NAME... */
	size_t nlaunchd;
	bool inherit;
	const char *fdname; /* --inherit: only the sockets of this LISTEN_FDNAMES name */
	const char *to;
	unsigned max_connections;
	unsigned idle_timeout_ms;
	unsigned connect_timeout_ms;
	unsigned drain_timeout_ms;
	unsigned udp_idle_timeout_ms;
	bool copy;
	int proxy_protocol; /* 0, 1 or 2 */
	unsigned workers;   /* processes serving; 0: the online CPUs */
	bool login_shell;   /* run PROG through its user's login shell */
	char *shell;	    /* that shell, resolved before the fork */
	char *login_home;   /* without -u: the caller's passwd home and name, for login's */
	char *login_name;   /* HOME, USER, LOGNAME (NULL without a passwd entry) */
	char **argv;	    /* PROG ARGS..., NULL without PROG */
};

struct supervisor {
	struct pg_sigsource *sig;
	sigset_t held; /* the source's signals, and USR1 with workers: kept blocked */
	pid_t child;
	int status; /* exit status of the proxy */
	struct pg_proxy *proxy;
	int *fds; /* the listening sockets, closed when draining starts */
	size_t nfds;
	unsigned drain_timeout_ms;
	bool draining;
	bool stopping;	    /* the parent told the workers to stop */
	bool worker_failed; /* a worker ended on its own: exit non-zero */
	pid_t *workers;	    /* the parent's extra workers (0: reaped) */
	size_t nworkers, alive;
	void *count_map; /* with workers: SHARED_MAP_SIZE bytes, shared */
};

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

static void
parse_options(int argc, char **argv, struct proxy_options *o)
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
		{ 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hu:l:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("proxy");
		case 'u':
			o->user = optarg;
			break;
		case 'l':
			o->listen = pg_reallocarray(o->listen, o->nlisten + 1, sizeof(*o->listen));
			if (o->listen == NULL)
				die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
			o->listen[o->nlisten++] = optarg;
			break;
		case 'L':
			o->launchd =
				pg_reallocarray(o->launchd, o->nlaunchd + 1, sizeof(*o->launchd));
			if (o->launchd == NULL)
				die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
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
	if (o->login_shell && o->argv == NULL)
		usage_die("proxy", "--login-shell runs PROG through a login shell: give a PROG");
}

/*
 * --login-shell: the login shell of whoever runs PROG (USER with -u, else the
 * caller), from the passwd entry.  It must be able to run "exec PROG ARGS"
 * given as positional parameters, so shells that are not POSIX-like, and the
 * ones that refuse logins, are refused here by name.
 */
static char *
resolve_login_shell(struct proxy_options *o, const struct privdrop_target *t)
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
static void
parse_backend(const char *to, struct pg_proxy_config *cfg)
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

/*
 * The sockets launchd bound under each --launchd NAME, in order; each must be a
 * listening TCP or a bound UDP socket.
 */
static int *
take_launchd(const struct proxy_options *o, size_t *ret_n)
{
	int *all = NULL;
	size_t nall = 0;

	for (size_t i = 0; i < o->nlaunchd; i++) {
		const char *name = o->launchd[i];
		char msg[512];
		int *fds = NULL, r;
		size_t n = 0;

		r = pg_launchd_sockets(name, &fds, &n);
		if (r < 0 && pg_launchd_strerror(r, name, msg, sizeof(msg)))
			die(EXIT_TEMPFAIL, "proxy: %s", msg);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "proxy: take the launchd sockets of '%s'",
				  name);
		all = pg_reallocarray(all, nall + n, sizeof(*all));
		if (all == NULL)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
		for (size_t k = 0; k < n; k++) {
			const char *problem = pg_launchd_fd_problem(fds[k]);

			if (problem != NULL) {
				free(all); /* LeakSanitizer checks at exit */
				free(fds);
				die(EXIT_TEMPFAIL, "proxy: launchd socket '%s' (%zu of %zu) %s",
				    name, k + 1, n, problem);
			}
			all[nall++] = fds[k];
		}
		free(fds);
	}
	*ret_n = nall;
	return all;
}

/* The sockets to accept on: inherited (socket activation), from launchd, or bound from -l. */
static int *
get_listeners(const struct proxy_options *o, const struct privdrop_target *t, bool root,
	      size_t *ret_n)
{
	int *fds;

	if (o->nlaunchd > 0)
		return take_launchd(o, ret_n);
	if (o->inherit) {
		/* Without LISTEN_FDNAMES the sockets have no names: --fdname takes them all. */
		bool named = o->fdname != NULL && getenv("LISTEN_FDNAMES") != NULL;
		char **names = NULL;
		int n = portgate_listen_fds(1, named ? &names : NULL);
		size_t k = 0;

		if (n < 0)
			die_errno(EXIT_TEMPFAIL, -n, "proxy: take over the inherited sockets");
		if (n == 0)
			die(EXIT_TEMPFAIL,
			    "proxy: --inherit, but no sockets were passed (LISTEN_FDS)");
		fds = calloc((size_t)n, sizeof(*fds));
		if (fds == NULL)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
		for (int i = 0; i < n; i++) {
			int fd = PORTGATE_LISTEN_FDS_START + i, on = 0, type = 0;
			socklen_t len = sizeof(on);

			if (named && strcmp(names[i], o->fdname) != 0) {
				(void)close(fd); /* another name: not ours to serve */
				continue;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
			    (type != SOCK_STREAM && type != SOCK_DGRAM))
				die(EXIT_TEMPFAIL,
				    "proxy: inherited fd %d is not a stream or datagram socket",
				    fd);
			len = sizeof(on);
			if (type == SOCK_DGRAM) {
				fds[k++] = fd; /* bound, nothing to listen */
				continue;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on)
				die(EXIT_TEMPFAIL,
				    "proxy: inherited fd %d is not listening (was the port in "
				    "use?)",
				    fd);
			fds[k++] = fd;
		}
		portgate_free_names(names);
		if (k == 0)
			die(EXIT_TEMPFAIL,
			    "proxy: no inherited socket is named '%s' (LISTEN_FDNAMES)", o->fdname);
		*ret_n = k;
		return fds;
	}

	struct pg_spec *specs = calloc(o->nlisten, sizeof(*specs));
	struct pg_bind *binds = calloc(o->nlisten, sizeof(*binds));

	fds = calloc(o->nlisten, sizeof(*fds));
	if (specs == NULL || binds == NULL || fds == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
	for (size_t i = 0; i < o->nlisten; i++) {
		cli_parse_spec("proxy", o->listen[i], PG_SPEC_SINGLE_PORT, &specs[i]);
		if (pg_spec_to_bind(&specs[i], &binds[i]) < 0)
			usage_die("proxy", "bad listen spec '%s': not a single address",
				  o->listen[i]);
		if (binds[i].proto != PG_PROTO_TCP && binds[i].proto != PG_PROTO_UDP)
			usage_die("proxy", "bad listen spec '%s': only tcp and udp are proxied",
				  o->listen[i]);
	}
	if (root && o->user != NULL) {
		struct pg_policy *policy = cli_load_policy();

		for (size_t i = 0; i < o->nlisten; i++)
			cli_judge_bind(policy, t, &binds[i], o->listen[i],
				       t->name ? t->name : o->user);
		pg_policy_free(policy);
	}
	for (size_t i = 0; i < o->nlisten; i++)
		fds[i] = cli_bind_listen(o->listen[i], &specs[i], &binds[i], root);
	free(specs);
	free(binds);
	*ret_n = o->nlisten;
	return fds;
}

/* A fresh 0700 directory for the backend socket, owned by whoever runs PROG. */
static char *
make_private_dir(const struct proxy_options *o, const struct privdrop_target *t, bool root)
{
	const char *base = o->user == NULL ? getenv("XDG_RUNTIME_DIR") : NULL;
	char *dir;

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	if (asprintf(&dir, "%s/portgate-proxy.XXXXXX", base) < 0)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
	if (mkdtemp(dir) == NULL)
		die_errno(EXIT_TEMPFAIL, errno, "proxy: create a private directory in '%s'", base);
	if (root && o->user != NULL && chown(dir, t->cred.uid, t->cred.gid) < 0) {
		int err = errno;

		(void)rmdir(dir);
		die_errno(EXIT_TEMPFAIL, err, "proxy: give '%s' to '%s'", dir, o->user);
	}
	return dir;
}

static void
child_env(const struct proxy_options *o, const struct privdrop_target *t, const char *to)
{
	static const char *const drop[] = { "LISTEN_PID",
					    "LISTEN_FDS",
					    "LISTEN_FDNAMES",
					    "LISTEN_PIDFDID",
					    "LAUNCH_PROGRAM_SOCKET_PATH",
					    "LAUNCH_PROGRAM_TCP_ADDRESS" };
	int r = 0;

	if (o->user != NULL) {
		const char *term = getenv("TERM");
		char *term_copy = term ? strdup(term) : NULL;

		(void)pg_clearenv();
		r |= setenv("PATH", PROXY_SAFE_PATH, 1);
		if (t->name != NULL) {
			r |= setenv("HOME", t->home ? t->home : "/", 1);
			r |= setenv("USER", t->name, 1);
			r |= setenv("LOGNAME", t->name, 1);
			r |= setenv("SHELL", t->shell ? t->shell : "/bin/sh", 1);
		}
		if (term_copy != NULL)
			r |= setenv("TERM", term_copy, 1);
		free(term_copy);
	}
	if (o->login_shell && o->user == NULL && o->login_name != NULL) {
		/* What login(1) sets; with -u it is set above. */
		r |= setenv("HOME", o->login_home, 1);
		r |= setenv("USER", o->login_name, 1);
		r |= setenv("LOGNAME", o->login_name, 1);
	}
	if (o->login_shell)
		r |= setenv("SHELL", o->shell, 1);
	for (size_t i = 0; i < nitems(drop); i++)
		(void)unsetenv(drop[i]);
	r |= setenv("PORTGATE_BACKEND", to, 1);
	if (strncmp(to, "unix:", 5) == 0 || strncmp(to, "unix-dgram:", 11) == 0)
		r |= setenv("LAUNCH_PROGRAM_SOCKET_PATH", strchr(to, ':') + 1, 1);
	else
		r |= setenv("LAUNCH_PROGRAM_TCP_ADDRESS", to + 4, 1);
	if (r != 0)
		die_errno(EXIT_TEMPFAIL, errno, "proxy: set the environment of '%s'", o->argv[0]);
}

static pid_t
start_child(const struct proxy_options *o, const struct privdrop_target *t, bool root,
	    const char *to, struct pg_sigsource *sig)
{
	pid_t pid = fork();

	if (pid < 0)
		die_errno(EXIT_TEMPFAIL, errno, "proxy: fork for '%s'", o->argv[0]);
	if (pid > 0)
		return pid;
	/* The child: PROG. */
	if (root && o->user != NULL)
		privdrop_become(t, t->name ? t->name : o->user);
	child_env(o, t, to);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)pg_sigsource_detach(sig, NULL); /* the mask and dispositions we were given */
	if (o->login_shell) {
		/*
		 * SHELL -l -c 'exec "$0" "$@"' PROG ARGS...: the profile sets up
		 * the environment (PATH...), then the shell becomes PROG.  PROG
		 * and ARGS are positional parameters, never parsed as shell text.
		 */
		size_t n = 0;
		char **args;

		while (o->argv[n] != NULL)
			n++;
		args = calloc(n + 5, sizeof(*args));
		if (args == NULL)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
		args[0] = o->shell;
		args[1] = (char *)"-l";
		args[2] = (char *)"-c";
		args[3] = (char *)"exec \"$0\" \"$@\"";
		memcpy(args + 4, o->argv, (n + 1) * sizeof(*args));
		execv(o->shell, args);
		die_errno(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno,
			  "exec the login shell '%s' for '%s'", o->shell, o->argv[0]);
	}
	execvp(o->argv[0], o->argv);
	die_errno(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno,
		  "exec '%s'", o->argv[0]);
}

/* TERM: close the listening sockets and let the open connections finish. */
static void
start_drain(struct supervisor *s)
{
	if (s->draining)
		return;
	s->draining = true;
	if (s->proxy != NULL)
		pg_proxy_drain(s->proxy, s->drain_timeout_ms);
	for (size_t i = 0; i < s->nfds; i++)
		closep(&s->fds[i]);
}

static void
signal_workers(struct supervisor *s, int sig)
{
	for (size_t i = 0; i < s->nworkers; i++)
		if (s->workers[i] > 0)
			(void)kill(s->workers[i], sig);
}

/*
 * Reap PROG and the workers.  A worker that ends before the parent drains or
 * stops is a failure: log it, drain everything (PROG gets TERM) and exit
 * non-zero; the service manager restarts the whole proxy.
 */
static int
reap_children(struct supervisor *s)
{
	int st, stop = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == s->child) {
			s->status = WIFEXITED(st)     ? WEXITSTATUS(st)
				    : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
						      : EXIT_TEMPFAIL;
			s->child = -1;
			stop = !s->draining;
			continue;
		}
		for (size_t i = 0; i < s->nworkers; i++) {
			bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;

			if (s->workers[i] != pid)
				continue;
			s->workers[i] = 0;
			s->alive--;
			if (clean && (s->draining || s->stopping))
				break;
			if (WIFSIGNALED(st))
				warnx("proxy: worker %zu (pid %d) was killed by signal %d; "
				      "draining "
				      "and exiting",
				      i + 1, (int)pid, WTERMSIG(st));
			else
				warnx("proxy: worker %zu (pid %d) exited with status %d; draining "
				      "and exiting",
				      i + 1, (int)pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			s->worker_failed = true;
			start_drain(s);
			signal_workers(s, SIGTERM);
			if (s->child > 0)
				(void)kill(s->child, SIGTERM);
			break;
		}
	}
	return stop;
}

/*
 * Signals: forward TERM/INT/HUP to PROG; TERM also starts a drain (in the
 * workers too).  Stop when PROG ends (once a drain is over: pg_proxy_run()
 * returns then), or without PROG on INT.  A worker stops on USR1 from the
 * parent.
 */
static int
on_signal(void *userdata)
{
	struct supervisor *s = userdata;
	int sig, stop = 0;

	while ((sig = pg_sigsource_read(s->sig)) > 0) {
		if (sig == SIGCHLD) {
			stop |= reap_children(s);
			continue;
		}
		if (sig == SIGUSR1) {
			s->status = EXIT_OK;
			stop = 1;
			continue;
		}
		if (sig == SIGTERM) {
			start_drain(s);
			signal_workers(s, SIGTERM);
		}
		if (s->child > 0) {
			(void)kill(s->child, sig);
		} else if (sig == SIGINT) {
			s->status = EXIT_OK;
			stop = 1;
		}
	}
	return stop;
}

static void
log_cb(void *userdata, int level, int err, const char *msg)
{
	if (level >= PG_PROXY_LOG_INFO && !cli.verbose)
		return;
	if (level == PG_PROXY_LOG_DEBUG && cli.verbose < 2)
		return;
	if (err != 0)
		warnx("proxy: %s: %s", msg, strerror(err));
	else
		warnx("proxy: %s", msg);
}

/* As many fds as we may have: each connection needs six. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * A worker: the same loop on the same listening sockets; never returns.  It
 * keeps the parent's signals blocked (INT from a Ctrl-C to the process group
 * is the parent's to handle) and takes TERM and USR1 itself, including any
 * that came before its source was open.
 */
static _Noreturn void
run_worker(size_t idx, pid_t parent, const struct pg_proxy_config *pcfg, struct supervisor *psup)
{
	struct supervisor w = { .child = -1,
				.status = EXIT_OK,
				.fds = psup->fds,
				.nfds = psup->nfds,
				.drain_timeout_ms = psup->drain_timeout_ms };
	struct pg_proxy_config cfg = *pcfg;
	struct pg_proxy *proxy = NULL;
	sigset_t mask;
	int r;

	/*
	 * Without the parent nobody would stop us: drain then.  Where the
	 * platform cannot (-ENOSYS), launchd or the terminal ends the group.
	 */
	(void)pg_parent_death_signal(SIGTERM);
	if (getppid() != parent)
		_exit(EXIT_TEMPFAIL);
	r = pg_sigsource_detach(psup->sig, &psup->held);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	if (r == 0)
		r = pg_sigsource_open(&mask, &w.sig);
	if (r < 0) {
		warnx("proxy: worker %zu: watch for signals: %s", idx, strerror(-r));
		_exit(EXIT_TEMPFAIL);
	}
	cfg.event_fd = pg_sigsource_fd(w.sig);
	cfg.userdata = &w;
	r = pg_proxy_new(&cfg, &proxy);
	w.proxy = proxy;
	if (r == 0)
		r = pg_proxy_run(proxy);
	pg_proxy_free(proxy);
	if (r < 0) {
		warnx("proxy: worker %zu: %s", idx, strerror(-r));
		_exit(EXIT_TEMPFAIL);
	}
	_exit(w.status);
}

/* The extra workers, after the privileges are dropped; they share the connection count. */
static void
start_workers(struct supervisor *s, struct pg_proxy_config *cfg, unsigned n)
{
	_Atomic unsigned *shared; /* the connections open in all, the processes serving */
	pid_t self = getpid();

	if (n <= 1)
		return;
	s->count_map = mmap(NULL, SHARED_MAP_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->count_map == MAP_FAILED)
		die_errno(EXIT_TEMPFAIL, errno, "proxy: map the shared connection count");
	shared = s->count_map;
	atomic_init(&shared[0], 0);
	atomic_init(&shared[1], 1); /* counted up as the workers start */
	cfg->shared_count = &shared[0];
	cfg->shared_workers = &shared[1];
	s->workers = calloc(n - 1, sizeof(*s->workers));
	if (s->workers == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
	for (size_t i = 0; i < n - 1; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			warnx("proxy: fork worker %zu: %s; serving with %zu processes", i + 1,
			      strerror(errno), i + 1);
			break;
		}
		if (pid == 0)
			run_worker(i + 1, self, cfg, s);
		s->workers[i] = pid;
		s->nworkers = i + 1;
		s->alive++;
		atomic_fetch_add(&shared[1], 1);
	}
}

int
cmd_proxy(int argc, char **argv)
{
	struct proxy_options o = { .max_connections = 1024,
				   .connect_timeout_ms = 10000,
				   .drain_timeout_ms = 10000,
				   .udp_idle_timeout_ms = 60000 };
	struct pg_proxy_config cfg = { .event_fd = -1 };
	struct privdrop_target t = { 0 };
	struct supervisor sup = { .child = -1, .status = EXIT_OK };
	struct pg_proxy *proxy = NULL;
	_cleanup_free_ char *dir = NULL, *to_buf = NULL;
	const char *to;
	sigset_t mask;
	size_t nlisten;
	int *fds, r;
	bool root;
	long ncpu;

	if (getuid() != geteuid() || getgid() != getegid())
		die(EXIT_DENIED, "proxy: refusing to run set-user-ID or set-group-ID");
	root = geteuid() == 0;
	parse_options(argc, argv, &o);
	if (o.user != NULL) {
		if (o.argv == NULL)
			usage_die("proxy", "-u USER needs a PROG to run as USER");
		privdrop_resolve("proxy", o.user, &t);
		if (!root && (t.cred.uid != getuid() || t.cred.gid != getgid()))
			die(EXIT_DENIED,
			    "proxy: only root can run a program as another user or group ('%s')",
			    o.user);
	}
	if (o.login_shell)
		o.shell = resolve_login_shell(&o, &t);
	raise_nofile();
	fds = get_listeners(&o, &t, root, &nlisten);

	to = o.to;
	if (to == NULL) {
		dir = make_private_dir(&o, &t, root);
		if (asprintf(&to_buf, "unix:%s/%s", dir, BACKEND_NAME) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
		to = to_buf;
	}
	parse_backend(to, &cfg);
	for (size_t i = 0; i < nlisten; i++) {
		int type = 0;
		socklen_t len = sizeof(type);

		if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		    type != cfg.backend_type)
			usage_die("proxy", "%s listening socket needs a %s backend, not '%s'%s",
				  type == SOCK_DGRAM ? "a udp" : "a stream",
				  type == SOCK_DGRAM ? "datagram" : "stream", to,
				  type == SOCK_DGRAM ? " (--to udp:HOST:PORT or unix-dgram:PATH)"
						     : "");
	}

	if (o.workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		o.workers = ncpu < 1 ? 1 : ncpu > MAX_WORKERS ? MAX_WORKERS : (unsigned)ncpu;
	}
	/* Datagram sessions live in one process: a datagram backend gets one worker. */
	if (cfg.backend_type == SOCK_DGRAM)
		o.workers = 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (o.argv != NULL || o.workers > 1)
		sigaddset(&mask, SIGCHLD);
	if (o.argv != NULL)
		sigaddset(&mask, SIGHUP);
	r = pg_sigsource_open(&mask, &sup.sig);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "proxy: watch for signals");
	if (o.argv != NULL)
		sup.child = start_child(&o, &t, root, to, sup.sig);
	sup.held = mask;
	if (o.workers > 1) {
		/* Blocked before the fork, so that it waits for the worker's own source. */
		sigset_t usr1;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigaddset(&sup.held, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0)
			die_errno(EXIT_TEMPFAIL, errno, "proxy: block signals");
	}
	(void)signal(SIGPIPE, SIG_IGN);
	/* The proxy needs nothing root has once the sockets are bound. */
	if (root && o.user != NULL)
		privdrop_become(&t, t.name ? t.name : o.user);

	cfg.listen_fds = fds;
	cfg.nlisten = nlisten;
	cfg.max_connections = o.max_connections;
	cfg.idle_timeout_ms = o.idle_timeout_ms;
	cfg.connect_timeout_ms = o.connect_timeout_ms;
	cfg.udp_idle_timeout_ms = o.udp_idle_timeout_ms;
	cfg.copy = o.copy;
	cfg.proxy_protocol = o.proxy_protocol;
	cfg.check_owner = o.argv != NULL;
	cfg.owner_uid = o.user != NULL ? t.cred.uid : geteuid();
	cfg.event_fd = pg_sigsource_fd(sup.sig);
	cfg.event = on_signal;
	cfg.log = log_cb;
	cfg.userdata = &sup;

	sup.fds = fds;
	sup.nfds = nlisten;
	sup.drain_timeout_ms = o.drain_timeout_ms;
	start_workers(&sup, &cfg, o.workers);
	r = pg_proxy_new(&cfg, &proxy);
	sup.proxy = proxy;
	if (r == 0)
		r = pg_proxy_run(proxy);
	pg_proxy_free(proxy);
	sup.proxy = NULL;
	/* Stopping without a drain: the workers stop too. */
	if (!sup.draining) {
		sup.stopping = true;
		signal_workers(&sup, SIGUSR1);
	}
	/* The drain is over: now wait for PROG and the workers, still forwarding signals. */
	while (r == 0 && (sup.child > 0 || sup.alive > 0)) {
		struct pollfd pfd = { .fd = pg_sigsource_fd(sup.sig), .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		(void)on_signal(&sup);
	}
	if (r < 0) {
		if (sup.child > 0)
			(void)kill(sup.child, SIGTERM);
		warnx("proxy: %s", strerror(-r));
		sup.status = EXIT_TEMPFAIL;
	}
	sup.stopping = true;
	for (size_t i = 0; i < sup.nworkers; i++) {
		if (sup.workers[i] <= 0)
			continue;
		(void)kill(sup.workers[i], SIGUSR1);
		(void)waitpid(sup.workers[i], NULL, 0);
	}
	if (sup.worker_failed)
		sup.status = EXIT_TEMPFAIL;
	free(sup.workers);
	if (sup.count_map != NULL)
		(void)munmap(sup.count_map, SHARED_MAP_SIZE);
	for (size_t i = 0; i < nlisten; i++)
		closep(&fds[i]);
	free(fds);
	free(o.listen);
	free(o.launchd);
	free(o.shell);
	free(o.login_home);
	free(o.login_name);
	free(t.name);
	free(t.home);
	free(t.shell);
	if (dir != NULL) {
		(void)unlink(to + 5);
		(void)rmdir(dir);
	}
	/* Signals that come from now on are held, as the exit status is decided. */
	(void)pg_sigsource_detach(sup.sig, &sup.held);
	return sup.status;
}

/*
 * The launch_socket_server drop-in (portgate invoked under that name):
 * "launch_socket_server PROG [ARGS...]" or "launch_socket_server -", mapped
 * onto "portgate proxy --inherit --fdname NAME [--to ...] [-- PROG ARGS...]"
 * when sockets were passed by socket activation (LISTEN_FDS: those named
 * $LAUNCH_DAEMON_SOCKET_NAME, default "Socket", in LISTEN_FDNAMES, or all of
 * them when there are no names), else onto "portgate proxy --launchd NAME
 * ...": launchd's sockets of that name, as the original takes them.  The backend is
 * $LAUNCH_PROGRAM_TCP_ADDRESS (HOST:PORT, first), else $LAUNCH_PROGRAM_SOCKET_PATH, else a socket
 * in a fresh private directory told to PROG.  $PORTGATE_PROXY_PROTOCOL=v1|v2 sends the client's
 * address.  $PORTGATE_LOGIN_SHELL=1, or a PROG that is the original's login_wrapper helper
 * (".../launch_socket_server/login_wrapper", which need not exist), runs PROG through the user's
 * login shell
 * (--login-shell).  Runs as the invoking user (launchd's UserName).
 */

#define LSS_EXIT_USAGE 1 /* launch_socket_server's status for usage errors */

/* PROG is the original's helper, as its README has it: "launch_socket_server login_wrapper PROG".
 */
static bool
is_login_wrapper(const char *prog)
{
	static const char suffix[] = "launch_socket_server/login_wrapper";
	size_t len = strlen(prog);

	return strcmp(prog, "login_wrapper") == 0 ||
	       (len >= sizeof(suffix) && prog[len - sizeof(suffix)] == '/' &&
		strcmp(prog + len - (sizeof(suffix) - 1), suffix) == 0);
}

int
cmd_launch_socket_server(int argc, char **argv)
{
	char *name = getenv("LAUNCH_DAEMON_SOCKET_NAME");
	const char *tcp = getenv("LAUNCH_PROGRAM_TCP_ADDRESS");
	const char *path = getenv("LAUNCH_PROGRAM_SOCKET_PATH");
	char *pp = getenv("PORTGATE_PROXY_PROTOCOL");
	const char *ls = getenv("PORTGATE_LOGIN_SHELL");
	bool login = ls != NULL && ls[0] != '\0' && strcmp(ls, "0") != 0;
	_cleanup_free_ char *to = NULL;
	char **args;
	int n = 0, first = 1;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: %s <program> [<arg> ...]\n"
			"       %s -\n"
			"Forward connections on the sockets named $LAUNCH_DAEMON_SOCKET_NAME "
			"(default Socket)\nto $LAUNCH_PROGRAM_TCP_ADDRESS or "
			"$LAUNCH_PROGRAM_SOCKET_PATH; see portgate(1).\n",
			argv[0], argv[0]);
		return argc < 2 ? LSS_EXIT_USAGE : EXIT_OK;
	}
	if (name == NULL || name[0] == '\0') {
		name = (char *)"Socket";
		if (setenv("LAUNCH_DAEMON_SOCKET_NAME", name, 1) < 0)
			die_errno(EXIT_TEMPFAIL, errno,
				  "launch_socket_server: set the environment");
	}
	if (tcp != NULL && tcp[0] != '\0') {
		if (asprintf(&to, "tcp:%s", tcp) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "launch_socket_server: allocate memory");
	} else if (path != NULL && path[0] != '\0') {
		if (asprintf(&to, "unix:%s", path) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "launch_socket_server: allocate memory");
	} else if (strcmp(argv[1], "-") == 0) {
		die(LSS_EXIT_USAGE,
		    "launch_socket_server: please set LAUNCH_PROGRAM_TCP_ADDRESS or "
		    "LAUNCH_PROGRAM_SOCKET_PATH");
	}

	if (strcmp(argv[1], "-") != 0 && is_login_wrapper(argv[1])) {
		if (argc < 3)
			die(LSS_EXIT_USAGE, "launch_socket_server: %s needs a program to run",
			    argv[1]);
		login = true;
		first = 2;
	}

	/*
	 * proxy --inherit --fdname NAME | --launchd NAME, [--to TO]
	 * [--proxy-protocol V] [--login-shell] [-- PROG ARGS...]
	 */
	args = calloc((size_t)argc + 11, sizeof(*args));
	if (args == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "launch_socket_server: allocate memory");
	args[n++] = (char *)"proxy";
	if (getenv("LISTEN_FDS") != NULL) {
		args[n++] = (char *)"--inherit";
		args[n++] = (char *)"--fdname";
	} else {
		args[n++] = (char *)"--launchd";
	}
	args[n++] = name;
	if (to != NULL) {
		args[n++] = (char *)"--to";
		args[n++] = to;
	}
	if (pp != NULL && pp[0] != '\0') {
		args[n++] = (char *)"--proxy-protocol";
		args[n++] = pp;
	}
	if (login && strcmp(argv[1], "-") != 0)
		args[n++] = (char *)"--login-shell";
	if (strcmp(argv[1], "-") != 0) {
		args[n++] = (char *)"--";
		for (int i = first; i < argc; i++)
			args[n++] = argv[i];
	}
	args[n] = NULL;
	optind = 0;
	n = cmd_proxy(n, args);
	free(args);
	return n;
}
