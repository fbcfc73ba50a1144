// SPDX-License-Identifier: BSD-2-Clause
/*
 * keeper.c - `portgate run --keep` (and the keeper that `portgate proxy
 * --keep` forks): portgate stays the parent ("keeper") of PROG for the life
 * of the service.  It holds the listening sockets, so a connection that comes
 * while PROG is down waits in the backlog and nobody else can bind the port;
 * it starts PROG again when it ends (--restart, with a doubling back-off),
 * replaces it on SIGHUP once the new one is ready (--ready: after some
 * seconds, on READY=1, or once the shim says it adopted every socket), and
 * stops it on SIGTERM/SIGINT.  One event loop (evloop.h) over the signals
 * (sigsource.h) and the notify socket (notify-recv.h); children are reaped
 * there, and started and stopped by keeper-child.c.  Runs as the user of -u:
 * it needs no privilege to hold fds and fork.  Logs one line per event to
 * stderr.
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

#include "cli.h"
#include "clock.h"
#include "evloop.h"
#include "keeper-impl.h"
#include "listen-fds-send.h"
#include "notify-recv.h"
#include "pdeathsig.h"
#include "sigsource.h"
#include "../preload/adopt.h"

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
	keeper_stop_prog(k, &k->cur);
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

	keeper_describe(st, how);
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
		k->status = keeper_exit_code(st);
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
	bool prog_ended = false;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == k->final_pid)
			k->status = keeper_exit_code(st);
		if (pid == k->cur.pid) {
			cur_ended(k, st, pg_now_us());
			prog_ended = true;
			continue;
		}
		if (pid == k->next.pid) {
			warnx("keep: new PROG pid %d %s before it was ready; pid %d keeps serving",
			      (int)pid, keeper_describe(st, how), (int)k->cur.pid);
			k->next.pid = 0;
			prog_ended = true;
			continue;
		}
		for (size_t i = 0; i < k->nold; i++) {
			if (k->old[i].pid != pid)
				continue;
			warnx("keep: stopped %s pid %d %s",
			      k->old[i].orphan ? "the left-behind" : "PROG", (int)pid,
			      keeper_describe(st, how));
			prog_ended = prog_ended || !k->old[i].orphan;
			k->old[i] = k->old[--k->nold];
			break;
		}
	}
	if (prog_ended)
		keeper_stop_orphans(k);
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
		if (keeper_start_prog(k, &k->cur) < 0)
			schedule_restart(k, pg_now_us());
		else
			warnx("keep: SIGHUP: no PROG was running; started pid %d", (int)k->cur.pid);
		return;
	}
	k->nadopted = 0;
	if (k->adopted != NULL)
		memset(k->adopted, 0, k->nfds * sizeof(*k->adopted));
	if (keeper_start_prog(k, &k->next) < 0)
		return;
	now = pg_now_us();
	k->next.deadline = now + (k->o->ready != KEEP_READY_SECONDS ? k->o->ready_timeout_us
								    : k->o->ready_after_us);
	if (k->o->ready == KEEP_READY_NOTIFY)
		warnx("keep: SIGHUP: started pid %d to replace pid %d; waiting up to %g s for its "
		      "READY=1",
		      (int)k->next.pid, (int)k->cur.pid, secs(k->o->ready_timeout_us));
	else if (k->o->ready == KEEP_READY_ADOPT)
		warnx("keep: SIGHUP: started pid %d to replace pid %d; waiting up to %g s for it "
		      "to adopt and listen on %zu socket%s",
		      (int)k->next.pid, (int)k->cur.pid, secs(k->o->ready_timeout_us), k->nfds,
		      k->nfds == 1 ? "" : "s");
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
	keeper_stop_prog(k, &k->cur);
	keeper_stop_prog(k, &k->next);
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

/*
 * --ready=adopt: count each "ADOPTED=FD" line of the new PROG, FD one of the
 * held sockets (3..), once; all of them: it is ready.
 */
static void
count_adopted(struct keeper *k, const char *msg)
{
	char how[96];
	size_t m = strlen(PG_ADOPT_MSG);

	for (const char *p = msg; p != NULL; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		char *end;
		long fd;

		if (strncmp(p, PG_ADOPT_MSG, m) != 0)
			continue;
		errno = 0;
		fd = strtol(p + m, &end, 10);
		if (errno == 0 && end != p + m && (*end == '\n' || *end == '\0') &&
		    fd >= PG_LISTEN_FDS_START && fd < PG_LISTEN_FDS_START + (long)k->nfds &&
		    !k->adopted[fd - PG_LISTEN_FDS_START]) {
			k->adopted[fd - PG_LISTEN_FDS_START] = true;
			k->nadopted++;
		}
	}
	if (k->nadopted == k->nfds) {
		(void)snprintf(how, sizeof(how), "adopted and listening on %zu of %zu socket%s",
			       k->nadopted, k->nfds, k->nfds == 1 ? "" : "s");
		promote(k, how);
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
			if (k->o->ready == KEEP_READY_ADOPT)
				count_adopted(k, buf);
			else if (has_line(buf, "READY=1"))
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
		if (keeper_start_prog(k, &k->cur) < 0)
			schedule_restart(k, now);
	}
	if (k->next.pid > 0 && now >= k->next.deadline) {
		if (k->o->ready == KEEP_READY_NOTIFY) {
			warnx("keep: new PROG pid %d sent no READY=1 within %g s; stopping it, pid "
			      "%d keeps serving",
			      (int)k->next.pid, secs(k->o->ready_timeout_us), (int)k->cur.pid);
			keeper_stop_prog(k, &k->next);
		} else if (k->o->ready == KEEP_READY_ADOPT) {
			warnx("keep: new PROG pid %d adopted and listened on %zu of %zu socket%s "
			      "within %g s; stopping it, pid %d keeps serving",
			      (int)k->next.pid, k->nadopted, k->nfds, k->nfds == 1 ? "" : "s",
			      secs(k->o->ready_timeout_us), (int)k->cur.pid);
			keeper_stop_prog(k, &k->next);
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

static int
keeper_setup(struct keeper *k, char **envp)
{
	sigset_t *mask = &k->mask;
	int r;

	keeper_close_from(PG_LISTEN_FDS_START + (int)k->nfds);
	r = pg_child_subreaper();
	if (r < 0 && r != -ENOSYS)
		return r;
	/* The sockets stay ours; each child clears close-on-exec on its copies. */
	for (size_t i = 0; i < k->nfds; i++)
		if (fcntl(PG_LISTEN_FDS_START + (int)i, F_SETFD, FD_CLOEXEC) < 0)
			return -errno;
	if (k->o->ready != KEEP_READY_SECONDS) {
		k->notify_fd = pg_notify_listen(k->notify_addr);
		if (k->notify_fd < 0)
			return k->notify_fd;
		if (k->o->ready == KEEP_READY_NOTIFY)
			(void)snprintf(k->notify_env, sizeof(k->notify_env), "NOTIFY_SOCKET=%s",
				       k->notify_addr);
	}
	if (k->o->ready == KEEP_READY_ADOPT) {
		k->adopted = calloc(k->nfds, sizeof(*k->adopted));
		if (k->adopted == NULL)
			return -ENOMEM;
	}
	r = keeper_build_env(k, envp);
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
	if (keeper_start_prog(&k, &k.cur) < 0)
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
	free(k.adopted);
	free(k.envp);
	return k.status;
}
