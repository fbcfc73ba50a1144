// SPDX-License-Identifier: BSD-2-Clause
/*
 * privdrop-linux.c - drop to the daemon user with CAP_NET_BIND_SERVICE only,
 * and verify the result (see privdrop.h).
 * Privilege: the one place portgated changes credentials.  Trust: the kernel's
 * answers after the change, not the return values of the calls that made it.
 */
#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "privdrop.h"

#define CAP_WANTED   CAP_NET_BIND_SERVICE
#define CAP_SCAN_MAX 64 /* capability numbers to look at: CAP_LAST_CAP is 40 today */

static int
check_ids(const struct privdrop_user *u)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != u->uid || eu != u->uid || su != u->uid) {
		log_warnx("privilege check: user ids are %u/%u/%u, not %u", (unsigned)ru,
			  (unsigned)eu, (unsigned)su, (unsigned)u->uid);
		return -EPERM;
	}
	if (rg != u->gid || eg != u->gid || sg != u->gid) {
		log_warnx("privilege check: group ids are %u/%u/%u, not %u", (unsigned)rg,
			  (unsigned)eg, (unsigned)sg, (unsigned)u->gid);
		return -EPERM;
	}
	return 0;
}

/* Effective and permitted must be exactly {CAP_NET_BIND_SERVICE}, inheritable empty. */
static int
check_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const uint32_t want = 1u << CAP_WANTED; /* bit 10: in the first word */

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (data[0].effective != want || data[0].permitted != want || data[0].inheritable != 0 ||
	    data[1].effective != 0 || data[1].permitted != 0 || data[1].inheritable != 0) {
		log_warnx("privilege check: capabilities are effective %08x%08x, permitted "
			  "%08x%08x, inheritable %08x%08x; want only CAP_NET_BIND_SERVICE",
			  data[1].effective, data[0].effective, data[1].permitted,
			  data[0].permitted, data[1].inheritable, data[0].inheritable);
		return -EPERM;
	}
	for (int cap = 0; cap < CAP_SCAN_MAX; cap++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);

		if (r < 0)
			break; /* past the last capability */
		if (r > 0) {
			log_warnx("privilege check: capability %d is still ambient", cap);
			return -EPERM;
		}
	}
	return 0;
}

/* Returns the number of capabilities in the bounding set other than ours. */
static int
bounding_extra(void)
{
	int extra = 0;

	for (int cap = 0; cap < CAP_SCAN_MAX; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break;
		if (r > 0 && cap != CAP_WANTED)
			extra++;
	}
	return extra;
}

static int
drop_as_root(const struct privdrop_user *u)
{
	int r;

	capng_clear(CAPNG_SELECT_ALL);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			 CAP_WANTED) < 0) {
		log_warnx("privilege drop: libcap-ng cannot describe the capability set");
		return -EINVAL;
	}
	/* While root has CAP_SETPCAP: the bounding set becomes {CAP_NET_BIND_SERVICE}. */
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0) {
		log_warnx("privilege drop: cannot reduce the bounding set");
		return -EPERM;
	}
	/* setgroups(0), setresgid, setresuid with the capability kept, ambient cleared. */
	r = capng_change_id((int)u->uid, (int)u->gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT);
	if (r < 0) {
		log_warnx("privilege drop to '%s' failed (libcap-ng capng_change_id: %d)", u->name,
			  r);
		return -EPERM;
	}
	if (getgroups(0, NULL) != 0) {
		log_warnx("privilege check: supplementary groups remain");
		return -EPERM;
	}
	if (bounding_extra() != 0 || prctl(PR_CAPBSET_READ, CAP_WANTED, 0, 0, 0) != 1) {
		log_warnx("privilege check: the bounding set is not {CAP_NET_BIND_SERVICE}");
		return -EPERM;
	}
	return 0;
}

static int
drop_as_user(const struct privdrop_user *u)
{
	int extra;

	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_PERMITTED, CAP_WANTED)) {
		log_warnx("started as uid %u without CAP_NET_BIND_SERVICE: start portgated as "
			  "root, or give it the capability (systemd: "
			  "AmbientCapabilities=CAP_NET_BIND_SERVICE)",
			  (unsigned)getuid());
		return -EPERM;
	}
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_WANTED) < 0 ||
	    capng_apply(CAPNG_SELECT_CAPS) < 0) {
		log_warnx("privilege drop: cannot reduce the capabilities to "
			  "CAP_NET_BIND_SERVICE");
		return -EPERM;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		log_warn("privilege drop: clear the ambient capabilities");
		return -errno;
	}
	/* Only CAP_SETPCAP could shrink it; with no exec and no_new_privs it grants nothing. */
	extra = bounding_extra();
	if (extra > 0)
		log_info("the capability bounding set holds %d more capabilities than "
			 "CAP_NET_BIND_SERVICE (systemd: CapabilityBoundingSet=); they cannot be "
			 "regained",
			 extra);
	return 0;
}

int
privdrop_drop(const struct privdrop_user *u)
{
	bool as_root = geteuid() == 0;
	int r;

	if (!as_root && (getuid() != u->uid || geteuid() != u->uid)) {
		log_warnx("started as uid %u, not as '%s' (uid %u): start portgated as root or as "
			  "that user, or pass --user",
			  (unsigned)getuid(), u->name, (unsigned)u->uid);
		return -EPERM;
	}
	r = as_root ? drop_as_root(u) : drop_as_user(u);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("privilege drop: set no_new_privs");
		return -errno;
	}
	if ((r = check_ids(u)) < 0 || (r = check_caps()) < 0)
		return r;
	/* With CAP_SETUID gone, root cannot come back. */
	if (setuid(0) == 0 || setgid(0) == 0) {
		log_warnx("privilege check: root could be regained; refusing to run");
		return -EPERM;
	}
	return 0;
}
