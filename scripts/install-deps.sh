#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install-deps.sh - install the Debian packages portgate needs to build and
# test, and only those that are missing.  Called by `make check` and
# `make demo`; safe to run again.  Services in these packages (lighttpd) are
# not started by the install: tests run them in their own network namespaces.
#
# While apt-get runs, /usr/sbin/policy-rc.d (exit 101) keeps package scripts
# from starting daemons.  A policy-rc.d that already exists (Debian's container
# images ship one) is used as it is and never modified; one this script
# creates is removed when it ends, whether apt-get succeeded, failed, or the
# script was interrupted (HUP, INT, TERM).
#
# Exit status:
#   0    every package is installed (nothing was missing, or apt-get installed
#        the missing ones)
#   1    packages are missing and this is not root: nothing was changed; the
#        message says what to run
#   2    the install failed (apt-get update or install failed, the guard could
#        not be created, or a package is still missing afterwards); the
#        message on stderr says which step and what to do
#   128+N  ended by signal N (the guard is removed first)
# tests/integration/t0050-install-deps.sh checks these against stub
# apt-get and dpkg-query.
set -eu

# What each package is for (see README.md, "Dependencies").
BUILD="gcc make libc6-dev libacl1-dev libcap-ng-dev pkg-config clang llvm libbpf-dev bpftool"
LINT="clang-format shellcheck"
TEST="netbase systemd nginx-light python3 perl iproute2 util-linux passwd acl curl lighttpd authbind procps"
# A rootless podman container on port 80 through the kernel path (t2020).
TEST="$TEST podman runc uidmap slirp4netns busybox-static"
# The macOS cross-build (make macos, t0800): file(1) reads what it built.  npm,
# which fetches the pinned Zig, is not listed: scripts/install-zig.sh installs
# Debian's only when there is no npm at all (nodejs from elsewhere brings its own).
TEST="$TEST file"
# The Debian package (debian/, tests/integration/t0510-deb.sh): build and check it.
PKG="debhelper dpkg-dev lintian adduser"

# find_missing: set $missing to the packages dpkg does not list as installed.
find_missing() {
	missing=""
	for p in $BUILD $TEST $LINT $PKG; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
}

find_missing
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root: apt-get install -y$missing" >&2
	exit 1
fi

# fail WHAT: say what failed and what to do, then exit 2 (the EXIT trap removes
# our guard).
fail() {
	echo "install-deps: $1; packages still missing:$missing" >&2
	echo "install-deps: fix the cause shown above (network, apt sources, dpkg lock," \
		"a held package), then run scripts/install-deps.sh again," >&2
	echo "install-deps: or install them yourself: apt-get install -y$missing" >&2
	exit 2
}

echo "install-deps: installing$missing"
# Keep package scripts from starting daemons (lighttpd would take port 80 on
# the host).  The trap is set before the guard exists, and own_guard before
# the guard is created, so no exit path leaves our guard behind.  cleanup must
# not change the script's exit status: it ends with the status it was given.
guard=/usr/sbin/policy-rc.d
own_guard=0
cleanup() {
	rc=$?
	trap - EXIT
	if [ "$own_guard" = 1 ]; then
		rm -f "$guard" || echo "install-deps: could not remove $guard: remove it by hand" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# A guard that exists (or is a symlink, even a dangling one) is not ours.
if [ ! -e "$guard" ] && [ ! -L "$guard" ]; then
	own_guard=1
	# noclobber: create it only if it still does not exist.
	if ! (set -C && printf '#!/bin/sh\nexit 101\n' >"$guard"); then
		own_guard=0
		fail "could not create $guard (it keeps package scripts from starting daemons)"
	fi
	chmod 755 "$guard" || fail "chmod 755 $guard failed (exit status $?)"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || fail "apt-get update failed (exit status $?)"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	fail "apt-get install failed (exit status $?)"

# apt-get said yes; check that dpkg agrees.
find_missing
[ -z "$missing" ] || fail "apt-get install succeeded, but dpkg does not list every package as installed"
