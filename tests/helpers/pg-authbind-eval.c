// SPDX-License-Identifier: BSD-2-Clause
/*
 * pg-authbind-eval.c - test helper: what would authbind say to this bind?
 *
 *   pg-authbind-eval [--clear-groups] DIR USER tcp|udp ADDR PORT
 *
 * Judges the bind with pg_authbind_eval() against the authbind tree DIR for USER
 * (a name or a uid; its primary group and the supplementary groups the account
 * database gives it, or none with --clear-groups, like setpriv --clear-groups).
 * Prints one line, "allow ok PATH [LINE]" or "deny ERRNO PATH" (ERRNO as a name,
 * "EACCES"; PATH "-" when no file decided), so that field 2 compares with pg-bind's
 * output.  Exit 0 if allowed, 1 if denied, 2 on bad usage or if DIR could not be read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authbind.h"

static void
usage(void)
{
	fprintf(stderr, "usage: pg-authbind-eval [--clear-groups] DIR USER tcp|udp ADDR PORT\n");
	exit(2);
}

static const char *
errname(int e)
{
	const char *n = strerrorname_np(e);

	return n != NULL ? n : "E?";
}

int
main(int argc, char **argv)
{
	static struct pg_cred cred;
	static struct pg_authbind_verdict v;
	struct pg_bind b = { 0 };
	char addr[INET6_ADDRSTRLEN + 2];
	bool clear_groups = false;
	unsigned long port;
	size_t len;
	char *end;
	int r;

	if (argc > 1 && strcmp(argv[1], "--clear-groups") == 0) {
		clear_groups = true;
		argv++;
		argc--;
	}
	if (argc != 6)
		usage();
	if (strcmp(argv[3], "tcp") == 0)
		b.proto = PG_PROTO_TCP;
	else if (strcmp(argv[3], "udp") == 0)
		b.proto = PG_PROTO_UDP;
	else
		usage();

	len = strlen(argv[4]);
	if (len >= sizeof(addr))
		usage();
	if (len >= 2 && argv[4][0] == '[' && argv[4][len - 1] == ']') {
		memcpy(addr, argv[4] + 1, len - 2);
		addr[len - 2] = '\0';
	} else {
		memcpy(addr, argv[4], len + 1);
	}
	if (argv[4][0] != '[' && inet_pton(AF_INET, addr, b.addr) == 1)
		b.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, b.addr) == 1)
		b.family = AF_INET6;
	else
		usage();

	errno = 0;
	port = strtoul(argv[5], &end, 10);
	if (argv[5][0] < '0' || argv[5][0] > '9' || *end != '\0' || errno != 0 || port > 65535)
		usage();
	b.port = (uint16_t)port;

	r = pg_cred_for_user(argv[2], NULL, &cred, NULL);
	if (r < 0) {
		fprintf(stderr, "pg-authbind-eval: %s: %s\n", argv[2], strerror(-r));
		return 2;
	}
	if (clear_groups)
		cred.ngroups = 0;

	r = pg_authbind_eval(argv[1], &cred, &b, &v);
	if (r < 0) {
		fprintf(stderr, "pg-authbind-eval: %s: %s\n", argv[1], strerror(-r));
		return 2;
	}
	if (v.allowed) {
		printf("allow ok %s", v.path[0] ? v.path : "-");
		if (v.line)
			printf(" %u", v.line);
		printf("\n");
		return 0;
	}
	printf("deny %s %s\n", errname(v.err), v.path[0] ? v.path : "-");
	return 1;
}
