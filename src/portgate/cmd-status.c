// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-status.c - "portgate status": is the policy valid, and what enforces it
 * now?  One line each for the policy files, the kernel path and the broker,
 * then which of them enforce the policy.  Changes nothing.  Runs as the
 * invoking user; reading the kernel's pinned programs needs root, and the
 * answer says so when it cannot tell.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bpf/bpf-loader.h"
#include "broker.h"
#include "cli.h"

int
cli_broker_probe(const char *path, pid_t *ret_pid, uid_t *ret_uid)
{
	_cleanup_close_ int fd = -1;
	pid_t pid = 0;
	char proc[32];
	struct stat st;
	int r = pg_broker_connect(path, &fd);

	if (r < 0 || ret_pid == NULL)
		return r;
	/*
	 * The listening socket's credentials are the ones of its listen(): root's,
	 * for a portgated started as root.  Its user now is the owner of /proc/PID;
	 * without /proc (macOS, where portgated stays root) the listener's user.
	 */
	if (pg_peer_pid(fd, &pid) < 0)
		pid = 0;
	(void)snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	*ret_pid = pid;
	*ret_uid = pid > 0 && stat(proc, &st) == 0 ? st.st_uid : (uid_t)-1;
	if (*ret_uid == (uid_t)-1 && pid > 0 && stat("/proc/self", &st) < 0 &&
	    pg_peer_uid(fd, ret_uid) < 0)
		*ret_uid = (uid_t)-1;
	return 0;
}

/* The policy line; returns the policy (NULL if it has errors or cannot be read). */
static struct pg_policy *
status_policy(bool *bad)
{
	struct pg_diags d = { 0 };
	struct pg_policy *p = NULL;
	int r = pg_policy_load(cli.config_dir, cli.authbind_dir, &p, &d);

	if (r == -EINVAL) {
		printf("policy: %s has %zu error%s: nothing of it is enforced until they are fixed "
		       "(run 'portgate verify')\n",
		       cli.config_dir, d.n, d.n == 1 ? "" : "s");
	} else if (r < 0) {
		printf("policy: %s cannot be read: %s (run as root)\n", cli.config_dir,
		       strerror(-r));
	} else {
		printf("policy: %s: %zu rule%s in %zu file%s%s%s%s\n", cli.config_dir, p->nrules,
		       p->nrules == 1 ? "" : "s", p->nfiles, p->nfiles == 1 ? "" : "s",
		       p->nrules == 0 ? " (nothing is granted or reserved)" : "",
		       p->authbind_dir != NULL ? "; the authbind tree is read too: " : "",
		       p->authbind_dir != NULL ? p->authbind_dir : "");
	}
	pg_diags_clear(&d);
	*bad = r < 0;
	return p;
}

/* The kernel line; true when the loaded programs enforce the current files. */
static bool
status_kernel(const char *pin_dir, const struct pg_policy *p, bool *stale)
{
	struct pg_bpf_status st;
	char root[4096], cgroup[4096];
	const struct pg_bpf_link *l;
	int r = pg_bpf_status(pin_dir, &st), sync;

	*stale = false;
	if (r == -ENOENT) {
		printf("kernel: not loaded ('portgate kernel load' enforces the policy for every "
		       "program)\n");
		return false;
	}
	if (r == -EPERM || r == -EACCES) {
		printf("kernel: cannot tell without root (run 'sudo portgate status')\n");
		return false;
	}
	if (r == -EOPNOTSUPP) { /* bpf-loader-none.c */
		printf("kernel: none on this system (the kernel path is Linux-only: eBPF cgroup "
		       "hooks)\n");
		return false;
	}
	if (r < 0) {
		printf("kernel: cannot read what is pinned in %s: %s\n", pin_dir, strerror(-r));
		return false;
	}
	l = st.link[0].present ? &st.link[0] : &st.link[1];
	if (pg_cgroup2_root(root, sizeof(root)) < 0 ||
	    pg_cgroup_path(root, l->cgroup_id, cgroup, sizeof(cgroup)) < 0)
		(void)snprintf(cgroup, sizeof(cgroup), "cgroup id %llu",
			       (unsigned long long)l->cgroup_id);
	sync = p != NULL && st.cfg.magic != 0 ? cli_kernel_in_sync(p, &st.cfg) : -EINVAL;
	printf("kernel: loaded (%s) for the programs in %s%s; %s\n",
	       st.link[0].present && st.link[1].present ? "bind4 and bind6"
	       : st.link[0].present			? "bind4 only"
							: "bind6 only",
	       cgroup, strcmp(cgroup, root) == 0 ? ", i.e. all of them" : " only",
	       sync == 1   ? "in sync with the policy files"
	       : sync == 0 ? "the policy files CHANGED since: run 'portgate kernel reload'"
			   : "not compared with the policy files");
	*stale = sync == 0;
	pg_bpf_status_clear(&st);
	return true;
}

/* The broker line; true when portgated answers. */
static bool
status_broker(void)
{
	const char *path = pg_broker_socket_path();
	char name[64];
	pid_t pid;
	uid_t uid;
	int r = cli_broker_probe(path, &pid, &uid);

	if (r == 0) {
		printf("broker: running at %s", path);
		if (pid > 0)
			printf(" (pid %d%s%s)", (int)pid, uid != (uid_t)-1 ? ", user " : "",
			       uid != (uid_t)-1 ? pg_user_name(uid, name, sizeof(name)) : "");
		printf("\n");
		return true;
	}
	if (r == -ENOENT)
		printf("broker: not running (no socket at %s; start portgated, e.g. 'systemctl "
		       "start portgated')\n",
		       path);
	else if (r == -ECONNREFUSED)
		printf("broker: not running (%s is left from an earlier portgated; start "
		       "portgated)\n",
		       path);
	else
		printf("broker: cannot tell: connect to %s: %s\n", path, strerror(-r));
	return false;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ 0 },
	};
	const char *pin_dir = PG_BPF_PIN_DIR;
	struct pg_policy *p;
	bool bad, kernel, stale, broker;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("status");
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

	p = status_policy(&bad);
	kernel = status_kernel(pin_dir, p, &stale);
	broker = status_broker();
	pg_policy_free(p);

	if (bad || (!kernel && !broker)) {
		printf("enforced: no%s\n", bad ? " (fix the policy first)"
					       : ": named ports are neither granted nor reserved "
						 "by portgate now");
		return EXIT_DENIED;
	}
	printf("enforced: yes, by %s%s%s%s\n", kernel ? "the kernel" : "",
	       kernel && broker ? " and " : "", broker ? "the broker" : "",
	       stale ? " (the kernel with an older policy)" : "");
	return stale ? EXIT_DENIED : EXIT_OK;
}
