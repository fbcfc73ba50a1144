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
#include "json.h"
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

/* One file of the authbind tree as a member of --json's "authbind" "entries". */
static void
authbind_json(struct pg_json *j, const char *kind, const char *name, const char *file,
	      const struct stat *st, const char *group)
{
	char mode[8];

	pg_json_begin_object(j, NULL);
	pg_json_string(j, "kind", kind);
	pg_json_string(j, "name", name);
	pg_json_string(j, "file", file);
	if (st != NULL) {
		(void)snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
		pg_json_string(j, "mode", mode);
		pg_json_int(j, "uid", st->st_uid);
		pg_json_string(j, "group", group);
	}
	pg_json_end_object(j);
}

/* The authbind tree's files: table rows, or with j the members of an array. */
static void
list_authbind(const char *dir, struct pg_json *j)
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
			if (i == 2 && j != NULL) {
				authbind_json(j, subdirs[i], de->d_name, file, NULL, NULL);
				continue;
			}
			if (i == 2) {
				printf("%-5s %-11s %-22s %-28s %s\n", "any", "(lines)", "(lines)",
				       de->d_name[0] == '!' ? de->d_name + 1 : de->d_name, file);
				continue;
			}
			g = getgrgid(st.st_gid);
			if (j != NULL) {
				authbind_json(j, subdirs[i], de->d_name, file, &st,
					      g ? g->gr_name : NULL);
				continue;
			}
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

/* --json: the same as the table (portgate(1), JSON OUTPUT). */
static int
list_json(const struct pg_policy *p, const struct pg_rule **v, const struct pg_os_rule *os)
{
	struct pg_json j;

	pg_json_init(&j, stdout);
	pg_json_begin_object(&j, NULL);
	pg_json_string(&j, "config_dir", p->config_dir);
	pg_json_string(&j, "platform", os->os == PG_OS_MACOS ? "macos" : "linux");
	pg_json_begin_array(&j, "ports");
	for (size_t i = 0; i < p->nrules;) {
		char addr[64];
		size_t k;

		pg_json_begin_object(&j, NULL);
		pg_json_string(&j, "proto", pg_proto_name(v[i]->spec.proto));
		pg_json_int(&j, "port_lo", v[i]->spec.port_lo);
		pg_json_int(&j, "port_hi", v[i]->spec.port_hi);
		pg_json_string(&j, "address", pg_addr_format(&v[i]->spec.addr, addr));
		pg_json_begin_array(&j, "owners");
		for (k = i; k < p->nrules && same_target(v[i], v[k]); k++)
			pg_json_string(&j, NULL, v[k]->principal);
		pg_json_end_array(&j);
		pg_json_begin_array(&j, "rules");
		for (k = i; k < p->nrules && same_target(v[i], v[k]); k++) {
			pg_json_begin_object(&j, NULL);
			pg_json_string(&j, "file", v[k]->file);
			pg_json_int(&j, "line", v[k]->line);
			pg_json_end_object(&j);
		}
		pg_json_end_array(&j);
		pg_json_string(&j, "platform_note", pg_os_list_note(os, &v[i]->spec));
		pg_json_end_object(&j);
		i = k;
	}
	pg_json_end_array(&j);
	if (p->authbind_dir != NULL) {
		pg_json_begin_object(&j, "authbind");
		pg_json_string(&j, "dir", p->authbind_dir);
		pg_json_begin_array(&j, "entries");
		list_authbind(p->authbind_dir, &j);
		pg_json_end_array(&j);
		pg_json_end_object(&j);
	} else {
		pg_json_null(&j, "authbind");
	}
	pg_json_end_object(&j);
	return pg_json_finish(&j);
}

int
cmd_list(int argc, char **argv)
{
	const struct pg_rule **v;
	struct pg_policy *p;

	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "platform", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ 0 },
	};
	struct pg_os_rule os;
	bool noted = false, json = false;
	int c, r;

	pg_os_rule_host(&os);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage_exit("list");
		case 'P':
			cli_parse_platform("list", optarg, &os);
			break;
		case 'J':
			json = true;
			break;
		default:
			usage_die("list", "unknown option");
		}
	}
	if (optind < argc)
		usage_die("list", "unexpected argument '%s'", argv[optind]);
	p = cli_load_policy();
	if (p->nrules == 0 && p->authbind_dir == NULL && !json) {
		printf("no ports are managed: the policy in %s is empty\n", p->config_dir);
		pg_policy_free(p);
		return EXIT_OK;
	}
	if ((v = calloc(p->nrules + 1, sizeof(*v))) == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "list");
	for (size_t i = 0; i < p->nrules; i++)
		v[i] = &p->rules[i];
	qsort(v, p->nrules, sizeof(*v), rule_cmp);
	if (json) {
		r = list_json(p, v, &os);
		free(v);
		pg_policy_free(p);
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "write the JSON answer");
		return EXIT_OK;
	}

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
		list_authbind(p->authbind_dir, NULL);
	free(v);
	pg_policy_free(p);
	return EXIT_OK;
}
