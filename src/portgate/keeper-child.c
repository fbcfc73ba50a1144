// SPDX-License-Identifier: BSD-2-Clause
/*
 * keeper-child.c - the keeper's children (keeper-impl.h): PROG forked with
 * the sockets and its environment, stopped with the stop signal (SIGKILL
 * later, from keeper.c's timers), and what a PROG that ended left behind.
 * CLI code: logs one line per event to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "cli.h"
#include "clock.h"
#include "keeper-impl.h"
#include "listen-fds-send.h"
#include "pdeathsig.h"

extern char **environ;

/* "exited with status N" or "was killed by signal N (SIGX)". */
const char *
keeper_describe(int st, char buf[static 64])
{
	char name[16];

	if (WIFEXITED(st))
		(void)snprintf(buf, 64, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		(void)snprintf(buf, 64, "was killed by %s%s", keeper_signame(WTERMSIG(st), name),
			       WCOREDUMP(st) ? " (core dumped)" : "");
	else
		(void)snprintf(buf, 64, "ended (wait status %#x)", (unsigned)st);
	return buf;
}

/* PROG's exit status as ours: its own, or 128 + N for signal N, as a shell says it. */
int
keeper_exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_TEMPFAIL;
}

/* In the child, after fork(): never returns. */
_noreturn_ static void
child_fail(int code, int err, const char *what, const char *prog)
{
	warnx("keep: %s '%s': %s", what, prog, strerror(err));
	_exit(code);
}

_noreturn_ static void
child_exec(struct keeper *k)
{
	char digits[24], *p = digits + sizeof(digits);
	unsigned long pid = (unsigned long)getpid();
	int r;

	/* The keeper ends (even by SIGKILL) → PROG gets SIGTERM; it may be gone already. */
	r = pg_parent_death_signal(SIGTERM);
	if (r < 0 && r != -ENOSYS)
		child_fail(EXIT_TEMPFAIL, -r, "set the parent-death signal for", k->argv[0]);
	if (getppid() != k->self)
		_exit(EXIT_TEMPFAIL);
	/* A stop signal sent before this point is pending, and is delivered now. */
	(void)pg_sigsource_detach(k->sig, NULL);
	for (size_t i = 0; i < k->nfds; i++)
		if (fcntl(PG_LISTEN_FDS_START + (int)i, F_SETFD, 0) < 0)
			child_fail(EXIT_TEMPFAIL, errno, "hand the sockets to", k->argv[0]);
	/* LISTEN_PID is this child's pid, written into the environment built for it. */
	*--p = '\0';
	do
		*--p = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	(void)snprintf(k->listen_pid, sizeof(k->listen_pid), "LISTEN_PID=%s", p);
	if (k->o->ready == KEEP_READY_ADOPT)
		(void)snprintf(k->notify_env, sizeof(k->notify_env), "%s=%s:%s",
			       PG_ADOPT_NOTIFY_ENV, p, k->notify_addr);
	environ = k->envp;
	execvp(k->argv[0], k->argv);
	child_fail(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno, "exec",
		   k->argv[0]);
}

/* Fork PROG into c: 0, or -errno (logged) when fork() failed. */
int
keeper_start_prog(struct keeper *k, struct child *c)
{
	pid_t pid = fork();

	if (pid < 0) {
		int r = -errno;

		warnx("keep: fork for '%s': %s", k->argv[0], strerror(-r));
		return r;
	}
	if (pid == 0)
		child_exec(k);
	*c = (struct child){ .pid = pid, .started = pg_now_us() };
	if (cli.verbose)
		warnx("keep: started '%s' as pid %d", k->argv[0], (int)pid);
	return 0;
}

/* Send c the stop signal; it joins the stopping ones, SIGKILL after --stop-timeout. */
void
keeper_stop_prog(struct keeper *k, struct child *c)
{
	struct child *old;

	if (c->pid <= 0)
		return;
	(void)kill(c->pid, k->o->stop_signal);
	old = pg_reallocarray(k->old, k->nold + 1, sizeof(*k->old));
	if (old == NULL) {
		/* Cannot keep track of it: end it now rather than let it linger. */
		(void)kill(c->pid, SIGKILL);
	} else {
		k->old = old;
		k->old[k->nold] = *c;
		k->old[k->nold++].deadline = pg_now_us() + k->o->stop_timeout_us;
	}
	c->pid = 0;
}

static bool
keeper_is_old(const struct keeper *k, pid_t pid)
{
	for (size_t i = 0; i < k->nold; i++)
		if (k->old[i].pid == pid)
			return true;
	return false;
}

/*
 * The keeper is the subreaper of PROG's descendants (Linux): what a PROG that
 * ended left behind is now a child of the keeper (nginx's workers when the
 * master was killed: they would go on serving, orphans of a dead
 * generation).  Each gets the stop signal, then SIGKILL after --stop-timeout,
 * as a PROG does.  Without /proc there is nothing to find.
 */
void
keeper_stop_orphans(struct keeper *k)
{
	char path[64], name[16];
	FILE *f;
	long pid;

	(void)snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)k->self);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fscanf(f, "%ld", &pid) == 1) {
		struct child c = { .pid = (pid_t)pid, .started = pg_now_us(), .orphan = true };

		if (pid <= 0 || pid == k->cur.pid || pid == k->next.pid ||
		    keeper_is_old(k, (pid_t)pid))
			continue;
		warnx("keep: pid %ld was left behind by a PROG that ended; stopping it with %s",
		      pid, keeper_signame(k->o->stop_signal, name));
		keeper_stop_prog(k, &c);
	}
	(void)fclose(f);
}

/*
 * PROG's environment: envp without LISTEN_PID and the notify variables, then
 * ours.  LISTEN_PID goes with LISTEN_FDS: not for `run --adopt` (PROG knows
 * nothing of it) nor for the keeper of `proxy --keep` (no sockets).
 */
int
keeper_build_env(struct keeper *k, char **envp)
{
	size_t n = 0, m = 0;
	bool listen_fds = false;

	while (envp[n] != NULL)
		n++;
	k->envp = calloc(n + 3, sizeof(*k->envp));
	if (k->envp == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		listen_fds = listen_fds || strncmp(envp[i], "LISTEN_FDS=", 11) == 0;
		if (strncmp(envp[i], "LISTEN_PID=", 11) != 0 &&
		    strncmp(envp[i], "NOTIFY_SOCKET=", 14) != 0 &&
		    strncmp(envp[i], PG_ADOPT_NOTIFY_ENV "=", sizeof(PG_ADOPT_NOTIFY_ENV)) != 0)
			k->envp[m++] = envp[i];
	}
	if (listen_fds)
		k->envp[m++] = k->listen_pid;
	if (k->notify_fd >= 0)
		k->envp[m++] = k->notify_env;
	return 0;
}

/*
 * Close every fd from first on: what portgate inherited is not the keeper's
 * to hold for the life of the service (a pipe of whoever started it, say).
 */
void
keeper_close_from(int first)
{
	long max;

	if (pg_close_range((unsigned)first, ~0U, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (long fd = first; fd < max; fd++)
		(void)close((int)fd);
}
