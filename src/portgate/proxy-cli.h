/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxy-cli.h - what the parts of `portgate proxy` share: its options
 * (proxy-opts.c parses them), the supervisor of its processes
 * (proxy-procs.c: PROG, the workers, the signals) and cmd-proxy.c, which
 * sets up the sockets and the proxy and runs it.  CLI code: dies on errors.
 */
#ifndef PG_PROXY_CLI_H
#define PG_PROXY_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "keeper.h"
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
	struct keeper_options keeper; /* --keep: a keeper runs PROG (keeper.h) */
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

/* The options and PROG ARGS... into o, or a usage error. */
void proxy_parse_options(int argc, char **argv, struct proxy_options *o);

/* --login-shell: the login shell of whoever runs PROG, malloc'ed; dies if unusable. */
char *proxy_resolve_login_shell(struct proxy_options *o, const struct privdrop_target *t);

/* --to (or the private socket's unix:PATH) into cfg's backend, or a usage error. */
void proxy_parse_backend(const char *to, struct pg_proxy_config *cfg);

/*
 * Fork PROG with the backend's address in its environment, as USER with -u as
 * root; with --keep the child is a keeper (keeper.h) that runs PROG.  Returns
 * the child's pid.
 */
pid_t proxy_start_child(const struct proxy_options *o, const struct privdrop_target *t, bool root,
			const char *to, struct pg_sigsource *sig);

/* TERM: close the listening sockets and let the open connections finish. */
void proxy_start_drain(struct supervisor *s);

/* Send sig to every worker still running. */
void proxy_signal_workers(struct supervisor *s, int sig);

/* The proxy's event callback: the signals of s->sig (pg_proxy_config.event). */
int proxy_on_signal(void *userdata);

/* Fork n - 1 more workers serving the same sockets with cfg; they share the connection count. */
void proxy_start_workers(struct supervisor *s, struct pg_proxy_config *cfg, unsigned n);

#endif
