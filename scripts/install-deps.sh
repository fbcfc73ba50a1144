#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install-deps.sh - install the Debian packages portgate needs to build and
# test, and only those that are missing.  Called by `make check` and
# `make demo`; safe to run again.  Services in these packages (lighttpd) are
# not started by the install: tests run them in their own network namespaces.
set -eu

# What each package is for (see README.md, "Dependencies").
BUILD="gcc make libc6-dev libacl1-dev libcap-ng-dev pkg-config clang llvm libbpf-dev bpftool"
LINT="clang-format shellcheck"
TEST="netbase systemd nginx-light python3 perl iproute2 util-linux passwd acl curl lighttpd authbind procps"
# The Debian package (debian/, tests/integration/t0510-deb.sh): build and check it.
PKG="debhelper dpkg-dev lintian adduser"

missing=""
for p in $BUILD $TEST $LINT $PKG; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root: apt-get install -y$missing" >&2
	exit 1
fi

echo "install-deps: installing$missing"
# Keep package scripts from starting daemons (lighttpd would take port 80 on
# the host); remove the guard whatever happens.
guard=/usr/sbin/policy-rc.d
own_guard=0
if [ ! -e "$guard" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$guard"
	chmod 755 "$guard"
	own_guard=1
fi
cleanup() { [ "$own_guard" = 1 ] && rm -f "$guard"; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
