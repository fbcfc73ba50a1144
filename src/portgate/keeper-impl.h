/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keeper-impl.h - the keeper's state, shared by keeper.c (its event loop:
 * signals, readiness, restarts and timers) and keeper-child.c (its children:
 * PROG's start, environment and stop, and what a PROG left behind).  Private
 * to those two files.  CLI code.
 */
#ifndef PG_KEEPER_IMPL_H
#define PG_KEEPER_IMPL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keeper.h"
#include "notify-recv.h"
#include "sigsource.h"
#include "../preload/adopt.h"

#define USEC		  1000000ULL
#define KEEP_DELAY_CAP_US (30 * USEC) /* the back-off stops doubling here */
#define KEEP_RESET_US	  (10 * USEC) /* a run this long resets the back-off */
#define KEEP_NOTIFY_BURST 64	      /* notify messages read per wakeup */
#define KEEP_IGNORED_LOGS 10	      /* messages from strangers logged, then every 1000th */

struct child {
	pid_t pid;	   /* 0: none */
	uint64_t started;  /* pg_now_us() at fork */
	uint64_t deadline; /* ready-by for next, SIGKILL-at for a stopping one; 0: none */
	bool orphan;	   /* left behind by a PROG that ended, reparented to the keeper */
};

struct keeper {
	const struct keeper_options *o;
	char **argv;
	char **envp;
	size_t nfds;
	char listen_pid[32]; /* "LISTEN_PID=N", completed in each child */
	char notify_addr[PG_NOTIFY_ADDR_MAX];
	/* "NOTIFY_SOCKET=ADDR", or "PORTGATE_ADOPT_NOTIFY=PID:ADDR" completed in each child */
	char notify_env[sizeof(PG_ADOPT_NOTIFY_ENV "=:") + 24 + PG_NOTIFY_ADDR_MAX];
	struct pg_sigsource *sig;
	sigset_t mask; /* the signals sig takes */
	int evfd, notify_fd;
	pid_t self;
	struct child cur;  /* the PROG that serves */
	struct child next; /* the one started by SIGHUP, until it is ready */
	bool *adopted;	   /* --ready=adopt: which of the nfds sockets next reported */
	size_t nadopted;
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

static inline double
secs(uint64_t us)
{
	return (double)us / (double)USEC;
}

/* "exited with status N" or "was killed by SIGX" for wait status st. */
const char *keeper_describe(int st, char buf[static 64]);

/* PROG's exit status as ours: its own, or 128 + N for signal N, as a shell says it. */
int keeper_exit_code(int st);

/* Fork PROG into c: 0, or -errno (logged) when fork() failed. */
int keeper_start_prog(struct keeper *k, struct child *c);

/* Send c the stop signal; it joins the stopping ones, SIGKILL after --stop-timeout. */
void keeper_stop_prog(struct keeper *k, struct child *c);

/* Stop what PROGs that ended left behind (keeper-child.c says how). */
void keeper_stop_orphans(struct keeper *k);

/* PROG's environment into k->envp from envp: 0 or -ENOMEM. */
int keeper_build_env(struct keeper *k, char **envp);

/* Close every fd from first on. */
void keeper_close_from(int first);

#endif
