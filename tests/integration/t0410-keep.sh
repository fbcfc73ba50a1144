#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0410-keep.sh - portgate run --keep: the keeper binds as root, drops to the
# user of -u (checked in /proc), holds the socket and runs a python server
# with it.  Under a bounded client load, 20 SIGHUP replacements with
# --ready=notify refuse no connection and fail no request; 5 kill -9 of the
# server refuse no connection (requests in flight may fail: counted); a
# hostile user binding the port in a tight loop all along never gets it.
# Then the bad inputs: a PROG that exits at once (a doubling back-off, no
# busy loop), SIGHUP during a replacement (refused), a NOTIFY message from
# another process (ignored, logged), no READY=1 (the new PROG is stopped, the
# old serves), a new PROG that dies before it is ready, a PROG that ignores
# SIGTERM (SIGKILL), the keeper killed (PROG gets SIGTERM), exit statuses,
# PROG's fds and environment.
# Test bodies are single-quoted strings that the harness evals (SC2016,
# SC2034, SC2317).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-keep.sh
. "${0%/*}/lib-keep.sh"

if ! [ -x "$PG" ] || ! [ -x "$LOOP" ]; then
	skip_all "needs $PG and $LOOP (make all-tests)"
fi
require_cmd setpriv curl
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3"
PY=/usr/bin/python3

make_user "pgt-alice$SFX"
make_user "pgt-mallory$SFX"
A_UID=$(id -u "pgt-alice$SFX")
A_GID=$(id -g "pgt-alice$SFX")
M_UID=$(id -u "pgt-mallory$SFX")
mkdir -p "$TMP/etc"
: >"$TMP/etc/portgate.conf"
chmod -R a+rX "$TMP/etc"
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=
PORT=8080
LOG=$TMP/keep.log

# The server (pg-http-serve): HTTP/1.0 on the socket at fd 3, answering with
# its pid; READY=1 to NOTIFY_SOCKET unless $TMP/silent exists; exits 7 at once
# if $TMP/die exists; on SIGTERM it finishes the request it serves and exits 0
# (--ignore-term: it ignores SIGTERM).
SERVE="$HELPERS/pg-http-serve --die-if $TMP/die --silent-if $TMP/silent"

# keeper_start NAME ARGS...: portgate run ARGS in the background, its pid in
# $TMP/NAME.pid, its stderr in $TMP/NAME.log.
keeper_start() {
	_n=$1
	shift
	"$PG" run "$@" >"$TMP/$_n.out" 2>"$TMP/$_n.log" &
	echo $! >"$TMP/$_n.pid"
	track_pid $!
}
# wait_gone PID: until PID has ended (at most 20 s).
wait_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; do
		[ "$_i" -ge 200 ] && { echo "pid $1 did not end"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
}

# --- the options ------------------------------------------------------------------------

test_expect_code 100 '--restart without --keep is a usage error' '
	"$PG" run --restart always -l 127.0.0.1:$PORT -- true 2>"$TMP/err"; rc=$?
	grep -F "portgate: --restart needs --keep" "$TMP/err" && exit $rc
'
test_expect_code 100 '--restart sometimes is a usage error' '
	"$PG" run --keep --restart sometimes -l 127.0.0.1:$PORT -- true
'
test_expect_code 100 '--stop-signal NOPE is a usage error' '
	"$PG" run --keep --stop-signal NOPE -l 127.0.0.1:$PORT -- true
'
test_expect_code 100 '--restart-delay 0 is a usage error (it would never back off)' '
	"$PG" run --keep --restart-delay 0 -l 127.0.0.1:$PORT -- true
'
test_expect_code 100 '--ready=adopt without --adopt is a usage error' '
	"$PG" run --keep --ready=adopt -l 127.0.0.1:$PORT -- true 2>"$TMP/err"; rc=$?
	grep -F "portgate: --ready=adopt needs --adopt" "$TMP/err" && exit $rc
'
test_expect_code 3 '--restart no: the keeper exits with PROG'"'"'s status' '
	"$PG" run --keep --restart no -l 127.0.0.1:$PORT -- sh -c "exit 3"
'
test_expect_code 0 '--restart on-failure: PROG'"'"'s exit 0 ends the keeper with 0' '
	"$PG" run --keep -l 127.0.0.1:$PORT -- true
'

# --- a python server, kept ---------------------------------------------------------------

test_expect_success 'the keeper starts the server as pgt-alice; a request gets through' '
	env -u TERM "$PG" run --keep -u "pgt-alice$SFX" --ready=notify --ready-timeout 20 \
		-l 127.0.0.1:$PORT -- $SERVE >"$TMP/k.out" 2>"$LOG" &
	echo $! >"$TMP/k.pid" && track_pid $! &&
	pid=$(get $PORT) && test -n "$pid" && test "$(children "$(cat "$TMP/k.pid")")" = "$pid"
'
K=$(cat "$TMP/k.pid")

test_expect_success 'the keeper is pgt-alice after the bind, with no capability' '
	grep -x "Uid:	$A_UID	$A_UID	$A_UID	$A_UID" /proc/$K/status &&
	grep -x "Gid:	$A_GID	$A_GID	$A_GID	$A_GID" /proc/$K/status &&
	grep -x "Groups:	$A_GID *" /proc/$K/status &&
	grep -x "CapEff:	0000000000000000" /proc/$K/status &&
	grep -x "CapPrm:	0000000000000000" /proc/$K/status ||
		{ cat /proc/$K/status; false; }
'

test_expect_success 'the keeper holds the listener, the notify socket, its signal and event fds: nothing inherited' '
	for f in /proc/$K/fd/*; do
		[ "${f##*/}" -ge 3 ] && readlink "$f"
	done | sed "s/:\[.*//" | sort >"$TMP/kfds" &&
	printf "%s\n" anon_inode anon_inode socket socket | diff - "$TMP/kfds" &&
	test "$(ls /proc/$K/fd | sort -n | head -3 | paste -sd " ")" = "0 1 2"
'

test_expect_success 'PROG has fds 0-3 only, fd 3 the keeper'"'"'s listener' '
	c=$(children $K) &&
	test "$(ls /proc/$c/fd | sort -n | paste -sd " ")" = "0 1 2 3" &&
	test "$(readlink /proc/$c/fd/3)" = "$(readlink /proc/$K/fd/3)"
'

test_expect_success 'PROG'"'"'s environment: the login of alice, LISTEN_PID its own pid, NOTIFY_SOCKET' '
	c=$(children $K) &&
	tr "\0" "\n" </proc/$c/environ | sed "s/=.*//" | sort | paste -sd " " >"$TMP/envnames" &&
	echo "HOME LISTEN_FDS LISTEN_PID LOGNAME NOTIFY_SOCKET PATH SHELL USER" | diff - "$TMP/envnames" &&
	tr "\0" "\n" </proc/$c/environ | grep -x "LISTEN_PID=$c" &&
	tr "\0" "\n" </proc/$c/environ | grep -x "LISTEN_FDS=1" &&
	tr "\0" "\n" </proc/$c/environ | grep -x "NOTIFY_SOCKET=@[0-9a-f]*"
'

test_expect_success '20 SIGHUP replacements under load: 0 refused, 0 failed; the bind loop never gets the port' '
	load_start hup $PORT "pgt-mallory$SFX" / &&
	hup_20 $K 0 "is ready (READY=1); stopping the old" "$LOG" &&
	wait_lines 20 "stopped PROG pid .* exited with status 0" "$LOG" &&
	load_ok hup
'
sed 's/^/# SIGHUP x20: /' "$TMP/hup.counts" 2>/dev/null

test_expect_success '5 kill -9 of the server under load: 0 refused; a restart logged for each' '
	load_start kill $PORT "pgt-mallory$SFX" / &&
	for i in $(seq 5); do
		c=$(children $K) && kill -9 $c && wait_lines 1 "PROG pid $c was killed by SIGKILL after .* restarting in" "$LOG" &&
		j=0 && while [ "$(children $K)" = "$c" ] || [ -z "$(children $K)" ]; do
			[ $j -ge 200 ] && exit 1; sleep 0.1; j=$((j + 1)); done &&
		get $PORT >/dev/null || exit 1
	done &&
	load_ok kill in-flight
'
sed 's/^/# kill -9 x5 (failed = in flight on the killed server): /' "$TMP/kill.counts" 2>/dev/null

test_expect_success 'SIGTERM to the keeper: the server stops, the keeper exits with its status (0)' '
	kill -TERM $K && wait_gone $K && grep -x "portgate: keep: exiting 0" "$LOG"
'

test_expect_success 'with the keeper gone, the port is free: the bind loop gets it (so it could fail above)' '
	as_user "pgt-mallory$SFX" "$LOOP" tcp 127.0.0.1 $PORT --reuseaddr 1 --max 50 >"$TMP/free" &&
	grep "total=50 ok=50" "$TMP/free" || { cat "$TMP/free"; false; }
'

# --- bad inputs ------------------------------------------------------------------------

test_expect_success 'a PROG that exits at once: the back-off doubles, no busy loop' '
	keeper_start fail --keep --restart-delay 0.05 -l 127.0.0.1:8081 -- false &&
	wait_lines 5 "restarting in" "$TMP/fail.log" &&
	sed -n "s/.*exited with status 1 after .* restarting in \([0-9.]*\) s (--restart on-failure)$/\1/p" \
		"$TMP/fail.log" | head -5 | paste -sd " " >"$TMP/delays" &&
	echo "0.05 0.1 0.2 0.4 0.8" | diff - "$TMP/delays" &&
	sleep 1 && test "$(grep -c "restarting in" "$TMP/fail.log")" -le 7 &&
	kill $(cat "$TMP/fail.pid")
'

test_expect_success 'SIGHUP while a replacement waits: refused; a forged READY=1 is ignored; no READY: the old one serves' '
	keeper_start r --keep -u "pgt-alice$SFX" --ready=notify --ready-timeout 3 --stop-timeout 2 \
		-l 127.0.0.1:8082 -- $SERVE &&
	k=$(cat "$TMP/r.pid") && old=$(get 8082) && test -n "$old" &&
	touch "$TMP/silent" && kill -HUP $k && wait_lines 1 "SIGHUP: started pid" "$TMP/r.log" &&
	new=$(children $k | grep -vx "$old") && test -n "$new" &&
	kill -HUP $k && wait_lines 1 "SIGHUP refused: the replacement by pid $new is still in progress" "$TMP/r.log" &&
	addr=$(tr "\0" "\n" </proc/$new/environ | sed -n "s/^NOTIFY_SOCKET=@//p") && test -n "$addr" &&
	as_user "pgt-mallory$SFX" "$PY" -c "import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b\"READY=1\", \"\\0\" + sys.argv[1])" "$addr" &&
	wait_lines 1 "ignored a notify message from pid [0-9]* uid $M_UID: not a PROG of this keeper" "$TMP/r.log" &&
	wait_lines 1 "new PROG pid $new sent no READY=1 within 3 s; stopping it, pid $old keeps serving" "$TMP/r.log" &&
	wait_gone $new && test "$(get 8082)" = "$old" && test "$(children $k)" = "$old" &&
	! grep "is ready" "$TMP/r.log"
'
cat "$TMP/r.log" >"$TMP/r.log.1" 2>/dev/null

test_expect_success 'a new PROG that dies before it is ready: the old one serves' '
	k=$(cat "$TMP/r.pid") && old=$(get 8082) && rm -f "$TMP/silent" && touch "$TMP/die" &&
	kill -HUP $k &&
	wait_lines 1 "new PROG pid [0-9]* exited with status 7 before it was ready; pid $old keeps serving" "$TMP/r.log" &&
	test "$(get 8082)" = "$old" && rm -f "$TMP/die"
'

test_expect_success 'and the next SIGHUP replaces it' '
	k=$(cat "$TMP/r.pid") && old=$(get 8082) && kill -HUP $k &&
	wait_lines 1 "is ready (READY=1); stopping the old pid $old with SIGTERM" "$TMP/r.log" &&
	wait_gone $old && new=$(get 8082) && test -n "$new" && test "$new" != "$old" &&
	kill $k
'

test_expect_code 137 'a PROG that ignores SIGTERM: SIGKILL after --stop-timeout; the keeper exits 128+9' '
	keeper_start ign --keep --stop-timeout 1 --stop-signal TERM -l 127.0.0.1:8083 -- \
		$SERVE --ignore-term &&
	k=$(cat "$TMP/ign.pid") && get 8083 >/dev/null &&
	kill -TERM $k && wait_lines 1 "still runs 1 s after SIGTERM; sending SIGKILL" "$TMP/ign.log" &&
	wait $k
'

test_expect_code 138 '--stop-signal USR1: a PROG killed by it makes the keeper exit 128+10' '
	keeper_start int --keep --stop-signal SIGUSR1 -l 127.0.0.1:8084 -- sleep 60 &&
	k=$(cat "$TMP/int.pid") &&
	j=0 && while [ -z "$(children $k)" ] && [ $j -lt 100 ]; do sleep 0.1; j=$((j + 1)); done &&
	kill -TERM $k && wait $k
'

test_expect_success 'the keeper killed with SIGKILL: PROG gets SIGTERM' '
	keeper_start dead --keep -l 127.0.0.1:8085 -- sleep 60 &&
	k=$(cat "$TMP/dead.pid") &&
	j=0 && while [ -z "$(children $k)" ] && [ $j -lt 100 ]; do sleep 0.1; j=$((j + 1)); done &&
	c=$(children $k) && test -n "$c" && grep -x "SigBlk:	0000000000000000" /proc/$c/status &&
	kill -KILL $k && wait_gone $c
'

test_done
