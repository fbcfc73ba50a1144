/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli-listeners.h - the sockets holding a port in the caller's network
 * namespace (TCP listening, UDP bound), with their owners: what "portgate
 * kernel status" audits.  Linux: sock_diag (cli-listeners-linux.c).
 * Runs as the invoking user (root, to see every owner).
 */
#ifndef PG_CLI_LISTENERS_H
#define PG_CLI_LISTENERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

struct cli_listener {
	struct pg_bind bind;
	uid_t uid;
};

struct cli_listeners {
	struct cli_listener *v;
	size_t n;
	bool udp_unavailable;
	unsigned unpriv_start; /* of the audited namespace */
	uint64_t cookie;
};

/*
 * Fill the struct cli_listeners at arg (zeroed by the caller; free its v) with the
 * sockets of the current network namespace, its cookie and threshold.  Made
 * for pg_netns_run().  0 or -errno.
 */
int cli_listeners_collect(void *arg);

#endif
