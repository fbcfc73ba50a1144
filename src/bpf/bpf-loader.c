// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf-loader.c - load, swap, remove and inspect the bind hooks with libbpf and
 * the generated skeleton (bind-policy.skel.h, built from bind-policy.bpf.c).
 * Runs as root.  Library code: returns -errno, never logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-loader.h"
#include "macro.h"
#include "sysinfo.h"

/* Generated code: its casts are not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "bind-policy.skel.h"
#pragma GCC diagnostic pop

static const char *const link_names[2] = { "bind4", "bind6" };

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

/* Undo the \ooo escapes of /proc/self/mountinfo in place. */
static void
unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int
pg_cgroup2_root(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int r = -ENOENT;

	if (f == NULL)
		return -errno;
	while (r == -ENOENT && fgets(line, sizeof(line), f) != NULL) {
		char *sep = strstr(line, " - "), *save = NULL, *tok;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE OPTIONS */
		if (sep == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		tok = strtok_r(line, " ", &save);
		for (int field = 1; tok != NULL && field < 5; field++)
			tok = strtok_r(NULL, " ", &save);
		if (tok == NULL)
			continue;
		unescape_octal(tok);
		if (strlen(tok) >= size)
			r = -ENAMETOOLONG;
		else
			r = (memcpy(buf, tok, strlen(tok) + 1), 0);
	}
	(void)fclose(f);
	return r;
}

/* Depth-first search for a directory whose inode number is id (the cgroup id). */
static int
find_cgroup(int dir_fd, const char *path, uint64_t id, unsigned depth, char *buf, size_t size)
{
	DIR *d;
	struct dirent *e;
	int r = -ENOENT;

	if (depth > 32)
		return -ENOENT;
	d = fdopendir(dir_fd);
	if (d == NULL) {
		(void)close(dir_fd);
		return -errno;
	}
	while (r == -ENOENT && (e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;
		int fd;

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_ino == id) {
			(void)close(fd);
			r = snprintf(buf, size, "%s", sub) >= (int)size ? -ENAMETOOLONG : 0;
			break;
		}
		r = find_cgroup(fd, sub, id, depth + 1, buf, size);
	}
	(void)closedir(d);
	return r;
}

int
pg_cgroup_path(const char *root, uint64_t id, char *buf, size_t size)
{
	struct stat st;
	int fd;

	if (stat(root, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_ino == id)
		return snprintf(buf, size, "%s", root) >= (int)size ? -ENAMETOOLONG : 0;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return find_cgroup(fd, root, id, 0, buf, size);
}

static bool
on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int
pg_bpf_pin_dir_prepare(const char *pin_dir)
{
	char path[PATH_MAX];
	size_t n = strlen(PG_BPF_FS);

	if (strlen(pin_dir) >= sizeof(path) || pin_dir[0] != '/')
		return -EINVAL;
	if (!on_bpffs(PG_BPF_FS) && strncmp(pin_dir, PG_BPF_FS "/", n + 1) == 0 &&
	    mount("bpf", PG_BPF_FS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return -errno;
	/* mkdir -p, one component at a time. */
	memcpy(path, pin_dir, strlen(pin_dir) + 1);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return on_bpffs(pin_dir) ? 0 : -ENOTDIR;
}

/* --- network namespaces ---------------------------------------------------------- */

int
pg_netns_run(const char *ns_path, int (*fn)(void *arg), void *arg)
{
	_cleanup_close_ int target = open(ns_path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int self = -1;
	struct stat a, b;
	int r;

	if (target < 0)
		return -errno;
	if (fstat(target, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return -errno;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return fn(arg);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0)
		return -errno;
	r = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0)
		return -errno; /* the caller must not go on: it is in the wrong netns */
	return r;
}

struct netns_info {
	uint64_t cookie;
	unsigned unpriv_start;
};

static int
read_netns_info(void *arg)
{
	struct netns_info *info = arg;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(info->cookie);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &info->cookie, &len) < 0)
		return -errno; /* ENOPROTOOPT before 5.14 */
	info->unpriv_start = pg_unprivileged_port_start();
	return 0;
}

int
pg_netns_info(const char *ns_path, uint64_t *ret_cookie, unsigned *ret_unpriv_start)
{
	struct netns_info info = { 0 };
	int r = pg_netns_run(ns_path, read_netns_info, &info);

	if (r < 0)
		return r;
	*ret_cookie = info.cookie;
	*ret_unpriv_start = info.unpriv_start;
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

/* --- status -------------------------------------------------------------------------- */

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

	libbpf_setup();
	memset(ret, 0, sizeof(*ret));
	ret->managed_fd = ret->allowed_fd = ret->abfile_fd = ret->abuid_fd = -1;
	ret->rules_fd = ret->log_fd = ret->counters_fd = -1;
	for (int i = 0; i < 2; i++) {
		struct pg_bpf_link *l = &ret->link[i];
		struct bpf_link_info li;
		uint32_t len = sizeof(li);
		_cleanup_close_ int fd = bpf_obj_get(pin_path(pin_dir, i, l->pin));
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

		ret->log_fd = bpf_obj_get(shared_path(pin_dir, 0, path));
		ret->counters_fd = bpf_obj_get(shared_path(pin_dir, 1, path));
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
map_managed(const void *ctx, const struct pg_k_managed_key *key)
{
	const struct pg_bpf_status *s = ctx;
	struct pg_k_managed_val v;

	if (s->managed_fd < 0)
		return -EBADF;
	if (bpf_map_lookup_elem(s->managed_fd, key, &v) == 0)
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
	ret->allowed = map_allowed;
	ret->abfile = map_abfile;
	ret->abuid = map_abuid;
	ret->ctx = s;
}
