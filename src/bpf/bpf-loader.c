// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf-loader.c - load, swap and remove the bind hooks with libbpf and the
 * generated skeleton (bind-policy.skel.h, built from bind-policy.bpf.c); what is
 * loaded is read back by bpf-status.c, the host around it (cgroups, bpffs,
 * network namespaces) is bpf-host.c's.
 * Runs as root.  Library code: returns -errno, never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-loader.h"
#include "macro.h"

/* Generated code: its casts are not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "bind-policy.skel.h"
#pragma GCC diagnostic pop

static const char *const link_names[2] = { PG_BPF_PIN_BIND4, PG_BPF_PIN_BIND6 };

static int (*print_fn)(const char *fmt, va_list ap);

static int
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (print_fn == NULL || level == LIBBPF_DEBUG)
		return 0;
	return print_fn(fmt, ap);
}

void
pg_bpf_set_print(int (*fn)(const char *fmt, va_list ap))
{
	print_fn = fn;
}

static void
libbpf_setup(void)
{
	(void)libbpf_set_print(libbpf_print);
}

static const char *
pin_path(const char *pin_dir, int i, char buf[static 512])
{
	(void)snprintf(buf, 512, "%s/%s", pin_dir, link_names[i]);
	return buf;
}

/* --- what the machine offers ---------------------------------------------------- */

static int
kernel_version_check(char *why, size_t size)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0)
		return -errno;
	if (sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0; /* unknown: let the load decide */
	if (major < 5 || (major == 5 && minor < 18)) {
		(void)snprintf(why, size, "kernel %s is older than %s", u.release,
			       PG_BPF_MIN_KERNEL);
		return -EOPNOTSUPP;
	}
	return 0;
}

int
pg_bpf_probe(char *why, size_t size)
{
	struct bind_policy *skel;
	int r;

	libbpf_setup();
	(void)snprintf(why, size, "ok");
	r = kernel_version_check(why, size);
	if (r < 0)
		return r;
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		(void)snprintf(
			why, size,
			"the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)");
		return -EOPNOTSUPP;
	}
	skel = bind_policy__open();
	if (skel == NULL) {
		r = -errno;
		(void)snprintf(why, size, "cannot open the BPF object: %s", strerror(-r));
		return r;
	}
	r = bind_policy__load(skel);
	bind_policy__destroy(skel);
	if (r == -EPERM || r == -EACCES) {
		(void)snprintf(why, size, "loading BPF programs needs CAP_BPF and CAP_NET_ADMIN");
		return -EPERM;
	}
	if (r < 0) {
		(void)snprintf(why, size, "the kernel refused the bind programs: %s", strerror(-r));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* --- loading ----------------------------------------------------------------------- */

static const char *const shared_names[3] = { PG_BPF_PIN_LOG, PG_BPF_PIN_COUNTERS,
					     PG_BPF_PIN_RATELIMIT };

static void
shared_maps(struct bind_policy *skel, struct bpf_map *maps[3])
{
	maps[0] = skel->maps.pg_log;
	maps[1] = skel->maps.pg_counters;
	maps[2] = skel->maps.pg_ratelimit;
}

static const char *
shared_path(const char *pin_dir, int i, char buf[static 512])
{
	(void)snprintf(buf, 512, "%s/%s", pin_dir, shared_names[i]);
	return buf;
}

/* Before the load: use the shared maps pinned in pin_dir (NULL: none), so a reload keeps them. */
static int
shared_reuse(struct bind_policy *skel, const char *pin_dir)
{
	struct bpf_map *maps[3];
	char path[512];

	if (pin_dir == NULL)
		return 0;
	shared_maps(skel, maps);
	for (int i = 0; i < 3; i++) {
		_cleanup_close_ int fd = bpf_obj_get(shared_path(pin_dir, i, path));

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return -errno;
		if (bpf_map__reuse_fd(maps[i], fd) < 0) /* dups fd */
			return -errno;
	}
	return 0;
}

/* After the load: pin the shared maps that are not pinned yet; pinned[i] says which were. */
static int
shared_pin(struct bind_policy *skel, const char *pin_dir, bool pinned[3])
{
	struct bpf_map *maps[3];
	char path[512];

	shared_maps(skel, maps);
	for (int i = 0; i < 3; i++) {
		pinned[i] = false;
		if (access(shared_path(pin_dir, i, path), F_OK) == 0)
			continue;
		if (bpf_obj_pin(bpf_map__fd(maps[i]), path) < 0)
			return -errno;
		pinned[i] = true;
	}
	return 0;
}

static void
shared_unpin(const char *pin_dir, const bool pinned[3])
{
	char path[512];

	for (int i = 0; i < 3; i++)
		if (pinned[i])
			(void)unlink(shared_path(pin_dir, i, path));
}

/* Fill pg_rules, freeze it and bind it to both programs, so readers find it by program. */
static int
rules_fill(struct bind_policy *skel, const struct pg_kpolicy *k)
{
	int fd = bpf_map__fd(skel->maps.pg_rules);
	const int progs[2] = { bpf_program__fd(skel->progs.portgate_bind4),
			       bpf_program__fd(skel->progs.portgate_bind6) };

	for (uint32_t i = 0; i < k->nruletab; i++)
		if (bpf_map_update_elem(fd, &i, &k->ruletab[i], BPF_ANY) < 0)
			return -errno;
	if (bpf_map_freeze(fd) < 0)
		return -errno;
	for (int i = 0; i < 2; i++)
		if (bpf_prog_bind_map(progs[i], fd, NULL) < 0)
			return -errno;
	return 0;
}

/*
 * Open, configure, load and fill one generation; maps are frozen once filled.
 * The shared maps pinned in pin_dir (if not NULL) are reused.
 */
static int
generation_new(const struct pg_kpolicy *k, const struct pg_bpf_params *prm, const char *pin_dir,
	       struct bind_policy **ret)
{
	struct bind_policy *skel;
	struct pg_k_config *c;
	struct timespec now;
	int r, fd;

	if (prm->nexempt > PG_K_MAX_EXEMPT || k->nallowed > PG_K_MAX_ALLOWED ||
	    k->nmanaged > PG_K_MAX_MANAGED || k->nabfile > PG_K_MAX_AB_FILE ||
	    k->nabuid > PG_K_MAX_AB_UID)
		return -E2BIG;
	libbpf_setup();
	skel = bind_policy__open();
	if (skel == NULL)
		return -errno;
	c = &skel->rodata->pg_cfg;
	c->magic = PG_K_CONFIG_MAGIC;
	c->all_netns = prm->all_netns;
	c->netns_cookie = prm->netns_cookie;
	c->unpriv_port_start = prm->unpriv_port_start;
	c->nexempt = (uint32_t)prm->nexempt;
	for (size_t i = 0; i < prm->nexempt; i++)
		c->exempt[i] = prm->exempt[i];
	c->policy_hash = k->hash;
	c->loaded_at = (uint64_t)time(NULL);
	c->nrules = (uint32_t)k->nrules;
	c->nmanaged = (uint32_t)k->nmanaged;
	c->nallowed = (uint32_t)k->nallowed;
	c->nab_file = (uint32_t)k->nabfile;
	c->nab_uid = (uint32_t)k->nabuid;
	c->log_grants = prm->log_grants;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	c->generation = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	c->log_rate = PG_K_LOG_RATE;
	c->log_burst = PG_K_LOG_BURST;
	/* Older kernels do not offer these two to cgroup sock_addr programs. */
	c->task_info = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					       BPF_FUNC_get_current_pid_tgid, NULL) > 0 &&
		       libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					       BPF_FUNC_get_current_comm, NULL) > 0;

	r = bpf_map__set_max_entries(skel->maps.pg_rules,
				     k->nruletab > 0 ? (uint32_t)k->nruletab : 1);
	if (r == 0)
		r = shared_reuse(skel, pin_dir);
	if (r == 0)
		r = bind_policy__load(skel);
	if (r == 0)
		r = rules_fill(skel, k);
	if (r < 0)
		goto fail;
	fd = bpf_map__fd(skel->maps.pg_managed);
	for (size_t i = 0; i < k->nmanaged && r == 0; i++)
		r = bpf_map_update_elem(fd, &k->managed[i].key, &k->managed[i].val, BPF_NOEXIST);
	if (r == 0)
		r = bpf_map_freeze(fd);
	fd = bpf_map__fd(skel->maps.pg_allowed);
	for (size_t i = 0; i < k->nallowed && r == 0; i++)
		r = bpf_map_update_elem(fd, &k->allowed[i].key, &k->allowed[i].val, BPF_NOEXIST);
	if (r == 0)
		r = bpf_map_freeze(fd);
	fd = bpf_map__fd(skel->maps.pg_exact);
	for (size_t i = 0; i < k->nallowed && r == 0; i++)
		if (pg_kallowed_exact(&k->allowed[i]))
			r = bpf_map_update_elem(fd, &k->allowed[i].key, &k->allowed[i].val,
						BPF_NOEXIST);
	if (r == 0)
		r = bpf_map_freeze(fd);
	fd = bpf_map__fd(skel->maps.pg_ab_file);
	for (size_t i = 0; i < k->nabfile && r == 0; i++)
		r = bpf_map_update_elem(fd, &k->abfile[i].key, &k->abfile[i].val, BPF_NOEXIST);
	if (r == 0)
		r = bpf_map_freeze(fd);
	fd = bpf_map__fd(skel->maps.pg_ab_uid);
	for (size_t i = 0; i < k->nabuid && r == 0; i++)
		r = bpf_map_update_elem(fd, &k->abuid[i].key, &k->abuid[i].val, BPF_NOEXIST);
	if (r == 0)
		r = bpf_map_freeze(fd);
	if (r < 0)
		goto fail;
	*ret = skel;
	return 0;
fail:
	r = r < 0 ? r : -EIO;
	bind_policy__destroy(skel);
	return r;
}

int
pg_bpf_load(const struct pg_kpolicy *k, const struct pg_bpf_params *prm, int cgroup_fd,
	    const char *pin_dir)
{
	struct bind_policy *skel = NULL;
	struct bpf_program *progs[2];
	struct bpf_link *links[2] = { NULL, NULL };
	bool pinned[2] = { false, false }, shared[3] = { false, false, false };
	char path[2][512];
	int r;

	for (int i = 0; i < 2; i++)
		if (access(pin_path(pin_dir, i, path[i]), F_OK) == 0)
			return -EEXIST;
	r = generation_new(k, prm, pin_dir, &skel);
	if (r == 0)
		r = shared_pin(skel, pin_dir, shared);
	if (r < 0) {
		shared_unpin(pin_dir, shared);
		bind_policy__destroy(skel);
		return r;
	}
	progs[0] = skel->progs.portgate_bind4;
	progs[1] = skel->progs.portgate_bind6;
	for (int i = 0; i < 2 && r == 0; i++) {
		links[i] = bpf_program__attach_cgroup(progs[i], cgroup_fd);
		if (links[i] == NULL)
			r = -errno;
	}
	for (int i = 0; i < 2 && r == 0; i++) {
		r = bpf_link__pin(links[i], path[i]);
		pinned[i] = r == 0;
	}
	if (r < 0) {
		for (int i = 0; i < 2; i++)
			if (pinned[i])
				(void)bpf_link__unpin(links[i]);
		shared_unpin(pin_dir, shared);
	}
	/* Closing the link fds detaches unless pinned. */
	for (int i = 0; i < 2; i++)
		(void)bpf_link__destroy(links[i]);
	bind_policy__destroy(skel);
	return r;
}

/* The program a cgroup link runs, checked to be a bind link of the right family. */
static int
link_prog(int link_fd, int i, uint32_t *ret_prog_id)
{
	struct bpf_link_info li;
	uint32_t len = sizeof(li);
	static const uint32_t types[2] = { BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET6_BIND };

	memset(&li, 0, sizeof(li));
	if (bpf_obj_get_info_by_fd(link_fd, &li, &len) < 0)
		return -errno;
	if (li.type != BPF_LINK_TYPE_CGROUP || li.cgroup.attach_type != types[i])
		return -EINVAL;
	*ret_prog_id = li.prog_id;
	return 0;
}

/* Open both pinned links: -ENOENT if neither, -ESTALE if one. */
static int
open_links(const char *pin_dir, int fds[2])
{
	char path[512];
	int missing = 0;

	for (int i = 0; i < 2; i++) {
		fds[i] = bpf_obj_get(pin_path(pin_dir, i, path));
		if (fds[i] < 0 && errno != ENOENT) {
			int r = -errno;

			for (int j = 0; j < i; j++)
				if (fds[j] >= 0)
					(void)close(fds[j]);
			return r;
		}
		missing += fds[i] < 0;
	}
	if (missing == 2)
		return -ENOENT;
	if (missing == 1) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				(void)close(fds[i]);
		return -ESTALE;
	}
	return 0;
}

int
pg_bpf_reload(const struct pg_kpolicy *k, const struct pg_bpf_params *prm, const char *pin_dir)
{
	int links[2] = { -1, -1 }, old[2] = { -1, -1 }, new[2];
	struct bind_policy *skel = NULL;
	bool shared[3];
	int r;

	libbpf_setup();
	r = open_links(pin_dir, links);
	if (r < 0)
		return r;
	for (int i = 0; i < 2 && r == 0; i++) {
		uint32_t id = 0;

		r = link_prog(links[i], i, &id);
		if (r == 0 && (old[i] = bpf_prog_get_fd_by_id(id)) < 0)
			r = -errno;
	}
	if (r == 0)
		r = generation_new(k, prm, pin_dir, &skel);
	/* Loaded by an older portgate: the shared maps are pinned from now on. */
	if (r == 0)
		r = shared_pin(skel, pin_dir, shared);
	if (r < 0)
		goto out;
	new[0] = bpf_program__fd(skel->progs.portgate_bind4);
	new[1] = bpf_program__fd(skel->progs.portgate_bind6);
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE,
			    .old_prog_fd = old[i]);

		r = bpf_link_update(links[i], new[i], &opts);
		if (r < 0) {
			r = -errno;
			if (i == 1) {
				LIBBPF_OPTS(bpf_link_update_opts, back, .flags = BPF_F_REPLACE,
					    .old_prog_fd = new[0]);

				(void)bpf_link_update(links[0], old[0], &back);
			}
			break;
		}
	}
out:
	bind_policy__destroy(skel);
	for (int i = 0; i < 2; i++) {
		if (old[i] >= 0)
			(void)close(old[i]);
		if (links[i] >= 0)
			(void)close(links[i]);
	}
	return r;
}

int
pg_bpf_unload(const char *pin_dir)
{
	char path[512];
	int r = 0, found = 0;

	libbpf_setup();
	for (int i = 0; i < 2; i++) {
		int fd = bpf_obj_get(pin_path(pin_dir, i, path));

		if (fd < 0) {
			if (errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		found++;
		/* Detach now, even if someone else still holds the link open. */
		if (bpf_link_detach(fd) < 0 && r == 0)
			r = -errno;
		(void)close(fd);
		if (unlink(path) < 0 && r == 0)
			r = -errno;
	}
	if (found == 0 && r == 0)
		return -ENOENT;
	for (int i = 0; i < 3; i++)
		if (unlink(shared_path(pin_dir, i, path)) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	(void)rmdir(pin_dir); /* only if empty: other pins are not ours */
	return r;
}
