// SPDX-License-Identifier: BSD-2-Clause
/*
 * privdrop-darwin.c - privdrop_drop() on macOS: nothing to drop.  macOS has
 * no capabilities: binding 127.0.0.1:80 takes root, so portgated keeps it
 * (started by launchd as a LaunchDaemon).  See privdrop.h.
 */
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop_drop(const struct privdrop_user *u)
{
	if (geteuid() != 0) {
		log_warnx("portgated runs as root on macOS (a LaunchDaemon): only root binds a "
			  "port below 1024 on one address, and there are no capabilities to keep; "
			  "started as uid %u",
			  (unsigned)geteuid());
		return -EPERM;
	}
	log_info("macOS: portgated stays root (no capabilities to keep); '%s' owns the control "
		 "socket",
		 u->name);
	return 0;
}
