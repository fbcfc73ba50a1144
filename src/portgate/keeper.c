// SPDX-License-Identifier: BSD-2-Clause
/*
 * keeper.c - `portgate run --keep`: portgate stays the parent ("keeper") of
 * PROG for the life of the service.  It holds the listening sockets, so a
 * connection that comes while PROG is down waits in the backlog and nobody
 * else can bind the port; it starts PROG again when it ends (--restart, with
 * a doubling back-off), replaces it on SIGHUP once the new one is ready
 * (--ready), and stops it on SIGTERM/SIGINT.  One event loop (evloop.h) over
 * the signals (sigsource.h) and the notify socket (notify-recv.h); children
 * are reaped there.  Runs as the user of -u: it needs no privilege to hold
 * fds and fork.  Logs one line per event to stderr.
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
#include "evloop.h"
#include "keeper.h"
#include "listen-fds-send.h"
#include "notify-recv.h"
#include "pdeathsig.h"
#include "sigsource.h"

extern char **environ;

#define USEC		  1000000ULL
#define KEEP_DELAY_CAP_US (30 * USEC) /* the back-off stops doubling here */
#define KEEP_RESET_US	  (10 * USEC) /* a run this long resets the back-off */
#define KEEP_NOTIFY_BURST 64	      /* notify messages read per wakeup */
#define KEEP_IGNORED_LOGS 10	      /* messages from strangers logged, then every 1000th */

struct child {
	pid_t pid;	   /* 0: none */
	uint64_t started;  /* pg_now_us() at fork */
	uint64_t deadline; /* ready-by for next, SIGKILL-at for a stopping one; 0: none */
};

struct keeper {
	const struct keeper_options *o;
	char **argv;
	char **envp;
	size_t nfds;
	char listen_pid[32]; /* "LISTEN_PID=N", completed in each child */
	char notify_env[sizeof("NOTIFY_SOCKET=") + PG_NOTIFY_ADDR_MAX];
	struct pg_sigsource *sig;
	sigset_t mask; /* the signals sig takes */
	int evfd, notify_fd;
	pid_t self;
	struct child cur;  /* the PROG that serves */
	struct child next; /* the one started by SIGHUP, until it is ready */
	struct child *old; /* stopping: the stop signal sent, SIGKILL at deadline */
	size_t nold;
	uint64_t restart_at; /* start cur then; 0: no restart pending */
	uint64_t delay;	     /* the next back-off */
	pid_t final_pid;     /* stopping: the PROG whose status is ours */
	bool stopping;	     /* SIGTERM/SIGINT came */
	bool done;	     /* PROG ended and is not restarted */
	int status;
	unsigned long ignored;
};

/* "exited with status N" or "was killed by signal N (SIGX)". */
static const char *
describe(int st, char buf[static 64])
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
static int
exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_TEMPFAIL;
}

static double
secs(uint64_t us)
{
	return (double)us / (double)USEC;
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
	environ = k->envp;
	execvp(k->argv[0], k->argv);
	child_fail(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC, errno, "exec",
		   k->argv[0]);
}

/* Fork PROG into c: 0, or -errno (logged) when fork() failed. */
static int
start_prog(struct keeper *k, struct child *c)
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
static void
stop_prog(struct keeper *k, struct child *c)
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

static void
schedule_restart(struct keeper *k, uint64_t now)
{
	uint64_t cap = k->o->restart_delay_us > KEEP_DELAY_CAP_US ? k->o->restart_delay_us
								  : KEEP_DELAY_CAP_US;

	k->restart_at = now + k->delay;
	k->delay = k->delay * 2 > cap ? cap : k->delay * 2;
}

/* The new PROG is ready: it serves from now on, the old one is stopped. */
static void
promote(struct keeper *k, const char *how)
{
	char name[16];

	if (k->cur.pid > 0)
		warnx("keep: new PROG pid %d is ready (%s); stopping the old pid %d with %s",
		      (int)k->next.pid, how, (int)k->cur.pid,
		      keeper_signame(k->o->stop_signal, name));
	else
		warnx("keep: new PROG pid %d is ready (%s)", (int)k->next.pid, how);
	stop_prog(k, &k->cur);
	k->cur = k->next;
	k->cur.deadline = 0;
	k->next.pid = 0;
}

static void
cur_ended(struct keeper *k, int st, uint64_t now)
{
	const char *policy = keeper_restart_names[k->o->restart];
	uint64_t ran = now - k->cur.started;
	pid_t pid = k->cur.pid;
	bool failed = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	char how[64];

	describe(st, how);
	k->cur.pid = 0;
	if (k->next.pid > 0) {
		warnx("keep: PROG pid %d %s during a replacement; the new pid %d serves now",
		      (int)pid, how, (int)k->next.pid);
		k->cur = k->next;
		k->cur.deadline = 0;
		k->next.pid = 0;
		return;
	}
	if (k->o->restart == KEEP_RESTART_NO ||
	    (k->o->restart == KEEP_RESTART_ON_FAILURE && !failed)) {
		k->done = true;
		k->status = exit_code(st);
		warnx("keep: PROG pid %d %s after %.1f s; not restarting (--restart %s); exiting "
		      "%d",
		      (int)pid, how, secs(ran), policy, k->status);
		return;
	}
	if (ran >= KEEP_RESET_US)
		k->delay = k->o->restart_delay_us;
	warnx("keep: PROG pid %d %s after %.1f s; restarting in %g s (--restart %s)", (int)pid, how,
	      secs(ran), secs(k->delay), policy);
	schedule_restart(k, now);
}

static void
reap(struct keeper *k)
{
	char how[64];
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == k->final_pid)
			k->status = exit_code(st);
		if (pid == k->cur.pid) {
			cur_ended(k, st, pg_now_us());
			continue;
		}
		if (pid == k->next.pid) {
			warnx("keep: new PROG pid %d %s before it was ready; pid %d keeps serving",
			      (int)pid, describe(st, how), (int)k->cur.pid);
			k->next.pid = 0;
			continue;
		}
		for (size_t i = 0; i < k->nold; i++) {
			if (k->old[i].pid != pid)
				continue;
			warnx("keep: stopped PROG pid %d %s", (int)pid, describe(st, how));
			k->old[i] = k->old[--k->nold];
			break;
		}
	}
}

static void
on_hup(struct keeper *k)
{
	uint64_t now;

	if (k->stopping || k->done) {
		warnx("keep: SIGHUP ignored: stopping");
		return;
	}
	if (k->next.pid > 0) {
		warnx("keep: SIGHUP refused: the replacement by pid %d is still in progress",
		      (int)k->next.pid);
		return;
	}
	if (k->cur.pid == 0) {
		k->restart_at = 0;
		if (start_prog(k, &k->cur) < 0)
			schedule_restart(k, pg_now_us());
		else
			warnx("keep: SIGHUP: no PROG was running; started pid %d", (int)k->cur.pid);
		return;
	}
	if (start_prog(k, &k->next) < 0)
		return;
	now = pg_now_us();
	k->next.deadline =
		now + (k->o->ready_notify ? k->o->ready_timeout_us : k->o->ready_after_us);
	if (k->o->ready_notify)
		warnx("keep: SIGHUP: started pid %d to replace pid %d; waiting up to %g s for its "
		      "READY=1",
		      (int)k->next.pid, (int)k->cur.pid, secs(k->o->ready_timeout_us));
	else
		warnx("keep: SIGHUP: started pid %d to replace pid %d once it has run %g s",
		      (int)k->next.pid, (int)k->cur.pid, secs(k->o->ready_after_us));
}

static void
on_stop(struct keeper *k, int sig)
{
	char name[16], stop[16];

	if (k->stopping) {
		warnx("keep: %s: already stopping", keeper_signame(sig, name));
		return;
	}
	k->stopping = true;
	k->restart_at = 0;
	k->final_pid = k->cur.pid;
	if (k->cur.pid > 0)
		warnx("keep: %s: stopping PROG pid %d with %s", keeper_signame(sig, name),
		      (int)k->cur.pid, keeper_signame(k->o->stop_signal, stop));
	else if (!k->done)
		k->status = 128 + sig;
	stop_prog(k, &k->cur);
	stop_prog(k, &k->next);
}

static void
on_signals(struct keeper *k)
{
	int sig;

	while ((sig = pg_sigsource_read(k->sig)) > 0) {
		if (sig == SIGCHLD)
			reap(k);
		else if (sig == SIGHUP)
			on_hup(k);
		else
			on_stop(k, sig);
	}
}

static bool
has_line(const char *msg, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = msg;;) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p == NULL)
			return false;
		p++;
	}
}

static void
on_notify(struct keeper *k)
{
	char buf[4096];
	pid_t pid;
	uid_t uid;

	for (int i = 0; i < KEEP_NOTIFY_BURST; i++) {
		int r = pg_notify_recv(k->notify_fd, buf, sizeof(buf), &pid, &uid);
		bool known = false;

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			warnx("keep: read the notify socket: %s", strerror(-r));
			return;
		}
		if (pid > 0 && pid == k->next.pid) {
			if (has_line(buf, "READY=1"))
				promote(k, "READY=1");
			continue;
		}
		known = pid > 0 && pid == k->cur.pid;
		for (size_t j = 0; j < k->nold; j++)
			known = known || (pid > 0 && pid == k->old[j].pid);
		if (known)
			continue;
		if (++k->ignored <= KEEP_IGNORED_LOGS || k->ignored % 1000 == 0)
			warnx("keep: ignored a notify message from pid %d uid %d: not a PROG of "
			      "this keeper (%lu so far%s)",
			      (int)pid, uid == (uid_t)-1 ? -1 : (int)uid, k->ignored,
			      k->ignored == KEEP_IGNORED_LOGS
				      ? "; from now on every 1000th is logged"
				      : "");
	}
}

/* Deadlines that passed: a restart, a replacement's readiness, a SIGKILL. */
static void
run_timers(struct keeper *k, uint64_t now)
{
	char name[16];

	if (k->restart_at != 0 && now >= k->restart_at && !k->stopping && !k->done) {
		k->restart_at = 0;
		if (start_prog(k, &k->cur) < 0)
			schedule_restart(k, now);
	}
	if (k->next.pid > 0 && now >= k->next.deadline) {
		if (k->o->ready_notify) {
			warnx("keep: new PROG pid %d sent no READY=1 within %g s; stopping it, pid "
			      "%d keeps serving",
			      (int)k->next.pid, secs(k->o->ready_timeout_us), (int)k->cur.pid);
			stop_prog(k, &k->next);
		} else {
			char how[64];

			(void)snprintf(how, sizeof(how), "alive for %g s",
				       secs(k->o->ready_after_us));
			promote(k, how);
		}
	}
	for (size_t i = 0; i < k->nold; i++) {
		if (k->old[i].deadline == 0 || now < k->old[i].deadline)
			continue;
		warnx("keep: PROG pid %d still runs %g s after %s; sending SIGKILL",
		      (int)k->old[i].pid, secs(k->o->stop_timeout_us),
		      keeper_signame(k->o->stop_signal, name));
		(void)kill(k->old[i].pid, SIGKILL);
		k->old[i].deadline = 0;
	}
}

/* Milliseconds until the next deadline, rounded up; -1 for none. */
static int
next_timeout(const struct keeper *k, uint64_t now)
{
	uint64_t t = UINT64_MAX;

	if (k->restart_at != 0 && !k->stopping && !k->done)
		t = k->restart_at;
	if (k->next.pid > 0 && k->next.deadline < t)
		t = k->next.deadline;
	for (size_t i = 0; i < k->nold; i++)
		if (k->old[i].deadline != 0 && k->old[i].deadline < t)
			t = k->old[i].deadline;
	if (t == UINT64_MAX)
		return -1;
	if (t <= now)
		return 0;
	t = (t - now + 999) / 1000;
	return t > 60000 ? 60000 : (int)t;
}

/* PROG's environment: envp without LISTEN_PID and NOTIFY_SOCKET, then ours. */
static int
build_env(struct keeper *k, char **envp)
{
	size_t n = 0, m = 0;

	while (envp[n] != NULL)
		n++;
	k->envp = calloc(n + 3, sizeof(*k->envp));
	if (k->envp == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "LISTEN_PID=", 11) != 0 &&
		    strncmp(envp[i], "NOTIFY_SOCKET=", 14) != 0)
			k->envp[m++] = envp[i];
	k->envp[m++] = k->listen_pid;
	if (k->notify_fd >= 0)
		k->envp[m++] = k->notify_env;
	return 0;
}

/*
 * Close every fd from first on: what portgate inherited is not the keeper's
 * to hold for the life of the service (a pipe of whoever started it, say).
 */
static void
close_from(int first)
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

static int
keeper_setup(struct keeper *k, char **envp)
{
	char addr[PG_NOTIFY_ADDR_MAX];
	sigset_t *mask = &k->mask;
	int r;

	close_from(PG_LISTEN_FDS_START + (int)k->nfds);
	/* The sockets stay ours; each child clears close-on-exec on its copies. */
	for (size_t i = 0; i < k->nfds; i++)
		if (fcntl(PG_LISTEN_FDS_START + (int)i, F_SETFD, FD_CLOEXEC) < 0)
			return -errno;
	if (k->o->ready_notify) {
		k->notify_fd = pg_notify_listen(addr);
		if (k->notify_fd < 0)
			return k->notify_fd;
		(void)snprintf(k->notify_env, sizeof(k->notify_env), "NOTIFY_SOCKET=%s", addr);
	}
	r = build_env(k, envp);
	if (r < 0)
		return r;
	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	r = pg_sigsource_open(mask, &k->sig);
	if (r < 0)
		return r;
	k->evfd = pg_evloop_open();
	if (k->evfd < 0)
		return k->evfd;
	r = pg_evloop_add(k->evfd, pg_sigsource_fd(k->sig), PG_EV_READ, &k->sig);
	if (r == 0 && k->notify_fd >= 0)
		r = pg_evloop_add(k->evfd, k->notify_fd, PG_EV_READ, &k->notify_fd);
	return r;
}

int
keeper_run(const struct keeper_options *o, size_t nfds, char **argv, char **envp)
{
	struct keeper k = { .o = o,
			    .argv = argv,
			    .nfds = nfds,
			    .evfd = -1,
			    .notify_fd = -1,
			    .self = getpid(),
			    .delay = o->restart_delay_us };
	struct pg_event ev[8];
	int r;

	r = keeper_setup(&k, envp);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "keep: set up the keeper for '%s'", argv[0]);
	if (start_prog(&k, &k.cur) < 0)
		schedule_restart(&k, pg_now_us());

	while (!((k.stopping || k.done) && k.cur.pid == 0 && k.next.pid == 0 && k.nold == 0)) {
		int n = pg_evloop_wait(k.evfd, ev, (int)nitems(ev), next_timeout(&k, pg_now_us()));

		if (n < 0 && n != -EINTR) {
			warnx("keep: wait for events: %s; stopping", strerror(-n));
			on_stop(&k, SIGTERM);
			k.status = EXIT_TEMPFAIL;
			/* Without the loop, only SIGKILL deadlines are left: wait for them. */
			for (size_t i = 0; i < k.nold; i++) {
				(void)kill(k.old[i].pid, SIGKILL);
				(void)waitpid(k.old[i].pid, NULL, 0);
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].ptr == &k.sig)
				on_signals(&k);
			else if (ev[i].ptr == &k.notify_fd)
				on_notify(&k);
		}
		run_timers(&k, pg_now_us());
	}
	if (k.stopping)
		warnx("keep: exiting %d", k.status);
	/* Signals that come from now on are held, as the exit status is decided. */
	(void)pg_sigsource_detach(k.sig, &k.mask);
	closep(&k.evfd);
	closep(&k.notify_fd);
	for (size_t i = 0; i < nfds; i++)
		(void)close(PG_LISTEN_FDS_START + (int)i);
	free(k.old);
	free(k.envp);
	return k.status;
}
