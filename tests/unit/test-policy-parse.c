// SPDX-License-Identifier: BSD-2-Clause
/*
 * test-policy-parse.c - the policy loader: file:line:col diagnostics, every
 * error reported in one pass, conf.d order, and never half-applied.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "tap.h"

static char dir[] = "/tmp/pgt-unit-XXXXXX";

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		tap_diag("cannot write %s", path);
}

/* Parse text; the n-th diagnostic must be at line:col and mention needle. */
static void
diag_at_len(const char *text, size_t len, size_t n, unsigned line, unsigned col, const char *needle)
{
	struct pg_policy *p = pg_policy_new();
	struct pg_diags d = { 0 };
	int r = pg_policy_parse_buffer(p, "x.conf", text, len, &d);

	ok(r == -EINVAL && d.n > n && d.v[n].line == line && d.v[n].col == col &&
		   strstr(d.v[n].msg, needle) != NULL,
	   "%u:%u '%s'", line, col, needle);
	if (d.n > n)
		tap_diag("  got %u:%u: %s", d.v[n].line, d.v[n].col, d.v[n].msg);
	else
		tap_diag("  got %zu diagnostics", d.n);
	pg_diags_clear(&d);
	pg_policy_free(p);
}

static void
diag_at(const char *text, size_t n, unsigned line, unsigned col, const char *needle)
{
	diag_at_len(text, strlen(text), n, line, col, needle);
}

static void
test_diagnostics(void)
{
	diag_at("nosuchuser-pgt tcp://*:80\n", 0, 1, 1, "unknown user 'nosuchuser-pgt'");
	diag_at("\n\n  @nosuchgroup-pgt tcp://*:80\n", 0, 3, 4, "unknown group 'nosuchgroup-pgt'");
	diag_at("uid:x tcp://*:80\n", 0, 1, 5, "expected a number after 'uid:'");
	diag_at("gid:99999999999 tcp://*:80\n", 0, 1, 5, "expected a number after 'gid:'");
	diag_at("1001 tcp://*:80\n", 0, 1, 1, "use uid:N");
	diag_at("root\n", 0, 1, 5, "expected at least one listen spec");
	diag_at("root # only a comment\n", 0, 1, 5, "expected at least one listen spec");
	diag_at("tcp://*:80\n", 0, 1, 1, "expected a user or @group");
	diag_at("root\ttcp://*:80 udp://1.2.3.4:99999\n", 0, 1, 31, "out of range");
	diag_at("root tcp://*:80\r\nroot udp://[::1:53\r\n", 0, 2, 12, "missing ']'");
	/* Every error in one pass, each where it is. */
	diag_at("root tcp://*:0 tcp://*:x\nbogus-pgt tcp://*:1\n", 0, 1, 14, "port 0");
	diag_at("root tcp://*:0 tcp://*:x\nbogus-pgt tcp://*:1\n", 1, 1, 24, "unknown tcp service");
	diag_at("root tcp://*:0 tcp://*:x\nbogus-pgt tcp://*:1\n", 2, 2, 1, "unknown user");
	diag_at_len("root tcp://*:80\nroot tcp://*:8\0 0\n", 32, 0, 2, 15, "NUL byte");
}

static void
test_good(void)
{
	const char *text = "# comment\n\n  root   tcp://*:80   udp://[::1]:53  # trailing\n"
			   "uid:4242 tcp://10.0.0.0/8:8000-8010\n@root tcp://*:http\n"
			   "gid:7 udp://0.0.0.0:5060";
	struct pg_policy *p = pg_policy_new();
	struct pg_diags d = { 0 };

	is_int(pg_policy_parse_buffer(p, "good.conf", text, strlen(text), &d), 0,
	       "a good file parses");
	is_int(d.n, 0, "  ... without diagnostics");
	is_int(p->nrules, 5, "  ... into 5 rules");
	ok(p->nrules == 5 && p->rules[0].line == 3 && p->rules[0].col == 10 &&
		   p->rules[1].col == 23 && p->rules[4].line == 6,
	   "  ... each knows its line and column");
	ok(p->nrules == 5 && p->rules[2].kind == PG_PRINCIPAL_USER && p->rules[2].id == 4242 &&
		   p->rules[3].kind == PG_PRINCIPAL_GROUP && p->rules[3].id == 0 &&
		   p->rules[4].kind == PG_PRINCIPAL_GROUP && p->rules[4].id == 7,
	   "  ... and its principal");
	ok(p->nrules == 5 && strcmp(p->rules[3].principal, "@root") == 0, "  ... as written");
	pg_diags_clear(&d);
	pg_policy_free(p);
}

static void
test_load(void)
{
	struct pg_policy *p = NULL;
	struct pg_diags d = { 0 };
	char path[512];

	if (mkdtemp(dir) == NULL) {
		tap_diag("mkdtemp failed");
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/conf.d", dir);
	(void)mkdir(path, 0755);

	is_int(pg_policy_load(dir, NULL, &p, &d), 0, "an empty directory is an empty policy");
	ok(p != NULL && p->nrules == 0, "  ... with no rules");
	pg_policy_free(p);
	p = NULL;

	write_file("portgate.conf", "root tcp://*:1\n");
	write_file("conf.d/20-b.conf", "root tcp://*:3\n");
	write_file("conf.d/10-a.conf", "root tcp://*:2\n");
	write_file("conf.d/30-c.conf.disabled", "this is not read\n");
	write_file("conf.d/.hidden.conf", "this is not read\n");
	is_int(pg_policy_load(dir, NULL, &p, &d), 0, "portgate.conf and conf.d/NAME.conf load");
	ok(p != NULL && p->nrules == 3 && p->rules[0].spec.port_lo == 1 &&
		   p->rules[1].spec.port_lo == 2 && p->rules[2].spec.port_lo == 3,
	   "  ... portgate.conf first, then conf.d in name order, other names skipped");
	ok(p != NULL && strstr(p->rules[1].file, "conf.d/10-a.conf") != NULL,
	   "  ... each rule knows its file");
	pg_policy_free(p);
	p = NULL;

	/* A broken drop-in makes the whole policy fail: nothing half-applied. */
	write_file("conf.d/20-b.conf", "root tcp://*:3\nroot tcp://*:oops\n");
	is_int(pg_policy_load(dir, NULL, &p, &d), -EINVAL, "one bad file fails the whole load");
	ok(p == NULL, "  ... and returns no policy");
	ok(d.n == 1 && d.v[0].line == 2 && strstr(d.v[0].file, "20-b.conf") != NULL,
	   "  ... naming the file and line");
	pg_diags_clear(&d);

	(void)snprintf(path, sizeof(path), "%s/conf.d/20-b.conf", dir);
	(void)unlink(path);
	(void)mkdir(path, 0755);
	is_int(pg_policy_load(dir, NULL, &p, &d), -EINVAL,
	       "a directory named NAME.conf is an error");
	ok(d.n == 1 && strstr(d.v[0].msg, "cannot read") != NULL, "  ... saying so: %s",
	   d.n ? d.v[0].msg : "");
	pg_diags_clear(&d);
	(void)rmdir(path);

	ok(pg_policy_load("/nonexistent-pgt", NULL, &p, &d) == 0 && p->nrules == 0,
	   "a missing configuration directory is an empty policy");
	pg_policy_free(p);
	p = NULL;

	is_int(pg_policy_load(dir, dir, &p, &d), 0, "an existing authbind dir is recorded");
	ok(p && p->authbind_dir && strcmp(p->authbind_dir, dir) == 0, "  ... as given");
	pg_policy_free(p);
	p = NULL;
	is_int(pg_policy_load(dir, "/nonexistent-pgt", &p, &d), 0, "a missing authbind dir");
	ok(p && p->authbind_dir == NULL, "  ... is not consulted");
	pg_policy_free(p);

	(void)snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		tap_diag("cleanup of %s failed", dir);
}

int
main(void)
{
	test_diagnostics();
	test_good();
	test_load();
	return tap_done();
}
