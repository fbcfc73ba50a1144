# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# lib.sh - the integration test harness (TAP, run by prove).
#
#   . "${0%/*}/lib.sh"
#   make_user "pgt-alice$SFX"
#   test_expect_success 'alice binds 80' 'as_user pgt-alice$SFX "$PG" run -l :80 -- true'
#   test_expect_code 1 'bob is refused' 'as_user pgt-bob$SFX "$PG" check :80'
#   test_done
#
# Every script runs as root in a network namespace (and a mount namespace) of
# its own, made by enter_netns, so ports never collide with the host or with
# each other.  Users it creates are named pgt-*$SFX and removed on exit, as are the
# processes it started (by PID) and its scratch directory.
# PORTGATE_TEST_STRICT=1 turns a missing prerequisite into a failure (CI).

set -u

PORTGATE_SRC=${PORTGATE_SRC:-$(cd "${0%/*}/../.." && pwd)}
PORTGATE_BUILD=${PORTGATE_BUILD:-$PORTGATE_SRC/.build}
export PORTGATE_SRC PORTGATE_BUILD

test_count=0
test_failed=0
_pg_users=""
_pg_groups=""
TMP=""

skip_all() {
	if [ "${PORTGATE_TEST_STRICT:-0}" = 1 ]; then
		echo "Bail out! prerequisite missing: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

require_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs '$c' (run scripts/install-deps.sh)"
	done
}

# Every script re-runs itself in fresh network + mount namespaces, loopback up,
# as the leader of a process group of its own (setsid): whatever it starts, in
# a test body or not, stays in that group, and the cleanup ends the group.
# _pg_outer ARGS: that re-run, from a shell that stays in the caller's group
# and passes INT and TERM on to the script's whole group, as TERM (the group,
# started asynchronously, ignores INT).  The script, in a session of its own,
# no longer gets the Ctrl-C that a terminal sends to its foreground group;
# without this it ran on, detached, and died of SIGPIPE once prove was gone,
# before its cleanup (users, $TMP, cgroups left behind).
_pg_outer() {
	exec 3<&0 # an asynchronous list's stdin would be /dev/null
	_PG_IN_NETNS=1 setsid -w unshare --net --mount --propagation private -- "$0" "$@" <&3 3<&- &
	_pg_child=$!
	exec 3<&-
	trap 'kill -s TERM -- "-$_pg_child" 2>/dev/null' INT TERM
	# wait returns early when a trapped signal comes; the script may still run.
	while :; do
		wait "$_pg_child"
		_rc=$?
		kill -0 "$_pg_child" 2>/dev/null || exit "$_rc"
	done
}
[ "$(id -u)" = 0 ] || skip_all "needs root (creates users and network namespaces)"
if [ "${_PG_IN_NETNS:-}" != 1 ]; then
	require_cmd unshare setsid ps
	_pg_outer "$@"
fi
ip link set lo up || skip_all "cannot bring up lo in a new network namespace"

# _pg_end_group: end every process of this script's group but the script:
# what a test body started in the background (its PID never reached the
# script), the watchdog.  None may outlive the script: one that holds prove's
# pipe keeps prove waiting forever.  TERM each second, KILL what is left after
# 5 s; the group is looked at every 0.1 s.
# _pg_group [PID [TAG]]: write to $TMP/.groupTAG the live processes of this
# script's group but the script (and PID, and the ps that looks).
_pg_group() {
	ps -e -o pid= -o ppid= -o pgid= -o stat= -o comm= >"$TMP/.ps${2:-}"
	awk -v g=$$ -v x="${1:-0}" '$3 == g && $1 != g && $1 != x && $4 !~ /^Z/ &&
		!($2 == g && $5 == "ps") { print $1 }' "$TMP/.ps${2:-}" >"$TMP/.group${2:-}"
}
_pg_end_group() {
	_i=0
	while _pg_group && [ -s "$TMP/.group" ]; do
		_sig=
		[ $((_i % 10)) = 0 ] && _sig=TERM
		[ $_i -ge 50 ] && _sig=KILL
		# shellcheck disable=SC2046 # a list of PIDs
		[ -n "$_sig" ] && kill -s $_sig $(cat "$TMP/.group") 2>/dev/null
		[ "$_sig" = KILL ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# kill_tracked: TERM the processes track_pid recorded, in order, then end
# the rest of the group, bounded (a wait would hang on one that ignores TERM).
kill_tracked() {
	if [ -f "$TMP/.pids" ]; then
		while read -r _p; do
			kill "$_p" 2>/dev/null
		done <"$TMP/.pids"
		: >"$TMP/.pids"
	fi
	_pg_end_group
}

_pg_cleanup() {
	kill_tracked
	for u in $_pg_users; do
		userdel "$u" >/dev/null 2>&1
	done
	for g in $_pg_groups; do
		groupdel "$g" >/dev/null 2>&1
	done
	# A mount left under $TMP goes first: rm would descend into it and empty
	# what it shows (a bind mount of a host folder, say).  The mounts are this
	# script's own: its mount namespace is private.
	[ -n "$TMP" ] && awk -v t="$TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo |
		tac | while read -r m; do umount -l "$m"; done
	[ -n "$TMP" ] && rm -rf --one-file-system "$TMP"
	return 0
}
trap _pg_cleanup EXIT
trap 'exit 130' INT
trap 'echo "# ${0##*/}: terminated"; exit 143' TERM
# After a Ctrl-C prove is gone, and so is the read end of stdout and stderr:
# this shell's next write ("Terminated" for the body the TERM ended, a TAP
# line) would kill it with SIGPIPE before its cleanup.  A trap, not '' (which
# programs would inherit): the write fails, the script goes on to its cleanup,
# and what it runs gets SIGPIPE as usual.
trap : PIPE

TMP=$(mktemp -d /tmp/pgt.XXXXXX)
chmod 755 "$TMP"
export TMP

# SFX: this run's suffix for every name a script makes in the host's account
# databases: users and groups are pgt-NAME$SFX (pgt-alice-3f9a0c), so that two
# runs on one machine, from one checkout or two, never replace or delete each
# other's accounts.  Everything else a script makes is already its own: $TMP,
# its network and mount namespaces, and cgroups and bpffs pins named by $$.
SFX=-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
export SFX

# What test users run, they must reach; the checkout may sit in a private
# folder (/root is 0700, and so is every mktemp -d).  So scripts run copies in
# $STAGE, a world-readable tree in $TMP: PG, PORTGATED, the shim beside them,
# HELPERS and DATA name the copies.  The checkout's folders are never loosened;
# PORTGATE_SRC and PORTGATE_BUILD still name the originals, for root alone
# (make install, the sources).
STAGE=$TMP/stage
mkdir -p "$STAGE/tests/helpers"
for _f in portgate portgated libportgate-preload.so libportgate.so.0; do
	[ -e "$PORTGATE_BUILD/$_f" ] && cp -p "$PORTGATE_BUILD/$_f" "$STAGE/"
done
for _f in "$PORTGATE_BUILD"/tests/helpers/pg-*; do
	case $_f in *.o | *.d) ;; *) [ -x "$_f" ] && cp -p "$_f" "$STAGE/tests/helpers/" ;; esac
done
# Helpers that are scripts (pg-launchd-standin) come from the source tree.
for _f in "$PORTGATE_SRC"/tests/helpers/pg-*; do
	case $_f in *.c) ;; *) [ -x "$_f" ] && cp -p "$_f" "$STAGE/tests/helpers/" ;; esac
done
cp -Rp "$PORTGATE_SRC/tests/data" "$STAGE/data"
chmod -R a+rX "$STAGE"
PG=$STAGE/portgate
PORTGATED=$STAGE/portgated
HELPERS=$STAGE/tests/helpers
DATA=$STAGE/data
export STAGE PG PORTGATED HELPERS DATA

# The watchdog: a script that runs longer than PORTGATE_TEST_TIMEOUT seconds
# (default 600; a script may set PGT_TIMEOUT before it sources lib.sh) fails
# with a "not ok" line, and everything it started is ended, instead of leaving
# prove waiting.  TERM to the script runs its cleanup once the command it waits
# for has ended; ending the rest of the group makes that happen.  What ignores
# TERM gets KILL 10 s later; a script whose cleanup has not ended the watchdog
# 10 s after that is killed too (its cleanup lost).
# _pg_watch_end TAG: TERM, or KILL when TAG is KILL, to the group but the
# script and the watchdog; then up to 10 s for the script to end.
_pg_watch_end() {
	_pg_group "$(cat "$TMP/.watchdog")" .wd
	# shellcheck disable=SC2046 # a list of PIDs
	kill -s "$1" $(cat "$TMP/.group.wd") 2>/dev/null
	_i=0
	while kill -0 $$ 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
_pg_timeout=${PORTGATE_TEST_TIMEOUT:-${PGT_TIMEOUT:-600}}
(
	trap - EXIT INT TERM
	sh -c 'echo $PPID' >"$TMP/.watchdog" # this subshell's PID
	sleep "$_pg_timeout"
	echo "not ok - ${0##*/} timed out after $_pg_timeout s (PORTGATE_TEST_TIMEOUT)"
	kill -s TERM $$
	_pg_watch_end TERM
	_pg_watch_end KILL
	echo "# ${0##*/}: its cleanup did not end either: killed"
	kill -s KILL $$
	_pg_watch_end KILL
) </dev/null &

# make_group NAME: a fresh group (an old one of that name is replaced); NAME
# is pgt-something$SFX.
make_group() {
	groupdel "$1" >/dev/null 2>&1
	groupadd "$1" || { echo "Bail out! groupadd $1 failed"; exit 1; }
	_pg_groups="$_pg_groups $1"
}

# make_user NAME [GROUP...]: a fresh user with its own group and these
# supplementary ones; NAME is pgt-something$SFX.
make_user() {
	_u=$1
	shift
	userdel "$_u" >/dev/null 2>&1
	groupdel "$_u" >/dev/null 2>&1
	_g=""
	[ $# -gt 0 ] && _g="-G $(echo "$*" | tr ' ' ,)"
	# shellcheck disable=SC2086
	useradd -M -d /nonexistent -s /usr/sbin/nologin -U $_g "$_u" ||
		{ echo "Bail out! useradd $_u failed"; exit 1; }
	_pg_users="$_pg_users $_u"
	_pg_groups="$_u $_pg_groups"
}

# as_user USER CMD...: run CMD with USER's uids, gids and supplementary groups.
as_user() {
	_u=$1
	shift
	setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups -- "$@"
}

# json_keys FILE PATH KEYS: the JSON in FILE (--json output) parses, and the object at PATH (a
# python subscript such as ["verdicts"][0]) has exactly the keys KEYS, sorted.
json_keys() {
	/usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
obj = eval("doc" + sys.argv[2])
got = " ".join(sorted(obj))
if got != sys.argv[3]:
    sys.exit("keys at %s: %s, want %s" % (sys.argv[2], got, sys.argv[3]))
' "$@"
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds, for at most SECONDS.
wait_for() {
	_t=$(($1 * 10))
	shift
	while ! "$@"; do
		[ "$_t" -gt 0 ] || return 1
		_t=$((_t - 1))
		sleep 0.1
	done
}

# track_pid PID: end this process when the script exits (from a test body too:
# the list is a file, so a subshell's PIDs reach the cleanup).
track_pid() {
	echo "$1" >>"$TMP/.pids"
}

_pg_result() {
	test_count=$((test_count + 1))
	if [ "$1" = 0 ]; then
		echo "ok $test_count - $2"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $2"
		[ -s "$TMP/.out" ] && sed 's/^/#   /' "$TMP/.out"
	fi
}

# test_expect_success DESC SCRIPT: SCRIPT (eval'd) must exit 0.
test_expect_success() {
	(eval "$2") >"$TMP/.out" 2>&1
	_pg_result $? "$1"
}

# test_expect_code CODE DESC SCRIPT: SCRIPT must exit with CODE.
test_expect_code() {
	(eval "$3") >"$TMP/.out" 2>&1
	_rc=$?
	if [ "$_rc" != "$1" ]; then
		echo "exit status $_rc, expected $1" >>"$TMP/.out"
		_pg_result 1 "$2"
	else
		_pg_result 0 "$2"
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
	exit $?
}

# run_script SCRIPT TAP: run another test script as prove would: in namespaces,
# a process group and with a suffix of its own, its output through a pipe read
# to the end, into the file TAP; at most 300 s.  Returns the script's status.
run_script() {
	env -u _PG_IN_NETNS -u SFX -u TMP -u STAGE timeout 300 sh -c \
		'{ "$1"; echo $? >"$2.rc"; } 2>&1 | cat >"$2"; exit "$(cat "$2.rc")"' sh "$1" "$2"
}

# tap_passed TAP: TAP has a plan, at least one test, and no failure.
tap_passed() {
	grep -q "^1\.\.[1-9]" "$1" && ! grep -q "^not ok\|^Bail out!" "$1"
}

# private_copy DIR: a copy of this checkout (what git tracks and does not
# ignore, or the whole tree outside git) in DIR, with the build in DIR/build,
# under DIR's parents as they are: make them 0700 to play a fresh machine's
# /root or mktemp -d.
private_copy() {
	mkdir -m 700 "$1" || return 1
	if git -C "$PORTGATE_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$PORTGATE_SRC" ls-files -z -co --exclude-standard |
			(cd "$PORTGATE_SRC" && tar --null -T - -cf -) | tar -C "$1" -xf -
	else
		tar -C "$PORTGATE_SRC" --exclude=./.build --exclude=./.git -cf - . | tar -C "$1" -xf -
	fi && cp -a "$PORTGATE_BUILD" "$1/build"
}

# start_portgated [ARGS...]: run the broker for this test as user pgt-portgated
# (created here), with the policy in $ETC and its socket at $PGSOCK (exported as
# PORTGATE_SOCKET for clients); returns once the daemon says it is ready on its
# --ready-fd.  Its log is $TMP/portgated.log; $PGD_PID is its pid.
start_portgated() {
	getent passwd "pgt-portgated$SFX" >/dev/null || make_user "pgt-portgated$SFX"
	PGSOCK=${PGSOCK:-$TMP/run/portgated.sock}
	export PGSOCK PORTGATE_SOCKET="$PGSOCK"
	rm -f "$TMP/ready.fifo"
	mkfifo "$TMP/ready.fifo"
	"$PORTGATED" --foreground --socket "$PGSOCK" --config "$ETC" \
		--user "pgt-portgated$SFX" --ready-fd 3 "$@" 3>"$TMP/ready.fifo" >>"$TMP/portgated.log" 2>&1 &
	PGD_PID=$!
	track_pid "$PGD_PID"
	if ! timeout 10 head -n 1 "$TMP/ready.fifo" | grep -q .; then
		echo "Bail out! portgated did not become ready:"
		sed 's/^/# /' "$TMP/portgated.log"
		exit 1
	fi
}

# stop_portgated: end the daemon started by start_portgated and wait for it.
stop_portgated() {
	kill "$PGD_PID" 2>/dev/null && wait "$PGD_PID" 2>/dev/null
	return 0
}
