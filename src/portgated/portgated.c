// SPDX-License-Identifier: BSD-2-Clause
/*
 * portgated.c - the broker daemon: options, start-up (control socket,
 * privilege drop, policy), the event loop (evloop.h), signals (sigsource.h),
 * readiness, reload.
 * Privilege: started as root or as its user with CAP_NET_BIND_SERVICE; serves
 * as its user with CAP_NET_BIND_SERVICE only (privdrop.c).  Trust: clients are
 * hostile (session.c); the policy and the command line are the administrator's.
 * One thread, one event loop: a client can end its own session, nothing more.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "binder.h"
#include "clock.h"
#include "ctlsock.h"
#include "evloop.h"
#include "hold.h"
#include "log.h"
#include "macro.h"
#include "notify.h"
#include "peercred.h"
#include "portgated.h"
#include "privdrop.h"
#include "session.h"
#include "sigsource.h"
#include "sock.h"
#include "sysinfo.h"

#define EXIT_USAGE 2
#define MAX_EVENTS 64
/*
 * One accept per wakeup: a request is served at accept time, and a client that
 * binds in a loop reconnects at once, so a longer accept loop would starve the
 * events (EOFs) that free finished sessions and trip --max-clients-per-uid.
 * The listening socket is level-triggered: the next pg_evloop_wait() returns at once.
 */
#define ACCEPTS_PER_WAKE 1
#define ACCEPT_PAUSE_MS	 100 /* after EMFILE and the like */

enum watch_kind { WATCH_LISTEN = 1, WATCH_SIGNAL };

struct watch {
	enum watch_kind kind;
};

static struct watch listen_watch = { WATCH_LISTEN };
static struct watch signal_watch = { WATCH_SIGNAL };

struct daemon {
	struct pgd pgd;
	struct ctlsock ctl;
	int evfd;
	struct pg_sigsource *sig;
	struct session *sessions; /* a list */
	unsigned nsessions;
	uint64_t accept_resume; /* 0: accepting */
	struct pgd_ratelimit rl_full, rl_uid, rl_accept;
	uint64_t last_event_us; /* when pg_evloop_wait() last returned events */
	bool quit;
};

bool
pgd_ratelimit_ok(struct pgd_ratelimit *rl, uint64_t now, unsigned *ret_suppressed)
{
	if (rl->begin == 0 || now - rl->begin >= rl->interval_ms) {
		rl->begin = now;
		rl->printed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		*ret_suppressed = rl->suppressed;
		rl->suppressed = 0;
		return true;
	}
	rl->suppressed++;
	return false;
}

const char *
pgd_errno_name(int err, char buf[static 16])
{
	const char *name = pg_errno_name(err);

	if (name != NULL)
		return name;
	(void)snprintf(buf, 16, "E%d", err);
	return buf;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: portgated [--foreground] [--socket PATH] [--config DIR] [--user USER]\n"
		   "                 [--ready-fd N] [--allow-other-netns] [--max-clients N]\n"
		   "                 [--max-clients-per-uid N] [--timeout SECONDS] [--hold]\n"
		   "                 [--hold-retry SECONDS] [--max-hold N] [--busy-poll USEC]\n"
		   "                 [--syslog] [-v]\n"
		   "       portgated --help | --version\n"
		   "Bind ports for users the policy names; see portgated(8).\n");
}

static unsigned
parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		fprintf(stderr, "portgated: %s wants a number from %u to %u, not '%s'\n", opt, lo,
			hi, s);
		exit(EXIT_USAGE);
	}
	return (unsigned)v;
}

static void
parse_options(int argc, char **argv, struct pgd_options *o)
{
	enum {
		OPT_FOREGROUND = 256,
		OPT_SOCKET,
		OPT_CONFIG,
		OPT_USER,
		OPT_READY_FD,
		OPT_OTHER_NETNS,
		OPT_MAX_CLIENTS,
		OPT_MAX_PER_UID,
		OPT_TIMEOUT,
		OPT_HOLD,
		OPT_HOLD_RETRY,
		OPT_MAX_HOLD,
		OPT_BUSY_POLL,
		OPT_SYSLOG,
		OPT_VERSION,
	};
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "user", required_argument, NULL, OPT_USER },
		{ "ready-fd", required_argument, NULL, OPT_READY_FD },
		{ "allow-other-netns", no_argument, NULL, OPT_OTHER_NETNS },
		{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
		{ "max-clients-per-uid", required_argument, NULL, OPT_MAX_PER_UID },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "hold", no_argument, NULL, OPT_HOLD },
		{ "hold-retry", required_argument, NULL, OPT_HOLD_RETRY },
		{ "max-hold", required_argument, NULL, OPT_MAX_HOLD },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	bool per_uid_set = false;
	int c;

	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FOREGROUND:
			break; /* always: a service manager supervises portgated */
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_CONFIG:
			o->config_dir = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_READY_FD:
			o->ready_fd = (int)parse_uint("--ready-fd", optarg, 0, INT_MAX);
			break;
		case OPT_OTHER_NETNS:
			o->allow_other_netns = true;
			break;
		case OPT_MAX_CLIENTS:
			o->max_clients = parse_uint("--max-clients", optarg, 1, 65536);
			break;
		case OPT_MAX_PER_UID:
			o->max_per_uid = parse_uint("--max-clients-per-uid", optarg, 1, 65536);
			per_uid_set = true;
			break;
		case OPT_TIMEOUT:
			o->timeout_ms = 1000 * parse_uint("--timeout", optarg, 1, 3600);
			break;
		case OPT_HOLD:
			o->hold = true;
			break;
		case OPT_HOLD_RETRY:
			o->hold_retry_ms = 1000 * parse_uint("--hold-retry", optarg, 1, 3600);
			break;
		case OPT_MAX_HOLD:
			o->max_hold = parse_uint("--max-hold", optarg, 1, 65536);
			break;
		case OPT_BUSY_POLL:
			o->busy_poll_us = parse_uint("--busy-poll", optarg, 0, BUSY_POLL_MAX_US);
			break;
		case OPT_SYSLOG:
			o->use_syslog = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case OPT_VERSION:
			printf("portgated %s\n", PG_VERSION);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "portgated: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(EXIT_USAGE);
	}
	if (!per_uid_set && o->max_per_uid > o->max_clients)
		o->max_per_uid = o->max_clients;
}

/* Room for every client (its connection and the fd it sends), every held port, and slack. */
static void
raise_fd_limit(struct pgd_options *o)
{
	const rlim_t need =
		2 * (rlim_t)o->max_clients + (o->hold ? 2 * (rlim_t)o->max_hold : 0) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need) {
		rl.rlim_cur =
			rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		rlim_t room = rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 0;

		log_warnx("the open file limit (%llu) is too low for %u clients%s; lowering the "
			  "limits",
			  (unsigned long long)rl.rlim_cur, o->max_clients,
			  o->hold ? " and the held ports" : "");
		if (o->hold) {
			o->max_hold = (unsigned)(room / 4 ? room / 4 : 1);
			room -= 2 * (rlim_t)o->max_hold < room ? 2 * (rlim_t)o->max_hold : room;
		}
		o->max_clients = (unsigned)(room / 2 ? room / 2 : 1);
		if (o->max_per_uid > o->max_clients)
			o->max_per_uid = o->max_clients;
	}
}

static void
log_diags(const struct pg_diags *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		const struct pg_diag *x = &diags->v[i];

		if (x->line == 0)
			log_warnx("%s: %s", x->file, x->msg);
		else
			log_warnx("%s:%u:%u: %s", x->file, x->line, x->col, x->msg);
	}
}

/* Load the policy; every problem is logged.  0, or -errno with nothing changed. */
static int
load_policy(struct pgd *d, struct pg_policy **ret)
{
	struct pg_diags diags = { 0 };
	int r;

	r = pg_policy_load(d->opt.config_dir, d->opt.authbind_dir, ret, &diags);
	log_diags(&diags);
	pg_diags_clear(&diags);
	return r;
}

static void
hold_refresh(struct daemon *dm, uint64_t now)
{
	if (dm->pgd.hold == NULL)
		return;
	hold_update(dm->pgd.hold, dm->pgd.policy, pg_unprivileged_port_start());
	hold_retry(dm->pgd.hold, now);
}

static void
reload(struct daemon *dm)
{
	struct pgd *d = &dm->pgd;
	struct pg_policy *np = NULL;
	char state[64];
	int r;

	(void)snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		       (unsigned long long)pg_now_ms() * 1000);
	notify_send(state);
	r = load_policy(d, &np);
	if (r < 0) {
		log_warnx("reload: the policy in '%s' %s; keeping the old policy (%zu rules from "
			  "%zu files)",
			  d->opt.config_dir, r == -EINVAL ? "has errors" : "cannot be read",
			  d->policy->nrules, d->policy->nfiles);
	} else {
		pg_policy_free(d->policy);
		d->policy = np;
		log_info("reload: the policy in '%s' is in force: %zu rules from %zu files",
			 d->opt.config_dir, d->policy->nrules, d->policy->nfiles);
		hold_refresh(dm, pg_now_ms());
	}
	notify_send("READY=1");
}

static void
session_close(struct daemon *dm, struct session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		dm->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	dm->nsessions--;
	session_free(s); /* closing the fd takes it out of the event loop */
}

static unsigned
sessions_of_uid(const struct daemon *dm, uid_t uid)
{
	unsigned n = 0;

	for (const struct session *s = dm->sessions; s != NULL; s = s->next)
		n += s->peer.cred.uid == uid;
	return n;
}

/* The uid's session that has waited longest between requests, or NULL. */
static struct session *
oldest_idle_of_uid(const struct daemon *dm, uid_t uid)
{
	struct session *found = NULL;

	/* New sessions go to the head: the last match is the oldest. */
	for (struct session *s = dm->sessions; s != NULL; s = s->next)
		if (s->peer.cred.uid == uid && s->have == 0)
			found = s;
	return found;
}

static void
pause_accepting(struct daemon *dm, uint64_t now, int err)
{
	unsigned suppressed;

	if (pgd_ratelimit_ok(&dm->rl_accept, now, &suppressed))
		log_warnc(err, "accept (pausing for %d ms; %u such messages suppressed)",
			  ACCEPT_PAUSE_MS, suppressed);
	(void)pg_evloop_mod(dm->evfd, dm->ctl.fd, 0, &listen_watch);
	dm->accept_resume = now + ACCEPT_PAUSE_MS;
}

static void
accept_clients(struct daemon *dm, uint64_t now)
{
	const struct pgd_options *o = &dm->pgd.opt;

	for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
		struct session *s;
		struct peer peer;
		unsigned suppressed;
		int fd, r;

		fd = pg_accept_nb(dm->ctl.fd);
		if (fd < 0) {
			if (fd == -EINTR || fd == -ECONNABORTED)
				continue;
			if (fd != -EAGAIN)
				pause_accepting(dm, now, -fd);
			return;
		}
		r = peercred_get(fd, &peer);
		if (r < 0) {
			log_debug("a client's credentials cannot be read (%s); disconnected",
				  strerror(-r));
			(void)close(fd);
			continue;
		}
		if (dm->nsessions >= o->max_clients) {
			if (pgd_ratelimit_ok(&dm->rl_full, now, &suppressed))
				log_warnx("%u clients connected, the limit (--max-clients): "
					  "disconnecting uid=%u pid=%d (%u such messages "
					  "suppressed)",
					  dm->nsessions, (unsigned)peer.cred.uid, (int)peer.pid,
					  suppressed);
			(void)close(fd);
			continue;
		}
		if (sessions_of_uid(dm, peer.cred.uid) >= o->max_per_uid) {
			/*
			 * The preload shim keeps a connection per thread: make room by
			 * closing this uid's oldest idle one (its owner reconnects when
			 * it needs to).  Only when all are busy is the newcomer refused.
			 * Other uids are never touched.
			 */
			struct session *idle = oldest_idle_of_uid(dm, peer.cred.uid);

			if (pgd_ratelimit_ok(&dm->rl_uid, now, &suppressed))
				log_warnx("uid=%u has %u connections, the limit "
					  "(--max-clients-per-uid): %s pid=%d (%u such messages "
					  "suppressed)",
					  (unsigned)peer.cred.uid, o->max_per_uid,
					  idle ? "closing its oldest idle one for"
					       : "disconnecting",
					  (int)peer.pid, suppressed);
			if (idle == NULL) {
				(void)close(fd);
				continue;
			}
			session_close(dm, idle);
		}
		if (peer.groups_truncated)
			log_debug("uid=%u pid=%d has more than %d groups; only the first count",
				  (unsigned)peer.cred.uid, (int)peer.pid, PG_CRED_MAX_GROUPS);
		s = session_new(fd, &peer, now + o->timeout_ms);
		if (s == NULL) {
			(void)close(fd);
			pause_accepting(dm, now, ENOMEM);
			return;
		}
		r = pg_evloop_add(dm->evfd, fd, PG_EV_READ, s);
		if (r < 0) {
			log_warnc(-r, "watch a client's connection");
			session_free(s);
			continue;
		}
		s->next = dm->sessions;
		if (s->next != NULL)
			s->next->prev = s;
		dm->sessions = s;
		dm->nsessions++;
		/*
		 * A client sends its request right after connect(), so it is
		 * usually here already: serving it now saves a trip through
		 * pg_evloop_wait() and a wakeup, most of a bind's cost.
		 */
		if (!session_on_readable(s, &dm->pgd, now))
			session_close(dm, s);
	}
}

static void
handle_signals(struct daemon *dm)
{
	int sig;

	while ((sig = pg_sigsource_read(dm->sig)) > 0) {
		switch (sig) {
		case SIGHUP:
			reload(dm);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: exiting", strsignal(sig));
			dm->quit = true;
			break;
		default:
			break;
		}
	}
}

/* Close sessions whose time is up; returns the nearest deadline left. */
static uint64_t
expire_sessions(struct daemon *dm, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	struct session *s = dm->sessions;

	while (s != NULL) {
		struct session *n = s->next;

		if (s->deadline <= now) {
			log_debug("uid=%u pid=%d: %s for %u s, disconnecting",
				  (unsigned)s->peer.cred.uid, (int)s->peer.pid,
				  s->have ? "request incomplete" : "idle",
				  dm->pgd.opt.timeout_ms / 1000);
			session_close(dm, s);
		} else if (s->deadline < next) {
			next = s->deadline;
		}
		s = n;
	}
	return next;
}

/*
 * pg_evloop_wait(), but for --busy-poll microseconds after the last event it polls
 * without sleeping, yielding the CPU between polls.  A program binding in a
 * loop sends its next request a few microseconds after our reply; a daemon that
 * slept meanwhile costs a wakeup of an idle CPU, on a virtual machine the largest
 * part of a brokered bind (bench/results-bind.md).  sched_yield() lets a client
 * that shares our CPU run, so the poll never delays what it waits for.
 */
static int
wait_events(struct daemon *dm, struct pg_event *evs, int timeout)
{
	int n;

	for (;;) {
		bool polling =
			timeout != 0 && pg_now_us() - dm->last_event_us < dm->pgd.opt.busy_poll_us;

		n = pg_evloop_wait(dm->evfd, evs, MAX_EVENTS, polling ? 0 : timeout);
		if (n != 0 || !polling)
			break;
		(void)sched_yield();
	}
	if (n > 0)
		dm->last_event_us = pg_now_us();
	return n;
}

static int
run_loop(struct daemon *dm)
{
	struct pg_event evs[MAX_EVENTS];

	while (!dm->quit) {
		uint64_t now = pg_now_ms(), next = expire_sessions(dm, now);
		int timeout = -1, n;

		if (dm->accept_resume != 0) {
			if (dm->accept_resume <= now) {
				(void)pg_evloop_mod(dm->evfd, dm->ctl.fd, PG_EV_READ,
						    &listen_watch);
				dm->accept_resume = 0;
			} else if (dm->accept_resume < next) {
				next = dm->accept_resume;
			}
		}
		if (dm->pgd.hold != NULL) {
			if (hold_next_retry(dm->pgd.hold) <= now)
				hold_retry(dm->pgd.hold, now);
			if (hold_next_retry(dm->pgd.hold) < next)
				next = hold_next_retry(dm->pgd.hold);
		}
		if (next != UINT64_MAX)
			timeout = next <= now		 ? 0
				  : next - now > INT_MAX ? INT_MAX
							 : (int)(next - now);

		n = wait_events(dm, evs, timeout);
		if (n < 0) {
			if (n == -EINTR)
				continue;
			log_warnc(-n, "wait for events");
			return n;
		}
		now = pg_now_ms();
		for (int i = 0; i < n; i++) {
			void *p = evs[i].ptr;

			if (p == &listen_watch)
				accept_clients(dm, now);
			else if (p == &signal_watch)
				handle_signals(dm);
			else if (!session_on_readable(p, &dm->pgd, now))
				session_close(dm, p);
		}
	}
	return 0;
}

/* Tell the harness or the service manager that requests are served from now on. */
static void
announce_ready(struct daemon *dm)
{
	struct pgd_options *o = &dm->pgd.opt;

	log_info("ready: serving '%s' with %zu rules from %zu files; timeout %u s, at most %u "
		 "clients (%u per uid)%s%s",
		 o->socket_path, dm->pgd.policy->nrules, dm->pgd.policy->nfiles,
		 o->timeout_ms / 1000, o->max_clients, o->max_per_uid,
		 o->hold ? ", holding reserved ports" : "",
		 o->allow_other_netns ? ", sockets of other network namespaces accepted" : "");
	if (o->ready_fd >= 0) {
		static const char msg[] = "READY=1\n";

		if (write(o->ready_fd, msg, sizeof(msg) - 1) < 0)
			log_debug("--ready-fd %d: %s", o->ready_fd, strerror(errno));
		(void)close(o->ready_fd);
		o->ready_fd = -1;
	}
	notify_send("READY=1");
}

/* The signals portgated handles: held from the start of main(), read in the loop. */
static void
daemon_signals(sigset_t *mask)
{
	(void)sigemptyset(mask);
	(void)sigaddset(mask, SIGHUP);
	(void)sigaddset(mask, SIGTERM);
	(void)sigaddset(mask, SIGINT);
}

/* Level-triggered readability for the signals and the listening socket (accept_clients). */
static int
setup_loop(struct daemon *dm)
{
	sigset_t mask;
	int r;

	daemon_signals(&mask);
	r = pg_sigsource_open(&mask, &dm->sig);
	if (r < 0) {
		log_warnc(-r, "watch for signals");
		return r;
	}
	dm->evfd = pg_evloop_open();
	if (dm->evfd < 0) {
		log_warnc(-dm->evfd, "create an event loop");
		return dm->evfd;
	}
	r = pg_evloop_add(dm->evfd, pg_sigsource_fd(dm->sig), PG_EV_READ, &signal_watch);
	if (r == 0)
		r = pg_evloop_add(dm->evfd, dm->ctl.fd, PG_EV_READ, &listen_watch);
	return r;
}

static int
run(struct daemon *dm)
{
	struct pgd *d = &dm->pgd;
	struct privdrop_user user;
	bool as_root;
	int r;

	if (d->opt.ready_fd >= 0 && fcntl(d->opt.ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_warn("--ready-fd %d", d->opt.ready_fd);
		return -EBADF;
	}
	if ((r = privdrop_lookup(d->opt.user, &user)) < 0)
		return r;
	raise_fd_limit(&d->opt);
	(void)notify_open(); /* before the drop, which may take away the right to connect */
	/* Root makes the socket (and its directory) for the user, then leaves; a
	 * service manager's user has nothing to drop but capabilities: first. */
	as_root = geteuid() == 0;
	if (!as_root && (r = privdrop_drop(&user)) < 0)
		return r;
	if ((r = ctlsock_open(d->opt.socket_path, user.uid, user.gid, &dm->ctl)) < 0)
		return r;
	if (as_root && (r = privdrop_drop(&user)) < 0)
		return r;

	/* As the daemon user, exactly as every reload will read it. */
	r = load_policy(d, &d->policy);
	if (r < 0) {
		log_warnx("the policy in '%s' %s; not starting", d->opt.config_dir,
			  r == -EINVAL ? "has errors" : "cannot be read by the daemon user");
		return r;
	}
	r = binder_netns_self(&d->netns_cookie);
	d->netns_cookie_known = r == 0;
	if (r < 0 && !d->opt.allow_other_netns)
		log_warnc(-r, "this kernel cannot tell a socket's network namespace (Linux 5.14+ "
			      "can); BIND_THIS will be refused");
	if ((r = setup_loop(dm)) < 0)
		return r;
	if (d->opt.hold) {
		d->hold = hold_new(d->opt.max_hold, d->opt.hold_retry_ms);
		if (d->hold == NULL)
			return -ENOMEM;
		hold_refresh(dm, pg_now_ms());
	}
	log_info("running as '%s' (uid %u, gid %u) with CAP_NET_BIND_SERVICE only", user.name,
		 (unsigned)user.uid, (unsigned)user.gid);
	announce_ready(dm);
	return run_loop(dm);
}

/*
 * Whatever else the parent left open (a pipe it waits on, a terminal) is not
 * ours to keep alive for as long as the daemon runs.
 */
static void
close_inherited_fds(int keep)
{
	if (keep < 3) {
		(void)pg_close_range(3, ~0U, 0);
		return;
	}
	if (keep > 3)
		(void)pg_close_range(3, (unsigned)keep - 1, 0);
	(void)pg_close_range((unsigned)keep + 1, ~0U, 0);
}

int
main(int argc, char **argv)
{
	struct daemon dm = {
		.pgd.opt = {
			.socket_path = PG_WIRE_SOCKET,
			.config_dir = pg_config_dir_default(),
			.authbind_dir = pg_authbind_dir_default(),
			.user = PGD_DEFAULT_USER,
			.ready_fd = -1,
			.max_clients = PGD_DEFAULT_MAX_CLIENTS,
			.max_per_uid = PGD_DEFAULT_MAX_PER_UID,
			.timeout_ms = 1000 * PGD_DEFAULT_TIMEOUT_S,
			.hold_retry_ms = 1000 * PGD_DEFAULT_HOLD_RETRY_S,
			.max_hold = PGD_DEFAULT_MAX_HOLD,
			.busy_poll_us = PGD_DEFAULT_BUSY_POLL_US,
		},
		.ctl.fd = -1,
		.evfd = -1,
		.rl_full = { .interval_ms = 10000, .burst = 3 },
		.rl_uid = { .interval_ms = 10000, .burst = 3 },
		.rl_accept = { .interval_ms = 10000, .burst = 3 },
	};
	sigset_t mask;
	int r;

	/* Held from the start: a SIGHUP during start-up waits for the loop. */
	daemon_signals(&mask);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	parse_options(argc, argv, &dm.pgd.opt);
	close_inherited_fds(dm.pgd.opt.ready_fd);
	log_init("portgated", LOG_LEVEL_INFO + dm.pgd.opt.verbosity, dm.pgd.opt.use_syslog);

	r = run(&dm);

	notify_send("STOPPING=1");
	while (dm.sessions != NULL)
		session_close(&dm, dm.sessions);
	hold_free(dm.pgd.hold);
	ctlsock_close(dm.pgd.opt.socket_path, &dm.ctl);
	if (dm.evfd >= 0)
		(void)close(dm.evfd);
	pg_sigsource_close(dm.sig); /* the signals stay held, as main() blocked them */
	notify_close();
	pg_policy_free(dm.pgd.policy);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
