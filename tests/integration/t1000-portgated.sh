#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t1000-portgated.sh - the broker daemon as real users in a network namespace:
# it runs as its own user with CAP_NET_BIND_SERVICE only, binds what the policy
# grants (BIND_NEW and BIND_THIS; IPv4, IPv6, UDP, dual-stack, IPv4-mapped;
# user and group grants), refuses the rest with EACCES and a log line, reloads
# on SIGHUP (a broken policy keeps the old one), survives restarts without
# disturbing bound sockets, handles stale and live control sockets, holds
# reserved ports with --hold, and says it is ready on --ready-fd and through
# NOTIFY_SOCKET.
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
require_cmd setpriv mkfifo timeout

make_group "pgt-devs$SFX"
make_user "pgt-alice$SFX"
make_user "pgt-bob$SFX"
make_user "pgt-dave$SFX" "pgt-devs$SFX"
make_user "pgt-portgated$SFX"
A_UID=$(id -u "pgt-alice$SFX")
B_UID=$(id -u "pgt-bob$SFX")
D_UID=$(id -u "pgt-dave$SFX")
PGD_UID=$(id -u "pgt-portgated$SFX")
PGD_GID=$(id -g "pgt-portgated$SFX")

ETC=$TMP/etc
mkdir -p "$ETC"
CONF=$ETC/portgate.conf
cat >"$CONF" <<EOF
pgt-alice$SFX tcp://127.0.0.1:80 udp://[::1]:53 tcp://*:443 tcp://*:8080 udp://*:8053
@pgt-devs$SFX tcp://127.0.0.1:81
pgt-alice$SFX tcp://127.0.0.1:9000 tcp://[::]:444
pgt-bob$SFX tcp://0.0.0.0:444
EOF
chmod -R a+rX "$ETC"
export PORTGATE_AUTHBIND_DIR=
LOG=$TMP/portgated.log
OUT=$TMP/out

# client USER ARGS...: the broker client as USER (root: as is); output in $OUT.
client() {
	_cu=$1
	shift
	if [ "$_cu" = root ]; then
		"$CLIENT" "$@" >"$OUT" 2>&1
	else
		as_user "$_cu" "$CLIENT" "$@" >"$OUT" 2>&1
	fi
}
# plain_bind USER ARGS...: pg-bind as USER; output in $OUT.
plain_bind() {
	_cu=$1
	shift
	as_user "$_cu" "$BIND" "$@" >"$OUT" 2>&1
}
# has LINE: the last command printed exactly this line.
has() {
	grep -x -F -- "$1" "$OUT" >/dev/null || { echo "missing line: $1"; cat "$OUT"; return 1; }
}
# has_prefix TEXT: a line of the last command's output starts with TEXT.
has_prefix() {
	awk -v p="$1" 'index($0, p) == 1 { found = 1 } END { exit !found }' "$OUT" ||
		{ echo "no line starts with: $1"; cat "$OUT"; return 1; }
}
# log_has TEXT: the daemon's log contains TEXT (fixed string).
log_has() {
	grep -F -- "$1" "$LOG" >/dev/null || { echo "log lacks: $1"; tail -n 20 "$LOG"; return 1; }
}
# log_count TEXT: how many log lines contain TEXT.
log_count() {
	grep -c -F -- "$1" "$LOG" || :
}
# wait_log N TEXT: until TEXT is on N log lines (10 s at most).
wait_log() {
	_i=0
	while [ "$(log_count "$2")" -lt "$1" ]; do
		_i=$((_i + 1))
		[ $_i -le 200 ] || { echo "the log never had $1 x '$2'"; tail -n 20 "$LOG"; return 1; }
		sleep 0.05
	done
}
# wait_line FILE LINE: until FILE holds LINE (10 s at most).
wait_line() {
	_i=0
	while ! grep -x -F -- "$2" "$1" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -le 200 ] || { echo "'$1' never had '$2'"; cat "$1"; return 1; }
		sleep 0.05
	done
}
# wait_exit PID: wait for a helper to end (10 s at most, then end it); its status.
wait_exit() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ]; then
			echo "# process $1 did not end; ending it"
			kill "$1" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$1"
}
# status NAME: a field of the daemon's /proc/PID/status, whitespace squeezed.
status() {
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$PGD_PID/status" | tr -s '\t ' '  ' | sed 's/ $//'
}
# stop_daemon: SIGTERM, and record the exit status in $TMP/exit-codes.
stop_daemon() {
	kill "$PGD_PID"
	wait "$PGD_PID"
	echo "$?" >>"$TMP/exit-codes"
}
# hup_reload: send SIGHUP and wait for the daemon to have finished the reload.
hup_reload() {
	_n=$(($(log_count "reload: ") + 1))
	kill -HUP "$PGD_PID" && wait_log "$_n" "reload: "
}

ETC_DEFAULT=$ETC
start_portgated

# --- privileges -------------------------------------------------------------------

test_expect_success 'the daemon runs as pgt-portgated: all uids and gids, no groups' '
	[ "$(status Uid)" = "$PGD_UID $PGD_UID $PGD_UID $PGD_UID" ] &&
	[ "$(status Gid)" = "$PGD_GID $PGD_GID $PGD_GID $PGD_GID" ] &&
	[ -z "$(status Groups)" ]
'

test_expect_success 'it holds CAP_NET_BIND_SERVICE (cap 10) and nothing else' '
	[ "$(status CapEff)" = 0000000000000400 ] &&
	[ "$(status CapPrm)" = 0000000000000400 ] &&
	[ "$(status CapBnd)" = 0000000000000400 ] &&
	[ "$(status CapInh)" = 0000000000000000 ] &&
	[ "$(status CapAmb)" = 0000000000000000 ] &&
	[ "$(status NoNewPrivs)" = 1 ]
'

test_expect_success 'the control socket is 0666 and belongs to the daemon user' '
	[ -S "$PGSOCK" ] &&
	[ "$(stat -c "%a %U" "$PGSOCK")" = "666 pgt-portgated$SFX" ] &&
	[ "$(stat -c "%a %U" "$TMP/run")" = "755 pgt-portgated$SFX" ]
'

test_expect_success 'every fd of the daemon is close-on-exec' '
	for fd in /proc/$PGD_PID/fd/*; do
		n=${fd##*/}
		flags=$(sed -n "s/^flags:[[:space:]]*//p" "/proc/$PGD_PID/fdinfo/$n") || return 1
		case $n in 0|1|2) continue ;; esac
		# O_CLOEXEC is 02000000 (octal) in fdinfo flags
		[ $(( 0$flags & 02000000 )) -ne 0 ] || { echo "fd $n flags $flags"; exit 1; }
	done
'

# --- grants -----------------------------------------------------------------------

test_expect_success 'alice: BIND_NEW tcp 127.0.0.1:80 gives a listening socket' '
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 --listen --print &&
	has ok &&
	has "local=127.0.0.1:80 family=inet type=stream v6only=-1 reuseport=0 listening=1 cloexec=1" &&
	log_has "allow uid=$A_UID pid=" &&
	log_has "bind=tcp/127.0.0.1:80 via=new rule=$CONF:1 result=ok"
'

test_expect_success 'alice: BIND_NEW without --listen gives a bound, not listening, socket' '
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 --print &&
	has "local=127.0.0.1:80 family=inet type=stream v6only=-1 reuseport=0 listening=0 cloexec=1"
'

test_expect_success 'alice: BIND_THIS tcp 127.0.0.1:80 binds her own socket' '
	client pgt-alice$SFX bind-this tcp 127.0.0.1 80 --print &&
	has ok &&
	has "local=127.0.0.1:80 family=inet type=stream v6only=-1 reuseport=0 listening=0 cloexec=1" &&
	log_has "bind=tcp/127.0.0.1:80 via=this rule=$CONF:1 result=ok"
'

test_expect_success 'alice: IPv6 UDP [::1]:53, new and this' '
	client pgt-alice$SFX bind-new udp ::1 53 --print &&
	has "local=[::1]:53 family=inet6 type=dgram v6only=1 reuseport=0 listening=0 cloexec=1" &&
	client pgt-alice$SFX bind-this udp ::1 53 --print &&
	has "local=[::1]:53 family=inet6 type=dgram v6only=1 reuseport=0 listening=0 cloexec=1"
'

test_expect_success 'alice: a * grant gives a dual-stack [::]:443' '
	client pgt-alice$SFX bind-new tcp :: 443 --listen --print &&
	has "local=[::]:443 family=inet6 type=stream v6only=0 reuseport=0 listening=1 cloexec=1" &&
	log_has "bind=tcp/[::]:443 dualstack=1 via=new rule=$CONF:1 result=ok" &&
	client pgt-alice$SFX bind-this tcp :: 443 --v6only 0 --print &&
	has "local=[::]:443 family=inet6 type=stream v6only=0 reuseport=0 listening=0 cloexec=1" &&
	client pgt-alice$SFX bind-new tcp 0.0.0.0 443 --print && has ok
'

test_expect_success 'alice: IPv4-mapped ::ffff:127.0.0.1 is judged as 127.0.0.1' '
	client pgt-alice$SFX bind-new tcp ::ffff:127.0.0.1 80 --listen --print &&
	has "local=[::ffff:127.0.0.1]:80 family=inet6 type=stream v6only=0 reuseport=0 listening=1 cloexec=1" &&
	client pgt-alice$SFX bind-this tcp ::ffff:127.0.0.1 80 --v6only 0 &&
	has ok
'

test_expect_success 'options set before BIND_THIS survive: SO_REUSEPORT, IPV6_V6ONLY' '
	client pgt-alice$SFX bind-this tcp :: 443 --v6only 1 --reuseport --print &&
	has "local=[::]:443 family=inet6 type=stream v6only=1 reuseport=1 listening=0 cloexec=1" &&
	client pgt-alice$SFX bind-this tcp 127.0.0.1 80 --reuseport --print &&
	has "local=127.0.0.1:80 family=inet type=stream v6only=-1 reuseport=1 listening=0 cloexec=1"
'

test_expect_success 'a group grant: dave (in @pgt-devs) gets 127.0.0.1:81' '
	client pgt-dave$SFX bind-new tcp 127.0.0.1 81 --listen &&
	has ok &&
	log_has "allow uid=$D_UID pid=" &&
	log_has "bind=tcp/127.0.0.1:81 via=new rule=$CONF:2 result=ok"
'

test_expect_success 'root is exempt' '
	client root bind-new tcp 127.0.0.1 80 --listen && has ok &&
	log_has "allow uid=0 pid=" && log_has "via=new rule=root result=ok"
'

# --- refusals ---------------------------------------------------------------------

test_expect_success 'bob cannot bind 127.0.0.1:80 himself (the kernel says EACCES)' '
	{ plain_bind pgt-bob$SFX tcp 127.0.0.1 80; test $? = 1; } && has EACCES
'

test_expect_success 'bob: BIND_NEW 127.0.0.1:80 is refused with EACCES, logged with uid and rule' '
	n=$(log_count "deny uid=$B_UID ") &&
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 80 --listen; test $? = 1; } &&
	has EACCES &&
	has_prefix "reason=tcp/80 is managed (rule $CONF:1 gives it to pgt-alice$SFX)" &&
	{ [ "$(log_count "deny uid=$B_UID ")" = $((n + 1)) ] || { echo "not one new deny line"; exit 1; }; } &&
	log_has "bind=tcp/127.0.0.1:80 via=new rule=$CONF:1 reason=\"tcp/80 is managed"
'

test_expect_success 'bob: BIND_THIS, IPv6, UDP, dual-stack and IPv4-mapped are refused too' '
	{ client pgt-bob$SFX bind-this tcp 127.0.0.1 80; test $? = 1; } && has EACCES &&
	{ client pgt-bob$SFX bind-new udp ::1 53; test $? = 1; } && has EACCES &&
	{ client pgt-bob$SFX bind-new tcp :: 443; test $? = 1; } && has EACCES &&
	{ client pgt-bob$SFX bind-new tcp ::ffff:127.0.0.1 80; test $? = 1; } && has EACCES &&
	{ client pgt-bob$SFX bind-this tcp ::ffff:127.0.0.1 80 --v6only 0; test $? = 1; } && has EACCES &&
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 81; test $? = 1; } && has EACCES &&
	log_has "bind=tcp/127.0.0.1:80 via=this rule=$CONF:1 reason=" &&
	log_has "bind=tcp/[::]:443 dualstack=1 via=new rule=$CONF:1 reason="
'

test_expect_success 'a refused bind leaves the port free' '
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 80 --listen; test $? = 1; } &&
	"$BIND" tcp 127.0.0.1 80 >"$OUT" && has ok
'

test_expect_success 'an unnamed port below 1024 is refused: the kernel default applies' '
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 99; test $? = 1; } && has EACCES &&
	has "reason=tcp/99 is not named in the policy, and ports below 1024 need privilege" &&
	log_has "bind=tcp/127.0.0.1:99 via=new rule=none reason="
'

test_expect_success 'an unnamed port at or above 1024 is bound: bob could bind it himself' '
	client pgt-bob$SFX bind-new tcp 127.0.0.1 5555 --listen --print && has ok &&
	has "local=127.0.0.1:5555 family=inet type=stream v6only=-1 reuseport=0 listening=1 cloexec=1" &&
	log_has "bind=tcp/127.0.0.1:5555 via=new rule=unmanaged result=ok"
'

test_expect_success 'bob: a port he owns only on 0.0.0.0 is not his on [::]' '
	client pgt-bob$SFX bind-new tcp 0.0.0.0 444 && has ok &&
	{ client pgt-bob$SFX bind-new tcp :: 444 --v6only; test $? = 1; } && has EACCES
'

test_expect_success 'alice: [::] v6-only via BIND_NEW when she owns only [::]' '
	client pgt-alice$SFX bind-new tcp :: 444 --v6only --print && has ok &&
	has "local=[::]:444 family=inet6 type=stream v6only=1 reuseport=0 listening=0 cloexec=1"
'

test_expect_success 'alice: but not via BIND_THIS, whose V6ONLY she could still flip' '
	{ client pgt-alice$SFX bind-this tcp :: 444 --v6only 1; test $? = 1; } && has EACCES &&
	has_prefix "reason=a v6-only [::] socket passed in could turn dual-stack" &&
	{ client pgt-alice$SFX bind-this tcp :: 444 --v6only 0; test $? = 1; } && has EACCES
'

mkfifo "$TMP/busy.in"
as_user "pgt-alice$SFX" "$CLIENT" bind-new tcp 127.0.0.1 80 --listen --wait <"$TMP/busy.in" >"$TMP/busy.out" 2>&1 &
BUSY=$!
track_pid "$BUSY"
exec 7>"$TMP/busy.in"
test_expect_success 'a granted bind of a busy port gets EADDRINUSE in the reply' '
	wait_line "$TMP/busy.out" ok &&
	{ client pgt-alice$SFX bind-new tcp 127.0.0.1 80 --listen; test $? = 1; } &&
	has EADDRINUSE &&
	log_has "bind=tcp/127.0.0.1:80 via=new rule=$CONF:1 result=EADDRINUSE"
'

# --- restarts and the control socket ---------------------------------------------

stop_daemon
start_portgated
test_expect_success 'a restart does not disturb a socket bound before it' '
	client root connect tcp 127.0.0.1 80 && has ok
'
exec 7>&-
wait_exit "$BUSY"
test_expect_success 'its owner accepts the connection made after the restart' '
	grep -x "accepted=1" "$TMP/busy.out" >/dev/null
'

kill -9 "$PGD_PID"
wait "$PGD_PID" 2>/dev/null
test_expect_success 'a killed daemon leaves its socket file behind' '
	[ -S "$PGSOCK" ] &&
	{ "$CLIENT" bind-new tcp 127.0.0.1 80 >"$OUT" 2>&1; test $? = 3; }
'
start_portgated
test_expect_success 'the next start replaces the stale socket' '
	log_has "removed the stale socket '"'$PGSOCK'"'" &&
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok
'

test_expect_code 1 'a second daemon on the same socket is refused' '
	timeout 10 "$PGD" --socket "$PGSOCK" --config "$ETC" --user pgt-portgated$SFX 2>"$TMP/second.err"
'

test_expect_success 'it says why, and the first one still serves' '
	grep -F "another portgated is already serving '"'$PGSOCK'"'" "$TMP/second.err" >/dev/null &&
	kill -0 "$PGD_PID" && [ -S "$PGSOCK" ] &&
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok
'

# --- --busy-poll ---------------------------------------------------------------------

# cpu_ticks: user + system clock ticks the daemon has used so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$PGD_PID/stat"
}

test_expect_success 'after serving, an idle daemon stops polling: no CPU used while idle' '
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok &&
	sleep 0.2 && t0=$(cpu_ticks) && sleep 1 && t1=$(cpu_ticks) &&
	echo "# idle for 1 s: $((t1 - t0)) ticks of CPU (a daemon that kept polling: ~100)" &&
	[ $((t1 - t0)) -le 10 ]
'

stop_daemon
start_portgated --busy-poll 0
test_expect_success '--busy-poll 0: the daemon sleeps at once, and serves as before' '
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok &&
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 80; test $? = 1; } && has EACCES
'
stop_daemon
start_portgated

# --- reload -----------------------------------------------------------------------

test_expect_success 'SIGHUP: a new grant takes effect' '
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 82; test $? = 1; } && has EACCES &&
	echo "pgt-bob$SFX tcp://127.0.0.1:82" >>"$CONF" &&
	hup_reload &&
	log_has "reload: the policy in '"'$ETC'"' is in force: 10 rules from 1 files" &&
	client pgt-bob$SFX bind-new tcp 127.0.0.1 82 && has ok &&
	log_has "bind=tcp/127.0.0.1:82 via=new rule=$CONF:5 result=ok"
'

test_expect_success 'SIGHUP with a broken file keeps the old policy and says why' '
	cp "$CONF" "$TMP/good.conf" &&
	echo "pgt-alice$SFX tcp://127.0.0.1:eighty" >>"$CONF" &&
	sed -i "/pgt-bob$SFX tcp:\/\/127.0.0.1:82/d" "$CONF" &&
	hup_reload &&
	log_has "$CONF:5:" &&
	log_has "keeping the old policy (10 rules from 1 files)" &&
	client pgt-bob$SFX bind-new tcp 127.0.0.1 82 && has ok &&
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok
'

test_expect_success 'a fixed file is taken at the next SIGHUP' '
	cp "$TMP/good.conf" "$CONF" && sed -i "/pgt-bob$SFX tcp:\/\/127.0.0.1:82/d" "$CONF" &&
	hup_reload &&
	log_has "is in force: 9 rules from 1 files" &&
	{ client pgt-bob$SFX bind-new tcp 127.0.0.1 82; test $? = 1; } && has EACCES
'

# --- start-up refusals -------------------------------------------------------------

test_expect_success 'a broken policy at start: exit 1 with every diagnostic' '
	mkdir -p "$TMP/bad" &&
	printf "pgt-nosuchuser tcp://127.0.0.1:80\npgt-alice tcp://127.0.0.1:99999\n" >"$TMP/bad/portgate.conf" &&
	chmod -R a+rX "$TMP/bad" &&
	{ timeout 10 "$PGD" --socket "$TMP/badrun/s.sock" --config "$TMP/bad" --user pgt-portgated$SFX 2>"$OUT"; test $? = 1; } &&
	grep -F "$TMP/bad/portgate.conf:1:" "$OUT" >/dev/null &&
	grep -F "$TMP/bad/portgate.conf:2:" "$OUT" >/dev/null &&
	grep -F "has errors; not starting" "$OUT" >/dev/null &&
	! [ -e "$TMP/badrun/s.sock" ]
'

test_expect_success 'a socket directory writable by everyone is refused' '
	mkdir -m 1777 "$TMP/ww" &&
	{ timeout 10 "$PGD" --socket "$TMP/ww/s.sock" --config "$ETC" --user pgt-portgated$SFX 2>"$OUT"; test $? = 1; } &&
	grep -F "is writable by everyone" "$OUT" >/dev/null && ! [ -e "$TMP/ww/s.sock" ]
'

test_expect_success 'a socket directory that is a symbolic link is refused' '
	mkdir "$TMP/real" && ln -s "$TMP/real" "$TMP/link" &&
	{ timeout 10 "$PGD" --socket "$TMP/link/s.sock" --config "$ETC" --user pgt-portgated$SFX 2>"$OUT"; test $? = 1; } &&
	grep -F "is a symbolic link" "$OUT" >/dev/null && ! [ -e "$TMP/real/s.sock" ]
'

test_expect_success 'a socket directory owned by another user is refused' '
	mkdir "$TMP/bobs" && chown pgt-bob$SFX "$TMP/bobs" &&
	{ timeout 10 "$PGD" --socket "$TMP/bobs/s.sock" --config "$ETC" --user pgt-portgated$SFX 2>"$OUT"; test $? = 1; } &&
	grep -F "belongs to uid $B_UID" "$OUT" >/dev/null
'

test_expect_success 'a file where the socket goes is not replaced' '
	mkdir -m 755 "$TMP/filed" && echo keep >"$TMP/filed/s.sock" &&
	{ timeout 10 "$PGD" --socket "$TMP/filed/s.sock" --config "$ETC" --user pgt-portgated$SFX 2>"$OUT"; test $? = 1; } &&
	grep -F "exists and is not a socket" "$OUT" >/dev/null && grep -x keep "$TMP/filed/s.sock"
'

test_expect_success 'an unknown user, or root, as --user: exit 1' '
	{ timeout 10 "$PGD" --socket "$TMP/u/s.sock" --config "$ETC" --user pgt-nosuchuser 2>"$OUT"; test $? = 1; } &&
	grep -F "unknown user" "$OUT" >/dev/null &&
	{ timeout 10 "$PGD" --socket "$TMP/u/s.sock" --config "$ETC" --user root 2>"$OUT"; test $? = 1; } &&
	grep -F "refusing to run as root" "$OUT" >/dev/null
'

test_expect_success 'started as its user without the capability: exit 1' '
	{ timeout 10 setpriv --reuid=pgt-portgated$SFX --regid=pgt-portgated$SFX --init-groups \
		"$PGD" --socket "$TMP/nocap/s.sock" --config "$ETC" --user pgt-portgated$SFX 2>"$OUT"
		test $? = 1; } &&
	grep -F "without CAP_NET_BIND_SERVICE" "$OUT" >/dev/null
'

test_expect_success 'usage errors exit 2; --help and --version exit 0' '
	{ timeout 10 "$PGD" --bogus 2>/dev/null; test $? = 2; } &&
	{ timeout 10 "$PGD" --timeout 0 2>/dev/null; test $? = 2; } &&
	{ timeout 10 "$PGD" --busy-poll 10001 2>"$OUT"; test $? = 2; } &&
	grep -F "portgated: --busy-poll wants a number from 0 to 10000, not" "$OUT" >/dev/null &&
	{ timeout 10 "$PGD" extra 2>/dev/null; test $? = 2; } &&
	"$PGD" --help | grep -F "usage: portgated" >/dev/null &&
	"$PGD" --version | grep -x "portgated [0-9.]*" >/dev/null
'

# --- started by a service manager as its user, with an ambient capability ----------

stop_daemon
mkfifo "$TMP/amb.ready"
setpriv --reuid="pgt-portgated$SFX" --regid="pgt-portgated$SFX" --init-groups \
	--inh-caps=+net_bind_service --ambient-caps=+net_bind_service \
	"$PGD" --socket "$PGSOCK" --config "$ETC" --user "pgt-portgated$SFX" --ready-fd 3 \
	3>"$TMP/amb.ready" 2>>"$LOG" &
PGD_PID=$!
track_pid "$PGD_PID"
timeout 10 head -n 1 "$TMP/amb.ready" >"$TMP/amb.out"
test_expect_success 'started as pgt-portgated with an ambient capability, it keeps only that' '
	grep -x READY=1 "$TMP/amb.out" >/dev/null &&
	[ "$(status Uid)" = "$PGD_UID $PGD_UID $PGD_UID $PGD_UID" ] &&
	[ "$(status CapEff)" = 0000000000000400 ] &&
	[ "$(status CapPrm)" = 0000000000000400 ] &&
	[ "$(status CapInh)" = 0000000000000000 ] &&
	[ "$(status CapAmb)" = 0000000000000000 ] &&
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok
'
stop_daemon

# --- readiness through NOTIFY_SOCKET -----------------------------------------------

"$CLIENT" notify-listen "$TMP/notify.sock" 4 20 >"$TMP/notify.out" 2>&1 &
NL=$!
track_pid "$NL"
wait_line "$TMP/notify.out" listening >/dev/null
NOTIFY_SOCKET=$TMP/notify.sock
export NOTIFY_SOCKET
start_portgated
unset NOTIFY_SOCKET
test_expect_success 'NOTIFY_SOCKET (a path) hears READY=1 once the daemon serves' '
	wait_line "$TMP/notify.out" READY=1 &&
	client pgt-alice$SFX bind-new tcp 127.0.0.1 80 && has ok
'
hup_reload
stop_daemon
wait_exit "$NL"
test_expect_success 'then RELOADING=1 and READY=1 on SIGHUP, STOPPING=1 at exit' '
	grep "^RELOADING=1 MONOTONIC_USEC=[0-9]*$" "$TMP/notify.out" >/dev/null &&
	[ "$(grep -c -x READY=1 "$TMP/notify.out")" = 2 ] &&
	grep -x STOPPING=1 "$TMP/notify.out" >/dev/null
'

ABSTRACT=@pgt-notify-$$
"$CLIENT" notify-listen "$ABSTRACT" 1 20 >"$TMP/notify2.out" 2>&1 &
NL=$!
track_pid "$NL"
wait_line "$TMP/notify2.out" listening >/dev/null
NOTIFY_SOCKET=$ABSTRACT
export NOTIFY_SOCKET
start_portgated
unset NOTIFY_SOCKET
wait_exit "$NL"
test_expect_success 'NOTIFY_SOCKET (an @abstract name) hears READY=1' '
	grep -x READY=1 "$TMP/notify2.out" >/dev/null
'

# --- the default socket path, on a private /run --------------------------------------

stop_daemon
mount -t tmpfs -o mode=755 tmpfs /run || skip_all "cannot mount a private /run"
mkfifo "$TMP/def.ready"
env -u PORTGATE_SOCKET PORTGATE_CONFIG_DIR="$ETC" "$PGD" --user "pgt-portgated$SFX" --ready-fd 3 \
	3>"$TMP/def.ready" 2>>"$LOG" &
PGD_PID=$!
track_pid "$PGD_PID"
timeout 10 head -n 1 "$TMP/def.ready" >/dev/null
test_expect_success 'by default: /run/portgate/portgated.sock and PORTGATE_CONFIG_DIR' '
	[ -S /run/portgate/portgated.sock ] &&
	[ "$(stat -c "%a %U" /run/portgate)" = "755 pgt-portgated$SFX" ] &&
	as_user pgt-alice$SFX env -u PORTGATE_SOCKET "$CLIENT" bind-new tcp 127.0.0.1 80 >"$OUT" &&
	has ok
'
stop_daemon
test_expect_success 'at exit the daemon removes its socket' '
	! [ -e /run/portgate/portgated.sock ]
'
umount /run

# --- holding reserved ports (--hold) ------------------------------------------------

start_portgated --hold --hold-retry 1
test_expect_success '--hold: the reserved ports >= 1024 are held at start' '
	log_has "hold: holding 3 of 3 reserved ports"
'

test_expect_success 'bob'"'"'s plain binds of them get EADDRINUSE, whatever the address' '
	{ plain_bind pgt-bob$SFX tcp 0.0.0.0 8080; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX tcp :: 8080 --v6only 1; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX tcp 127.0.0.1 8080; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX udp 0.0.0.0 8053; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX udp ::1 8053; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX tcp 127.0.0.1 9000; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX tcp 0.0.0.0 9000; test $? = 1; } && has EADDRINUSE
'

test_expect_success 'SO_REUSEADDR or SO_REUSEPORT do not get bob in either' '
	{ client pgt-bob$SFX plain tcp 0.0.0.0 8080 --reuseaddr; test $? = 1; } && has EADDRINUSE &&
	{ client pgt-bob$SFX plain tcp :: 8080 --reuseaddr --v6only 0; test $? = 1; } && has EADDRINUSE &&
	{ client pgt-bob$SFX plain tcp 0.0.0.0 8080 --reuseport; test $? = 1; } && has EADDRINUSE &&
	{ client pgt-bob$SFX plain tcp 0.0.0.0 8080 --reuseaddr --reuseport; test $? = 1; } && has EADDRINUSE &&
	{ client pgt-bob$SFX plain udp 0.0.0.0 8053 --reuseaddr; test $? = 1; } && has EADDRINUSE &&
	{ client pgt-bob$SFX plain udp :: 8053 --reuseport --v6only 1; test $? = 1; } && has EADDRINUSE &&
	{ client pgt-bob$SFX plain tcp 127.0.0.1 9000 --reuseaddr; test $? = 1; } && has EADDRINUSE
'

test_expect_success 'a reservation for one address leaves the other addresses open' '
	plain_bind pgt-bob$SFX tcp 127.0.0.2 9000 && has ok
'

test_expect_success 'ports below 1024 and unnamed ports are not held' '
	"$BIND" tcp 0.0.0.0 443 >"$OUT" && has ok &&
	plain_bind pgt-bob$SFX tcp 0.0.0.0 8081 && has ok
'

test_expect_success 'bob cannot have a held port through the broker either' '
	{ client pgt-bob$SFX bind-new tcp :: 8080 --listen; test $? = 1; } && has EACCES &&
	{ plain_bind pgt-bob$SFX tcp 0.0.0.0 8080; test $? = 1; } && has EADDRINUSE
'

mkfifo "$TMP/hold.in"
as_user "pgt-alice$SFX" "$CLIENT" bind-new tcp :: 8080 --listen --print --wait \
	<"$TMP/hold.in" >"$TMP/hold.out" 2>&1 &
HOLDER=$!
track_pid "$HOLDER"
exec 8>"$TMP/hold.in"
test_expect_success 'alice gets the held socket itself through BIND_NEW' '
	wait_line "$TMP/hold.out" ok &&
	wait_line "$TMP/hold.out" "local=[::]:8080 family=inet6 type=stream v6only=0 reuseport=0 listening=1 cloexec=1" &&
	log_has "bind=tcp/[::]:8080 dualstack=1 via=new rule=$CONF:1 result=ok hold=handed-over"
'
test_expect_success 'while she has it, bob still cannot bind it' '
	{ plain_bind pgt-bob$SFX tcp 0.0.0.0 8080; test $? = 1; } && has EADDRINUSE &&
	client root connect tcp 127.0.0.1 8080 && has ok
'
n_held=$(log_count "hold: holding 3 of 3")
exec 8>&-
wait_exit "$HOLDER"
test_expect_success 'when she lets go, the daemon holds it again' '
	grep -x accepted=1 "$TMP/hold.out" >/dev/null &&
	wait_log $((n_held + 1)) "hold: holding 3 of 3" &&
	{ plain_bind pgt-bob$SFX tcp 0.0.0.0 8080; test $? = 1; } && has EADDRINUSE
'

test_expect_success 'the handed-over TCP socket is what BIND_NEW makes: SO_REUSEADDR on' '
	grep -x "reuseaddr=1 rcvbuf=[0-9]*" "$TMP/hold.out" >/dev/null
'

test_expect_success 'UDP: alice gets the held socket, its receive buffer restored' '
	client pgt-bob$SFX bind-new udp 127.0.0.1 5556 --print && has ok &&
	fresh=$(grep "^reuseaddr=" "$OUT") &&
	client pgt-alice$SFX bind-new udp :: 8053 --print && has ok &&
	has "local=[::]:8053 family=inet6 type=dgram v6only=0 reuseport=0 listening=0 cloexec=1" &&
	has "$fresh" &&
	log_has "bind=udp/[::]:8053 dualstack=1 via=new rule=$CONF:1 result=ok hold=handed-over"
'

mkfifo "$TMP/half.in"
as_user "pgt-alice$SFX" "$CLIENT" bind-this tcp 0.0.0.0 8080 --wait \
	<"$TMP/half.in" >"$TMP/half.out" 2>&1 &
HALF=$!
track_pid "$HALF"
exec 8>"$TMP/half.in"
test_expect_success 'BIND_THIS of 0.0.0.0: the hold lets go, her own socket is bound' '
	wait_line "$TMP/half.out" ok &&
	log_has "bind=tcp/0.0.0.0:8080 via=this rule=$CONF:1 result=ok hold=released"
'
test_expect_success 'and the daemon goes on holding the IPv6 half' '
	i=0
	while :; do
		plain_bind pgt-bob$SFX tcp :: 8080 --v6only 1
		grep -x EADDRINUSE "$OUT" >/dev/null && break
		i=$((i + 1))
		[ $i -le 100 ] || { echo "the IPv6 half was never held"; exit 1; }
		sleep 0.05
	done &&
	{ plain_bind pgt-bob$SFX tcp :: 8080 --v6only 1; test $? = 1; } && has EADDRINUSE
'
exec 8>&-
wait_exit "$HALF"

test_expect_success 'a reload keeps held sockets: no gap, none lost' '
	hup_reload &&
	{ plain_bind pgt-bob$SFX tcp 127.0.0.1 9000; test $? = 1; } && has EADDRINUSE &&
	{ plain_bind pgt-bob$SFX udp 0.0.0.0 8053; test $? = 1; } && has EADDRINUSE
'

test_expect_success 'a reload that drops a reservation lets the port go' '
	sed -i "s| tcp://127.0.0.1:9000||" "$CONF" &&
	hup_reload &&
	plain_bind pgt-bob$SFX tcp 127.0.0.1 9000 && has ok
'

stop_daemon
test_expect_success 'the daemon exited 0 on SIGTERM every time, and never crashed' '
	[ -s "$TMP/exit-codes" ] && ! grep -v -x 0 "$TMP/exit-codes" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$LOG"
'

test_done
