// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-list.c - "portgate list": the managed ports and their owners as a table.
 * Runs as the invoking user; reads the policy, changes nothing.
 */
#include <dirent.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "osrule.h"

static int
addr_cmp(const struct pg_addr *a, const struct pg_addr *b)
{
	if (a->family != b->family)
		return a->family - b->family;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen - b->prefixlen;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* Order: protocol, port range, address; then where the rule stands. */
static int
rule_cmp(const void *x, const void *y)
{
	const struct pg_rule *a = *(const struct pg_rule *const *)x;
	const struct pg_rule *b = *(const struct pg_rule *const *)y;
	int c;

	if (a->spec.proto != b->spec.proto)
		return (int)a->spec.proto - (int)b->spec.proto;
	if (a->spec.port_lo != b->spec.port_lo)
		return a->spec.port_lo - b->spec.port_lo;
	if (a->spec.port_hi != b->spec.port_hi)
		return a->spec.port_hi - b->spec.port_hi;
	if ((c = addr_cmp(&a->spec.addr, &b->spec.addr)) != 0)
		return c;
	return a < b ? -1 : a > b;
}

static bool
same_target(const struct pg_rule *a, const struct pg_rule *b)
{
	return a->spec.proto == b->spec.proto && a->spec.port_lo == b->spec.port_lo &&
	       a->spec.port_hi == b->spec.port_hi && addr_cmp(&a->spec.addr, &b->spec.addr) == 0;
}

/* "portgate.conf:3" for files under the config dir, the full path otherwise. */
static const char *
short_file(const struct pg_policy *p, const char *file)
{
	size_t n = strlen(p->config_dir);

	if (strncmp(file, p->config_dir, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file;
}

static void
list_authbind(const char *dir)
{
	static const char *const subdirs[] = { "byport", "byaddr", "byuid" };

	for (size_t i = 0; i < nitems(subdirs); i++) {
		char path[PATH_MAX];
		struct dirent *de;
		DIR *d;

		(void)snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char file[PATH_MAX * 2], grp[64];
			struct group *g;
			struct stat st;

			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
			if (stat(file, &st) < 0)
				continue;
			if (i == 2) {
				printf("%-5s %-11s %-22s %-28s %s\n", "any", "(lines)", "(lines)",
				       de->d_name[0] == '!' ? de->d_name + 1 : de->d_name, file);
				continue;
			}
			g = getgrgid(st.st_gid);
			(void)snprintf(grp, sizeof(grp), "x-bit %04o uid %u %s",
				       (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
				       g ? g->gr_name : "?");
			printf("%-5s %-11s %-22s %-28s %s\n", "any",
			       i == 0 ? (de->d_name[0] == '!' ? de->d_name + 1 : de->d_name) : "-",
			       i == 0 ? "*" : de->d_name, grp, file);
		}
		(void)closedir(d);
	}
}

int
cmd_list(int argc, char **argv)
{
	const struct pg_rule **v;
	struct pg_policy *p;

	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "platform", required_argument, NULL, 'P' },
		{ 0 },
	};
	struct pg_os_rule os;
	bool noted = false;
	int c;

	pg_os_rule_host(&os);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("list");
		case 'P':
			cli_parse_platform("list", optarg, &os);
			break;
		default:
			usage_die("list", "unknown option");
		}
	}
	if (optind < argc)
		usage_die("list", "unexpected argument '%s'", argv[optind]);
	p = cli_load_policy();
	if (p->nrules == 0 && p->authbind_dir == NULL) {
		printf("no ports are managed: the policy in %s is empty\n", p->config_dir);
		pg_policy_free(p);
		return EXIT_OK;
	}
	if ((v = calloc(p->nrules + 1, sizeof(*v))) == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "list");
	for (size_t i = 0; i < p->nrules; i++)
		v[i] = &p->rules[i];
	qsort(v, p->nrules, sizeof(*v), rule_cmp);

	printf("%-5s %-11s %-22s %-28s %s\n", "PROTO", "PORT", "ADDRESS", "OWNERS", "RULES");
	for (size_t i = 0; i < p->nrules;) {
		char ports[16], addr[64], owners[256] = "", where[512] = "";
		size_t j;

		for (j = i; j < p->nrules && same_target(v[i], v[j]); j++) {
			char loc[300];

			if (strlen(owners) + strlen(v[j]->principal) + 3 < sizeof(owners)) {
				if (j > i)
					strcat(owners, ", ");
				strcat(owners, v[j]->principal);
			}
			(void)snprintf(loc, sizeof(loc), "%s%s:%u", j > i ? ", " : "",
				       short_file(p, v[j]->file), v[j]->line);
			if (strlen(where) + strlen(loc) < sizeof(where))
				strcat(where, loc);
		}
		if (v[i]->spec.port_lo == v[i]->spec.port_hi)
			(void)snprintf(ports, sizeof(ports), "%u", v[i]->spec.port_lo);
		else
			(void)snprintf(ports, sizeof(ports), "%u-%u", v[i]->spec.port_lo,
				       v[i]->spec.port_hi);
		printf("%-5s %-11s %-22s %-28s %s\n", pg_proto_name(v[i]->spec.proto), ports,
		       pg_addr_format(&v[i]->spec.addr, addr), owners, where);
		i = j;
	}
	/* Where the system's own rule and the policy part ways (macOS). */
	for (size_t i = 0; i < p->nrules; i++) {
		const char *note = pg_os_list_note(&os, &v[i]->spec);
		char spec[PG_SPEC_STRLEN];

		if (note == NULL || (i > 0 && same_target(v[i - 1], v[i])))
			continue;
		if (!noted)
			printf("\non %s, without a kernel path:\n", pg_os_name(os.os));
		noted = true;
		printf("  %-28s %s\n", pg_spec_format(&v[i]->spec, spec), note);
	}
	if (p->authbind_dir != NULL)
		list_authbind(p->authbind_dir);
	free(v);
	pg_policy_free(p);
	return EXIT_OK;
}
