// SPDX-License-Identifier: BSD-2-Clause
/*
 * osrule.c - the operating system's own rule for low ports, and what
 * `portgate check` and `portgate list` say where it and the policy differ.
 * See osrule.h.  Library code: never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "osrule.h"
#include "sysinfo.h"

/* Since macOS 10.14 the reserved ports are 0-1023 (net.inet.ip.portrange.reservedhigh). */
#define MACOS_UNPRIV_START 1024u

static enum pg_os
host_os(void)
{
#ifdef __APPLE__
	return PG_OS_MACOS;
#else
	return PG_OS_LINUX;
#endif
}

void
pg_os_rule_host(struct pg_os_rule *ret)
{
	ret->os = host_os();
	ret->unpriv_start = pg_unprivileged_port_start();
}

int
pg_os_rule_named(const char *name, struct pg_os_rule *ret)
{
	enum pg_os os;

	if (strcmp(name, "linux") == 0)
		os = PG_OS_LINUX;
	else if (strcmp(name, "macos") == 0)
		os = PG_OS_MACOS;
	else
		return -EINVAL;
	if (os == host_os()) {
		pg_os_rule_host(ret);
		return 0;
	}
	ret->os = os;
	ret->unpriv_start = os == PG_OS_MACOS ? MACOS_UNPRIV_START : 1024;
	return 0;
}

const char *
pg_os_name(enum pg_os os)
{
	return os == PG_OS_MACOS ? "macOS" : "Linux";
}

/* 0.0.0.0, [::] or ::ffff:0.0.0.0: every address of the family. */
static bool
bind_is_wildcard(const struct pg_bind *b)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (b->family == AF_INET)
		return pg_bytes_zero(b->addr, 4);
	return pg_bytes_zero(b->addr, 16) ||
	       (memcmp(b->addr, mapped, sizeof(mapped)) == 0 && pg_bytes_zero(b->addr + 12, 4));
}

enum pg_os_default
pg_os_default(const struct pg_os_rule *r, const struct pg_bind *b)
{
	if (b->port == 0 || b->port >= r->unpriv_start)
		return PG_OS_OPEN;
	if (r->os == PG_OS_MACOS && bind_is_wildcard(b))
		return PG_OS_OPEN_WILDCARD;
	return PG_OS_PRIVILEGED;
}

bool
pg_os_check_ok(const struct pg_os_rule *r, const struct pg_bind *b, enum pg_decision d)
{
	if (d != PG_UNMANAGED)
		return d == PG_ALLOW;
	return pg_os_default(r, b) != PG_OS_PRIVILEGED;
}

/* Linux: the kernel path enforces the policy, so only an unmanaged port needs a word. */
static void
linux_note(const struct pg_os_rule *r, enum pg_os_default def, enum pg_decision d,
	   enum pg_reason reason, char *buf, size_t size)
{
	if (d != PG_UNMANAGED || reason != PG_REASON_NOT_NAMED)
		return;
	if (def == PG_OS_OPEN)
		(void)snprintf(buf, size, " (allowed: ports from %u need no privilege)",
			       r->unpriv_start);
	else
		(void)snprintf(buf, size,
			       " (refused: ports below %u need root or CAP_NET_BIND_SERVICE)",
			       r->unpriv_start);
}

/* macOS: no kernel path; the system's rule and the policy part ways in places. */
static void
macos_note(const struct pg_os_rule *r, enum pg_os_default def, enum pg_decision d,
	   enum pg_reason reason, char *buf, size_t size)
{
	const unsigned s = r->unpriv_start;

	if (reason == PG_REASON_ROOT || reason == PG_REASON_PORT_ZERO)
		return;
	switch (d) {
	case PG_UNMANAGED:
		if (def == PG_OS_OPEN)
			(void)snprintf(buf, size, " (allowed: ports from %u need no privilege)", s);
		else if (def == PG_OS_OPEN_WILDCARD)
			(void)snprintf(
				buf, size,
				" (allowed: since macOS 10.14 any user may bind a port below "
				"%u on the wildcard address)",
				s);
		else
			(void)snprintf(buf, size,
				       " (refused: on macOS a port below %u on one address needs "
				       "root; a policy grant lets launchd or portgated bind it)",
				       s);
		break;
	case PG_ALLOW:
		if (def == PG_OS_OPEN)
			(void)snprintf(buf, size,
				       " (macOS: any user may bind ports from %u; only portgated "
				       "--hold keeps others off this one)",
				       s);
		else if (def == PG_OS_OPEN_WILDCARD)
			(void)snprintf(buf, size,
				       " (macOS lets any user bind a port below %u on the wildcard "
				       "address: no help needed)",
				       s);
		else
			(void)snprintf(
				buf, size,
				" (macOS: a port below %u on one address needs root: get "
				"the socket from launchd, a Sockets entry that `portgate unit "
				"launchd` writes, or from portgated, `portgate run -l SPEC`)",
				s);
		break;
	case PG_DENY:
	default:
		if (def == PG_OS_OPEN)
			(void)snprintf(buf, size,
				       " (not enforced on macOS unless portgated holds the port: "
				       "portgated --hold)");
		else if (def == PG_OS_OPEN_WILDCARD)
			(void)snprintf(
				buf, size,
				" (not enforced on macOS: since 10.14 any user may bind a port "
				"below %u on the wildcard address, and portgate has no kernel "
				"path there)",
				s);
		else
			(void)snprintf(buf, size,
				       " (macOS refuses it too: a port below %u on one address "
				       "needs root)",
				       s);
		break;
	}
}

const char *
pg_os_check_note(const struct pg_os_rule *r, const struct pg_bind *b, enum pg_decision d,
		 enum pg_reason reason, char *buf, size_t size)
{
	enum pg_os_default def = pg_os_default(r, b);

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (r->os == PG_OS_MACOS)
		macos_note(r, def, d, reason, buf, size);
	else
		linux_note(r, def, d, reason, buf, size);
	return buf;
}

const char *
pg_os_list_note(const struct pg_os_rule *r, const struct pg_spec *spec)
{
	if (r->os != PG_OS_MACOS)
		return NULL;
	if (spec->port_lo >= r->unpriv_start)
		return "open to every user unless portgated holds it (--hold)";
	if (spec->addr.prefixlen != 0)
		return spec->port_hi < r->unpriv_start
			       ? "a specific address: needs root; owners get it from launchd or "
				 "portgated"
			       : "below 1024 on a specific address: needs root, owners get it from "
				 "launchd "
				 "or portgated; from 1024: open unless portgated holds it";
	return spec->port_hi < r->unpriv_start
		       ? "wildcard open to every user since 10.14: not enforced; one address: "
			 "launchd or portgated"
		       : "wildcard below 1024 open to every user since 10.14: not enforced; "
			 "from 1024: open unless portgated holds it";
}
