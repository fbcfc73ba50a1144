// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-sigsource.c - the signal seam (sigsource.h), built once per
 * implementation (test-sigsource-signalfd, test-sigsource-pipe), and every
 * case must hold for each: a signal is read once, several signals, a signal
 * raised before the read or held before open, close puts back dispositions
 * and mask, errno survives the handler, the fds are close-on-exec, and
 * detach in a forked child (the proxy's workers and PROG) and before exit.
 * Waits are bounded; nothing is timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sigsource.h"
#include "tap.h"

#define MAX_FD 256

static volatile sig_atomic_t counted[65];

static void
count(int sig)
{
	counted[sig]++;
}

static sigset_t
set_of(int a, int b, int c)
{
	sigset_t s;

	(void)sigemptyset(&s);
	if (a > 0)
		(void)sigaddset(&s, a);
	if (b > 0)
		(void)sigaddset(&s, b);
	if (c > 0)
		(void)sigaddset(&s, c);
	return s;
}

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1 && (p.revents & POLLIN); /* a bound, not a timing */
}

/* Whether the current mask has exactly the standard signals in want blocked. */
static bool
mask_is(const sigset_t *want)
{
	sigset_t cur;

	if (sigprocmask(SIG_BLOCK, NULL, &cur) < 0)
		return false;
	for (int sig = 1; sig < 32; sig++)
		if (sigismember(&cur, sig) != sigismember(want, sig))
			return false;
	return true;
}

static bool
is_pending(int sig)
{
	sigset_t p;

	return sigpending(&p) == 0 && sigismember(&p, sig) == 1;
}

typedef void (*handler_t)(int);

static handler_t
handler_of(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) < 0)
		return NULL;
	return sa.sa_handler;
}

/* Drop a pending, blocked sig (SIG_IGN discards it), then unblock it with disposition h. */
static void
discard(int sig, handler_t h)
{
	sigset_t s = set_of(sig, 0, 0);

	(void)signal(sig, SIG_IGN);
	(void)signal(sig, h);
	(void)sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void
snapshot_fds(bool open_fds[MAX_FD])
{
	for (int fd = 0; fd < MAX_FD; fd++)
		open_fds[fd] = fcntl(fd, F_GETFD) >= 0;
}

/*
 * fds, close-on-exec, errors, one signal from another process read once, a
 * signal raised twice before the read, several signals.
 */
static void
test_basics(void)
{
	bool before[MAX_FD], after[MAX_FD];
	sigset_t s = set_of(SIGUSR1, SIGUSR2, SIGHUP), bad = set_of(SIGKILL, 0, 0);
	struct pg_sigsource *src = NULL, *other = NULL;
	int fd, nnew = 0, ncloexec = 0, got = 0, sig, st;
	pid_t pid;

	snapshot_fds(before);
	is_int(pg_sigsource_open(&bad, &other), -EINVAL, "SIGKILL cannot be taken: -EINVAL");
	is_int(pg_sigsource_open(&s, &src), 0, "open USR1, USR2, HUP");
	fd = pg_sigsource_fd(src);
	snapshot_fds(after);
	for (int i = 0; i < MAX_FD; i++) {
		if (after[i] && !before[i]) {
			nnew++;
			ncloexec += (fcntl(i, F_GETFD) & FD_CLOEXEC) != 0;
		}
	}
	ok(fd >= 0 && after[fd] && !before[fd], "the fd is a new one");
	ok(nnew >= 1 && ncloexec == nnew, "every fd open made is close-on-exec (%d)", nnew);
	ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "the fd is non-blocking");
	is_int(pg_sigsource_open(&s, &other), -EBUSY, "a second source: -EBUSY");
	is_int(pg_sigsource_read(src), 0, "nothing came: 0");

	pid = fork();
	if (pid == 0)
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && st == 0, "another process sends USR1");
	ok(readable(fd), "the fd becomes readable");
	is_int(pg_sigsource_read(src), SIGUSR1, "USR1 is read");
	is_int(pg_sigsource_read(src), 0, "... once");

	ok(raise(SIGUSR2) == 0 && raise(SIGUSR2) == 0, "USR2 raised twice before a read");
	ok(readable(fd), "readable");
	is_int(pg_sigsource_read(src), SIGUSR2, "USR2 is read");
	is_int(pg_sigsource_read(src), 0, "... once: two arrivals before a read are one");

	(void)raise(SIGHUP);
	(void)raise(SIGUSR1);
	(void)raise(SIGUSR2);
	ok(readable(fd), "three signals: readable");
	for (int i = 0; i < 4 && (sig = pg_sigsource_read(src)) > 0; i++)
		got |= sig == SIGHUP ? 1 : sig == SIGUSR1 ? 2 : sig == SIGUSR2 ? 4 : 8;
	is_int(got, 7, "HUP, USR1 and USR2 are read, each once, nothing else");
	is_int(pg_sigsource_read(src), 0, "then nothing");

	pg_sigsource_close(src);
	snapshot_fds(after);
	ok(memcmp(before, after, sizeof(before)) == 0, "close leaves no fd behind");
	pg_sigsource_close(NULL);
}

/* errno around a handler; with the pipe, also when the handler's write fails. */
static void
test_errno(void)
{
	bool before[MAX_FD], after[MAX_FD];
	sigset_t s = set_of(SIGUSR2, 0, 0);
	struct pg_sigsource *src = NULL;
	int wfd = -1;

	snapshot_fds(before);
	is_int(pg_sigsource_open(&s, &src), 0, "open USR2");
	snapshot_fds(after);
	for (int i = 0; i < MAX_FD; i++)
		if (after[i] && !before[i] && i != pg_sigsource_fd(src))
			wfd = i; /* the self-pipe's write end; signalfd has none */

	errno = EDOM;
	(void)raise(SIGUSR2);
	is_int(errno, EDOM, "errno is the same after a signal");
	is_int(pg_sigsource_read(src), SIGUSR2, "the signal is read");

	if (wfd < 0) {
		tap_skip("no handler here (signalfd)", "errno kept when the handler's write fails");
		tap_skip("no handler here (signalfd)", "... and the signal is still read");
	} else {
		int saved = fcntl(wfd, F_DUPFD_CLOEXEC, 0);
		int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* The write end becomes a read-only fd: the handler's write() fails (EBADF). */
		ok(saved >= 0 && ro >= 0 && dup2(ro, wfd) == wfd, "the write end made unwritable");
		errno = EDOM;
		(void)raise(SIGUSR2);
		is_int(errno, EDOM, "errno kept when the handler's write fails");
		(void)dup2(saved, wfd);
		(void)fcntl(wfd, F_SETFD, FD_CLOEXEC);
		(void)close(saved);
		(void)close(ro);
		is_int(pg_sigsource_read(src), SIGUSR2, "... and the signal is still read");
	}
	is_int(pg_sigsource_read(src), 0, "then nothing");
	pg_sigsource_close(src);
}

/*
 * A signal blocked and pending before open is read; close puts back the
 * dispositions and the mask, and delivers what was not read.
 */
static void
test_close_restores(void)
{
	sigset_t s = set_of(SIGUSR1, SIGUSR2, SIGHUP), usr1 = set_of(SIGUSR1, 0, 0);
	sigset_t usr2 = set_of(SIGUSR2, 0, 0), empty = set_of(0, 0, 0);
	struct pg_sigsource *src = NULL;

	/* Held before open, as the proxy holds USR1 before forking a worker. */
	(void)sigprocmask(SIG_BLOCK, &usr1, NULL);
	(void)raise(SIGUSR1);
	is_int(pg_sigsource_open(&usr1, &src), 0, "open USR1 while it is blocked and pending");
	ok(readable(pg_sigsource_fd(src)), "readable at once");
	is_int(pg_sigsource_read(src), SIGUSR1, "the held USR1 is read");
	pg_sigsource_close(src);
	ok(mask_is(&usr1), "close: USR1 is blocked again, as open found it");
	(void)sigprocmask(SIG_UNBLOCK, &usr1, NULL);

	/* Before: USR1 has a handler, USR2 is blocked, HUP is default and unblocked. */
	counted[SIGUSR1] = 0;
	(void)signal(SIGUSR1, count);
	(void)sigprocmask(SIG_BLOCK, &usr2, NULL);
	is_int(pg_sigsource_open(&s, &src), 0, "open USR1, USR2, HUP");
	(void)raise(SIGUSR1);
	(void)raise(SIGUSR2);
	is_int(counted[SIGUSR1], 0, "USR1's own handler does not run while the source has it");
	pg_sigsource_close(src);
	is_int(counted[SIGUSR1], 1, "close: the unread USR1 reaches its own handler, once");
	ok(handler_of(SIGUSR1) == count, "close: USR1's handler is back");
	ok(handler_of(SIGHUP) == SIG_DFL, "close: HUP is default again");
	ok(handler_of(SIGUSR2) == SIG_DFL, "close: USR2 is default again");
	ok(mask_is(&usr2), "close: the mask is as open found it (USR2 blocked)");
	ok(is_pending(SIGUSR2), "close: the unread USR2 is pending, blocked");
	discard(SIGUSR2, SIG_DFL);
	(void)signal(SIGUSR1, SIG_DFL);
	ok(mask_is(&empty), "clean again");
}

/* Checks a forked child makes; a failed one sets its bit in the exit status. */
enum {
	C_DETACH = 1 << 0,
	C_MASK = 1 << 1,
	C_DISP = 1 << 2,
	C_FDS = 1 << 3,
	C_PENDING = 1 << 4,
	C_OWN = 1 << 5,
	C_OWN_READ = 1 << 6,
};

static const char *const child_checks[] = {
	"detach returns 0",
	"the mask is the one open found, plus hold",
	"the dispositions are back",
	"the parent's fds are closed in the child",
	"TERM, which came before detach, is pending in the child",
	"the child opens a source of its own",
	"... which reads that TERM, once",
};

/* Wait for the child and report its first n checks. */
static void
report_child(pid_t pid, const char *who, size_t n)
{
	int st = -1, bits;

	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st), "%s: exits", who);
	bits = WIFEXITED(st) ? WEXITSTATUS(st) : 0xff;
	for (size_t i = 0; i < n && i < nitems(child_checks); i++)
		ok(!(bits & (1 << i)), "%s: %s", who, child_checks[i]);
}

/* Whether every fd marked in fds is closed. */
static bool
fds_closed(const bool fds[MAX_FD])
{
	for (int fd = 0; fd < MAX_FD; fd++)
		if (fds[fd] && fcntl(fd, F_GETFD) >= 0)
			return false;
	return true;
}

/* Detach src (opened for TERM and HUP) in a child: the first four checks' bits. */
static int
detach_in_child(struct pg_sigsource *src, const sigset_t *hold, const sigset_t *want_mask,
		const bool src_fds[MAX_FD])
{
	int bits = 0;

	if (pg_sigsource_detach(src, hold) != 0)
		bits |= C_DETACH;
	if (!mask_is(want_mask))
		bits |= C_MASK;
	if (handler_of(SIGTERM) != SIG_DFL || handler_of(SIGHUP) != SIG_DFL ||
	    handler_of(SIGUSR1) != count)
		bits |= C_DISP;
	if (!fds_closed(src_fds))
		bits |= C_FDS;
	return bits;
}

/*
 * The proxy's uses: a worker (TERM comes before it detaches, holds the
 * supervisor's signals and USR1, takes TERM and USR1 itself), PROG (detach
 * restores the whole mask, USR1 blocked after open included), and detach in
 * the parent before exit.
 */
static void
test_detach(void)
{
	sigset_t s = set_of(SIGTERM, SIGHUP, 0), usr1 = set_of(SIGUSR1, 0, 0);
	sigset_t hold = set_of(SIGTERM, SIGHUP, SIGUSR1), empty = set_of(0, 0, 0);
	sigset_t own = set_of(SIGTERM, SIGUSR1, 0);
	bool before[MAX_FD], with[MAX_FD], mine[MAX_FD];
	struct pg_sigsource *src = NULL, *wsrc = NULL;
	pid_t pid;

	snapshot_fds(before);
	(void)signal(SIGUSR1, count);
	is_int(pg_sigsource_open(&s, &src), 0, "open TERM, HUP");
	snapshot_fds(with);
	for (int fd = 0; fd < MAX_FD; fd++)
		with[fd] = with[fd] && !before[fd]; /* the source's fds */
	(void)sigprocmask(SIG_BLOCK, &usr1, NULL);  /* after open, as the proxy does */

	pid = fork();
	if (pid == 0) {
		int bits = 0;

		(void)raise(SIGTERM); /* a worker told to stop at once */
		bits = detach_in_child(src, &hold, &hold, with);
		if (!is_pending(SIGTERM))
			bits |= C_PENDING;
		if (pg_sigsource_open(&own, &wsrc) != 0)
			bits |= C_OWN | C_OWN_READ;
		else if (!readable(pg_sigsource_fd(wsrc)) || pg_sigsource_read(wsrc) != SIGTERM ||
			 pg_sigsource_read(wsrc) != 0)
			bits |= C_OWN_READ;
		_exit(bits);
	}
	report_child(pid, "worker", nitems(child_checks));

	pid = fork();
	if (pid == 0) {
		_exit(detach_in_child(src, NULL, &empty, with));
	}
	report_child(pid, "PROG", 4);
	is_int(pg_sigsource_read(src), 0, "the worker's TERM never reached the parent's source");

	/* Before exit: what comes is held, not delivered. */
	(void)raise(SIGHUP);
	is_int(pg_sigsource_detach(src, &hold), 0, "detach in the parent, holding its signals");
	ok(mask_is(&hold), "the mask: open's plus hold");
	ok(is_pending(SIGHUP), "the unread HUP waits, blocked");
	ok(handler_of(SIGHUP) == SIG_DFL, "HUP is default again");
	discard(SIGHUP, SIG_DFL);
	(void)sigprocmask(SIG_UNBLOCK, &hold, NULL);
	(void)signal(SIGUSR1, SIG_DFL);
	snapshot_fds(mine);
	ok(memcmp(before, mine, sizeof(before)) == 0, "detach leaves no fd behind");
}

int
main(void)
{
	test_basics();
	test_errno();
	test_close_restores();
	test_detach();
	return tap_done();
}
