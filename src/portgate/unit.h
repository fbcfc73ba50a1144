/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unit.h - "portgate unit": the parsed command line and the helpers that
 * cmd-unit.c (options, output) shares with the writers of each service
 * manager's files, unit-launchd.c (property lists) and unit-systemd.c
 * (.socket and .service units).  Runs as the invoking user; errors end the
 * process through die() and usage_die(), as everywhere in the CLI.
 */
#ifndef PG_UNIT_H
#define PG_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "spec.h"

/* The label of portgated's own LaunchDaemon (--portgated without --label). */
#define UNIT_PORTGATED_LABEL "org.portgate.portgated"

enum unit_kind { UNIT_LAUNCHD, UNIT_SYSTEMD };

struct unit_listen {
	const char *text; /* the -l argument */
	struct pg_spec spec;
	const char *path; /* unix:PATH (launchd SockPathName); NULL for an inet spec */
	const char *name; /* --fdname, or the launchd default; NULL: none */
};

struct unit_options {
	enum unit_kind kind;
	const char *kindname;
	bool agent, daemon, install, force, proxy;
	const char *label;	/* launchd --label */
	const char *name;	/* systemd --name */
	const char *output_dir; /* systemd --output-dir */
	char *user, *group;	/* -u USER[:GROUP], split */
	const char *to;		/* --proxy --to */
	struct unit_listen *listen;
	size_t nlisten;
	const char **names; /* --fdname, split at ':' */
	size_t nnames;
	char **copies; /* the --fdname arguments the names point into */
	size_t ncopies;
	char **argv; /* PROG ARGS..., NULL-terminated; NULL if none */
	/* launchd only */
	bool lss;	  /* --launch-socket-server */
	bool portgated;	  /* --portgated */
	const char **env; /* --env NAME=VALUE, in order */
	size_t nenv;
	const char *chdir;	 /* --chdir DIR */
	const char *stdout_path; /* --stdout FILE */
	const char *stderr_path; /* --stderr FILE */
	const char *sock_mode;	 /* --socket-mode MODE, as given */
	long sock_mode_bits;	 /* ... parsed by unit_launchd_check(); -1: none */
};

/* Usage error unless s is valid UTF-8 without control characters. */
void unit_check_text(const char *what, const char *s);

/* The names in order of first appearance (malloc'ed, the strings are o's). */
size_t unit_distinct_names(const struct unit_options *o, const char ***ret);

/* This portgate, as ProgramArguments and ExecStart start it. */
const char *unit_self_path(void);

/* A word for a shell command line: single-quoted unless plain. */
/* Letters, digits and "/._,:=+@-" only, not empty: needs no quoting anywhere. */
bool unit_word_is_plain(const char *s);
void unit_shell_word(FILE *f, const char *s);

/* Write a new file of mode 0644; an existing one only with force (replaced atomically). */
void unit_write_new_file(const char *path, const char *buf, size_t len, bool force);
void unit_mkdir_one(const char *path);

/* A FILE writing to memory, its close, and the buffer to standard output. */
FILE *unit_open_buf(char **buf, size_t *len);
void unit_close_buf(FILE *f);
void unit_emit(const char *buf, size_t len);

/* The launchd options' own checks, after the shared ones; usage errors exit 100. */
void unit_launchd_check(struct unit_options *o);
int unit_run_launchd(struct unit_options *o);
int unit_run_systemd(struct unit_options *o);

#endif
