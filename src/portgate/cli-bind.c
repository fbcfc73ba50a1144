// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-bind.c - bind the sockets a command line asks for, as `portgate run`
 * and `portgate proxy` do: judged by the policy for -u USER when root, bound
 * directly, and through portgated when the kernel refuses (or when it may be
 * holding the port for us).  CLI code: dies with a message that says what
 * would make the bind work.  Runs as the invoking user.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "broker.h"
#include "cli-bind.h"
#include "cli.h"
#include "sock.h"

static const char *
decision_name(enum pg_decision d)
{
	switch (d) {
	case PG_ALLOW:
		return "allow";
	case PG_DENY:
		return "deny";
	case PG_UNMANAGED:
	default:
		return "unmanaged";
	}
}

void
cli_judge_bind(struct pg_policy *policy, const struct privdrop_target *t, const struct pg_bind *b,
	       const char *text, const char *who)
{
	char why[512], bind[PG_BIND_STRLEN];
	struct pg_verdict v;

	pg_policy_eval(policy, &t->cred, b, &v);
	pg_verdict_explain(&v, why, sizeof(why));
	if (cli.verbose)
		warnx("%s uid=%u bind=%s: %s", decision_name(v.decision), (unsigned)t->cred.uid,
		      pg_bind_format(b, bind), why);
	if (v.decision == PG_DENY) {
		pg_policy_free(policy);
		die(EXIT_DENIED, "bind '%s' for '%s': denied by the policy: %s", text, who, why);
	}
}

/* BIND_NEW flags for s: IPV6_V6ONLY exactly as pg_socket_bind() sets it on the direct path. */
static unsigned
broker_flags(const struct pg_bind *b)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned flags = 0;

	if (b->proto == PG_PROTO_TCP)
		flags |= PG_WIRE_F_LISTEN;
	if (b->family == AF_INET6 && !b->dual_stack && memcmp(b->addr, v4mapped, 12) != 0)
		flags |= PG_WIRE_F_V6ONLY;
	return flags;
}

/*
 * The kernel refused to let an unprivileged caller bind s (err is EACCES or
 * EPERM).  This is the one place that asks portgated for the socket: when it
 * binds it, the new socket goes to *ret_fd and 0 is returned.  Otherwise the
 * command ends here with what portgated said or, when there is no portgated
 * to ask, what the policy says would make the bind work.
 */
static int
bind_refused(const char *text, const struct pg_spec *sp, const struct pg_bind *b, int err,
	     int *ret_fd)
{
	char why[512], hint[768], who[64], spec[PG_SPEC_STRLEN], down[PATH_MAX + 96];
	const char *path = pg_broker_socket_path();
	struct pg_broker_result res;
	struct pg_policy *policy;
	struct pg_cred self;
	struct pg_verdict v;
	int r;

	r = pg_cred_self(&self);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "bind '%s': %s; then reading my own credentials", text,
			  strerror(err));
	pg_user_name(self.uid, who, sizeof(who));
	pg_spec_format(sp, spec);

	r = pg_broker_bind_new(NULL, b, broker_flags(b), &res);
	if (r == 0 && res.error == 0) {
		*ret_fd = res.fd;
		return 0;
	}
	if (r == 0 && (res.error == EACCES || res.error == EPERM))
		die(EXIT_DENIED,
		    "bind '%s' as '%s': the kernel refused it and so did portgated (%s%s%s); ask "
		    "an administrator to run 'portgate allow %s %s'",
		    text, who, strerror(res.error), res.reason[0] != '\0' ? ": " : "", res.reason,
		    who, spec);
	if (r == 0)
		die(EXIT_TEMPFAIL, "bind '%s' as '%s' via portgated: %s%s%s%s", text, who,
		    strerror(res.error), res.reason[0] != '\0' ? " (" : "", res.reason,
		    res.reason[0] != '\0' ? ")" : "");
	if (r != -ENOENT && r != -ECONNREFUSED)
		die_errno(EXIT_TEMPFAIL, -r,
			  "bind '%s' as '%s': the kernel refused it (%s); then asking portgated at "
			  "'%s'",
			  text, who, strerror(err), path);

	/* No portgated: say from the policy what would make the bind work. */
	(void)snprintf(down, sizeof(down),
		       "portgated is not running (%s '%s'): start it ('systemctl start "
		       "portgated')",
		       r == -ENOENT ? "no" : "nothing listens on", path);
	policy = cli_load_policy();
	pg_policy_eval(policy, &self, b, &v);
	if (v.decision == PG_ALLOW) {
		if (v.reason == PG_REASON_RULE)
			(void)snprintf(why, sizeof(why), "rule %s:%u", v.rule->file, v.rule->line);
		else
			pg_verdict_explain(&v, why, sizeof(why));
		(void)snprintf(hint, sizeof(hint),
			       "the policy grants it to you (%s) but neither portgated nor the "
			       "kernel policy is running to act on it",
			       why);
	} else {
		if (v.decision == PG_DENY)
			pg_verdict_explain(&v, why, sizeof(why));
		(void)snprintf(hint, sizeof(hint),
			       "the policy does not grant it%s%s%s: ask an administrator to run "
			       "'portgate allow %s %s'",
			       v.decision == PG_DENY ? " (" : "", v.decision == PG_DENY ? why : "",
			       v.decision == PG_DENY ? ")" : "", who, spec);
	}
	pg_policy_free(policy);
	die(EXIT_DENIED, "bind '%s' as '%s': the kernel refused it (%s); %s; %s", text, who,
	    strerror(err), hint, down);
}

int
cli_bind_listen(const char *text, const struct pg_spec *spec, const struct pg_bind *b, bool root)
{
	int fd = -1, r;

	r = pg_socket_bind(b, 0, &fd);
	if ((r == -EACCES || r == -EPERM) && !root)
		r = bind_refused(text, spec, b, -r, &fd);
	if (r == -EADDRINUSE) {
		/*
		 * portgated --hold may be keeping the port for us (or, as root with
		 * -u, for the user the policy was just checked for): ask before
		 * giving up.
		 */
		struct pg_broker_result res;

		if (pg_broker_bind_new(NULL, b, broker_flags(b), &res) == 0 && res.error == 0) {
			fd = res.fd;
			r = 0;
		}
	}
	if (r == -EACCES || r == -EPERM)
		die_errno(EXIT_DENIED, -r, "bind '%s'", text);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "bind '%s'", text);
	return fd;
}
