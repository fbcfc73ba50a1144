#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0510-deb.sh - the Debian package: dpkg-buildpackage builds it from a copy of
# the tree (the worktree is never touched), lintian finds no error or warning,
# the packages hold every piece, and installing then purging them leaves the
# machine as it was.
#
# SAFETY: nothing is started.  PID 1 is not systemd here, so the maintainer
# scripts skip systemctl; a policy-rc.d that refuses every start guards the
# rest (ours if there is none, removed on exit).  No policy exists, so the
# kernel unit's ConditionPathExists= would stop it anyway, and nothing here runs
# "portgate kernel load".  The test skips when a portgate package or a
# "portgate" user is already on the machine, so it never removes what it did
# not install.
. "${0%/*}/lib.sh"
require_cmd dpkg-buildpackage dh lintian dpkg-deb dpkg-query systemd-analyze pkg-config

PKGS="portgate libportgate0 libportgate-dev"
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv "not-installed" &&
		skip_all "package $p is already on this machine; not touching it"
done
getent passwd portgate >/dev/null && skip_all "a user 'portgate' already exists; not touching it"
getent group portgate >/dev/null && skip_all "a group 'portgate' already exists; not touching it"
[ -e /etc/portgate/portgate.conf ] &&
	skip_all "/etc/portgate/portgate.conf exists: the package would enforce it at boot"
guard=/usr/sbin/policy-rc.d
if [ -e "$guard" ]; then
	rc=0
	"$guard" portgate-kernel-watch.service start >/dev/null 2>&1 || rc=$?
	[ "$rc" = 101 ] || skip_all "$guard allows starting services (exit $rc, not 101)"
fi
# One package test at a time on this machine (other worktrees run it too).
exec 9>/tmp/portgate-deb-test.lock
flock -w 900 9 || skip_all "another t0510-deb.sh held /tmp/portgate-deb-test.lock for 15 minutes"

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
own_guard=0
installed=0
_deb_cleanup() {
	if [ "$installed" = 1 ]; then
		# shellcheck disable=SC2086
		dpkg --purge $PKGS >"$TMP/cleanup.log" 2>&1 ||
			echo "# cleanup: dpkg --purge $PKGS failed; see $TMP/cleanup.log"
	fi
	[ "$own_guard" = 1 ] && rm -f "$guard"
	_pg_cleanup
}
trap _deb_cleanup EXIT

# dpkg_retry ARGS...: dpkg, waiting (bounded) while another dpkg or apt holds its lock.
dpkg_retry() {
	_i=0
	while ! dpkg "$@" >"$TMP/dpkg.log" 2>&1; do
		if ! grep -q "lock" "$TMP/dpkg.log" || [ "$_i" -ge 150 ]; then
			cat "$TMP/dpkg.log"
			return 1
		fi
		_i=$((_i + 1))
		sleep 2
	done
}

# What installing and purging may change, listed before and after.
snapshot() {
	getent passwd portgate
	getent group portgate
	dpkg-query -W -f='${Package} ${Status}\n' 'portgate*' 'libportgate*' 2>/dev/null
	find /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system \
		/var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
		-name '*portgate*' 2>/dev/null | sort
	find /etc/portgate /run/portgate /usr/share/doc/portgate /usr/share/doc/libportgate0 \
		/usr/share/doc/libportgate-dev /usr/lib/"$MA"/portgate /usr/bin/portgate \
		/usr/sbin/launch_socket_server /usr/sbin/portgated /usr/include/portgate.h \
		/usr/share/bash-completion/completions/portgate 2>/dev/null | sort
	find /usr/lib/"$MA" /usr/share/man -name '*portgate*' 2>/dev/null | sort
	find /var/lib/dpkg/info -name 'portgate*' -o -name 'libportgate*' 2>/dev/null | sort
}

SRC=$TMP/src/portgate
OUT=$TMP/src
test_expect_success 'copy the tree (tracked and new files, no build output)' '
	mkdir -p "$SRC" &&
	if git -C "$PORTGATE_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$PORTGATE_SRC" status --porcelain --ignored >"$TMP/status.before" &&
		git -C "$PORTGATE_SRC" ls-files -z -co --exclude-standard |
			(cd "$PORTGATE_SRC" && tar --null -T - -cf -) | tar -C "$SRC" -xf -
	else
		tar -C "$PORTGATE_SRC" --exclude=./.build --exclude=./.git -cf - . | tar -C "$SRC" -xf -
	fi &&
	test -x "$SRC/debian/rules" && test ! -e "$SRC/.build"
'
test_expect_success 'dpkg-buildpackage -us -uc -b builds the three packages' '
	(cd "$SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS \
		DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
		>"$TMP/build.log" 2>&1 || { tail -40 "$TMP/build.log"; exit 1; }
	for p in $PKGS; do test -f "$OUT/${p}_0.1.0_$(dpkg --print-architecture).deb" || exit 1; done
'
test_expect_success '  ... without touching the worktree' '
	! git -C "$PORTGATE_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		git -C "$PORTGATE_SRC" status --porcelain --ignored | diff "$TMP/status.before" -
'
test_expect_success 'lintian: no errors, no warnings' '
	# lintian leaves its mldbm-elf-* files in TMPDIR: give it one the cleanup removes.
	mkdir -p "$TMP/lintian-tmp" &&
	TMPDIR=$TMP/lintian-tmp lintian --fail-on error,warning "$OUT"/portgate_*.changes \
		>"$TMP/lintian" 2>&1
	rc=$?
	grep -v "^running with root" "$TMP/lintian"
	exit $rc
'

# contents PKG: the file list of the package, one "./path" (or "./link -> target") a line.
contents() {
	dpkg-deb -c "$OUT/$1"_0.1.0_*.deb | sed "s/^[^.]*\.\//.\//" >"$TMP/$1.list"
}
# has PKG PATH...: each PATH is in the package.
has() {
	_p=$1
	shift
	for f in "$@"; do
		grep -qxF -- "$f" "$TMP/$_p.list" || { echo "missing in $_p: $f"; return 1; }
	done
}
test_expect_success 'portgate: programs, the shim, units, man pages, completion, example' '
	contents portgate &&
	has portgate ./usr/bin/portgate "./usr/sbin/launch_socket_server -> ../bin/portgate" \
		./usr/sbin/portgated ./usr/lib/$MA/portgate/libportgate-preload.so \
		./lib/systemd/system/portgated.service ./lib/systemd/system/portgate-kernel-watch.service \
		./usr/share/man/man1/portgate.1.gz \
		"./usr/share/man/man1/launch_socket_server.1.gz -> portgate.1.gz" \
		./usr/share/man/man5/portgate.conf.5.gz ./usr/share/man/man8/portgated.8.gz \
		./usr/share/man/man8/portgate-preload.8.gz \
		./usr/share/bash-completion/completions/portgate \
		./usr/share/doc/portgate/examples/portgate.conf ./usr/share/doc/portgate/copyright
'
test_expect_success '  ... and no active policy in /etc' '
	! grep "^\./etc" "$TMP/portgate.list"
'
test_expect_success 'libportgate0: the shared library; libportgate-dev: header, .pc, .so, .a, man 3' '
	contents libportgate0 && contents libportgate-dev &&
	has libportgate0 ./usr/lib/$MA/libportgate.so.0 &&
	has libportgate-dev ./usr/include/portgate.h ./usr/lib/$MA/pkgconfig/portgate.pc \
		"./usr/lib/$MA/libportgate.so -> libportgate.so.0" ./usr/lib/$MA/libportgate.a \
		./usr/share/man/man3/portgate_listen_fds.3.gz
'
test_expect_success 'the kernel unit waits for the policy and falls back to portgated' '
	mkdir "$TMP/x" && dpkg-deb -x "$OUT"/portgate_0.1.0_*.deb "$TMP/x" &&
	u=$TMP/x/lib/systemd/system/portgate-kernel-watch.service &&
	grep -x "ConditionPathExists=/etc/portgate/portgate.conf" "$u" &&
	grep -x "OnFailure=portgated.service" "$u" &&
	grep -x "ExecStartPre=-/usr/bin/portgate kernel load \$PORTGATE_KERNEL_OPTS" "$u" &&
	grep -x "ExecStart=/usr/bin/portgate kernel watch \$PORTGATE_KERNEL_OPTS" "$u" &&
	grep -x "ExecStart=/usr/sbin/portgated --foreground --hold" \
		"$TMP/x/lib/systemd/system/portgated.service"
'

snapshot >"$TMP/before"
if [ ! -e "$guard" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$guard" && chmod 755 "$guard" && own_guard=1
fi
installed=1
test_expect_success 'install the packages (no service starts: policy-rc.d says 101)' '
	dpkg_retry -i "$OUT"/portgate_0.1.0_*.deb "$OUT"/libportgate0_0.1.0_*.deb \
		"$OUT"/libportgate-dev_0.1.0_*.deb
'
test_expect_success '  ... and the snapshot sees it: files, user, enabled unit, dpkg state' '
	snapshot >"$TMP/during" &&
	grep -x /usr/sbin/portgated "$TMP/during" && grep "^portgate:x:" "$TMP/during" &&
	grep "deb-systemd-helper-enabled/.*portgate-kernel-watch.service" "$TMP/during" &&
	grep -x "/var/lib/dpkg/info/portgate.postrm" "$TMP/during"
'
test_expect_success '  ... created the system user and group portgate' '
	getent passwd portgate | awk -F: "\$3 < 1000 && \$6 == \"/nonexistent\" && \$7 ~ /nologin\$/" | grep . &&
	getent group portgate
'
test_expect_success '  ... and started nothing, created no /etc/portgate' '
	test ! -e /etc/portgate &&
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
		/usr/sbin/portgated | /usr/bin/portgate) echo "running: $p"; exit 1 ;;
		esac
	done
'
test_expect_success 'the installed units pass systemd-analyze verify' '
	systemd-analyze verify --man=no /lib/systemd/system/portgated.service \
		/lib/systemd/system/portgate-kernel-watch.service
'
test_expect_success 'the installed portgate runs and finds the shim in /usr/lib/$MA/portgate' '
	/usr/bin/portgate --version | grep 0.1.0 &&
	env -u PORTGATE_PRELOAD /usr/bin/portgate exec -q -- /bin/sh -c "echo \$LD_PRELOAD" >"$TMP/pre" &&
	test "$(cat "$TMP/pre")" = "/usr/lib/$MA/portgate/libportgate-preload.so"
'
test_expect_success 'pkg-config finds the installed library' '
	test "$(pkg-config --modversion portgate)" = 0.1.0 &&
	pkg-config --libs portgate | grep -- -lportgate
'
test_expect_success 'purge leaves the machine as before' '
	dpkg_retry --purge $PKGS &&
	snapshot >"$TMP/after" &&
	diff "$TMP/before" "$TMP/after"
'
dpkg-query -W -f='${Status}' portgate 2>/dev/null | grep -qv "not-installed" || installed=0
test_done
