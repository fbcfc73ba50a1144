#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0700-launchd.sh - portgate run --launchd and portgate proxy --launchd on Linux,
# through the launchd test double (src/portgate/launchd-double.c) served by
# tests/helpers/pg-launchd-double: several fds under one name, in order at fds
# 3.. with the name in LISTEN_FDNAMES; curl through the proxy to a python3
# http.server; an unknown name (ENOENT), a second take (EALREADY), no launchd
# at all (ESRCH) and a socket that does not listen ("port in use"); with
# --adopt, a server's own bind() takes launchd's sockets (v4 and v6), and under
# --keep a SIGHUP replacement is ready once the new one adopted both.
# Test bodies are single-quoted strings that the harness evals (SC2016, SC2034, SC2317).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-keep.sh
. "${0%/*}/lib-keep.sh"

CHECK=$HELPERS/pg-listen-check
DOUBLE=$HELPERS/pg-launchd-double
if ! [ -x "$PG" ] || ! [ -x "$CHECK" ] || ! [ -x "$DOUBLE" ]; then
	skip_all "needs $PG, $CHECK and $DOUBLE (make all-tests)"
fi
require_cmd curl
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "needs /usr/bin/python3"

export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=
mkdir -p "$TMP/etc" && : >"$TMP/etc/portgate.conf" && chmod -R a+rX "$TMP/etc"
unset PORTGATE_LAUNCHD_DOUBLE LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
OUT=$TMP/out
ERR=$TMP/err

# start_double SOCK NAME=SPEC...: launchd's part; returns once it listens on SOCK.
start_double() {
	_sock=$1
	shift
	"$DOUBLE" "$_sock" "$@" >"$_sock.out" 2>"$_sock.err" &
	track_pid $!
	_i=0
	until grep -qx ready "$_sock.out" 2>/dev/null; do
		_i=$((_i + 1))
		if [ "$_i" -gt 100 ]; then
			echo "Bail out! pg-launchd-double did not become ready:"
			sed 's/^/# /' "$_sock.err"
			exit 1
		fi
		sleep 0.1
	done
}

has() {
	grep -x -- "$1" "$OUT" >/dev/null || { echo "missing line: $1"; cat "$OUT"; return 1; }
}
err_has() {
	grep -F -- "$1" "$ERR" >/dev/null || { echo "stderr lacks: $1"; cat "$ERR"; return 1; }
}

D1=$TMP/launchd1.sock
start_double "$D1" "Listeners=tcp://127.0.0.1:8080,tcp://[::1]:8080" \
	"Dns=udp://127.0.0.1:8053" "Busy=tcp-bound://127.0.0.1:8090"

# --- portgate run --launchd ----------------------------------------------------

test_expect_success 'run --launchd: two fds under one name (v4, v6) at fds 3 and 4, named' '
	PORTGATE_LAUNCHD_DOUBLE=$D1 "$PG" run --launchd Listeners -- "$CHECK" >"$OUT" &&
	has "listen_fds=2" &&
	has "fd=3 name=Listeners family=inet type=stream addr=127.0.0.1 port=8080 listening=1 v6only=- cloexec=1" &&
	has "fd=4 name=Listeners family=inet6 type=stream addr=::1 port=8080 listening=1 v6only=1 cloexec=1" &&
	has "env=LISTEN_FDNAMES=Listeners:Listeners" &&
	has "other_fds=0"
'

test_expect_success 'run --launchd: a bound UDP socket, and -l sockets after it' '
	PORTGATE_LAUNCHD_DOUBLE=$D1 "$PG" run --launchd Dns -l tcp://127.0.0.1:8081 -- "$CHECK" >"$OUT" &&
	has "listen_fds=2" &&
	has "fd=3 name=Dns family=inet type=dgram addr=127.0.0.1 port=8053 listening=0 v6only=- cloexec=1" &&
	has "fd=4 name=unknown family=inet type=stream addr=127.0.0.1 port=8081 listening=1 v6only=- cloexec=1" &&
	has "env=LISTEN_FDNAMES=Dns:unknown" &&
	has "other_fds=0"
'

test_expect_success 'run --launchd: a second take of a name is EALREADY, exit 111' '
	{ PORTGATE_LAUNCHD_DOUBLE=$D1 "$PG" run --launchd Listeners -- "$CHECK" >"$OUT" 2>"$ERR"; test $? = 111; } &&
	err_has "run: the sockets of '"'"'Listeners'"'"' were already taken"
'

test_expect_success 'run --launchd: an unknown name is ENOENT, named, exit 111' '
	{ PORTGATE_LAUNCHD_DOUBLE=$D1 "$PG" run --launchd Nope -- "$CHECK" >"$OUT" 2>"$ERR"; test $? = 111; } &&
	err_has "run: launchd has no socket named '"'"'Nope'"'"' in this job'"'"'s Sockets"
'

test_expect_success 'run --launchd: not started by launchd is ESRCH, exit 111' '
	{ "$PG" run --launchd Listeners -- "$CHECK" >"$OUT" 2>"$ERR"; test $? = 111; } &&
	err_has "run: --launchd '"'"'Listeners'"'"': not started by launchd (launchctl), so there are no launchd sockets"
'

test_expect_success 'run --launchd: a TCP socket that does not listen is "port in use"' '
	{ PORTGATE_LAUNCHD_DOUBLE=$D1 "$PG" run --launchd Busy -- "$CHECK" >"$OUT" 2>"$ERR"; test $? = 111; } &&
	err_has "run: launchd socket '"'"'Busy'"'"' (1 of 1) is a TCP socket that is not listening: the port is probably in use"
'

test_expect_code 100 'run --launchd: a name with ":" is a usage error' '
	PORTGATE_LAUNCHD_DOUBLE=$D1 "$PG" run --launchd a:b -- "$CHECK"
'

# --- portgate run --launchd --adopt (issue 13, item 3's logic on Linux) -----------

# A server that knows nothing of launchd: it binds 127.0.0.1:PORT and
# [::1]:PORT itself and listens.  "check": prints, for each, whether its
# socket is now launchd's (the inode of fd 3, fd 4) and its own fd number,
# and whether any LISTEN_ variable came; else it serves HTTP/1.0 on both,
# answering with its pid, until SIGTERM.
cat >"$TMP/adopt-serve.py" <<'EOF'
import os, select, signal, socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
a = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
fa, fb = a.fileno(), b.fileno()
a.bind(("127.0.0.1", port)); a.listen(16)
b.bind(("::1", port)); b.listen(16)
if mode == "check":
    for s, held, fd in ((a, 3, fa), (b, 4, fb)):
        same = os.fstat(s.fileno()).st_ino == os.fstat(held).st_ino
        print("%s ino=%s fd=%s" % (s.getsockname()[0], "same" if same else "other",
                                   "same" if s.fileno() == fd else "other"))
    print("listen_vars=%d" % sum(k.startswith("LISTEN_") for k in os.environ))
    sys.exit(0)
signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
body = ("%d\n" % os.getpid()).encode()
reply = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
for s in (a, b):
    s.setblocking(False)
while True:
    for s in select.select([a, b], [], [], 1)[0]:
        try:
            c, _ = s.accept()
        except BlockingIOError:
            continue
        with c:
            c.setblocking(True)
            c.settimeout(10)
            try:
                c.recv(4096)
                c.sendall(reply)
            except OSError:
                pass
EOF
chmod a+r "$TMP/adopt-serve.py"
D4=$TMP/launchd4.sock
start_double "$D4" "Adopt=tcp://127.0.0.1:8070,tcp://[::1]:8070" \
	"Kept=tcp://127.0.0.1:8071,tcp://[::1]:8071"

test_expect_success 'run --launchd --adopt: the server'"'"'s own binds take launchd'"'"'s sockets (v4, v6), no LISTEN_*' '
	PORTGATE_LAUNCHD_DOUBLE=$D4 "$PG" run --launchd Adopt --adopt -- "$PY" "$TMP/adopt-serve.py" 8070 check >"$OUT" &&
	has "127.0.0.1 ino=same fd=same" && has "::1 ino=same fd=same" && has "listen_vars=0"
'

test_expect_success 'run --launchd --adopt --keep: a SIGHUP replacement is ready once both are adopted; both serve' '
	PORTGATE_LAUNCHD_DOUBLE=$D4 "$PG" run --launchd Kept --adopt --keep --ready-timeout 20 -- \
		"$PY" "$TMP/adopt-serve.py" 8071 serve >"$TMP/lk.out" 2>"$TMP/lk.log" &
	k=$! && track_pid $k &&
	j=0 && until old=$(curl -sS -m 5 http://127.0.0.1:8071/ 2>/dev/null); do
		[ $j -ge 100 ] && exit 1; sleep 0.1; j=$((j + 1)); done &&
	kill -HUP $k &&
	wait_lines 1 "is ready (adopted and listening on 2 of 2 sockets); stopping the old pid $old" "$TMP/lk.log" &&
	wait_lines 1 "stopped PROG pid $old" "$TMP/lk.log" &&
	new4=$(curl -sS -m 5 http://127.0.0.1:8071/) && new6=$(curl -sS -m 5 "http://[::1]:8071/") &&
	echo "old $old, new $new4 (v4) $new6 (v6)" && test "$new4" = "$new6" && test "$new4" != "$old" &&
	kill -TERM $k && i=0 && while kill -0 $k 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	! kill -0 $k 2>/dev/null
'

# --- portgate proxy --launchd --------------------------------------------------

D2=$TMP/launchd2.sock
start_double "$D2" "Listeners=tcp://127.0.0.1:80,tcp://[::1]:80" \
	"Busy=tcp-bound://127.0.0.1:8091"
mkdir -p "$TMP/www" && echo "hello from launchd" >"$TMP/www/index.html"
"$PY" -m http.server --bind 127.0.0.1 --directory "$TMP/www" 8000 >"$TMP/http.log" 2>&1 &
track_pid $!

PORTGATE_LAUNCHD_DOUBLE=$D2 "$PG" proxy --launchd Listeners --to tcp:127.0.0.1:8000 \
	2>"$TMP/proxy.err" &
PROXY_PID=$!
track_pid "$PROXY_PID"

test_expect_success 'proxy --launchd: curl on both launchd sockets reaches http.server' '
	test "$(curl -sS --max-time 20 --retry 50 --retry-delay 0 --retry-all-errors \
		http://127.0.0.1:80/)" = "hello from launchd" &&
	test "$(curl -sS --max-time 20 "http://[::1]:80/")" = "hello from launchd"
'

test_expect_success 'proxy --launchd: a second take is EALREADY, exit 111' '
	{ PORTGATE_LAUNCHD_DOUBLE=$D2 "$PG" proxy --launchd Listeners --to tcp:127.0.0.1:8000 2>"$ERR"; test $? = 111; } &&
	err_has "proxy: the sockets of '"'"'Listeners'"'"' were already taken"
'

test_expect_success 'proxy --launchd: an unknown name is ENOENT, named, exit 111' '
	{ PORTGATE_LAUNCHD_DOUBLE=$D2 "$PG" proxy --launchd Web --to tcp:127.0.0.1:8000 2>"$ERR"; test $? = 111; } &&
	err_has "proxy: launchd has no socket named '"'"'Web'"'"' in this job'"'"'s Sockets"
'

test_expect_success 'proxy --launchd: not started by launchd is ESRCH, exit 111' '
	{ "$PG" proxy --launchd Listeners --to tcp:127.0.0.1:8000 2>"$ERR"; test $? = 111; } &&
	err_has "proxy: --launchd '"'"'Listeners'"'"': not started by launchd (launchctl), so there are no launchd sockets"
'

test_expect_success 'proxy --launchd: a TCP socket that does not listen is "port in use"' '
	{ PORTGATE_LAUNCHD_DOUBLE=$D2 "$PG" proxy --launchd Busy --to tcp:127.0.0.1:8000 2>"$ERR"; test $? = 111; } &&
	err_has "proxy: launchd socket '"'"'Busy'"'"' (1 of 1) is a TCP socket that is not listening: the port is probably in use"
'

test_expect_code 100 'proxy: --launchd and -l together are a usage error' '
	"$PG" proxy --launchd Listeners -l :8085 --to tcp:127.0.0.1:8000
'

test_expect_success 'proxy --launchd: still serving after the failed takes' '
	kill -0 "$PROXY_PID" &&
	test "$(curl -sS --max-time 20 http://127.0.0.1:80/)" = "hello from launchd"
'

# --- the launch_socket_server drop-in without LISTEN_FDS: launchd's sockets ------

D3=$TMP/launchd3.sock
start_double "$D3" "Socket=tcp://127.0.0.1:81" "Web=tcp://127.0.0.1:82"
mkdir -p "$TMP/bin" && ln -s "$PG" "$TMP/bin/launch_socket_server"
LSS=$TMP/bin/launch_socket_server

test_expect_success 'launch_socket_server -: launchd'"'"'s Socket, as the original takes it' '
	PORTGATE_LAUNCHD_DOUBLE=$D3 LAUNCH_PROGRAM_TCP_ADDRESS=127.0.0.1:8000 "$LSS" - \
		2>"$TMP/lss1.err" &
	track_pid $! &&
	test "$(curl -sS --max-time 5 --retry 50 --retry-delay 0 --retry-max-time 15 --retry-all-errors \
		http://127.0.0.1:81/)" = "hello from launchd"
'
test_expect_success '  ... LAUNCH_DAEMON_SOCKET_NAME names another' '
	PORTGATE_LAUNCHD_DOUBLE=$D3 LAUNCH_DAEMON_SOCKET_NAME=Web \
		LAUNCH_PROGRAM_TCP_ADDRESS=127.0.0.1:8000 "$LSS" - 2>"$TMP/lss2.err" &
	track_pid $! &&
	test "$(curl -sS --max-time 5 --retry 50 --retry-delay 0 --retry-max-time 15 --retry-all-errors \
		http://127.0.0.1:82/)" = "hello from launchd"
'
test_expect_success '  ... not started by launchd (nor socket-activated) is ESRCH, exit 111' '
	{ LAUNCH_PROGRAM_TCP_ADDRESS=127.0.0.1:8000 "$LSS" - 2>"$ERR"; test $? = 111; } &&
	err_has "proxy: --launchd '"'"'Socket'"'"': not started by launchd (launchctl), so there are no launchd sockets"
'

test_done
