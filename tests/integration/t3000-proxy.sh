#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t3000-proxy.sh - portgate proxy: nginx behind it on a UNIX socket and on TCP,
# half-close, bulk integrity both ways, a backend that starts late, PROG's exit
# status and signals, EMFILE, the connection cap, the idle timeout, an
# unreachable backend and an attacker's socket at the backend path.  Every
# data-path case runs in splice mode and in --copy mode.
# Test bodies are single-quoted strings that the harness evals (SC2016, SC2034, SC2317).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

[ -x "$PG" ] || skip_all "needs $PG (make all-tests)"
require_cmd setpriv curl ss nginx
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "needs /usr/bin/python3"

make_user "pgt-px-srv$SFX"
make_user "pgt-px-evil$SFX"
SRV_UID=$(id -u "pgt-px-srv$SFX")
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=
mkdir -p "$TMP/etc" && : >"$TMP/etc/portgate.conf" && chmod -R a+rX "$TMP/etc"

# The echo backend: for each connection read to EOF, then send it all back and close.
cat >"$TMP/echo.py" <<'PYEOF'
import os, socket, sys, threading
addr = sys.argv[1] if len(sys.argv) > 1 else os.environ["PORTGATE_BACKEND"]
log = sys.argv[2] if len(sys.argv) > 2 else None
if os.environ.get("PX_PIDFILE"):
    with open(os.environ["PX_PIDFILE"], "w") as f:
        f.write("%d\n" % os.getpid())
if addr.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.bind(addr[5:])
    os.chmod(addr[5:], 0o777)  # even so, the proxy must refuse another user's socket
else:
    h, p = addr[4:].rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p)))
s.listen(128)
def serve(c):
    data = bytearray()
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        data += b
    if log:
        with open(log, "ab") as f:
            f.write(bytes(data))
    c.sendall(data)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF

# The client: send a file (or nothing), half-close, print sha256 and length of the reply.
# --hold N: first open N idle connections; --after CMD: run CMD after sending.
cat >"$TMP/client.py" <<'PYEOF'
import argparse, hashlib, socket, subprocess, sys, time
a = argparse.ArgumentParser()
a.add_argument("port", type=int)
a.add_argument("--file")
a.add_argument("--timeout", type=float, default=20)
a.add_argument("--after")
a.add_argument("--pidfile")
a.add_argument("--no-shut", action="store_true")
o = a.parse_args()
s = socket.create_connection(("127.0.0.1", o.port), timeout=o.timeout)
try:  # a proxy that refuses the backend may close (even reset) before we are done
    if o.file:
        with open(o.file, "rb") as f:
            s.sendall(f.read())
    if not o.no_shut:
        s.shutdown(socket.SHUT_WR)
except (BrokenPipeError, ConnectionResetError, OSError) as e:
    print("send:", e, file=sys.stderr)
if o.after:
    p = subprocess.Popen(o.after, shell=True)
    if o.pidfile:
        with open(o.pidfile, "w") as f:
            f.write("%d\n" % p.pid)
out = bytearray()
t0 = time.monotonic()
try:
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        out += b
except socket.timeout:
    print("timeout")
    sys.exit(3)
except ConnectionResetError:
    print("reset")
print(hashlib.sha256(out).hexdigest(), len(out), "%.2f" % (time.monotonic() - t0))
PYEOF

# A server written for launch_socket_server: it binds where LAUNCH_PROGRAM_SOCKET_PATH
# (or LAUNCH_PROGRAM_TCP_ADDRESS) says and answers every request with what it was told.
cat >"$TMP/lss.py" <<'PYEOF'
import os, socket
tcp = os.environ.get("LAUNCH_PROGRAM_TCP_ADDRESS")
path = os.environ.get("LAUNCH_PROGRAM_SOCKET_PATH")
if tcp:
    h, p = tcp.rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p)))
else:
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
s.listen(16)
body = ("%s %s\n" % (os.environ.get("LAUNCH_DAEMON_SOCKET_NAME"), tcp or path)).encode()
while True:
    c, _ = s.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        b = c.recv(4096)
        if not b:
            break
        req += b
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    c.close()
PYEOF

# At a cap of 2: two idle connections held, a third is not served until one closes.
cat >"$TMP/cap.py" <<'PYEOF'
import socket, sys
port, req = int(sys.argv[1]), open(sys.argv[2], "rb").read()
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
third = socket.create_connection(("127.0.0.1", port), timeout=1.5)
third.sendall(req)
third.shutdown(socket.SHUT_WR)
try:
    third.recv(100)
    sys.exit("the third connection was served at the cap")
except socket.timeout:
    pass
held[0].close()
third.settimeout(20)
got = third.recv(100)
assert got == req[:100], got
PYEOF

# Open N connections 30 ms apart; hold them until the file STOP exists (10 s at most).
cat >"$TMP/spaced.py" <<'PYEOF'
import os, socket, sys, time
port, n, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = []
for i in range(n):
    held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(0.03)
print("open", flush=True)
for _ in range(200):
    if os.path.exists(stop):
        break
    time.sleep(0.05)
PYEOF

# Hold connections until the proxy logs EMFILE, then let them go.
cat >"$TMP/emfile.py" <<'PYEOF'
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", 8105)) for _ in range(6)]
for _ in range(400):
    if "Too many open files" in open(sys.argv[1]).read():
        break
    time.sleep(0.05)
else:
    sys.exit("no EMFILE in the log")
for h in held:
    h.close()
PYEOF

# wait_listen PORT: bounded poll until something listens on 127.0.0.1:PORT.
wait_listen() {
	_i=0
	while [ "$_i" -lt 200 ]; do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	echo "nothing listens on port $1"
	return 1
}
# wait_grep TEXT FILE: bounded poll until FILE contains TEXT.
wait_grep() {
	_i=0
	while [ "$_i" -lt 200 ]; do
		grep -qF -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	echo "'$2' never got '$1':"
	cat "$2"
	return 1
}
# px_track PID: end PID at the end of the script (test bodies run in subshells,
# so the harness's track_pid would not see it).
px_track() {
	echo "$1" >>"$TMP/px.pids"
}
px_reap() {
	[ -f "$TMP/px.pids" ] || return 0
	while read -r _p; do
		kill "$_p" 2>/dev/null
	done <"$TMP/px.pids"
	# Bounded: users are removed on exit, which fails while they still run something.
	_i=0
	while read -r _p; do
		while kill -0 "$_p" 2>/dev/null && [ "$_i" -lt 100 ]; do
			sleep 0.05
			_i=$((_i + 1))
		done
	done <"$TMP/px.pids"
	return 0
}
# start_proxy PORT ARGS...: portgate proxy -l 127.0.0.1:PORT ARGS in the background.
start_proxy() {
	_port=$1
	shift
	"$PG" proxy -l "127.0.0.1:$_port" "$@" 2>"$TMP/proxy-$_port.log" &
	PX_PID=$!
	px_track "$PX_PID"
	wait_listen "$_port"
}
# px_procs PID: how many proxy processes run: PID and its children still running $PG.
px_procs() {
	_exe=$(readlink -f "$PG") _n=0
	for _s in /proc/[0-9]*/status; do
		_d=${_s%/status}
		[ "${_d#/proc/}" = "$1" ] || grep -q "^PPid:[[:space:]]*$1\$" "$_s" 2>/dev/null ||
			continue
		[ "$(readlink "$_d/exe" 2>/dev/null)" = "$_exe" ] && _n=$((_n + 1))
	done
	echo "$_n"
}
stop_proxy() {
	kill "$PX_PID" 2>/dev/null
	wait "$PX_PID" 2>/dev/null
	return 0
}

head -c 3000000 /dev/urandom >"$TMP/bulk"
BULK_SUM="$(sha256sum <"$TMP/bulk" | cut -d" " -f1) 3000000"
printf 'GET / HTTP/1.0\r\nHost: x\r\n\r\n' >"$TMP/req"
mkdir -p "$TMP/www" && echo "hello through portgate" >"$TMP/www/index.html"
head -c 2000000 /dev/urandom >"$TMP/www/big"
BIG_SUM=$(sha256sum <"$TMP/www/big" | cut -d" " -f1)
chmod -R a+rX "$TMP/www"

# nginx as pgt-px-srv, listening where PORTGATE_BACKEND says (unix: or tcp:).
NG=$TMP/ng
mkdir -p "$NG"
cat >"$NG/nginx.tmpl" <<EOF2
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $NG/body;
	proxy_temp_path $NG/proxy;
	fastcgi_temp_path $NG/fastcgi;
	uwsgi_temp_path $NG/uwsgi;
	scgi_temp_path $NG/scgi;
	server { listen @LISTEN@; root $TMP/www; }
}
EOF2
# The same nginx behind --proxy-protocol: it answers with the client address it was told.
sed -e 's|^pid .*|pid '"$NG"'/nginx-pp.pid;|' \
	-e 's|server { listen @LISTEN@; root .*|server { listen @LISTEN@ proxy_protocol; return 200 "$proxy_protocol_addr:$proxy_protocol_port"; }|' \
	"$NG/nginx.tmpl" >"$NG/pp.tmpl"
cat >"$NG/run.sh" <<'EOF2'
#!/bin/sh
# Started by portgate proxy as PROG: listen where it says, then become nginx.
case $PORTGATE_BACKEND in
unix:*) listen="unix:${PORTGATE_BACKEND#unix:}" ;;
tcp:*) listen=${PORTGATE_BACKEND#tcp:} ;;
esac
t=${NGTMPL:-nginx}
sed "s|@LISTEN@|$listen|" "$NGDIR/$t.tmpl" >"$NGDIR/$t.conf"
exec nginx -e "$NGDIR/error.log" -c "$NGDIR/$t.conf"
EOF2
chmod 755 "$NG/run.sh"
chown -R "pgt-px-srv$SFX" "$NG"
export NGDIR="$NG"

PORT=8000
for mode in splice copy; do
	COPY=
	[ $mode = copy ] && COPY=--copy
	PORT=$((PORT + 10))

	test_expect_success "$mode: curl through the proxy to nginx on a private UNIX socket, as -u USER" '
		start_proxy $PORT $COPY -u pgt-px-srv$SFX -- env NGDIR="$NG" "$NG/run.sh" &&
		test "$(curl -sS --max-time 20 --retry-connrefused http://127.0.0.1:$PORT/)" = "hello through portgate" &&
		test "$(curl -sS --max-time 20 http://127.0.0.1:$PORT/big | sha256sum | cut -d" " -f1)" = "$BIG_SUM" &&
		dir=$(ls -d /tmp/portgate-proxy.* | head -n 1) &&
		stat -c "%a %U" "$dir" | grep -x "700 pgt-px-srv$SFX" &&
		test "$(stat -c %U /proc/$PX_PID)" = pgt-px-srv$SFX &&
		stop_proxy && ! test -e "$dir"
	'

	test_expect_success "$mode: curl through the proxy to nginx on TCP (--to tcp:)" '
		start_proxy $((PORT + 1)) $COPY --to tcp:127.0.0.1:$((PORT + 2)) -u pgt-px-srv$SFX -- \
			env NGDIR="$NG" "$NG/run.sh" &&
		test "$(curl -sS --max-time 20 --retry 50 --retry-delay 0 --retry-all-errors \
			http://127.0.0.1:$((PORT + 1))/)" = "hello through portgate" &&
		test "$(curl -sS --max-time 20 http://127.0.0.1:$((PORT + 1))/big | sha256sum | cut -d" " -f1)" = "$BIG_SUM" &&
		stop_proxy
	'

	test_expect_success "$mode: a client that half-closes after its request gets the whole response" '
		start_proxy $((PORT + 3)) $COPY -- "$PY" "$TMP/echo.py" &&
		"$PY" "$TMP/client.py" $((PORT + 3)) --file "$TMP/req" >"$TMP/out" &&
		test "$(cut -d" " -f2 "$TMP/out")" = "$(wc -c <"$TMP/req")" &&
		"$PY" "$TMP/client.py" $((PORT + 3)) --file "$TMP/bulk" >"$TMP/out" &&
		test "$(cut -d" " -f1,2 "$TMP/out")" = "$BULK_SUM" &&
		stop_proxy
	'

	test_expect_success "$mode: bulk transfer both ways through a TCP backend keeps every byte" '
		start_proxy $((PORT + 4)) $COPY --to tcp:127.0.0.1:$((PORT + 5)) -- "$PY" "$TMP/echo.py" &&
		"$PY" "$TMP/client.py" $((PORT + 4)) --file "$TMP/bulk" >"$TMP/out" &&
		test "$(cut -d" " -f1,2 "$TMP/out")" = "$BULK_SUM" &&
		stop_proxy
	'

	test_expect_success "$mode: a client arriving before the backend is up waits, then is served" '
		rm -f "$TMP/late.sock" &&
		start_proxy $((PORT + 6)) $COPY --to "unix:$TMP/late.sock" --connect-timeout 20 &&
		"$PY" "$TMP/client.py" $((PORT + 6)) --file "$TMP/req" \
			--after "exec $PY $TMP/echo.py unix:$TMP/late.sock" --pidfile "$TMP/late.pid" \
			>"$TMP/out" &&
		px_track "$(cat "$TMP/late.pid")" &&
		test "$(cut -d" " -f2 "$TMP/out")" = "$(wc -c <"$TMP/req")" &&
		stop_proxy
	'
	test_expect_success "$mode: at --max-connections a client waits until one closes" '
		start_proxy $((PORT + 7)) $COPY --max-connections 2 --to tcp:127.0.0.1:$((PORT + 8)) \
			-- "$PY" "$TMP/echo.py" &&
		"$PY" "$TMP/client.py" $((PORT + 7)) --file "$TMP/req" >/dev/null &&
		"$PY" "$TMP/cap.py" $((PORT + 7)) "$TMP/req" &&
		stop_proxy
	'

	for v in v1 v2; do
		PP=$((PORT + 200 + ${v#v}))
		test_expect_success "$mode: --proxy-protocol $v: nginx sees curl's address and port" '
			start_proxy $PP $COPY --proxy-protocol $v -u pgt-px-srv$SFX -- \
				env NGDIR="$NG" NGTMPL=pp "$NG/run.sh" &&
			out=$(curl -sS --max-time 20 -w " %{local_port}" http://127.0.0.1:$PP/) &&
			echo "$out" && set -- $out &&
			test "$1" = "127.0.0.1:$2" &&
			stop_proxy
		'
	done

	test_expect_success "$mode: --idle-timeout closes a silent connection, not before" '
		start_proxy $((PORT + 9)) $COPY --idle-timeout 1 -- "$PY" "$TMP/echo.py" &&
		"$PY" "$TMP/client.py" $((PORT + 9)) --no-shut --timeout 20 >"$TMP/out" &&
		secs=$(cut -d" " -f3 "$TMP/out") &&
		awk -v s="$secs" "BEGIN { exit !(s >= 0.9 && s < 10) }" &&
		stop_proxy
	'
done

test_expect_success 'an unreachable backend closes the client; one log line for many' '
	start_proxy 8100 --workers 1 --to "unix:$TMP/nobody-here.sock" --connect-timeout 0.2 &&
	"$PY" "$TMP/client.py" 8100 --file "$TMP/req" >"$TMP/out" &&
	"$PY" "$TMP/client.py" 8100 --file "$TMP/req" >>"$TMP/out" &&
	test "$(grep -c " 0 " "$TMP/out")" = 2 &&
	test "$(grep -c "not reachable" "$TMP/proxy-8100.log")" = 1 &&
	grep -F "unix:$TMP/nobody-here.sock" "$TMP/proxy-8100.log" &&
	kill -0 "$PX_PID" && stop_proxy
'

test_expect_success 'a socket another user bound at the backend path is refused' '
	mkdir -m 1777 "$TMP/shared" &&
	touch "$TMP/evil.pid" && chmod 666 "$TMP/evil.pid" &&
	PX_PIDFILE=$TMP/evil.pid as_user pgt-px-evil$SFX "$PY" "$TMP/echo.py" \
		"unix:$TMP/shared/b.sock" "$TMP/shared/stolen" &
	i=0 &&
	while ! test -S "$TMP/shared/b.sock" && test $i -lt 200; do sleep 0.05; i=$((i + 1)); done &&
	px_track "$(cat "$TMP/evil.pid")" &&
	start_proxy 8101 --to "unix:$TMP/shared/b.sock" -u pgt-px-srv$SFX -- sleep 1000 &&
	"$PY" "$TMP/client.py" 8101 --file "$TMP/req" >"$TMP/out" &&
	grep " 0 " "$TMP/out" &&
	wait_grep "belongs to uid $(id -u pgt-px-evil$SFX), not uid $SRV_UID" "$TMP/proxy-8101.log" &&
	! test -s "$TMP/shared/stolen" &&
	stop_proxy
'

test_expect_code 3 'the proxy exits with PROG'"'"'s status' '
	"$PG" proxy -l 127.0.0.1:8102 -- sh -c "exit 3"
'

test_expect_code 7 'TERM is forwarded to PROG, whose status is the proxy'"'"'s' '
	"$PG" proxy -l 127.0.0.1:8103 -- sh -c \
		"trap '"'"'echo got-term >$TMP/sig; kill \$!; exit 7'"'"' TERM; echo up >$TMP/up; sleep 1000 & wait" &
	p=$! && wait_grep up "$TMP/up" && kill -TERM $p; wait $p; rc=$? &&
	grep -x got-term "$TMP/sig" && exit $rc
'

test_expect_code 129 'PROG killed by a forwarded HUP: the proxy exits 128+1' '
	"$PG" proxy -l 127.0.0.1:8104 -- sh -c "echo up >$TMP/up2; exec sleep 1000" &
	p=$! && wait_grep up "$TMP/up2" && kill -HUP $p; wait $p
'

test_expect_success 'with a tiny fd limit, EMFILE does not stop the proxy' '
	(ulimit -n 14 && exec "$PG" proxy --workers 1 -l 127.0.0.1:8105 --to tcp:127.0.0.1:8106) \
		2>"$TMP/proxy-8105.log" &
	p=$!
	px_track $p
	wait_listen 8105 || exit 1
	"$PY" "$TMP/echo.py" tcp:127.0.0.1:8106 &
	px_track $!
	wait_listen 8106 || exit 1
	"$PY" "$TMP/emfile.py" "$TMP/proxy-8105.log" &&
	"$PY" "$TMP/client.py" 8105 --file "$TMP/req" >"$TMP/out" &&
	test "$(cut -d" " -f2 "$TMP/out")" = "$(wc -c <"$TMP/req")" &&
	kill -0 $p
'

# A slow download: the first 256 KiB of DATA, then (once GO exists) the rest.
# PX_ONCE: ignore TERM, serve one connection and exit 5 (a PROG that drains too).
cat >"$TMP/slow.py" <<'PYEOF'
import os, signal, socket, sys, time
data, go, started = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3]
addr = sys.argv[4] if len(sys.argv) > 4 else os.environ["PORTGATE_BACKEND"]
once = os.environ.get("PX_ONCE")
if once:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
h, p = addr[4:].rsplit(":", 1)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((h, int(p)))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(data[:1 << 18])
    open(started, "w").close()
    for _ in range(600):
        if os.path.exists(go):
            break
        time.sleep(0.05)
    try:
        c.sendall(data[1 << 18:])
    except OSError:
        pass
    c.close()
    if once:
        sys.exit(5)
PYEOF

# drain_step PROXYPID PORT: once the download runs, TERM the proxy, check that a
# new client is refused while the proxy still lives, then let the download finish.
cat >"$TMP/drain-step.sh" <<'EOF2'
i=0
while [ ! -e "$TMP/started" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$1"
i=0
while ss -Hltn "sport = :$2" | grep -q . && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
/usr/bin/python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    print("connected")
except ConnectionRefusedError:
    print("refused")' "$2" >"$TMP/refused"
kill -0 "$1" && echo alive >>"$TMP/refused"
touch "$TMP/go"
EOF2

for prog in noprog prog workers2; do
	code=0 && [ $prog = prog ] && code=5
	test_expect_code "$code" \
		"$prog: SIGTERM drains: a download in progress completes, a new client is refused" '
		rm -f "$TMP/go" "$TMP/started" "$TMP/refused"
		P=8110 && W= && [ $prog = prog ] && P=8114
		[ $prog = workers2 ] && P=8116 && W="--workers 2"
		if [ $prog = prog ]; then
			start_proxy $P --to tcp:127.0.0.1:$((P + 1)) --drain-timeout 20 -- \
				env PX_ONCE=1 "$PY" "$TMP/slow.py" "$TMP/bulk" "$TMP/go" "$TMP/started"
		else
			"$PY" "$TMP/slow.py" "$TMP/bulk" "$TMP/go" "$TMP/started" tcp:127.0.0.1:$((P + 1)) &
			px_track $! && wait_listen $((P + 1)) &&
			start_proxy $P $W --to tcp:127.0.0.1:$((P + 1)) --drain-timeout 20
		fi || exit 1
		[ $prog != workers2 ] || test "$(px_procs $PX_PID)" = 2 || exit 1
		"$PY" "$TMP/client.py" $P --timeout 30 --after "sh $TMP/drain-step.sh $PX_PID $P" \
			>"$TMP/out" || exit 1
		wait $PX_PID; rc=$?
		cat "$TMP/out" "$TMP/refused" &&
		test "$(cut -d" " -f1,2 "$TMP/out")" = "$BULK_SUM" &&
		grep -x refused "$TMP/refused" && grep -x alive "$TMP/refused" &&
		exit $rc
	'
done

test_expect_success '--drain-timeout bounds the drain: a stuck download is cut, exit 0' '
	rm -f "$TMP/go" "$TMP/started" &&
	"$PY" "$TMP/slow.py" "$TMP/bulk" "$TMP/go" "$TMP/started" tcp:127.0.0.1:8113 &
	px_track $!
	wait_listen 8113 && start_proxy 8112 --to tcp:127.0.0.1:8113 --drain-timeout 1 || exit 1
	"$PY" "$TMP/client.py" 8112 --timeout 30 >"$TMP/out" &
	c=$!
	i=0 && while [ ! -e "$TMP/started" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	t0=$(date +%s%N) && kill -TERM $PX_PID && wait $PX_PID; rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait $c
	touch "$TMP/go"
	echo "rc=$rc ${ms}ms" && cat "$TMP/out" &&
	test $rc = 0 && test $ms -ge 800 && test $ms -lt 5000 &&
	test "$(cut -d" " -f2 "$TMP/out")" -lt 3000000
'

# A UDP echo backend: answers "echo:DATA from:PORT" (PORT: the sender's, here a session's).
cat >"$TMP/uecho.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65536)
    s.sendto(b"echo:" + d + b" from:%d" % a[1], a)
PYEOF
# Two clients: each gets its own echoes, through a session of its own that lasts.
cat >"$TMP/uclient.py" <<'PYEOF'
import socket, sys
port = int(sys.argv[1])
def ask(s, msg):
    s.sendto(msg, ("127.0.0.1", port))
    d, a = s.recvfrom(65536)
    assert a == ("127.0.0.1", port), a
    head, frm = d.rsplit(b" from:", 1)
    assert head == b"echo:" + msg, d
    return int(frm)
a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for s in (a, b):
    s.settimeout(5)
    s.bind(("127.0.0.1", 0))
pa, pb = ask(a, b"a1"), ask(b, b"b1")
assert pa != pb, (pa, pb)
assert ask(b, b"b2") == pb and ask(a, b"a2" * 1000) == pa
print(pa, pb)
if len(sys.argv) > 2:  # after the sessions expired: a new one
    open(sys.argv[2], "w").close()
    import time
    for _ in range(200):
        if open(sys.argv[2]).read():
            break
        time.sleep(0.05)
    pa2 = ask(a, b"a3")
    assert pa2 != pa, (pa, pa2)
    print(pa2)
PYEOF

test_expect_success 'udp: two clients each get their own echoes; idle sessions expire' '
	"$PY" "$TMP/uecho.py" 8121 &
	px_track $!
	i=0 && while ! ss -Hlun "sport = :8121" | grep -q . && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1)); done
	"$PG" proxy -l udp://127.0.0.1:8120 --to udp:127.0.0.1:8121 --udp-idle-timeout 1 \
		2>"$TMP/proxy-8120.log" &
	PX_PID=$!
	px_track $PX_PID
	i=0 && while ! ss -Hlun "sport = :8120" | grep -q . && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1)); done
	rm -f "$TMP/expired"
	"$PY" "$TMP/uclient.py" 8120 "$TMP/expired" >"$TMP/out" &
	c=$!
	i=0 && while [ ! -e "$TMP/expired" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	n=$(ss -Huan "dport = :8121" | grep -c .)
	i=0 && while ss -Huan "dport = :8121" | grep -q . && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1)); done
	left=$(ss -Huan "dport = :8121" | grep -c .)
	echo yes >"$TMP/expired"
	wait $c; rc=$?
	echo "sessions: $n, after the idle timeout: $left" && cat "$TMP/out" "$TMP/proxy-8120.log" &&
	test $rc = 0 && test "$n" = 2 && test "$left" = 0 && stop_proxy
'

test_expect_success '--workers 2: 40 parallel curls to nginx all succeed; 2 proxy processes, as USER' '
	start_proxy 8130 --workers 2 --to tcp:127.0.0.1:8131 -u pgt-px-srv$SFX -- \
		env NGDIR="$NG" "$NG/run.sh" &&
	test "$(curl -sS --max-time 20 --retry 50 --retry-delay 0 --retry-all-errors \
		http://127.0.0.1:8130/)" = "hello through portgate" &&
	n=$(px_procs $PX_PID) && echo "proxy processes: $n" && test "$n" = 2 &&
	for c in $(pgrep -P $PX_PID) $PX_PID; do
		[ "$(readlink /proc/$c/exe)" != "$(readlink -f "$PG")" ] ||
			test "$(stat -c %U /proc/$c)" = pgt-px-srv$SFX || exit 1
	done &&
	rm -f "$TMP"/par.* && pids= && i=0 &&
	while [ $i -lt 40 ]; do
		curl -sS --max-time 20 -o "$TMP/par.$i" http://127.0.0.1:8130/ &
		pids="$pids $!" && i=$((i + 1))
	done &&
	bad=0 && for c in $pids; do wait $c || bad=$((bad + 1)); done &&
	for f in "$TMP"/par.*; do
		test "$(cat "$f")" = "hello through portgate" || bad=$((bad + 1))
	done &&
	echo "failed: $bad of 40" && test $bad = 0 && test "$(ls "$TMP"/par.* | wc -l)" = 40 &&
	stop_proxy
'

test_expect_success '--workers 2: --max-connections stays exact across the workers' '
	start_proxy 8132 --workers 2 --max-connections 2 --to tcp:127.0.0.1:8133 \
		-- "$PY" "$TMP/echo.py" &&
	"$PY" "$TMP/client.py" 8132 --file "$TMP/req" >/dev/null &&
	test "$(px_procs $PX_PID)" = 2 &&
	"$PY" "$TMP/cap.py" 8132 "$TMP/req" &&
	"$PY" "$TMP/cap.py" 8132 "$TMP/req" &&
	stop_proxy
'

test_expect_success '--workers 2: connections that come one at a time are shared by the workers' '
	start_proxy 8136 --workers 2 --to tcp:127.0.0.1:8137 -- "$PY" "$TMP/echo.py" &&
	test "$(px_procs $PX_PID)" = 2 &&
	rm -f "$TMP/spaced.stop" &&
	{ "$PY" "$TMP/spaced.py" 8136 20 "$TMP/spaced.stop" >"$TMP/spaced.out" & } && c=$! &&
	wait_grep open "$TMP/spaced.out" &&
	i=0 && while [ $i -lt 100 ]; do
		ss -Htnp state established "( sport = :8136 )" >"$TMP/spaced.ss"
		[ "$(grep -c "pid=" "$TMP/spaced.ss")" = 20 ] && break
		sleep 0.05 && i=$((i + 1))
	done &&
	touch "$TMP/spaced.stop" && wait $c &&
	per=$(grep -o "pid=[0-9]*" "$TMP/spaced.ss" | sort | uniq -c | sort -n | tr -s " \n" "  ") &&
	echo "clients per worker: $per" &&
	test "$(grep -c . "$TMP/spaced.ss")" = 20 &&
	test "$(grep -o "pid=[0-9]*" "$TMP/spaced.ss" | sort -u | wc -l)" = 2 &&
	fewest=$(grep -o "pid=[0-9]*" "$TMP/spaced.ss" | sort | uniq -c | sort -n | head -1 | awk "{print \$1}") &&
	test "$fewest" -ge 7 &&
	stop_proxy
'

for w in 0 x 65 -1; do
	test_expect_code 100 "--workers $w is a usage error" '
		"$PG" proxy -l 127.0.0.1:8134 --workers $w --to tcp:127.0.0.1:8135 2>"$TMP/err"
		rc=$?; cat "$TMP/err"; grep -F -- "--workers" "$TMP/err" && exit $rc
	'
done

test_expect_code 100 'a udp listener with a stream backend is refused by name' '
	"$PG" proxy -l udp://127.0.0.1:8122 --to tcp:127.0.0.1:8123 2>"$TMP/err"; rc=$?
	cat "$TMP/err" && grep -F "tcp:127.0.0.1:8123" "$TMP/err" && exit $rc
'
mkdir -p "$TMP/bin" && ln -s "$PG" "$TMP/bin/launch_socket_server"
LSS=$TMP/bin/launch_socket_server

test_expect_code 1 'launch_socket_server without a program prints its usage' '
	"$LSS" 2>"$TMP/err"; rc=$?; grep "usage: .*launch_socket_server <program>" "$TMP/err"; exit $rc
'

test_expect_code 1 'launch_socket_server - without a backend says which variables to set' '
	env -u LAUNCH_PROGRAM_TCP_ADDRESS -u LAUNCH_PROGRAM_SOCKET_PATH "$LSS" - 2>"$TMP/err"; rc=$?
	grep -F "please set LAUNCH_PROGRAM_TCP_ADDRESS or LAUNCH_PROGRAM_SOCKET_PATH" "$TMP/err" &&
	exit $rc
'

test_expect_success 'launch_socket_server PROG: the socket named Socket, a private backend path' '
	"$PG" run -l 127.0.0.1:8301 --fdname Socket -- "$LSS" "$PY" "$TMP/lss.py" \
		2>"$TMP/lss1.log" &
	px_track $!
	wait_listen 8301 || exit 1
	out=$(curl -sS --max-time 20 http://127.0.0.1:8301/) && echo "$out" &&
	case $out in "Socket "*/portgate-proxy.??????/backend.sock) ;; *) exit 1 ;; esac &&
	test "$(stat -c %a "$(dirname "${out#Socket }")")" = 700
'

test_expect_success 'launch_socket_server: LAUNCH_DAEMON_SOCKET_NAME picks one of the named sockets' '
	LAUNCH_DAEMON_SOCKET_NAME=Web "$PG" run -l 127.0.0.1:8302 -l 127.0.0.1:8303 \
		--fdname Other:Web -- "$LSS" "$PY" "$TMP/lss.py" 2>"$TMP/lss2.log" &
	px_track $!
	wait_listen 8303 || exit 1
	out=$(curl -sS --max-time 20 http://127.0.0.1:8303/) && echo "$out" &&
	case $out in "Web "*) ;; *) exit 1 ;; esac &&
	! curl -sS --max-time 5 http://127.0.0.1:8302/
'

test_expect_code 111 'launch_socket_server: a socket name that was not passed is named' '
	LAUNCH_DAEMON_SOCKET_NAME=Nope "$PG" run -l 127.0.0.1:8304 --fdname Socket -- \
		"$LSS" "$PY" "$TMP/lss.py" 2>"$TMP/err"; rc=$?
	grep -F "no inherited socket is named '"'"'Nope'"'"'" "$TMP/err" && exit $rc
'

test_expect_success 'launch_socket_server -: an existing backend on LAUNCH_PROGRAM_TCP_ADDRESS' '
	LAUNCH_PROGRAM_TCP_ADDRESS=127.0.0.1:8306 "$PY" "$TMP/lss.py" &
	px_track $!
	wait_listen 8306 || exit 1
	LAUNCH_PROGRAM_TCP_ADDRESS=127.0.0.1:8306 "$PG" run -l 127.0.0.1:8305 --fdname Socket -- \
		"$LSS" - 2>"$TMP/lss3.log" &
	px_track $!
	wait_listen 8305 || exit 1
	test "$(curl -sS --max-time 20 http://127.0.0.1:8305/)" = "None 127.0.0.1:8306"
'

test_expect_success 'launch_socket_server as a user, PORTGATE_PROXY_PROTOCOL=v2 to nginx' '
	"$PG" run -u pgt-px-srv$SFX -E PORTGATE_PROXY_PROTOCOL=v2 -l 127.0.0.1:8307 --fdname Socket -- \
		"$LSS" env NGDIR="$NG" NGTMPL=pp "$NG/run.sh" 2>"$TMP/lss4.log" &
	px_track $!
	wait_listen 8307 || exit 1
	out=$(curl -sS --max-time 20 -w " %{local_port}" http://127.0.0.1:8307/) &&
	echo "$out" && set -- $out && test "$1" = "127.0.0.1:$2"
'
# TCP_NODELAY: set on the client's TCP socket and on a TCP backend, never tried on a UNIX
# one.  PROG is the client itself, so the proxy exits when it is done.
if command -v strace >/dev/null; then
	test_expect_success 'TCP_NODELAY on the client and a TCP backend, not on a UNIX backend' '
		"$PY" "$TMP/echo.py" "unix:$TMP/nd.sock" &
		px_track $!
		"$PY" "$TMP/echo.py" tcp:127.0.0.1:8331 &
		px_track $!
		wait_listen 8331 && i=0 &&
		while ! test -S "$TMP/nd.sock" && test $i -lt 200; do sleep 0.05; i=$((i + 1)); done &&
		want="$(sha256sum <"$TMP/req" | cut -d" " -f1) $(wc -c <"$TMP/req")" &&
		for to in "unix:$TMP/nd.sock" tcp:127.0.0.1:8331; do
			# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds).
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
				strace -f -qq -e trace=setsockopt -o "$TMP/nd.st" "$PG" proxy --workers 1 \
				-l 127.0.0.1:8330 --to "$to" -- \
				"$PY" "$TMP/client.py" 8330 --file "$TMP/req" >"$TMP/nd.out" &&
			grep "^$want " "$TMP/nd.out" &&
			n=$(grep -c TCP_NODELAY "$TMP/nd.st") &&
			case $to in unix:*) test "$n" = 1 ;; *) test "$n" = 2 ;; esac &&
			! grep -E "TCP_NODELAY.*= -1" "$TMP/nd.st" || { cat "$TMP/nd.st"; exit 1; }
		done
	'
else
	_pg_result 0 "TCP_NODELAY on the client and a TCP backend, not on a UNIX backend # SKIP needs strace"
fi

# --login-shell: a user with a real shell, whose profile sets a variable and puts ~/bin
# on PATH; PROG is found there and prints the variable and its arguments one per line.
make_user "pgt-px-login$SFX"
LHOME=$TMP/home-login
mkdir -p "$LHOME/bin" &&
	usermod -s /bin/sh -d "$LHOME" "pgt-px-login$SFX" &&
	cat >"$LHOME/.profile" <<'EOF2'
PGT_PROFILE="profile of $USER"
PATH="$HOME/bin:$PATH"
export PGT_PROFILE PATH
EOF2
cat >"$LHOME/bin/pgt-show" <<'EOF2'
#!/bin/sh
echo "profile=$PGT_PROFILE home=$HOME"
for a in "$@"; do printf '<%s>\n' "$a"; done
EOF2
chmod 755 "$LHOME/bin/pgt-show" && chown -R "pgt-px-login$SFX" "$LHOME"
# The arguments a shell string would mangle: spaces, quotes, $, ;, a glob, an empty one.
cat >"$TMP/login.want" <<EOF2
profile=profile of pgt-px-login$SFX home=$LHOME
<a b>
<it's "q">
<\$HOME;x>
<*>
<>
EOF2

test_expect_success '--login-shell: the profile runs, PROG gets its arguments verbatim' '
	"$PG" proxy -l 127.0.0.1:8320 --to tcp:127.0.0.1:8321 -u pgt-px-login$SFX --login-shell -- \
		pgt-show "a b" "it'"'"'s \"q\"" "\$HOME;x" "*" "" >"$TMP/login.out" &&
	diff "$TMP/login.want" "$TMP/login.out"
'

test_expect_success '  ... without --login-shell, no profile: pgt-show is not on PATH' '
	! "$PG" proxy -l 127.0.0.1:8322 --to tcp:127.0.0.1:8321 -u pgt-px-login$SFX -- \
		pgt-show 2>"$TMP/err" && grep -F "pgt-show" "$TMP/err"
'

test_expect_code 126 '--login-shell for a user whose shell is nologin is refused by name' '
	"$PG" proxy -l 127.0.0.1:8323 --to tcp:127.0.0.1:8321 -u pgt-px-srv$SFX --login-shell -- \
		true 2>"$TMP/err"; rc=$?
	grep -F "pgt-px-srv$SFX'"'"'s login shell is /usr/sbin/nologin" "$TMP/err" && exit $rc
'

test_expect_success 'launch_socket_server login_wrapper PROG: through the login shell' '
	"$PG" run -u pgt-px-login$SFX -l 127.0.0.1:8324 --fdname Socket -- "$LSS" \
		/usr/local/libexec/launch_socket_server/login_wrapper \
		pgt-show "a b" "it'"'"'s \"q\"" "\$HOME;x" "*" "" >"$TMP/login2.out" &&
	diff "$TMP/login.want" "$TMP/login2.out"
'

test_expect_success 'launch_socket_server with PORTGATE_LOGIN_SHELL=1: through the login shell' '
	"$PG" run -u pgt-px-login$SFX -E PORTGATE_LOGIN_SHELL=1 -l 127.0.0.1:8325 --fdname Socket -- \
		"$LSS" pgt-show "a b" "it'"'"'s \"q\"" "\$HOME;x" "*" "" >"$TMP/login3.out" &&
	diff "$TMP/login.want" "$TMP/login3.out"
'
px_reap
test_done
