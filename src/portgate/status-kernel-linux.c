// SPDX-License-Identifier: BSD-2-Clause
/*
 * status-kernel-linux.c - the kernel line of "portgate status": what the eBPF
 * bind hooks pinned in the pin directory enforce (cli.h).
 * status-kernel-none.c stands in where there is no kernel path (macOS).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../bpf/bpf-loader.h"
#include "cli.h"

bool
cli_status_kernel(const char *pin_dir, const struct pg_policy *p, bool *stale)
{
	struct pg_bpf_status st;
	char root[4096], cgroup[4096];
	const struct pg_bpf_link *l;
	int r, sync;

	if (pin_dir == NULL)
		pin_dir = PG_BPF_PIN_DIR;
	r = pg_bpf_status(pin_dir, &st);

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
