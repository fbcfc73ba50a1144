// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd-kernel-log.c - "portgate kernel log [--follow] [--json]": the decision
 * records the bind hooks write to the pinned ring buffer (bind-policy.h),
 * read with libbpf's ring_buffer API and printed as portgated prints its
 * decisions, the deciding rule mapped back to file:line through the
 * generation's pg_rules table.  "kernel watch" uses the same reader.
 * Linux only.  Runs as root (the pins are root's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "cmd-kernel.h"
#include "json.h"
#include "kpolicy.h"

struct kernel_log {
	struct ring_buffer *rb;
	const char *pin_dir;
	FILE *out;
	const char *prefix; /* before each text line: "" or "portgate: " */
	bool json;
	uint64_t generation; /* of the rule table below */
	struct pg_k_rule *rules;
	size_t nrules;
	int64_t boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME, at the last drain */
};

/* The rule table of the generation loaded now (none if it cannot be read). */
static void
rules_refresh(struct kernel_log *l)
{
	struct pg_bpf_status st;

	free(l->rules);
	l->rules = NULL;
	l->nrules = 0;
	l->generation = 0;
	if (pg_bpf_status(l->pin_dir, &st) < 0)
		return;
	l->generation = st.cfg.generation;
	if (pg_bpf_rule_table(&st, &l->rules, &l->nrules) < 0) {
		l->rules = NULL;
		l->nrules = 0;
	}
	pg_bpf_status_clear(&st);
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "2026-12-05T18:40:01.123Z" */
static const char *
time_text(const struct kernel_log *l, uint64_t boot_ns, char *buf, size_t size)
{
	int64_t real = (int64_t)boot_ns + l->boot_to_real_ns;
	time_t sec = (time_t)(real / 1000000000);
	struct tm tm;
	size_t n;

	if (gmtime_r(&sec, &tm) == NULL || (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return "?";
	(void)snprintf(buf + n, size - n, ".%03dZ", (int)(real % 1000000000 / 1000000));
	return buf;
}

/* comm as one token: bytes outside printable ASCII, '"' and '\' as \xNN. */
static const char *
comm_text(const char comm[16], char buf[static 64])
{
	size_t o = 0;

	for (size_t i = 0; i < 16 && comm[i] != '\0'; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, 64 - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static void
rec_bind(const struct pg_k_log_rec *r, struct pg_bind *b)
{
	memset(b, 0, sizeof(*b));
	b->proto = r->proto == PG_K_IPPROTO_UDP ? PG_PROTO_UDP : PG_PROTO_TCP;
	b->family = r->family == PG_K_AF_INET ? AF_INET : AF_INET6;
	memcpy(b->addr, r->addr, b->family == AF_INET ? 4 : 16);
	b->port = r->port;
}

/* The rule's entry in this generation's table, or NULL (authbind, unknown, an older one). */
static const struct pg_k_rule *
rec_rule(const struct kernel_log *l, const struct pg_k_log_rec *r)
{
	if (r->generation != l->generation || r->rule == PG_K_RULE_AUTHBIND || l->nrules == 0 ||
	    r->rule >= l->nrules - 1)
		return NULL;
	return &l->rules[r->rule];
}

/* rule=: "FILE:LINE", "authbind:DIR", "#ID" (of a generation no longer loaded) or "none". */
static const char *
rule_text(const struct kernel_log *l, const struct pg_k_log_rec *r, char *buf, size_t size)
{
	if (r->rule != PG_K_RULE_NONE && r->generation != l->generation)
		(void)snprintf(buf, size, r->rule == PG_K_RULE_AUTHBIND ? "authbind" : "#%u",
			       r->rule);
	else
		(void)pg_krule_text(l->rules, l->nrules, r->rule, buf, size);
	return buf;
}

/* As portgated's reason (pg_verdict_explain()), from the table's copy of the rule. */
static const char *
reason_text(const struct kernel_log *l, const struct pg_k_log_rec *r, const struct pg_bind *b,
	    char *buf, size_t size)
{
	const struct pg_k_rule *k = rec_rule(l, r);
	char bs[PG_BIND_STRLEN], rt[PG_K_RULE_FILE_LEN + 32];

	if (r->verdict == PG_K_LOG_DENY && k != NULL) {
		struct pg_rule rule = { .principal = (char *)(uintptr_t)k->principal,
					.file = k->file,
					.line = k->line };
		struct pg_verdict v = { .reason = PG_REASON_NOT_OWNER,
					.rule = &rule,
					.judged = *b };

		return pg_verdict_explain(&v, buf, size);
	}
	if (r->verdict == PG_K_LOG_DENY)
		(void)snprintf(buf, size, "%s/%u is managed and no rule grants %s",
			       pg_proto_name(b->proto), b->port, pg_bind_format(b, bs));
	else if (k != NULL)
		(void)snprintf(buf, size, "allowed: rule %s:%u (%s %s)", k->file, k->line,
			       k->principal, k->spec);
	else
		(void)snprintf(buf, size, "allowed: %s", rule_text(l, r, rt, sizeof(rt)));
	return buf;
}

static void
print_json(struct kernel_log *l, const struct pg_k_log_rec *r, const struct pg_bind *b)
{
	char when[40], addr[INET6_ADDRSTRLEN], comm[17], bs[PG_BIND_STRLEN];
	char rt[PG_K_RULE_FILE_LEN + 32], why[1024];
	struct pg_bind plain = *b;
	struct pg_json j;

	memcpy(comm, r->comm, 16);
	comm[16] = '\0';
	(void)inet_ntop(b->family, b->addr, addr, sizeof(addr));
	pg_json_init_compact(&j, l->out);
	pg_json_begin_object(&j, NULL);
	pg_json_string(&j, "time", time_text(l, r->boot_ns, when, sizeof(when)));
	pg_json_string(&j, "verdict", r->verdict == PG_K_LOG_DENY ? "deny" : "allow");
	pg_json_int(&j, "uid", r->uid);
	pg_json_int(&j, "gid", r->gid);
	pg_json_int(&j, "pid", r->pid);
	pg_json_string(&j, "comm", comm);
	pg_json_int(&j, "netns", (long long)r->netns_cookie);
	pg_json_string(&j, "protocol", pg_proto_name(b->proto));
	pg_json_string(&j, "family", b->family == AF_INET ? "ipv4" : "ipv6");
	pg_json_string(&j, "address", addr);
	pg_json_int(&j, "port", b->port);
	pg_json_bool(&j, "dual_stack", r->dual_stack);
	pg_json_string(&j, "bind", pg_bind_format(&plain, bs));
	if (r->rule == PG_K_RULE_NONE)
		pg_json_null(&j, "rule");
	else
		pg_json_string(&j, "rule", rule_text(l, r, rt, sizeof(rt)));
	if (r->rule == PG_K_RULE_NONE || r->rule == PG_K_RULE_AUTHBIND)
		pg_json_null(&j, "rule_id");
	else
		pg_json_int(&j, "rule_id", r->rule);
	pg_json_string(&j, "reason", reason_text(l, r, b, why, sizeof(why)));
	pg_json_end_object(&j);
	(void)pg_json_finish(&j);
}

/* The line portgated writes for a decision, with via=kernel and what only the kernel knows. */
static void
print_text(struct kernel_log *l, const struct pg_k_log_rec *r, const struct pg_bind *b)
{
	char when[40], comm[64], bs[PG_BIND_STRLEN], rt[PG_K_RULE_FILE_LEN + 32], why[1024];

	fprintf(l->out, "%s%s uid=%u pid=%u bind=%s%s via=kernel rule=%s ", l->prefix,
		r->verdict == PG_K_LOG_DENY ? "deny" : "allow", r->uid, r->pid,
		pg_bind_format(b, bs), r->dual_stack ? " dualstack=1" : "",
		rule_text(l, r, rt, sizeof(rt)));
	if (r->verdict == PG_K_LOG_DENY)
		fprintf(l->out, "reason=\"%s\"", reason_text(l, r, b, why, sizeof(why)));
	else
		fprintf(l->out, "result=ok");
	fprintf(l->out, " gid=%u comm=\"%s\" netns=%llu time=%s\n", r->gid,
		comm_text(r->comm, comm), (unsigned long long)r->netns_cookie,
		time_text(l, r->boot_ns, when, sizeof(when)));
}

static int
on_record(void *ctx, void *data, size_t size)
{
	struct kernel_log *l = ctx;
	const struct pg_k_log_rec *r = data;
	struct pg_bind b;

	if (size < sizeof(*r))
		return 0; /* not ours: skipped */
	if (r->generation > l->generation)
		rules_refresh(l); /* a reload since: the new generation's table */
	rec_bind(r, &b);
	if (l->json)
		print_json(l, r, &b);
	else
		print_text(l, r, &b);
	/* Out before the read position moves past it: a reader killed now loses nothing. */
	(void)fflush(l->out);
	return 0;
}

struct kernel_log *
kernel_log_open(const struct pg_bpf_status *st, const char *pin_dir, FILE *out, const char *prefix,
		bool json)
{
	struct kernel_log *l;

	if (st->log_fd < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		die_errno(EXIT_TEMPFAIL, ENOMEM, "kernel log");
	l->pin_dir = pin_dir;
	l->out = out;
	l->prefix = prefix;
	l->json = json;
	l->rb = ring_buffer__new(st->log_fd, on_record, l, NULL);
	if (l->rb == NULL)
		die_errno(EXIT_TEMPFAIL, errno, "open the ring buffer of the kernel log");
	rules_refresh(l);
	return l;
}

int
kernel_log_fd(const struct kernel_log *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

int
kernel_log_drain(struct kernel_log *l)
{
	int n;

	l->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	n = ring_buffer__consume(l->rb);
	(void)fflush(l->out);
	return n;
}

void
kernel_log_close(struct kernel_log *l)
{
	if (l == NULL)
		return;
	ring_buffer__free(l->rb);
	free(l->rules);
	free(l);
}

static volatile sig_atomic_t log_stop;

static void
on_stop(int sig)
{
	(void)sig;
	log_stop = 1;
}

int
kernel_log(const char *pin_dir, bool follow, bool json)
{
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: epoll_wait ends */
	struct pg_bpf_status st;
	struct kernel_log *l;
	char pin[512];
	int r;

	kernel_require_loaded(&st);
	l = kernel_log_open(&st, pin_dir, stdout, "", json);
	pg_bpf_status_clear(&st);
	if (l == NULL)
		die(EXIT_TEMPFAIL,
		    "the programs loaded in '%s' write no records (loaded by an older portgate): "
		    "run 'portgate kernel reload'",
		    pin_dir);
	r = kernel_log_drain(l);
	if (r < 0)
		die_errno(EXIT_TEMPFAIL, -r, "read the kernel log");
	if (!follow) {
		kernel_log_close(l);
		return EXIT_OK;
	}
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)snprintf(pin, sizeof(pin), "%s/%s", pin_dir, PG_BPF_PIN_LOG);
	while (!log_stop) {
		l->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
		r = ring_buffer__poll(l->rb, 1000);
		(void)fflush(stdout);
		if (r == -EINTR)
			continue;
		if (r < 0)
			die_errno(EXIT_TEMPFAIL, -r, "read the kernel log");
		/* Unloaded: no record can come any more. */
		if (r == 0 && access(pin, F_OK) < 0 && errno == ENOENT) {
			warnx("kernel log: no policy is loaded in '%s' any more; stopping",
			      pin_dir);
			break;
		}
	}
	kernel_log_close(l);
	return EXIT_OK;
}
