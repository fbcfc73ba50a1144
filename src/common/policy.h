/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy.h - the policy: who may bind which port, on which address, with which
 * protocol.  portgate.conf + conf.d/NAME.conf (and /etc/authbind when present)
 * compile into one struct pg_policy, and pg_policy_eval() is the one function
 * every enforcement path uses to judge a bind.
 * Library code: returns -errno, never logs.
 */
#ifndef PG_POLICY_H
#define PG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "authbind.h"
#include "cred.h"
#include "spec.h"

#define PG_CONFIG_DIR	   "/etc/portgate"
#define PG_CONFIG_FILE	   "portgate.conf"
#define PG_CONFIG_DROPIN   "conf.d"
#define PG_CONFIG_ENV	   "PORTGATE_CONFIG_DIR"
#define PG_AUTHBIND_ENV	   "PORTGATE_AUTHBIND_DIR" /* "" turns the authbind tree off */
#define PG_POLICY_MAX_FILE (1024 * 1024)

enum pg_principal_kind { PG_PRINCIPAL_USER = 1, PG_PRINCIPAL_GROUP };

struct pg_rule {
	enum pg_principal_kind kind;
	uint32_t id;	 /* uid or gid */
	char *principal; /* as written: "alice", "uid:1001", "@staff", "gid:50" */
	struct pg_spec spec;
	const char *file; /* owned by the policy */
	unsigned line;
	unsigned col; /* 1-based column of the spec */
};

struct pg_policy {
	struct pg_rule *rules;
	size_t nrules;
	char **files; /* every file read, in order */
	size_t nfiles;
	char *config_dir;
	char *authbind_dir; /* NULL when the authbind tree is not consulted */
};

/* One problem found while loading; the caller decides where it goes. */
struct pg_diag {
	char *file;
	unsigned line; /* 0 when the problem is with the file as a whole */
	unsigned col;
	char msg[200];
};

struct pg_diags {
	struct pg_diag *v;
	size_t n;
	size_t cap;
};

void pg_diags_clear(struct pg_diags *d);

/* Append one problem (line 0: with the file as a whole); silently dropped past 1000. */
void pg_diag_add(struct pg_diags *d, const char *file, unsigned line, unsigned col, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/*
 * Load config_dir/portgate.conf and config_dir/conf.d/NAME.conf (sorted by name).
 * authbind_dir is consulted for ports below 1024 if not NULL and it exists.
 * A missing portgate.conf is an empty file; a missing config_dir is an empty
 * policy.  Every problem is appended to *diags; if there is any, nothing is
 * returned, so a bad policy is never half-applied: -EINVAL when the text is
 * wrong, another -errno when a file could not be read (-EACCES, -EIO...).
 */
int pg_policy_load(const char *config_dir, const char *authbind_dir, struct pg_policy **ret,
		   struct pg_diags *diags);

/* Parse one file's contents into p (used by the loader, the editors and the fuzzer). */
int pg_policy_parse_buffer(struct pg_policy *p, const char *file, const char *buf, size_t len,
			   struct pg_diags *diags);

/* Token boundaries on one policy line: the principal, then the specs. */
struct pg_token {
	size_t start;
	size_t len;
};

/*
 * Split one line into tokens, stopping at a '#' comment.  Fills at most max
 * entries and returns how many tokens there are (possibly more than max).
 */
size_t pg_policy_tokenize(const char *line, size_t len, struct pg_token *tok, size_t max);

/* "alice", "uid:1001", "@staff", "gid:50" -> kind and id; names must exist. */
int pg_principal_parse(const char *text, size_t len, enum pg_principal_kind *ret_kind,
		       uint32_t *ret_id, struct pg_parse_error *err);

struct pg_policy *pg_policy_new(void);
void pg_policy_free(struct pg_policy *p);

/* The directories to use when the caller gave none: the environment, then the default. */
const char *pg_config_dir_default(void);
const char *pg_authbind_dir_default(void); /* NULL if turned off */

enum pg_decision { PG_UNMANAGED = 0, PG_ALLOW, PG_DENY };

enum pg_reason {
	PG_REASON_NOT_NAMED = 0, /* unmanaged: no rule names this port */
	PG_REASON_PORT_ZERO,	 /* unmanaged: ephemeral port */
	PG_REASON_ROOT,		 /* allowed: root is exempt */
	PG_REASON_RULE,		 /* allowed by rule */
	PG_REASON_AUTHBIND,	 /* allowed by the authbind tree (authbind.path) */
	PG_REASON_NOT_OWNER,	 /* denied: managed port, no rule for this user; rule = an owner */
};

struct pg_verdict {
	enum pg_decision decision;
	enum pg_reason reason;
	const struct pg_rule *rule; /* the granting rule, or for a deny a rule naming the port */
	struct pg_bind judged;	    /* the bind as judged (IPv4-mapped unmapped; for a
				       dual-stack bind, the half that decided) */
	struct pg_authbind_verdict authbind;
};

/*
 * Judge bind b by cred.  A port named by any rule (same protocol) is managed:
 * only users a rule covers may bind it, at the addresses the rule covers.
 * IPv4-mapped IPv6 is judged as IPv4; a dual-stack [::] bind needs the IPv4
 * wildcard as well.  Port 0 and unnamed ports are unmanaged; uid 0 is exempt.
 * Never fails.
 */
void pg_policy_eval(const struct pg_policy *p, const struct pg_cred *cred, const struct pg_bind *b,
		    struct pg_verdict *ret);

/* Does a rule's principal cover cred? */
bool pg_rule_covers_cred(const struct pg_rule *r, const struct pg_cred *cred);

/* Is (proto, port) named by any rule?  Returns the first such rule or NULL. */
const struct pg_rule *pg_policy_port_owner(const struct pg_policy *p, enum pg_proto proto,
					   uint16_t port);

/* A one-line explanation of a verdict, e.g. "allowed by portgate.conf:3 (alice
 * tcp://127.0.0.1:80)". */
const char *pg_verdict_explain(const struct pg_verdict *v, char *buf, size_t size);

#endif
