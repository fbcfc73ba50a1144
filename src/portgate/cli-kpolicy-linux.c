// SPDX-License-Identifier: BSD-2-Clause
/*
 * cli-kpolicy-linux.c - the policy compiled for the kernel path, as "portgate
 * kernel" loads it and "portgate status" compares it with what is loaded
 * (cli-probe.h).  Linux; cli-kpolicy-none.c elsewhere.  Runs as the invoking user.
 */
#include <errno.h>

#include "cli-probe.h"
#include "kpolicy-authbind.h"

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
