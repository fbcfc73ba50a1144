/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sysinfo.h - facts about the running kernel that verdicts depend on.
 * Library code: never logs.
 */
#ifndef PG_SYSINFO_H
#define PG_SYSINFO_H

#include <stdint.h>

/*
 * net.ipv4.ip_unprivileged_port_start of the caller's network namespace:
 * ports below it need CAP_NET_BIND_SERVICE.  1024 if it cannot be read.
 */
unsigned pg_unprivileged_port_start(void);

#endif
