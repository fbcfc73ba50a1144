#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0050-install-deps.sh - scripts/install-deps.sh, the first step of `make
# check` and `make demo`, against stub apt-get, dpkg-query and id first on
# PATH: exit 0 when every package is installed (nothing missing, or apt-get
# installed them), 2 with a message when apt-get fails, 1 for a non-root user;
# /usr/sbin/policy-rc.d keeps services from starting while apt-get runs, a
# guard that was already there is left byte for byte and mode for mode, ours
# is removed whatever happens (success, apt-get failure, SIGTERM).
#
# The real script runs, with its real guard path: /usr/sbin is a tmpfs here,
# mounted in the private mount namespace lib.sh runs every script in, so the
# host's policy-rc.d is never touched (the last case checks it).
. "${0%/*}/lib.sh"
require_cmd mount findmnt cmp stat cksum

DEPS=$PORTGATE_SRC/scripts/install-deps.sh
GUARD=/usr/sbin/policy-rc.d
STUB=$TMP/stub
REC=$TMP/rec
export REC

# guard_state FILE: a line for FILE's type, mode, owner, mtime and contents (or "absent").
guard_state() {
	if [ -L "$1" ]; then
		stat -c '%F %a %u:%g %y' "$1" && readlink "$1"
	elif [ -e "$1" ]; then
		stat -c '%F %a %u:%g %y' "$1" && cksum <"$1"
	else
		echo absent
	fi
}

# The host's guard as it is now, to check at the end (after unmounting the
# tmpfs) that it did not change.  Then a tmpfs over /usr/sbin, for this script
# only.  Never mount anything under $TMP: lib.sh removes $TMP with rm -rf,
# which would descend into the mount.
guard_state "$GUARD" >"$TMP/host-guard.before"
# lib.sh re-executed this script under unshare, so prove (its parent) is in
# another mount namespace; if not, mounting over /usr/sbin would hide it from
# the whole machine.
if ! { _ns=$(readlink /proc/self/ns/mnt) && _pns=$(readlink "/proc/$PPID/ns/mnt") &&
	[ "$_ns" != "$_pns" ]; }; then
	echo "Bail out! not in a mount namespace of its own (run it through lib.sh's unshare)"
	exit 1
fi
mount -t tmpfs -o mode=0755,size=1m pgt-sbin /usr/sbin ||
	{ echo "Bail out! cannot mount a tmpfs over /usr/sbin in the test's mount namespace"; exit 1; }

# on_scratch_sbin: /usr/sbin is our tmpfs (never remove a guard from anywhere else).
on_scratch_sbin() {
	if [ "$(stat -f -c %T /usr/sbin)" != tmpfs ] ||
		[ "$(findmnt -n -o SOURCE --mountpoint /usr/sbin | tail -n 1)" != pgt-sbin ]; then
		echo "/usr/sbin is not the test's tmpfs"
		return 1
	fi
}
on_scratch_sbin || { echo "Bail out! /usr/sbin is not the test's tmpfs"; exit 1; }

# The stubs.  dpkg-query: a package named in $REC/missing is not installed.
# apt-get: logs each call to $REC/apt.log; STUB_FAIL=update|install makes that
# step fail (status 100, as apt-get does); install records the guard as
# apt-get saw it (a copy, its mode, what it answers for `lighttpd start`),
# marks the packages installed (not with STUB_KEEP=1), and with STUB_SIGNAL sends that signal to its
# caller.  id: STUB_UID stands in for `id -u`.
mkdir -p "$STUB/bin"
cat >"$STUB/bin/dpkg-query" <<'EOF'
#!/bin/sh
for pkg; do :; done
if grep -qxF -- "$pkg" "$REC/missing"; then
	echo "dpkg-query: no packages found matching $pkg" >&2
	exit 1
fi
printf 'install ok installed'
EOF
cat >"$STUB/bin/apt-get" <<'EOF'
#!/bin/sh
echo "$*" >>"$REC/apt.log"
g=/usr/sbin/policy-rc.d
if [ "$1" = install ] && [ -e "$g" ]; then
	cp "$g" "$REC/guard-seen"
	stat -c %a "$g" >"$REC/guard-mode-seen"
	"$g" lighttpd start
	echo $? >"$REC/guard-answer-seen"
fi
if [ "$1" = "${STUB_FAIL:-}" ]; then
	echo "E: stub apt-get: $1 fails" >&2
	exit 100
fi
[ "$1" = install ] || exit 0
shift
for a; do
	case $a in -*) ;; *) echo "$a" ;; esac
done >"$REC/installed"
if [ -z "${STUB_KEEP:-}" ]; then
	grep -vxF -f "$REC/installed" "$REC/missing" >"$REC/missing.new"
	mv "$REC/missing.new" "$REC/missing"
fi
[ -z "${STUB_SIGNAL:-}" ] || kill -s "$STUB_SIGNAL" "$PPID"
exit 0
EOF
cat >"$STUB/bin/id" <<'EOF'
#!/bin/sh
if [ "$*" = -u ] && [ -n "${STUB_UID:-}" ]; then
	echo "$STUB_UID"
	exit 0
fi
exec /usr/bin/id "$@"
EOF
chmod 755 "$STUB/bin/dpkg-query" "$STUB/bin/apt-get" "$STUB/bin/id"

# fresh MISSING [GUARD]: new records, the packages in MISSING not installed,
# and /usr/sbin/policy-rc.d as GUARD says: none (default), file (ours: mode
# 0750, no final newline; a copy in $TMP/guard.orig), or dangling (a symlink
# to nowhere).  $TMP/guard.before holds guard_state of what is there.
# shellcheck disable=SC2086 # MISSING is a list
fresh() {
	on_scratch_sbin && rm -rf "$REC" "$GUARD" "$TMP/guard.orig" && mkdir "$REC" &&
		printf '%s\n' $1 >"$REC/missing" &&
		case ${2:-none} in
		none) ;;
		file)
			printf '#!/bin/sh\n# pgt-t0050: the guard that was here before\nexit 101' >"$GUARD" &&
				chmod 0750 "$GUARD" && touch -d '2001-02-03 04:05:06.789' "$GUARD" &&
				cp -p "$GUARD" "$TMP/guard.orig"
			;;
		dangling) ln -s /nonexistent/pgt-t0050-policy-rc.d "$GUARD" ;;
		esac &&
		guard_state "$GUARD" >"$TMP/guard.before"
}

# run_deps: the real install-deps.sh with the stubs first on PATH; its stdout
# and stderr go to $REC/out and $REC/err, and to the test's log.
run_deps() {
	PATH="$STUB/bin:$PATH" "$DEPS" >"$REC/out" 2>"$REC/err"
	_rc=$?
	cat "$REC/out" "$REC/err"
	return "$_rc"
}

# guard_intact: the guard is exactly what fresh put there.
guard_intact() {
	guard_state "$GUARD" | diff "$TMP/guard.before" - &&
		{ ! [ -f "$TMP/guard.orig" ] || cmp "$TMP/guard.orig" "$GUARD"; }
}

# guard_gone: no policy-rc.d is left behind.
guard_gone() {
	! [ -e "$GUARD" ] && ! [ -L "$GUARD" ]
}

# 1. Nothing missing.
test_expect_success 'nothing missing: exit 0' '
	fresh "" && run_deps
'
test_expect_success '  ... without calling apt-get or creating a guard' '
	! [ -e "$REC/apt.log" ] && guard_gone
'

# 2. Packages missing, no guard before.
test_expect_success 'packages missing, no policy-rc.d: exit 0' '
	fresh "clang lighttpd" && run_deps
'
test_expect_success '  ... apt-get updated, then installed just the missing packages' '
	sed "s/ .*//" "$REC/apt.log" | tr "\n" " " | grep -x "update install " &&
	printf "clang\nlighttpd\n" | diff - "$REC/installed" &&
	grep -x "install-deps: installing clang lighttpd" "$REC/out"
'
test_expect_success '  ... under a policy-rc.d that forbids starting services (exit 101)' '
	test "$(cat "$REC/guard-answer-seen")" = 101 && test "$(cat "$REC/guard-mode-seen")" = 755
'
test_expect_success '  ... which is gone afterwards' 'guard_gone'

# 3. Packages missing, a guard before.
test_expect_success 'packages missing, policy-rc.d already there: exit 0' '
	fresh "clang lighttpd" file && run_deps
'
test_expect_success '  ... apt-get ran under the old guard' '
	cmp "$TMP/guard.orig" "$REC/guard-seen" && test "$(cat "$REC/guard-mode-seen")" = 750
'
test_expect_success '  ... which is left byte for byte, with its mode, owner and mtime' 'guard_intact'
test_expect_success 'policy-rc.d a dangling symlink: exit 0, the symlink left as it was' '
	fresh "lighttpd" dangling && run_deps && guard_intact
'

# 4. apt-get failing.
test_expect_code 2 'apt-get install fails, no policy-rc.d: exit 2' '
	fresh "clang lighttpd" && STUB_FAIL=install run_deps
'
test_expect_success '  ... saying which step failed, what is missing and what to do' '
	grep "install-deps: apt-get install failed (exit status 100)" "$REC/err" &&
	grep "packages still missing: clang lighttpd" "$REC/err" &&
	grep "run scripts/install-deps.sh again" "$REC/err" &&
	grep "apt-get install -y clang lighttpd" "$REC/err"
'
test_expect_success '  ... apt-get saw our guard, which is gone afterwards' '
	test "$(cat "$REC/guard-answer-seen")" = 101 && guard_gone
'
test_expect_code 2 'apt-get install fails, policy-rc.d already there: exit 2' '
	fresh "clang lighttpd" file && STUB_FAIL=install run_deps
'
test_expect_success '  ... the old guard left byte for byte, with its mode' 'guard_intact'
test_expect_code 2 'apt-get update fails, no policy-rc.d: exit 2' '
	fresh "clang" && STUB_FAIL=update run_deps
'
test_expect_success '  ... before any install, saying so; no guard left' '
	test "$(wc -l <"$REC/apt.log")" = 1 &&
	grep "install-deps: apt-get update failed (exit status 100)" "$REC/err" && guard_gone
'
test_expect_code 2 'apt-get update fails, policy-rc.d already there: exit 2' '
	fresh "clang" file && STUB_FAIL=update run_deps
'
test_expect_success '  ... the old guard left byte for byte, with its mode' 'guard_intact'

# Signals and the other exits.
test_expect_code 143 'SIGTERM during apt-get install: ends with 128+15' '
	fresh "clang" && STUB_SIGNAL=TERM run_deps
'
test_expect_success '  ... and removes our guard' 'guard_gone'
test_expect_code 143 'SIGTERM during apt-get install, policy-rc.d already there: 128+15' '
	fresh "clang" file && STUB_SIGNAL=TERM run_deps
'
test_expect_success '  ... the old guard left byte for byte, with its mode' 'guard_intact'
test_expect_code 2 'apt-get succeeds but dpkg still lists a package as not installed: exit 2' '
	fresh "clang lighttpd" && STUB_KEEP=1 run_deps
'
test_expect_success '  ... saying so; no guard left' '
	grep "install-deps: apt-get install succeeded, but dpkg does not list every package" "$REC/err" &&
	grep "packages still missing: clang lighttpd" "$REC/err" && guard_gone
'
test_expect_code 1 'not root, packages missing: exit 1' '
	fresh "clang lighttpd" && STUB_UID=1000 run_deps
'
test_expect_success '  ... saying what to run as root, changing nothing' '
	grep "install-deps: run as root: apt-get install -y clang lighttpd" "$REC/err" &&
	! [ -e "$REC/apt.log" ] && guard_gone
'

test_expect_success "the host's /usr/sbin/policy-rc.d is untouched" '
	on_scratch_sbin && umount /usr/sbin &&
	guard_state "$GUARD" | diff "$TMP/host-guard.before" -
'
test_done
