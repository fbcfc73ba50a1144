// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-probe.c - the probes "portgate status" and "portgate kernel status"
 * share (cli-probe.h): the broker's socket, and the kernel's policy hash
 * against the files compiled now.  Runs as the invoking user.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "cli-probe.h"
#include "kpolicy-authbind.h"
#include "macro.h"

int
cli_broker_probe(const char *path, pid_t *ret_pid, uid_t *ret_uid)
{
	_cleanup_close_ int fd = -1;
	struct ucred uc = { .pid = 0 };
	socklen_t len = sizeof(uc);
	char proc[32];
	struct stat st;
	int r = pg_broker_connect(path, &fd);

	if (r < 0 || ret_pid == NULL)
		return r;
	/*
	 * The listening socket's credentials are the ones of its listen(): root's,
	 * for a portgated started as root.  Its user now is the owner of /proc/PID.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || uc.pid <= 0)
		uc.pid = 0;
	(void)snprintf(proc, sizeof(proc), "/proc/%d", (int)uc.pid);
	*ret_pid = uc.pid;
	*ret_uid = uc.pid > 0 && stat(proc, &st) == 0 ? st.st_uid : (uid_t)-1;
	return 0;
}

int
cli_kernel_compile_authbind(const char *dir, struct pg_kpolicy *k, struct pg_diags *d)
{
	struct pg_kab_users u = { 0 };
	int r = pg_kab_users_from_accounts(&u);

	if (r == 0)
		r = pg_kpolicy_compile_authbind(dir, &u, k, d);
	pg_kab_users_clear(&u);
	return r;
}

int
cli_kernel_in_sync(const struct pg_policy *p, const struct pg_k_config *c)
{
	struct pg_kgroups g = { 0 };
	struct pg_kpolicy k = { 0 };
	int r = pg_kgroups_from_accounts(p, &g);

	if (r == 0)
		r = pg_kpolicy_compile(p, &g, PG_K_MAX_ALLOWED, &k, NULL);
	if (r == 0 && p->authbind_dir != NULL) {
		struct pg_diags d = { 0 };

		r = cli_kernel_compile_authbind(p->authbind_dir, &k, &d);
		pg_diags_clear(&d);
	}
	if (r == 0)
		r = k.hash == c->policy_hash;
	pg_kpolicy_clear(&k);
	pg_kgroups_clear(&g);
	return r;
}
