// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf-status.c - read back what a pin directory holds (bpf-loader.h): the
 * links, their programs and maps, the generation's configuration, the decision
 * counters and rule table, and lookups in the loaded maps for pg_kjudge().
 * Only the bpf(2) calls of libbpf, no skeleton.  Runs as root.  Library code:
 * returns -errno, never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-loader.h"
#include "macro.h"

static const char *const link_names[2] = { PG_BPF_PIN_BIND4, PG_BPF_PIN_BIND6 };

static const char *
pin_path(const char *pin_dir, const char *name, char buf[static 512])
{
	(void)snprintf(buf, 512, "%s/%s", pin_dir, name);
	return buf;
}

struct prog_maps {
	uint32_t managed_id, allowed_id, rodata_id, abfile_id, abuid_id, rules_id;
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int
inspect_prog(uint32_t prog_id, struct pg_bpf_link *l, struct prog_maps *m)
{
	_cleanup_close_ int fd = bpf_prog_get_fd_by_id(prog_id);
	struct bpf_prog_info pi;
	uint32_t ids[16], len = sizeof(pi);

	if (fd < 0)
		return -errno;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = nitems(ids);
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(fd, &pi, &len) < 0)
		return -errno;
	(void)snprintf(l->prog_name, sizeof(l->prog_name), "%s", pi.name);
	for (uint32_t i = 0; i < pi.nr_map_ids && i < nitems(ids); i++) {
		_cleanup_close_ int mfd = bpf_map_get_fd_by_id(ids[i]);
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) < 0)
			continue;
		if (strcmp(mi.name, "pg_managed") == 0)
			m->managed_id = ids[i];
		else if (strcmp(mi.name, "pg_allowed") == 0)
			m->allowed_id = ids[i];
		else if (strcmp(mi.name, "pg_ab_file") == 0)
			m->abfile_id = ids[i];
		else if (strcmp(mi.name, "pg_ab_uid") == 0)
			m->abuid_id = ids[i];
		else if (strcmp(mi.name, "pg_rules") == 0)
			m->rules_id = ids[i];
		else if (ends_with(mi.name, ".rodata"))
			m->rodata_id = ids[i];
	}
	return 0;
}

static void
read_config(uint32_t rodata_id, struct pg_k_config *ret)
{
	_cleanup_close_ int fd = bpf_map_get_fd_by_id(rodata_id);
	struct bpf_map_info mi;
	uint32_t len = sizeof(mi), key = 0;
	_cleanup_free_ void *buf = NULL;

	memset(ret, 0, sizeof(*ret));
	memset(&mi, 0, sizeof(mi));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len) < 0 || mi.value_size < sizeof(*ret) ||
	    (buf = calloc(1, mi.value_size)) == NULL)
		return;
	if (bpf_map_lookup_elem(fd, &key, buf) == 0)
		memcpy(ret, buf, sizeof(*ret)); /* pg_cfg is the only .rodata variable */
	if (ret->magic != PG_K_CONFIG_MAGIC)
		memset(ret, 0, sizeof(*ret));
}

int
pg_bpf_status(const char *pin_dir, struct pg_bpf_status *ret)
{
	struct prog_maps maps[2] = { { 0 }, { 0 } };
	int found = 0;

	memset(ret, 0, sizeof(*ret));
	ret->managed_fd = ret->allowed_fd = ret->abfile_fd = ret->abuid_fd = -1;
	ret->rules_fd = ret->log_fd = ret->counters_fd = -1;
	for (int i = 0; i < 2; i++) {
		struct pg_bpf_link *l = &ret->link[i];
		struct bpf_link_info li;
		uint32_t len = sizeof(li);
		_cleanup_close_ int fd = bpf_obj_get(pin_path(pin_dir, link_names[i], l->pin));
		int r;

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return -errno;
		memset(&li, 0, sizeof(li));
		if (bpf_obj_get_info_by_fd(fd, &li, &len) < 0)
			return -errno;
		l->present = true;
		l->link_id = li.id;
		l->prog_id = li.prog_id;
		l->cgroup_id = li.cgroup.cgroup_id;
		r = inspect_prog(li.prog_id, l, &maps[i]);
		if (r < 0)
			return r;
		found++;
	}
	if (found == 0)
		return -ENOENT;
	{
		struct prog_maps *m = ret->link[0].present ? &maps[0] : &maps[1];

		ret->generations_differ = found == 2 && (maps[0].managed_id != maps[1].managed_id ||
							 maps[0].allowed_id != maps[1].allowed_id);
		read_config(m->rodata_id, &ret->cfg);
		ret->managed_map_id = m->managed_id;
		ret->allowed_map_id = m->allowed_id;
		if (m->managed_id != 0)
			ret->managed_fd = bpf_map_get_fd_by_id(m->managed_id);
		if (m->allowed_id != 0)
			ret->allowed_fd = bpf_map_get_fd_by_id(m->allowed_id);
		if (m->abfile_id != 0)
			ret->abfile_fd = bpf_map_get_fd_by_id(m->abfile_id);
		if (m->abuid_id != 0)
			ret->abuid_fd = bpf_map_get_fd_by_id(m->abuid_id);
		if (m->rules_id != 0)
			ret->rules_fd = bpf_map_get_fd_by_id(m->rules_id);
	}
	{
		char path[512];

		ret->log_fd = bpf_obj_get(pin_path(pin_dir, PG_BPF_PIN_LOG, path));
		ret->counters_fd = bpf_obj_get(pin_path(pin_dir, PG_BPF_PIN_COUNTERS, path));
	}
	return 0;
}

void
pg_bpf_status_clear(struct pg_bpf_status *s)
{
	int *fds[] = { &s->managed_fd, &s->allowed_fd, &s->abfile_fd,  &s->abuid_fd,
		       &s->rules_fd,   &s->log_fd,     &s->counters_fd };

	for (size_t i = 0; i < nitems(fds); i++) {
		if (*fds[i] >= 0)
			(void)close(*fds[i]);
		*fds[i] = -1;
	}
}

int
pg_bpf_counters(const struct pg_bpf_status *s, uint64_t ret[PG_K_NCOUNTERS])
{
	int ncpu = libbpf_num_possible_cpus();
	_cleanup_free_ uint64_t *v = NULL;

	memset(ret, 0, PG_K_NCOUNTERS * sizeof(ret[0]));
	if (s->counters_fd < 0)
		return -ENOENT;
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < PG_K_NCOUNTERS; i++) {
		if (bpf_map_lookup_elem(s->counters_fd, &i, v) < 0)
			return -errno;
		for (int c = 0; c < ncpu; c++)
			ret[i] += v[c];
	}
	return 0;
}

int
pg_bpf_rule_table(const struct pg_bpf_status *s, struct pg_k_rule **ret, size_t *ret_n)
{
	struct bpf_map_info mi;
	uint32_t len = sizeof(mi);
	struct pg_k_rule *t;

	if (s->rules_fd < 0)
		return -ENOENT;
	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(s->rules_fd, &mi, &len) < 0)
		return -errno;
	if (mi.value_size != sizeof(*t) || mi.max_entries == 0)
		return -ENOENT;
	t = calloc(mi.max_entries, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < mi.max_entries; i++) {
		if (bpf_map_lookup_elem(s->rules_fd, &i, &t[i]) < 0) {
			int r = -errno;

			free(t);
			return r;
		}
	}
	*ret = t;
	*ret_n = mi.max_entries;
	return 0;
}

static int
map_managed(const void *ctx, const struct pg_k_managed_key *key, struct pg_k_managed_val *ret)
{
	const struct pg_bpf_status *s = ctx;

	if (s->managed_fd < 0)
		return -EBADF;
	if (bpf_map_lookup_elem(s->managed_fd, key, ret) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

static int
map_allowed(const void *ctx, const struct pg_k_allow_key *key, struct pg_k_allow_val *ret)
{
	const struct pg_bpf_status *s = ctx;

	if (s->allowed_fd < 0)
		return -EBADF;
	/* The trie answers a lookup from user space with the longest match, too. */
	if (bpf_map_lookup_elem(s->allowed_fd, key, ret) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* A lookup in one of the authbind maps; a map that is not there holds nothing. */
static int
map_lookup(int fd, const void *key, void *ret)
{
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, key, ret) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

static int
map_abfile(const void *ctx, const struct pg_k_ab_key *key, struct pg_k_ab_val *ret)
{
	return map_lookup(((const struct pg_bpf_status *)ctx)->abfile_fd, key, ret);
}

static int
map_abuid(const void *ctx, const struct pg_k_ab_uid_key *key, struct pg_k_ab_uid_val *ret)
{
	return map_lookup(((const struct pg_bpf_status *)ctx)->abuid_fd, key, ret);
}

void
pg_bpf_status_lookup(const struct pg_bpf_status *s, struct pg_klookup *ret)
{
	ret->managed = map_managed;
	ret->exact = NULL; /* the trie holds pg_exact's entries too */
	ret->allowed = map_allowed;
	ret->abfile = map_abfile;
	ret->abuid = map_abuid;
	ret->ctx = s;
}
