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
#include "proxy-cli.h"
#include "launchd.h"
#include "log.h"
#include "pdeathsig.h"
#include "portgate.h"
#include "privdrop.h"
#include "sigsource.h"
#include "../proxy/proxy.h"

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
		all = xreallocarray(all, nall + n, sizeof(*all));
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
	proxy_parse_options(argc, argv, &o);
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
		o.shell = proxy_resolve_login_shell(&o, &t);
	raise_nofile();
	fds = get_listeners(&o, &t, root, &nlisten);

	to = o.to;
	if (to == NULL) {
		dir = make_private_dir(&o, &t, root);
		if (asprintf(&to_buf, "unix:%s/%s", dir, BACKEND_NAME) < 0)
			die_errno(EXIT_TEMPFAIL, ENOMEM, "proxy: allocate memory");
		to = to_buf;
	}
	proxy_parse_backend(to, &cfg);
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
		sup.child = proxy_start_child(&o, &t, root, to, sup.sig);
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
	cfg.event = proxy_on_signal;
	cfg.log = log_cb;
	cfg.userdata = &sup;

	sup.fds = fds;
	sup.nfds = nlisten;
	sup.drain_timeout_ms = o.drain_timeout_ms;
	proxy_start_workers(&sup, &cfg, o.workers);
	r = pg_proxy_new(&cfg, &proxy);
	sup.proxy = proxy;
	if (r == 0)
		r = pg_proxy_run(proxy);
	pg_proxy_free(proxy);
	sup.proxy = NULL;
	/* Stopping without a drain: the workers stop too. */
	if (!sup.draining) {
		sup.stopping = true;
		proxy_signal_workers(&sup, SIGUSR1);
	}
	/* The drain is over: now wait for PROG and the workers, still forwarding signals. */
	while (r == 0 && (sup.child > 0 || sup.alive > 0)) {
		struct pollfd pfd = { .fd = pg_sigsource_fd(sup.sig), .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		(void)proxy_on_signal(&sup);
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
