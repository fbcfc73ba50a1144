// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy-procs.c - the processes of `portgate proxy` (proxy-cli.h): PROG
 * (started with the backend's address, or kept by a keeper with --keep), the
 * extra workers serving the same sockets, and the signals that drain and stop
 * them all.  CLI code: logs to stderr, dies where a step cannot fail.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "cli.h"
#include "pdeathsig.h"
#include "proxy-cli.h"

extern char **environ;

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

/*
 * --keep: this child becomes the keeper of PROG (keeper.c), which starts it
 * again when it fails (--restart) and replaces it on the SIGHUP the proxy
 * passes on (--ready): it holds no sockets (the proxy holds the front ones,
 * so the port stays bound while PROG is down), ends when PROG ends for good
 * or on the TERM or INT the proxy passes on, and gets TERM if the proxy dies.
 */
static _Noreturn void
run_keeper(const struct proxy_options *o, pid_t parent, char **argv)
{
	int r = pg_parent_death_signal(SIGTERM);

	if (r < 0 && r != -ENOSYS)
		die_errno(EXIT_TEMPFAIL, -r, "proxy: set the parent-death signal of the keeper");
	if (getppid() != parent)
		_exit(EXIT_TEMPFAIL);
	_exit(keeper_run(&o->keeper, 0, argv, environ));
}

pid_t
proxy_start_child(const struct proxy_options *o, const struct privdrop_target *t, bool root,
		  const char *to, struct pg_sigsource *sig)
{
	pid_t parent = getpid(), pid = fork();

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
		if (o->keeper.keep)
			run_keeper(o, parent, args);
		execv(o->shell, args);
		die_errno(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno,
			  "exec the login shell '%s' for '%s'", o->shell, o->argv[0]);
	}
	if (o->keeper.keep)
		run_keeper(o, parent, o->argv);
	execvp(o->argv[0], o->argv);
	die_errno(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno,
		  "exec '%s'", o->argv[0]);
}

/* TERM: close the listening sockets and let the open connections finish. */
void
proxy_start_drain(struct supervisor *s)
{
	if (s->draining)
		return;
	s->draining = true;
	if (s->proxy != NULL)
		pg_proxy_drain(s->proxy, s->drain_timeout_ms);
	for (size_t i = 0; i < s->nfds; i++)
		closep(&s->fds[i]);
}

void
proxy_signal_workers(struct supervisor *s, int sig)
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
			proxy_start_drain(s);
			proxy_signal_workers(s, SIGTERM);
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
int
proxy_on_signal(void *userdata)
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
			proxy_start_drain(s);
			proxy_signal_workers(s, SIGTERM);
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
void
proxy_start_workers(struct supervisor *s, struct pg_proxy_config *cfg, unsigned n)
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
