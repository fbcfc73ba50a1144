// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-osrule.c - the operating systems' own port rules, both on every
 * system: Linux (below ip_unprivileged_port_start needs privilege on any
 * address) and macOS 10.14+ (below 1024 is open to every user on the
 * wildcard address, root only on one address), and what check and list say
 * where the policy and the system part ways.
 */
#include <errno.h>
#include <string.h>

#include "osrule.h"
#include "tap.h"

static struct pg_bind
bind_of(const char *text)
{
	struct pg_spec spec;
	struct pg_bind b = { 0 };

	if (pg_spec_parse(text, strlen(text), PG_SPEC_SINGLE_PORT | PG_SPEC_PORT_ZERO, &spec,
			  NULL) < 0 ||
	    pg_spec_to_bind(&spec, &b) < 0)
		tap_diag("bad spec in the test: %s", text);
	return b;
}

static struct pg_spec
spec_of(const char *text)
{
	struct pg_spec spec = { 0 };

	if (pg_spec_parse(text, strlen(text), 0, &spec, NULL) < 0)
		tap_diag("bad spec in the test: %s", text);
	return spec;
}

static void
test_defaults(void)
{
	static const struct {
		const char *spec;
		enum pg_os_default linux_def, macos_def;
	} cases[] = {
		{ "tcp://*:80", PG_OS_PRIVILEGED, PG_OS_OPEN_WILDCARD },
		{ "tcp://0.0.0.0:80", PG_OS_PRIVILEGED, PG_OS_OPEN_WILDCARD },
		{ "udp://[::]:53", PG_OS_PRIVILEGED, PG_OS_OPEN_WILDCARD },
		{ "tcp://[::ffff:0.0.0.0]:80", PG_OS_PRIVILEGED, PG_OS_OPEN_WILDCARD },
		{ "tcp://127.0.0.1:80", PG_OS_PRIVILEGED, PG_OS_PRIVILEGED },
		{ "tcp://[::1]:443", PG_OS_PRIVILEGED, PG_OS_PRIVILEGED },
		{ "tcp://[::ffff:127.0.0.1]:80", PG_OS_PRIVILEGED, PG_OS_PRIVILEGED },
		{ "tcp://192.0.2.7:1023", PG_OS_PRIVILEGED, PG_OS_PRIVILEGED },
		{ "tcp://192.0.2.7:1024", PG_OS_OPEN, PG_OS_OPEN },
		{ "tcp://*:8080", PG_OS_OPEN, PG_OS_OPEN },
		{ "tcp://127.0.0.1:0", PG_OS_OPEN, PG_OS_OPEN },
	};
	const struct pg_os_rule lx = { PG_OS_LINUX, 1024 }, mac = { PG_OS_MACOS, 1024 };
	const struct pg_os_rule lx_low = { PG_OS_LINUX, 80 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pg_bind b = bind_of(cases[i].spec);

		is_int(pg_os_default(&lx, &b), cases[i].linux_def, "Linux: %s", cases[i].spec);
		is_int(pg_os_default(&mac, &b), cases[i].macos_def, "macOS: %s", cases[i].spec);
	}
	struct pg_bind b = bind_of("tcp://127.0.0.1:80");
	is_int(pg_os_default(&lx_low, &b), PG_OS_OPEN,
	       "Linux with ip_unprivileged_port_start=80: port 80 is open");
}

static void
test_check(void)
{
	const struct pg_os_rule lx = { PG_OS_LINUX, 1024 }, mac = { PG_OS_MACOS, 1024 };
	struct pg_bind wild = bind_of("tcp://*:80"), lo = bind_of("tcp://127.0.0.1:80");
	struct pg_bind high = bind_of("tcp://*:8080");
	char buf[512];

	/* Linux: the policy is enforced as written; only unmanaged ports get a word. */
	is_str(pg_os_check_note(&lx, &lo, PG_ALLOW, PG_REASON_RULE, buf, sizeof(buf)), "",
	       "Linux, allowed: nothing to add");
	is_str(pg_os_check_note(&lx, &wild, PG_DENY, PG_REASON_NOT_OWNER, buf, sizeof(buf)), "",
	       "Linux, denied: nothing to add");
	is_str(pg_os_check_note(&lx, &lo, PG_UNMANAGED, PG_REASON_NOT_NAMED, buf, sizeof(buf)),
	       " (refused: ports below 1024 need root or CAP_NET_BIND_SERVICE)",
	       "Linux, unmanaged below 1024: refused");
	is_str(pg_os_check_note(&lx, &high, PG_UNMANAGED, PG_REASON_NOT_NAMED, buf, sizeof(buf)),
	       " (allowed: ports from 1024 need no privilege)", "Linux, unmanaged 8080: allowed");
	ok(!pg_os_check_ok(&lx, &wild, PG_UNMANAGED), "Linux: unmanaged *:80 is refused");
	ok(pg_os_check_ok(&lx, &high, PG_UNMANAGED), "Linux: unmanaged *:8080 is allowed");
	ok(!pg_os_check_ok(&lx, &high, PG_DENY), "a denial is a denial");
	ok(pg_os_check_ok(&lx, &lo, PG_ALLOW), "a grant is a grant");

	/* macOS: the wildcard below 1024 is open, one address needs root. */
	ok(pg_os_check_ok(&mac, &wild, PG_UNMANAGED), "macOS: unmanaged *:80 is allowed");
	ok(!pg_os_check_ok(&mac, &lo, PG_UNMANAGED), "macOS: unmanaged 127.0.0.1:80 is refused");
	ok(strstr(pg_os_check_note(&mac, &wild, PG_UNMANAGED, PG_REASON_NOT_NAMED, buf,
				   sizeof(buf)),
		  "any user may bind a port below 1024 on the wildcard address") != NULL,
	   "macOS, unmanaged *:80: says the wildcard rule");
	ok(strstr(pg_os_check_note(&mac, &lo, PG_UNMANAGED, PG_REASON_NOT_NAMED, buf, sizeof(buf)),
		  "refused: on macOS a port below 1024 on one address needs root") != NULL,
	   "macOS, unmanaged 127.0.0.1:80: refused, needs root");
	pg_os_check_note(&mac, &lo, PG_ALLOW, PG_REASON_RULE, buf, sizeof(buf));
	ok(strstr(buf, "launchd") != NULL && strstr(buf, "portgated") != NULL,
	   "macOS, granted 127.0.0.1:80: points at launchd and portgated: %s", buf);
	ok(strstr(pg_os_check_note(&mac, &wild, PG_ALLOW, PG_REASON_RULE, buf, sizeof(buf)),
		  "no help needed") != NULL,
	   "macOS, granted *:80: no help needed");
	ok(strstr(pg_os_check_note(&mac, &wild, PG_DENY, PG_REASON_NOT_OWNER, buf, sizeof(buf)),
		  "not enforced on macOS") != NULL,
	   "macOS, denied *:80: says it is not enforced");
	ok(strstr(pg_os_check_note(&mac, &lo, PG_DENY, PG_REASON_NOT_OWNER, buf, sizeof(buf)),
		  "macOS refuses it too") != NULL,
	   "macOS, denied 127.0.0.1:80: refused by macOS too");
	ok(strstr(pg_os_check_note(&mac, &high, PG_DENY, PG_REASON_NOT_OWNER, buf, sizeof(buf)),
		  "portgated --hold") != NULL,
	   "macOS, a reserved port from 1024: only portgated --hold enforces it");
	is_str(pg_os_check_note(&mac, &lo, PG_ALLOW, PG_REASON_ROOT, buf, sizeof(buf)), "",
	       "macOS, root: nothing to add");
	is_str(pg_os_check_note(&mac, &lo, PG_ALLOW, PG_REASON_RULE, buf, 0), buf,
	       "a zero-size buffer is left alone");
	pg_os_check_note(&mac, &lo, PG_ALLOW, PG_REASON_RULE, buf, 16);
	is_int(strlen(buf), 15, "a short buffer is cut and terminated");
}

static void
test_list(void)
{
	const struct pg_os_rule lx = { PG_OS_LINUX, 1024 }, mac = { PG_OS_MACOS, 1024 };
	struct pg_spec wild = spec_of("tcp://*:80"), lo = spec_of("tcp://127.0.0.1:80");
	struct pg_spec net = spec_of("tcp://10.0.0.0/8:443"), high = spec_of("udp://*:5060");
	struct pg_spec across = spec_of("tcp://*:1000-2000");

	ok(pg_os_list_note(&lx, &wild) == NULL && pg_os_list_note(&lx, &high) == NULL,
	   "Linux: every rule enforced as written, no notes");
	ok(strstr(pg_os_list_note(&mac, &wild), "not enforced") != NULL,
	   "macOS: a wildcard rule below 1024 is not enforced");
	ok(strstr(pg_os_list_note(&mac, &lo), "launchd or portgated") != NULL,
	   "macOS: a rule for one address needs launchd or portgated");
	ok(strstr(pg_os_list_note(&mac, &net), "specific address") != NULL,
	   "macOS: a prefix is specific addresses");
	ok(strstr(pg_os_list_note(&mac, &high), "portgated holds") != NULL,
	   "macOS: a reserved port from 1024 is open unless portgated holds it");
	ok(strstr(pg_os_list_note(&mac, &across), "from 1024") != NULL &&
		   strstr(pg_os_list_note(&mac, &across), "wildcard") != NULL,
	   "macOS: a range across 1024 gets both notes");
}

static void
test_named(void)
{
	struct pg_os_rule r;

	is_int(pg_os_rule_named("macos", &r), 0, "macos is a platform");
	is_int(r.os, PG_OS_MACOS, "... macOS");
	is_int(pg_os_rule_named("linux", &r), 0, "linux is a platform");
	is_int(r.os, PG_OS_LINUX, "... Linux");
	is_int(pg_os_rule_named("windows", &r), -EINVAL, "windows is not");
	is_str(pg_os_name(PG_OS_MACOS), "macOS", "the name of macOS");
	pg_os_rule_host(&r);
#ifdef __APPLE__
	is_int(r.os, PG_OS_MACOS, "this host is macOS");
#else
	is_int(r.os, PG_OS_LINUX, "this host is Linux");
#endif
}

int
main(void)
{
	test_defaults();
	test_check();
	test_list();
	test_named();
	return tap_done();
}
