#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t1100-portgated-hostile.sh - a hostile local client (pgt-mallory) against
# portgated: garbage, truncated, oversized and malformed messages, a pipe, a
# UNIX socket, a socket of the wrong type or family or namespace instead of
# its own, extra fds, hundreds of idle connections, a client that never reads.
# Each gets an error reply or a closed connection, never a crash and never a
# bind, while pgt-alice is still served promptly.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

PGD=$PORTGATED
CLIENT=$HELPERS/pg-broker-client
BIND=$HELPERS/pg-bind
for f in "$PGD" "$CLIENT" "$BIND"; do
	[ -x "$f" ] || skip_all "needs $f (make all-tests)"
done
require_cmd setpriv timeout

make_user "pgt-alice$SFX"
make_user "pgt-mallory$SFX"
make_user "pgt-portgated$SFX"
M_UID=$(id -u "pgt-mallory$SFX")

ETC=$TMP/etc
mkdir -p "$ETC"
CONF=$ETC/portgate.conf
# mallory owns 81, so what stops her below is the daemon's checks, not the policy.
cat >"$CONF" <<EOF
pgt-alice$SFX tcp://127.0.0.1:80
pgt-mallory$SFX tcp://127.0.0.1:81 udp://127.0.0.1:81
EOF
chmod -R a+rX "$ETC"
export PORTGATE_AUTHBIND_DIR=
LOG=$TMP/portgated.log
OUT=$TMP/out

# mallory ARGS...: the broker client as pgt-mallory; output in $OUT.
mallory() {
	as_user "pgt-mallory$SFX" "$CLIENT" "$@" >"$OUT" 2>&1 ||
		{ echo "exit status $?:"; cat "$OUT"; return 1; }
}
has() {
	grep -x -F -- "$1" "$OUT" >/dev/null || { echo "missing line: $1"; cat "$OUT"; return 1; }
}
log_count() {
	grep -c -F -- "$1" "$LOG" || :
}
# alive: the daemon runs and serves alice within 5 seconds.
alive() {
	kill -0 "$PGD_PID" || { echo "portgated is gone"; return 1; }
	timeout 5 setpriv --reuid="pgt-alice$SFX" --regid="$(id -g "pgt-alice$SFX")" --init-groups \
		"$CLIENT" bind-new tcp 127.0.0.1 80 --listen >"$TMP/alice.out" 2>&1 ||
		{ echo "alice was not served:"; cat "$TMP/alice.out"; return 1; }
	grep -x ok "$TMP/alice.out" >/dev/null
}
# never_bound: no bind for mallory succeeded, and port 81 is free.
never_bound() {
	! grep -F "allow uid=$M_UID " "$LOG" | grep -F "result=ok" ||
		{ echo "mallory got a bind"; return 1; }
	"$BIND" tcp 127.0.0.1 81 >/dev/null && "$BIND" udp 127.0.0.1 81 >/dev/null
}
# hostile MODE WANT_REPLY WANT_CONN: mallory's MODE gets this reply, and the
# connection is then closed or still open.
hostile() {
	mallory hostile "$1" &&
		has "reply=$2" &&
		{ [ "$2" = none ] || has "id=match"; } &&
		has "conn=$3" &&
		alive && never_bound
}
stop_daemon() {
	kill "$PGD_PID"
	wait "$PGD_PID"
	echo "$?" >>"$TMP/exit-codes"
}
# fds: how many fds the daemon has open.
fds() {
	find "/proc/$PGD_PID/fd" -mindepth 1 | wc -l
}
# settle_fds N: until the daemon is back to N open fds (10 s at most).
settle_fds() {
	_i=0
	while [ "$(fds)" -ne "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || { echo "the daemon holds $(fds) fds, not $1"; ls -l "/proc/$PGD_PID/fd"; return 1; }
		sleep 0.05
	done
}

start_portgated --timeout 2
BASE_FDS=$(fds)

# --- malformed messages: an error reply where an id can be read, then hang up ----------

test_expect_success 'garbage bytes: EPROTO, then the daemon hangs up' '
	hostile garbage EPROTO closed
'
test_expect_success 'a length of 1 MiB: EPROTO, hang up' '
	hostile oversized EPROTO closed
'
test_expect_success 'a length shorter than a request: EPROTO, hang up' '
	hostile short-len EPROTO closed
'
test_expect_success 'wrong magic: EPROTO, hang up' '
	hostile bad-magic EPROTO closed
'
test_expect_success 'wrong version: EPROTO, hang up' '
	hostile bad-version EPROTO closed
'
test_expect_success 'unknown message type: EPROTO, hang up' '
	hostile bad-type EPROTO closed
'
test_expect_success 'a reserved field set: EINVAL, hang up' '
	hostile bad-field EINVAL closed
'

# --- BIND_THIS with the wrong thing attached: an errno, the connection stays -------

test_expect_success 'BIND_THIS without an fd: EBADF' '
	hostile this-nofd EBADF open
'
test_expect_success 'BIND_THIS with a pipe: ENOTSOCK' '
	hostile this-pipe ENOTSOCK open
'
test_expect_success 'BIND_THIS with an AF_UNIX socket: EAFNOSUPPORT' '
	hostile this-unix EAFNOSUPPORT open
'
test_expect_success 'BIND_THIS with a TCP socket for a UDP request: EPROTOTYPE' '
	hostile this-tcp-for-udp EPROTOTYPE open
'
test_expect_success 'BIND_THIS with an IPv6 socket for an IPv4 request: EAFNOSUPPORT' '
	hostile this-family EAFNOSUPPORT open
'
test_expect_success 'BIND_THIS with two fds: EBADF, both closed' '
	hostile this-two-fds EBADF open
'
test_expect_success 'BIND_THIS with eight fds: hang up without a reply' '
	hostile this-many-fds none closed
'
test_expect_success 'BIND_THIS with a socket bound already: the kernel'"'"'s EINVAL' '
	hostile this-bound EINVAL open
'
test_expect_success 'the daemon holds no fd of those clients afterwards' '
	settle_fds "$BASE_FDS" && never_bound
'
test_expect_success 'a client that hangs up before its reply (with a new socket) costs nothing' '
	mallory hostile hangup tcp 127.0.0.1 81 && has conn=hungup && alive &&
	settle_fds "$BASE_FDS" && "$BIND" tcp 127.0.0.1 81 >"$OUT" && has ok
'

test_expect_success 'a socket from another network namespace is refused (root too)' '
	"$CLIENT" hostile this-netns >"$OUT" 2>&1 &&
	has reply=EACCES && has "reason=the socket belongs to another network namespace" &&
	has conn=open &&
	grep -F "refuse uid=0 " "$LOG" | grep -F "error=EACCES reason=\"the socket belongs to another network namespace\"" >/dev/null &&
	! grep -F "allow uid=0 " "$LOG"
'

# --- slow and silent clients ---------------------------------------------------------

as_user "pgt-mallory$SFX" "$CLIENT" hostile truncated >"$TMP/trunc.out" 2>&1 &
TRUNC=$!
track_pid "$TRUNC"
test_expect_success 'while a truncated request stalls, alice is served at once' '
	alive
'
wait "$TRUNC"
test_expect_success 'the stalled client is disconnected after --timeout (2 s)' '
	grep "^conn=closed after=" "$TMP/trunc.out" >/dev/null &&
	awk -F= "/^conn=closed after=/ { exit !(\$3 >= 1.5 && \$3 < 10) }" "$TMP/trunc.out" ||
		{ cat "$TMP/trunc.out"; exit 1; }
'

test_expect_success 'idle connections are closed after --timeout too' '
	mallory idle 10 10 && has connected=10 && has "open=0 closed=10"
'

test_expect_success 'a client that never reads its replies is disconnected' '
	mallory noread 100000 && grep "^dropped after=[0-9]*$" "$OUT" >/dev/null && alive
'

stop_daemon

# --- many connections ----------------------------------------------------------------

start_portgated --timeout 30 --max-clients-per-uid 400
as_user "pgt-mallory$SFX" "$CLIENT" idle 300 4 >"$TMP/idle.out" 2>&1 &
IDLE=$!
track_pid "$IDLE"
as_user "pgt-mallory$SFX" "$CLIENT" noread 100000 >"$TMP/noread.out" 2>&1 &
NOREAD=$!
track_pid "$NOREAD"
i=0
until grep -x connected=300 "$TMP/idle.out" >/dev/null; do
	i=$((i + 1))
	[ $i -le 200 ] || break
	sleep 0.05
done
test_expect_success 'with 300 idle connections of mallory and one that never reads, alice is served promptly' '
	grep -x connected=300 "$TMP/idle.out" >/dev/null && alive && alive
'
wait "$IDLE"
wait "$NOREAD"
test_expect_success 'the 300 were all kept (the limit allowed them), the non-reader dropped' '
	grep -x "open=300 closed=0" "$TMP/idle.out" >/dev/null &&
	grep "^dropped after=[0-9]*$" "$TMP/noread.out" >/dev/null
'
stop_daemon

start_portgated --timeout 30
test_expect_success 'by default one uid keeps 64 connections: each new one closes its oldest idle one' '
	mallory idle 300 2 && has connected=300 && has "open=64 closed=236" && alive
'
test_expect_success 'the refusals are logged without flooding' '
	n=$(grep -c -F "uid=$M_UID has 64 connections, the limit" "$LOG") &&
	[ "$n" -ge 1 ] && [ "$n" -le 3 ]
'
as_user "pgt-mallory$SFX" "$CLIENT" idle 64 10 >"$TMP/idle64.out" 2>&1 &
IDLE=$!
track_pid "$IDLE"
i=0
until grep -x connected=64 "$TMP/idle64.out" >/dev/null; do
	i=$((i + 1))
	[ $i -le 200 ] || break
	sleep 0.05
done
test_expect_success 'at the limit, a new request of the same uid is still answered (a kept idle connection makes room)' '
	grep -x connected=64 "$TMP/idle64.out" >/dev/null &&
	as_user pgt-mallory$SFX "$CLIENT" bind-new tcp 127.0.0.1 81 >"$OUT" 2>&1 && has ok
'
kill "$IDLE" 2>/dev/null
wait "$IDLE"
stop_daemon

start_portgated --timeout 30 --max-clients 20 --max-clients-per-uid 10
test_expect_success '--max-clients and --max-clients-per-uid bound what one user takes' '
	mallory idle 30 2 && has connected=30 && has "open=10 closed=20" && alive
'
stop_daemon

start_portgated --allow-other-netns
test_expect_success 'with --allow-other-netns, such a socket is bound' '
	"$CLIENT" hostile this-netns >"$OUT" 2>&1 && has reply=ok
'
stop_daemon

test_expect_success 'the daemon exited 0 on SIGTERM every time, and never crashed' '
	[ "$(wc -l <"$TMP/exit-codes")" = 5 ] && ! grep -v -x 0 "$TMP/exit-codes" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$LOG"
'

test_done
