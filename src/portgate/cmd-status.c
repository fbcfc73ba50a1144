// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-status.c - "portgate status [--json]": is the policy valid, and what
 * enforces it now?  One line each for the policy files, the kernel path and
 * the broker, then which of them enforce the policy (or one JSON document).
 * Changes nothing.  Runs as the invoking user; reading the kernel's pinned
 * programs needs root, and the answer says so when it cannot tell.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bpf/bpf-loader.h"
#include "broker.h"
#include "cli-probe.h"
#include "cli.h"
#include "json.h"

/* What status found, before it is printed as text or JSON. */
struct status {
	int policy_r; /* of pg_policy_load: 0, -EINVAL (errors), other -errno */
	size_t nerrors, nrules, nfiles;
	const char *authbind_dir; /* the tree read, or NULL */

	int kernel_r; /* of pg_bpf_status: 0 loaded, -ENOENT, -EPERM/-EACCES, -EOPNOTSUPP
			 (no kernel path on this system: bpf-loader-none.c), other */
	bool bind4, bind6;
	char cgroup[4096]; /* its path, or "cgroup id N" */
	bool all_programs; /* attached at the cgroup2 root */
	int sync;	   /* 1 in sync, 0 changed, < 0 not compared */

	int broker_r; /* of cli_broker_probe */
	pid_t broker_pid;
	uid_t broker_uid;
};

static struct pg_policy *
gather_policy(struct status *s)
{
	struct pg_diags d = { 0 };
	struct pg_policy *p = NULL;

	s->policy_r = pg_policy_load(cli.config_dir, cli.authbind_dir, &p, &d);
	s->nerrors = d.n;
	if (p != NULL) {
		s->nrules = p->nrules;
		s->nfiles = p->nfiles;
		s->authbind_dir = p->authbind_dir;
	}
	pg_diags_clear(&d);
	return p;
}

static void
gather_kernel(struct status *s, const char *pin_dir, const struct pg_policy *p)
{
	struct pg_bpf_status st;
	char root[4096];
	const struct pg_bpf_link *l;

	s->sync = -EINVAL;
	s->kernel_r = pg_bpf_status(pin_dir, &st);
	if (s->kernel_r < 0)
		return;
	l = st.link[0].present ? &st.link[0] : &st.link[1];
	s->bind4 = st.link[0].present;
	s->bind6 = st.link[1].present;
	if (pg_cgroup2_root(root, sizeof(root)) < 0 ||
	    pg_cgroup_path(root, l->cgroup_id, s->cgroup, sizeof(s->cgroup)) < 0)
		(void)snprintf(s->cgroup, sizeof(s->cgroup), "cgroup id %llu",
			       (unsigned long long)l->cgroup_id);
	else
		s->all_programs = strcmp(s->cgroup, root) == 0;
	if (p != NULL && st.cfg.magic != 0)
		s->sync = cli_kernel_in_sync(p, &st.cfg);
	pg_bpf_status_clear(&st);
}

static bool
kernel_enforces(const struct status *s)
{
	return s->kernel_r == 0;
}

static bool
kernel_stale(const struct status *s)
{
	return s->kernel_r == 0 && s->sync == 0;
}

static void
print_policy(const struct status *s)
{
	if (s->policy_r == -EINVAL)
		printf("policy: %s has %zu error%s: nothing of it is enforced until they are fixed "
		       "(run 'portgate verify')\n",
		       cli.config_dir, s->nerrors, s->nerrors == 1 ? "" : "s");
	else if (s->policy_r < 0)
		printf("policy: %s cannot be read: %s (run as root)\n", cli.config_dir,
		       strerror(-s->policy_r));
	else
		printf("policy: %s: %zu rule%s in %zu file%s%s%s%s\n", cli.config_dir, s->nrules,
		       s->nrules == 1 ? "" : "s", s->nfiles, s->nfiles == 1 ? "" : "s",
		       s->nrules == 0 ? " (nothing is granted or reserved)" : "",
		       s->authbind_dir != NULL ? "; the authbind tree is read too: " : "",
		       s->authbind_dir != NULL ? s->authbind_dir : "");
}

static void
print_kernel(const struct status *s, const char *pin_dir)
{
	if (s->kernel_r == -ENOENT)
		printf("kernel: not loaded ('portgate kernel load' enforces the policy for every "
		       "program)\n");
	else if (s->kernel_r == -EPERM || s->kernel_r == -EACCES)
		printf("kernel: cannot tell without root (run 'sudo portgate status')\n");
	else if (s->kernel_r == -EOPNOTSUPP)
		printf("kernel: none on this system (the kernel path is Linux-only: eBPF cgroup "
		       "hooks)\n");
	else if (s->kernel_r < 0)
		printf("kernel: cannot read what is pinned in %s: %s\n", pin_dir,
		       strerror(-s->kernel_r));
	else
		printf("kernel: loaded (%s) for the programs in %s%s; %s\n",
		       s->bind4 && s->bind6 ? "bind4 and bind6"
		       : s->bind4	    ? "bind4 only"
					    : "bind6 only",
		       s->cgroup, s->all_programs ? ", i.e. all of them" : " only",
		       s->sync == 1 ? "in sync with the policy files"
		       : s->sync == 0
			       ? "the policy files CHANGED since: run 'portgate kernel reload'"
			       : "not compared with the policy files");
}

static void
print_broker(const struct status *s)
{
	const char *path = pg_broker_socket_path();
	char name[64];

	if (s->broker_r == 0) {
		printf("broker: running at %s", path);
		if (s->broker_pid > 0)
			printf(" (pid %d%s%s)", (int)s->broker_pid,
			       s->broker_uid != (uid_t)-1 ? ", user " : "",
			       s->broker_uid != (uid_t)-1
				       ? pg_user_name(s->broker_uid, name, sizeof(name))
				       : "");
		printf("\n");
	} else if (s->broker_r == -ENOENT) {
		printf("broker: not running (no socket at %s; start portgated, e.g. 'systemctl "
		       "start portgated')\n",
		       path);
	} else if (s->broker_r == -ECONNREFUSED) {
		printf("broker: not running (%s is left from an earlier portgated; start "
		       "portgated)\n",
		       path);
	} else {
		printf("broker: cannot tell: connect to %s: %s\n", path, strerror(-s->broker_r));
	}
}

static void
print_text(const struct status *s, const char *pin_dir)
{
	bool kernel = kernel_enforces(s), broker = s->broker_r == 0;

	print_policy(s);
	print_kernel(s, pin_dir);
	print_broker(s);
	if (s->policy_r < 0 || (!kernel && !broker)) {
		printf("enforced: no%s\n",
		       s->policy_r < 0 ? " (fix the policy first)"
				       : ": named ports are neither granted nor reserved "
					 "by portgate now");
		return;
	}
	printf("enforced: yes, by %s%s%s%s\n", kernel ? "the kernel" : "",
	       kernel && broker ? " and " : "", broker ? "the broker" : "",
	       kernel_stale(s) ? " (the kernel with an older policy)" : "");
}

/* "ok", "errors", "unreadable"; "loaded", "not-loaded", "unknown" (no root), "none", "error"... */
static const char *
policy_state(const struct status *s)
{
	return s->policy_r == 0 ? "ok" : s->policy_r == -EINVAL ? "errors" : "unreadable";
}

static const char *
kernel_state(const struct status *s)
{
	if (s->kernel_r == 0)
		return "loaded";
	if (s->kernel_r == -ENOENT)
		return "not-loaded";
	if (s->kernel_r == -EPERM || s->kernel_r == -EACCES)
		return "unknown";
	if (s->kernel_r == -EOPNOTSUPP)
		return "none";
	return "error";
}

static const char *
broker_state(const struct status *s)
{
	if (s->broker_r == 0)
		return "running";
	if (s->broker_r == -ENOENT)
		return "not-running";
	if (s->broker_r == -ECONNREFUSED)
		return "stale-socket";
	return "unknown";
}

static int
print_json(const struct status *s, const char *pin_dir)
{
	bool kernel = kernel_enforces(s), broker = s->broker_r == 0;
	bool enforced = s->policy_r == 0 && (kernel || broker);
	char name[64];
	struct pg_json j;

	pg_json_init(&j, stdout);
	pg_json_begin_object(&j, NULL);

	pg_json_begin_object(&j, "policy");
	pg_json_string(&j, "state", policy_state(s));
	pg_json_string(&j, "config_dir", cli.config_dir);
	pg_json_int(&j, "errors", (long long)s->nerrors);
	if (s->policy_r == 0) {
		pg_json_int(&j, "rules", (long long)s->nrules);
		pg_json_int(&j, "files", (long long)s->nfiles);
	} else {
		pg_json_null(&j, "rules");
		pg_json_null(&j, "files");
	}
	pg_json_string(&j, "authbind_dir", s->authbind_dir);
	pg_json_end_object(&j);

	pg_json_begin_object(&j, "kernel");
	pg_json_string(&j, "state", kernel_state(s));
	pg_json_string(&j, "pin_dir", pin_dir);
	if (kernel) {
		pg_json_bool(&j, "bind4", s->bind4);
		pg_json_bool(&j, "bind6", s->bind6);
		pg_json_string(&j, "cgroup", s->cgroup);
		pg_json_bool(&j, "all_programs", s->all_programs);
	} else {
		pg_json_null(&j, "bind4");
		pg_json_null(&j, "bind6");
		pg_json_null(&j, "cgroup");
		pg_json_null(&j, "all_programs");
	}
	if (kernel && s->sync >= 0)
		pg_json_bool(&j, "in_sync", s->sync == 1);
	else
		pg_json_null(&j, "in_sync");
	pg_json_end_object(&j);

	pg_json_begin_object(&j, "broker");
	pg_json_string(&j, "state", broker_state(s));
	pg_json_string(&j, "socket", pg_broker_socket_path());
	if (broker && s->broker_pid > 0)
		pg_json_int(&j, "pid", s->broker_pid);
	else
		pg_json_null(&j, "pid");
	if (broker && s->broker_pid > 0 && s->broker_uid != (uid_t)-1)
		pg_json_string(&j, "user", pg_user_name(s->broker_uid, name, sizeof(name)));
	else
		pg_json_null(&j, "user");
	pg_json_end_object(&j);

	pg_json_bool(&j, "enforced", enforced);
	pg_json_begin_array(&j, "enforced_by");
	if (enforced && kernel)
		pg_json_string(&j, NULL, "kernel");
	if (enforced && broker)
		pg_json_string(&j, NULL, "broker");
	pg_json_end_array(&j);
	pg_json_bool(&j, "kernel_stale", kernel_stale(s));
	pg_json_end_object(&j);
	return pg_json_finish(&j);
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ 0 },
	};
	const char *pin_dir = PG_BPF_PIN_DIR;
	struct status s = { 0 };
	struct pg_policy *p;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("status");
		case 'j':
			json = true;
			break;
		case 'p':
			pin_dir = optarg;
			break;
		default:
			usage_die("status", "unknown option");
		}
	}
	if (optind < argc)
		usage_die("status", "unexpected argument '%s'", argv[optind]);
	if (pin_dir[0] != '/')
		usage_die("status", "--pin-dir needs an absolute path");

	p = gather_policy(&s);
	gather_kernel(&s, pin_dir, p);
	s.broker_r = cli_broker_probe(pg_broker_socket_path(), &s.broker_pid, &s.broker_uid);
	if (json) {
		if (print_json(&s, pin_dir) < 0)
			die(EXIT_TEMPFAIL, "write the JSON document");
	} else {
		print_text(&s, pin_dir);
	}
	pg_policy_free(p);

	if (s.policy_r < 0 || (!kernel_enforces(&s) && s.broker_r != 0))
		return EXIT_DENIED;
	return kernel_stale(&s) ? EXIT_DENIED : EXIT_OK;
}
