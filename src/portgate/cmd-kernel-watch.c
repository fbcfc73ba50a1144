// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel-watch.c - "portgate kernel watch": reload the kernel policy when
 * the accounts, the policy files or the authbind tree change (inotify, bursts
 * merged), as a child running exactly "portgate kernel reload"; and write the
 * kernel's decision records to stderr (the journal, under systemd) as they come.
 * Runs as root.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "cmd-kernel.h"
#include "sigsource.h"

#define WATCH_QUIET_MS 200  /* a burst is over after this long without an event */
#define WATCH_MAX_MS   2000 /* ... or this long after its first event, whichever is first */
#define ACCOUNTS_DIR   "/etc"
#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR |       \
	 IN_EXCL_UNLINK)

/* The authbind tree: chmod and setfacl change grants too. */
#define WATCH_AB_MASK (WATCH_MASK | IN_ATTRIB | IN_MODIFY)

static const char *const ab_subdirs[3] = { "byport", "byaddr", "byuid" };

struct watch {
	int fd; /* inotify */
	int wd_etc, wd_config, wd_dropin;
	int wd_ab, wd_absub[3]; /* the authbind tree and its byport, byaddr and byuid */
	char dropin[4096];
};

static const char *watch_pin_dir;

/* (Re)watch the authbind tree and its sub-directories: they may appear or be replaced. */
static void
watch_authbind(struct watch *w)
{
	char path[4096];
	int wd;

	if (cli.authbind_dir == NULL)
		return;
	wd = inotify_add_watch(w->fd, cli.authbind_dir, WATCH_AB_MASK);
	if (wd < 0 && errno != ENOENT && errno != ENOTDIR)
		warnx("watch: cannot watch '%s': %s", cli.authbind_dir, strerror(errno));
	w->wd_ab = wd < 0 ? -1 : wd;
	for (int i = 0; i < 3; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", cli.authbind_dir, ab_subdirs[i]);
		wd = inotify_add_watch(w->fd, path, WATCH_AB_MASK);
		if (wd < 0 && errno != ENOENT && errno != ENOTDIR)
			warnx("watch: cannot watch '%s': %s", path, strerror(errno));
		if (w->wd_absub[i] >= 0 && w->wd_absub[i] != wd)
			(void)inotify_rm_watch(w->fd, w->wd_absub[i]);
		w->wd_absub[i] = wd < 0 ? -1 : wd;
	}
}

/* Is wd one of the authbind tree's watches?  Forgets it when it is gone (IN_IGNORED). */
static bool
is_authbind_wd(struct watch *w, const struct inotify_event *e)
{
	bool hit = e->wd == w->wd_ab;

	for (int i = 0; i < 3; i++) {
		if (e->wd != w->wd_absub[i])
			continue;
		hit = true;
		if (e->mask & IN_IGNORED)
			w->wd_absub[i] = -1;
	}
	if (e->wd == w->wd_ab && (e->mask & IN_IGNORED))
		w->wd_ab = -1;
	return hit;
}

/* (Re)watch conf.d: it may appear, vanish or be replaced while we run. */
static void
watch_dropin(struct watch *w)
{
	int wd = inotify_add_watch(w->fd, w->dropin, WATCH_MASK);

	if (wd < 0 && errno != ENOENT && errno != ENOTDIR)
		warnx("watch: cannot watch '%s': %s", w->dropin, strerror(errno));
	if (w->wd_dropin >= 0 && w->wd_dropin != wd)
		(void)inotify_rm_watch(w->fd, w->wd_dropin);
	w->wd_dropin = wd < 0 ? -1 : wd;
}

static bool
is_dropin_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] != '.' && l >= 6 && strcmp(name + l - 5, ".conf") == 0;
}

/* Drain the inotify queue; true when an event concerns what the kernel policy is made of. */
static bool
watch_read(struct watch *w)
{
	_Alignas(struct inotify_event) char buf[16384];
	bool changed = false;

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return changed;
		if (n <= 0)
			die_errno(EXIT_TEMPFAIL, n < 0 ? errno : EIO, "watch: read inotify events");
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *e = (const void *)(buf + off);
			const char *name = e->len > 0 ? e->name : "";

			off += (ssize_t)(sizeof(*e) + e->len);
			if (e->mask & IN_Q_OVERFLOW) {
				changed = true;
				watch_authbind(w);
			} else if (is_authbind_wd(w, e)) {
				/* Any change in the tree: a name, a mode, an ACL, a byuid line. */
				changed = true;
				watch_authbind(w);
			} else if (e->wd == w->wd_etc || e->wd == w->wd_config) {
				if (e->mask & IN_IGNORED)
					die(EXIT_TEMPFAIL, "watch: '%s' was removed; stopping",
					    e->wd == w->wd_etc ? ACCOUNTS_DIR : cli.config_dir);
				if (e->wd == w->wd_etc)
					changed |= strcmp(name, "passwd") == 0 ||
						   strcmp(name, "group") == 0;
				if (e->wd == w->wd_etc && w->wd_ab < 0)
					watch_authbind(w); /* /etc/authbind may have appeared */
				if (e->wd == w->wd_config && strcmp(name, PG_CONFIG_DROPIN) == 0) {
					watch_dropin(w);
					changed = true;
				}
				if (e->wd == w->wd_config)
					changed |= strcmp(name, PG_CONFIG_FILE) == 0;
			} else if (e->wd == w->wd_dropin) {
				if (e->mask & IN_IGNORED)
					w->wd_dropin = -1;
				changed |= is_dropin_name(name);
			}
		}
	}
}

/*
 * Run exactly "portgate kernel reload" with the same options, in a child: its
 * failures die() as they do on the command line (a broken policy leaves the
 * loaded one enforced), and the watcher keeps running.  The child prints the
 * one "reloaded: ..." line with the counts and the policy hash.
 */
static void
watch_reload(struct pg_sigsource *sig)
{
	struct pg_bpf_status st;
	pid_t pid;
	int status, r;

	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid < 0) {
		warnx("watch: cannot start a reload: %s; the previous policy stays enforced",
		      strerror(errno));
		return;
	}
	if (pid == 0) {
		(void)pg_sigsource_detach(sig, NULL); /* the mask and dispositions we were given */
		exit(kernel_reload());
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(EXIT_TEMPFAIL, errno, "watch: wait for the reload");
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_OK)
		return;
	r = pg_bpf_status(watch_pin_dir, &st);
	if (r == -ENOENT) {
		printf("watch: no policy is loaded in %s any more (unloaded); stopping\n",
		       watch_pin_dir);
		exit(EXIT_OK);
	}
	if (r == 0)
		pg_bpf_status_clear(&st);
	if (WIFEXITED(status))
		warnx("watch: reload failed (exit %d): the previous policy stays enforced",
		      WEXITSTATUS(status));
	else
		warnx("watch: reload killed by signal %d: the previous policy stays enforced",
		      WTERMSIG(status));
}

/* The reader, once the loaded programs write records (after a reload of an older load). */
static struct kernel_log *
watch_log_open(const char *pin_dir)
{
	struct pg_bpf_status st;
	struct kernel_log *l;

	if (pg_bpf_status(pin_dir, &st) < 0)
		return NULL;
	l = kernel_log_open(&st, pin_dir, stderr, "portgate: ", false);
	pg_bpf_status_clear(&st);
	return l;
}

int
kernel_watch(const char *pin_dir)
{
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	struct watch w = { .wd_etc = -1,
			   .wd_config = -1,
			   .wd_dropin = -1,
			   .wd_ab = -1,
			   .wd_absub = { -1, -1, -1 } };
	struct pg_bpf_status st;
	struct pg_sigsource *sig;
	struct kernel_log *klog;
	sigset_t set;
	_cleanup_close_ int ifd = -1;
	int64_t first = 0, last = 0;
	bool pending;
	int r;

	watch_pin_dir = pin_dir;
	kernel_require_bpf();
	kernel_require_loaded(&st);
	/* The ring buffer is shared by every generation: the reloads below keep it. */
	klog = kernel_log_open(&st, pin_dir, stderr, "portgate: ", false);
	pg_bpf_status_clear(&st);
	if (klog == NULL)
		warnx("watch: the loaded programs write no records (loaded by an older "
		      "portgate); the first reload starts them");
	(void)setvbuf(stdout, NULL, _IOLBF, 0);

	/* Signals arrive on a descriptor; a shell may have left SIGINT ignored. */
	sigemptyset(&set);
	for (int i = 0; i < 3; i++) {
		(void)signal(sigs[i], SIG_DFL);
		sigaddset(&set, sigs[i]);
	}
	r = pg_sigsource_open(&set, &sig);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "watch: take signals");

	ifd = w.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0)
		die_errno(EXIT_TEMPFAIL, errno, "watch: inotify");
	w.wd_etc = inotify_add_watch(ifd, ACCOUNTS_DIR, WATCH_MASK);
	if (w.wd_etc < 0)
		die_errno(EXIT_TEMPFAIL, errno, "watch: watch '%s'", ACCOUNTS_DIR);
	w.wd_config = inotify_add_watch(ifd, cli.config_dir, WATCH_MASK);
	if (w.wd_config < 0)
		die_errno(EXIT_TEMPFAIL, errno, "watch: watch '%s'", cli.config_dir);
	if (snprintf(w.dropin, sizeof(w.dropin), "%s/%s", cli.config_dir, PG_CONFIG_DROPIN) >=
	    (int)sizeof(w.dropin))
		die(EXIT_USAGE, "configuration path '%s' is too long", cli.config_dir);
	watch_dropin(&w);
	watch_authbind(&w);
	if (cli.authbind_dir != NULL)
		printf("watch: %s/passwd, %s/group, %s and the authbind tree %s (policy in %s)\n",
		       ACCOUNTS_DIR, ACCOUNTS_DIR, cli.config_dir, cli.authbind_dir, watch_pin_dir);
	else
		printf("watch: %s/passwd, %s/group and %s (policy in %s)\n", ACCOUNTS_DIR,
		       ACCOUNTS_DIR, cli.config_dir, watch_pin_dir);

	/* One reload first: what changed between the load and now is not missed. */
	pending = true;
	first = last = (int64_t)pg_now_ms() - WATCH_QUIET_MS;
	for (;;) {
		struct pollfd pfd[3] = { { .fd = pg_sigsource_fd(sig), .events = POLLIN },
					 { .fd = ifd, .events = POLLIN },
					 { .fd = klog ? kernel_log_fd(klog) : -1,
					   .events = POLLIN } };
		int64_t due = 0, now;
		int timeout = -1;

		if (pending) {
			due = last + WATCH_QUIET_MS;
			if (due > first + WATCH_MAX_MS)
				due = first + WATCH_MAX_MS;
			now = (int64_t)pg_now_ms();
			timeout = due > now ? (int)(due - now) : 0;
		}
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die_errno(EXIT_TEMPFAIL, errno, "watch: poll");
		}
		if (pfd[0].revents & POLLIN) {
			int signo;

			while ((signo = pg_sigsource_read(sig)) > 0) {
				if (signo != SIGHUP) {
					printf("watch: %s: stopping\n",
					       signo == SIGINT ? "SIGINT" : "SIGTERM");
					/* Freed; its signals stay blocked. */
					(void)pg_sigsource_detach(sig, &set);
					if (klog != NULL)
						(void)kernel_log_drain(klog);
					kernel_log_close(klog);
					return EXIT_OK;
				}
				pending = true; /* SIGHUP: reload now */
				first = last = (int64_t)pg_now_ms() - WATCH_QUIET_MS;
			}
		}
		if ((pfd[2].revents & POLLIN) && (r = kernel_log_drain(klog)) < 0)
			warnx("watch: cannot read the kernel log: %s", strerror(-r));
		if ((pfd[1].revents & POLLIN) && watch_read(&w)) {
			now = (int64_t)pg_now_ms();
			if (!pending)
				first = now;
			last = now;
			pending = true;
		}
		if (pending) {
			due = last + WATCH_QUIET_MS;
			if (due > first + WATCH_MAX_MS)
				due = first + WATCH_MAX_MS;
			if ((int64_t)pg_now_ms() >= due) {
				pending = false;
				watch_reload(sig);
				if (klog == NULL)
					klog = watch_log_open(pin_dir);
			}
		}
	}
}
