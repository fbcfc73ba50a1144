// SPDX-License-Identifier: BSD-2-Clause
/*
 * sysinfo.c - facts about the running kernel.
 * Library code: never logs.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "sysinfo.h"

unsigned
pg_unprivileged_port_start(void)
{
	_cleanup_close_ int fd =
		open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_RDONLY | O_CLOEXEC);
	char buf[16];
	ssize_t n;
	long v;

	if (fd < 0)
		return 1024;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 1024;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v >= 0 && v <= 65536 ? (unsigned)v : 1024;
}
