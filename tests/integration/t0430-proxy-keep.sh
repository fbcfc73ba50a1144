#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0430-proxy-keep.sh - portgate proxy --keep -- PROG: the proxy holds the
# front port, and a keeper (keeper.c, the proxy's child, as the user of -u)
# runs the backend behind it on the proxy's private UNIX socket, restarts it
# when it dies and replaces it on the SIGHUP the proxy passes on.  Under 4
# clients' load and mallory's bind loop on the front port: 20 SIGHUP
# replacements with --ready=notify refuse and fail nothing; 5 kill -9 of the
# backend refuse nothing (requests in flight on the killed backend fail, and
# are counted; new ones wait for the next backend); the loop never gets the
# port.  SIGTERM stops
# all of it with the backend's status.  The options' bad inputs.
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
require_cmd setpriv curl pgrep
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3"
PY=/usr/bin/python3

make_user "pgt-alice$SFX"
make_user "pgt-mallory$SFX"
ALICE=pgt-alice$SFX
mkdir -p "$TMP/etc"
: >"$TMP/etc/portgate.conf"
chmod -R a+rX "$TMP/etc"
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=
PORT=8090
LOG=$TMP/proxy.log

# The backend: HTTP/1.0 on the UNIX socket named in LAUNCH_PROGRAM_SOCKET_PATH
# (replacing what is there: the previous backend's), answering with its pid;
# READY=1 to NOTIFY_SOCKET once it listens.  On SIGTERM it stops listening
# for more, answers the connections already waiting, and exits 0.
cat >"$TMP/backend.py" <<'EOF'
import os, select, signal, socket
path = os.environ["LAUNCH_PROGRAM_SOCKET_PATH"]
stop = False
def term(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s.bind(path)
s.listen(128)
s.setblocking(False)
addr = os.environ.get("NOTIFY_SOCKET")
if addr:
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.sendto(b"READY=1", "\0" + addr[1:] if addr[0] == "@" else addr)
    n.close()
body = ("%d\n" % os.getpid()).encode()
reply = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
def serve(c):
    with c:
        c.setblocking(True)
        c.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            c.sendall(reply)
        except OSError:
            pass
while True:
    if not stop and not select.select([s], [], [], 0.1)[0]:
        continue
    try:
        c, _ = s.accept()
    except (BlockingIOError, InterruptedError):
        if stop:
            break
        continue
    serve(c)
EOF
chmod a+r "$TMP/backend.py"

test_expect_code 100 '--keep without PROG is a usage error' '
	"$PG" proxy -l 127.0.0.1:$PORT --to unix:/nonexistent --keep 2>"$TMP/err"; rc=$?
	cat "$TMP/err"; grep -F "keeps PROG running behind the proxy" "$TMP/err" && exit $rc
'
test_expect_code 100 '--restart without --keep is a usage error of proxy' '
	"$PG" proxy -l 127.0.0.1:$PORT --restart always -- true 2>"$TMP/err"; rc=$?
	cat "$TMP/err"; grep -Fx "portgate: --restart needs --keep" "$TMP/err" && exit $rc
'
test_expect_code 100 '--ready=adopt is for run --adopt only' '
	"$PG" proxy -l 127.0.0.1:$PORT --keep --ready=adopt -- true
'

test_expect_success 'proxy --keep: the keeper runs the backend as alice behind the proxy' '
	"$PG" proxy -l 127.0.0.1:$PORT --keep --ready=notify --ready-timeout 20 -u "$ALICE" \
		-- "$PY" "$TMP/backend.py" >"$TMP/proxy.out" 2>"$LOG" &
	echo $! >"$TMP/proxy.pid" && track_pid $! &&
	b=$(get $PORT) && test -n "$b" &&
	k=$(awk "/^PPid:/ { print \$2 }" /proc/$b/status) &&
	test "$(awk "/^PPid:/ { print \$2 }" /proc/$k/status)" = "$(cat "$TMP/proxy.pid")" &&
	test "$(stat -c %U /proc/$k)" = "$ALICE" && test "$(stat -c %U /proc/$b)" = "$ALICE"
'
P=$(cat "$TMP/proxy.pid")

test_expect_success '20 SIGHUP (to the proxy) replace the backend under load: 0 refused, 0 failed; the bind loop never gets the port' '
	load_start hup $PORT "pgt-mallory$SFX" / &&
	hup_20 $P 0 "is ready (READY=1); stopping the old" "$LOG" &&
	wait_lines 20 "stopped PROG pid .* exited with status 0" "$LOG" &&
	load_ok hup
'
sed 's/^/# proxy --keep, SIGHUP x20: /' "$TMP/hup.counts" 2>/dev/null

test_expect_success '5 kill -9 of the backend under load: the front port stays bound, 0 refused; restarted each time' '
	load_start kill $PORT "pgt-mallory$SFX" / &&
	for i in $(seq 5); do
		b=$(get $PORT) && kill -9 $b &&
		wait_lines 1 "PROG pid $b was killed by SIGKILL after .* restarting in" "$LOG" &&
		j=0 && while [ "$(get $PORT)" = "$b" ] && [ $j -lt 200 ]; do sleep 0.1; j=$((j + 1)); done &&
		test "$(get $PORT)" != "$b" || exit 1
	done &&
	load_ok kill in-flight
'
sed 's/^/# proxy --keep, kill -9 x5 (failed = in flight on the killed backend): /' "$TMP/kill.counts" 2>/dev/null

test_expect_success 'SIGTERM to the proxy: it drains, the keeper stops the backend (status 0); nothing of alice is left' '
	kill -TERM $P && i=0 && while kill -0 $P 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done &&
	! kill -0 $P 2>/dev/null && ! pgrep -u "$ALICE" -a && grep -x "portgate: keep: exiting 0" "$LOG"
'

test_expect_success 'with the proxy gone, the port is free: the bind loop gets it (so it could fail above)' '
	as_user "pgt-mallory$SFX" "$LOOP" tcp 127.0.0.1 $PORT --reuseaddr 1 --max 50 >"$TMP/free" &&
	grep "total=50 ok=50" "$TMP/free" || { cat "$TMP/free"; false; }
'

test_done
