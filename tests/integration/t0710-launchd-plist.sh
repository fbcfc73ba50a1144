#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0710-launchd-plist.sh - the plist a user would install, end to end on Linux:
# `portgate unit launchd` writes it, tests/helpers/pg-launchd-standin plays
# launchd (binds its Sockets as root, starts ProgramArguments as UserName with
# EnvironmentVariables, WorkingDirectory, StandardOutPath/StandardErrorPath,
# and serves the sockets by name through the launchd test double), and
# `portgate run --launchd`, `portgate proxy --launchd` and the
# launch_socket_server drop-in (the installed symlink) take them unchanged:
# curl reaches a server on 127.0.0.1:80 run as a pgt user, a proxy to a UNIX
# backend, the drop-in to TCP and UNIX backends, SockPathName sockets; and the
# bad input of issue 12 (a socket name the plist lacks, one the drop-in is told,
# a job launchd did not start, a name taken twice, a port in use) each with its
# message, plus the stand-in's own (no plist, not a plist, --timeout).
# Test bodies are single-quoted strings that the harness evals (SC2016, SC2034, SC2317).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

STANDIN=$HELPERS/pg-launchd-standin
CHECK=$HELPERS/pg-listen-check
if ! [ -x "$PG" ] || ! [ -x "$CHECK" ] || ! [ -x "$STANDIN" ]; then
	skip_all "needs $PG, $CHECK and $STANDIN (make all-tests)"
fi
require_cmd curl
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "needs /usr/bin/python3"

export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=
mkdir -p "$TMP/etc" && : >"$TMP/etc/portgate.conf" && chmod -R a+rX "$TMP/etc"
unset PORTGATE_LAUNCHD_DOUBLE LISTEN_FDS LISTEN_PID LISTEN_FDNAMES LAUNCH_DAEMON_SOCKET_NAME \
	LAUNCH_PROGRAM_TCP_ADDRESS LAUNCH_PROGRAM_SOCKET_PATH

WEB=pgt-web$SFX
make_user "$WEB"
WEB_UID=$(id -u "$WEB")

# portgate as make install lays it out: launch_socket_server in ../sbin.
mkdir -p "$STAGE/usr/bin" "$STAGE/usr/sbin"
cp -p "$PG" "$STAGE/usr/bin/portgate"
ln -s ../bin/portgate "$STAGE/usr/sbin/launch_socket_server"
chmod -R a+rX "$STAGE/usr"
PGI=$STAGE/usr/bin/portgate

# W: plists, logs and scripts (root's); WU: the web user's own folder.
W=$TMP/w
WU=$TMP/wu
mkdir -p "$W/wd" "$WU" && chmod 755 "$W" "$W/wd" && chown "$WEB" "$WU"
U="$PGI unit launchd --daemon -u $WEB"
OUT=$TMP/out
ERR=$TMP/err

# A one-page HTTP server: on fd 3 (LISTEN_FDS), or on unix:PATH, tcp:PORT or
# env (LAUNCH_PROGRAM_SOCKET_PATH) it binds itself; the page is BODY.
cat >"$W/srv.py" <<'EOF'
import os, socket, sys
where, body = sys.argv[1], sys.argv[2].encode()
if where == "fd3":
    s = socket.socket(fileno=3)
elif where == "env" or where.startswith("unix:"):
    path = os.environ["LAUNCH_PROGRAM_SOCKET_PATH"] if where == "env" else where[5:]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(16)
else:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(where[4:])))
    s.listen(16)
print("serving uid=%d" % os.getuid(), flush=True)
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    c.close()
EOF
chmod 644 "$W/srv.py"

# standin_bg PLIST: the stand-in in the background; its pid in PLIST.pid, its
# status in PLIST.rc once it ends.
standin_bg() {
	{
		"$STANDIN" --timeout 120 "$1" >"$1.standin" 2>&1 &
		echo $! >"$1.pid"
		wait $!
		echo $? >"$1.rc"
	} &
	track_pid $!
	until [ -s "$1.pid" ]; do sleep 0.01; done
	track_pid "$(cat "$1.pid")"
}
# get URL [CURL-ARGS...]: the page, retried while the job starts (at most ~15 s).
get() {
	curl -sS --max-time 5 --retry 50 --retry-delay 0 --retry-max-time 15 --retry-all-errors "$@"
}
# stop_standin PLIST: TERM the stand-in of PLIST and wait for it (10 s at
# most); print its status: the job's (143 for a job that dies of the TERM, 0
# for portgate proxy, which drains and exits).
stop_standin() {
	kill "$(cat "$1.pid")" || return 1
	_i=0
	while [ ! -s "$1.rc" ] && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	cat "$1.rc"
}
has() {
	grep -x -- "$1" "$2" >/dev/null || { echo "$2 lacks the line: $1"; cat "$2"; return 1; }
}
err_has() {
	grep -F -- "$1" "$2" >/dev/null || { echo "$2 lacks: $1"; cat "$2"; return 1; }
}

# --- portgate run --launchd ---------------------------------------------------

test_expect_success 'run --launchd: the sockets of the plist, bound as root, reach a pgt user' '
	$U --label t.check -l 127.0.0.1:80 -l "[::1]:80" -l udp://127.0.0.1:53 \
		-l "unix:$W/check.sock" --fdname web:web:dns:local \
		--stdout "$W/check.out" --stderr "$W/check.err" -- "$CHECK" >"$W/check.plist" &&
	"$STANDIN" "$W/check.plist" &&
	has "listen_fds=4" "$W/check.out" &&
	has "fd=3 name=web family=inet type=stream addr=127.0.0.1 port=80 listening=1 v6only=- cloexec=1" "$W/check.out" &&
	has "fd=4 name=web family=inet6 type=stream addr=::1 port=80 listening=1 v6only=1 cloexec=1" "$W/check.out" &&
	has "fd=5 name=dns family=inet type=dgram addr=127.0.0.1 port=53 listening=0 v6only=- cloexec=1" "$W/check.out" &&
	grep "^fd=6 name=local family=unix type=stream .*listening=1" "$W/check.out" &&
	has "env=LISTEN_FDNAMES=web:web:dns:local" "$W/check.out" &&
	has "uid=$WEB_UID,$WEB_UID,$WEB_UID" "$W/check.out" &&
	has "other_fds=0" "$W/check.out"
'
test_expect_success '  ... the SockPathName socket is removed when the job ends' '
	grep -x "      <string>$W/check.sock</string>" "$W/check.plist" &&
	! test -e "$W/check.sock"
'

# HOOK (issue 12 item 2): once portgate_listen_fds() takes launchd's sockets
# (the macOS port's listen-fds code, through the test double on Linux), a plist
# whose ProgramArguments start $CHECK itself must list these sockets; change
# this case to expect them.  Today the library reads only LISTEN_FDS.
test_expect_success 'portgate_listen_fds() in a job the stand-in started: none yet (the hook)' '
	$PY -c "import plistlib, sys
p = plistlib.load(open(sys.argv[1], \"rb\"))
p[\"ProgramArguments\"] = [sys.argv[2]]
p[\"StandardOutPath\"] = sys.argv[3]
plistlib.dump(p, open(sys.argv[4], \"wb\"))" "$W/check.plist" "$CHECK" "$W/lib.out" "$W/lib.plist" &&
	"$STANDIN" "$W/lib.plist" &&
	has "listen_fds=0" "$W/lib.out"
'

test_expect_success 'run --launchd: curl gets the page of a server on 127.0.0.1:80 run as a pgt user' '
	$U --label t.web -l 127.0.0.1:80 --stdout "$W/web.out" --stderr "$W/web.err" \
		-- "$PY" "$W/srv.py" fd3 "hello from the plist" >"$W/web.plist" &&
	standin_bg "$W/web.plist" &&
	test "$(get http://127.0.0.1:80/)" = "hello from the plist" &&
	has "serving uid=$WEB_UID" "$W/web.out"
'
test_expect_success '  ... TERM to the stand-in ends the job; its status is the job'"'"'s (143)' '
	test "$(stop_standin "$W/web.plist")" = 143
'

test_expect_success 'EnvironmentVariables, WorkingDirectory, StandardOutPath, StandardErrorPath' '
	$U --label t.env -l 127.0.0.1:84 --env "GREETING=a b&c<d>" --env EMPTY= --chdir "$W/wd" \
		--stdout "$W/env.out" --stderr "$W/env.err" \
		-- /bin/sh -c "pwd; echo \"greeting=\$GREETING\" >&2; exec \"\$0\"" "$CHECK" \
		>"$W/env.plist" &&
	"$STANDIN" "$W/env.plist" &&
	test "$(head -n 1 "$W/env.out")" = "$W/wd" &&
	has "env=GREETING=a b&c<d>" "$W/env.out" &&
	has "env=EMPTY=" "$W/env.out" &&
	has "env=USER=$WEB" "$W/env.out" &&
	has "greeting=a b&c<d>" "$W/env.err" &&
	test "$(stat -c %U "$W/env.out")" = "$WEB"
'

# --- portgate proxy --launchd ---------------------------------------------------

as_user "$WEB" "$PY" "$W/srv.py" "unix:$WU/backend.sock" "hello from the unix backend" \
	>"$W/ub.out" 2>&1 &
track_pid $!
as_user "$WEB" "$PY" "$W/srv.py" tcp:8001 "hello from the tcp backend" >"$W/tb.out" 2>&1 &
track_pid $!

test_expect_success 'proxy --launchd NAME --to unix:PATH: curl on 127.0.0.1:81 reaches the backend' '
	$U --label t.proxy --proxy --to "unix:$WU/backend.sock" -l 127.0.0.1:81 -l "[::1]:81" \
		--fdname http:http --stdout "$W/proxy.out" --stderr "$W/proxy.err" >"$W/proxy.plist" &&
	standin_bg "$W/proxy.plist" &&
	test "$(get http://127.0.0.1:81/)" = "hello from the unix backend" &&
	test "$(get "http://[::1]:81/")" = "hello from the unix backend" &&
	test "$(stop_standin "$W/proxy.plist")" = 0
'

test_expect_success 'SockPathName with SockPathMode: the proxy accepts on a UNIX socket launchd made' '
	$U --label t.front --proxy --to tcp:127.0.0.1:8001 -l "unix:$W/front.sock" \
		--socket-mode 0666 --stdout "$W/front.out" --stderr "$W/front.err" >"$W/front.plist" &&
	standin_bg "$W/front.plist" &&
	test "$(get --unix-socket "$W/front.sock" http://x/)" = "hello from the tcp backend" &&
	test "$(stat -c "%a %U" "$W/front.sock")" = "666 root" &&
	test "$(stop_standin "$W/front.plist")" = 0
'

# --- the launch_socket_server drop-in ---------------------------------------------

test_expect_success 'launch_socket_server - (the README plist): to a TCP backend' '
	$U --label t.lss1 --launch-socket-server --to tcp:127.0.0.1:8001 -l 127.0.0.1:82 \
		--stdout "$W/lss1.out" --stderr "$W/lss1.err" >"$W/lss1.plist" &&
	grep -F "<string>$STAGE/usr/sbin/launch_socket_server</string>" "$W/lss1.plist" &&
	standin_bg "$W/lss1.plist" &&
	test "$(get http://127.0.0.1:82/)" = "hello from the tcp backend" &&
	test "$(stop_standin "$W/lss1.plist")" = 0
'
test_expect_success '  ... to a UNIX backend, the socket named by LAUNCH_DAEMON_SOCKET_NAME' '
	$U --label t.lss2 --launch-socket-server --to "unix:$WU/backend.sock" -l 127.0.0.1:83 \
		--fdname Web --stdout "$W/lss2.out" --stderr "$W/lss2.err" >"$W/lss2.plist" &&
	grep -x "    <key>LAUNCH_DAEMON_SOCKET_NAME</key>" "$W/lss2.plist" &&
	standin_bg "$W/lss2.plist" &&
	test "$(get http://127.0.0.1:83/)" = "hello from the unix backend" &&
	test "$(stop_standin "$W/lss2.plist")" = 0
'
test_expect_success '  ... PROG on the private socket it is told (LAUNCH_PROGRAM_SOCKET_PATH)' '
	$U --label t.lss3 --launch-socket-server -l 127.0.0.1:86 \
		--stdout "$W/lss3.out" --stderr "$W/lss3.err" \
		-- "$PY" "$W/srv.py" env "hello from PROG" >"$W/lss3.plist" &&
	standin_bg "$W/lss3.plist" &&
	test "$(get http://127.0.0.1:86/)" = "hello from PROG" &&
	has "serving uid=$WEB_UID" "$W/lss3.out"
'

# --- bad input: each its own message ----------------------------------------------

# edit PLIST OUT EXPR: OUT is PLIST after the Python statement EXPR on p.
edit() {
	$PY -c "import plistlib, sys
p = plistlib.load(open(sys.argv[1], \"rb\"))
exec(sys.argv[3])
plistlib.dump(p, open(sys.argv[2], \"wb\"))" "$@"
}

test_expect_success 'a socket name the plist does not have (Sockets edited): ENOENT, exit 111' '
	edit "$W/check.plist" "$W/bad1.plist" "p[\"Sockets\"][\"http\"] = p[\"Sockets\"].pop(\"web\")
p[\"StandardErrorPath\"] = \"$W/bad1.err\"" &&
	{ "$STANDIN" "$W/bad1.plist"; test $? = 111; } &&
	err_has "run: launchd has no socket named '"'"'web'"'"' in this job'"'"'s Sockets" "$W/bad1.err"
'
test_expect_success 'the drop-in told a socket name the plist lacks: ENOENT, exit 111' '
	edit "$W/lss1.plist" "$W/bad2.plist" "p[\"EnvironmentVariables\"][\"LAUNCH_DAEMON_SOCKET_NAME\"] = \"Other\"
p[\"StandardErrorPath\"] = \"$W/bad2.err\"" &&
	{ "$STANDIN" "$W/bad2.plist"; test $? = 111; } &&
	err_has "proxy: launchd has no socket named '"'"'Other'"'"' in this job'"'"'s Sockets" "$W/bad2.err"
'
test_expect_success 'the job started without launchd: ESRCH, exit 111' '
	{ as_user "$WEB" $PY -c "import os, plistlib, sys
a = plistlib.load(open(sys.argv[1], \"rb\"))[\"ProgramArguments\"]
os.execv(a[0], a)" "$W/check.plist" 2>"$ERR"; test $? = 111; } &&
	err_has "run: --launchd '"'"'web'"'"': not started by launchd (launchctl), so there are no launchd sockets" "$ERR"
'
test_expect_success 'a name taken twice (a job that asks again): EALREADY, exit 111' '
	$U --label t.twice -l 127.0.0.1:87 --fdname web --stderr "$W/twice.err" --stdout "$W/twice.out" \
		-- "$PGI" run --launchd web -- "$CHECK" >"$W/twice.plist" &&
	{ "$STANDIN" "$W/twice.plist"; test $? = 111; } &&
	err_has "run: the sockets of '"'"'web'"'"' were already taken" "$W/twice.err"
'

$PY -c 'import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 85))
s.listen(1)
print("ready", flush=True)
time.sleep(120)' >"$W/busy.out" 2>&1 &
track_pid $!
_i=0
until grep -qx ready "$W/busy.out" 2>/dev/null || [ $_i -gt 100 ]; do
	sleep 0.1
	_i=$((_i + 1))
done

test_expect_success 'a port another process holds: the socket does not listen, "port in use", exit 111' '
	$U --label t.busy -l 127.0.0.1:85 --stderr "$W/busy.err" --stdout "$W/busy.job" \
		-- "$CHECK" >"$W/busy.plist" &&
	{ "$STANDIN" "$W/busy.plist" 2>"$ERR"; test $? = 111; } &&
	err_has "handing over a socket that does not listen, as launchd does" "$ERR" &&
	err_has "run: launchd socket '"'"'Listeners'"'"' (1 of 1) is a TCP socket that is not listening: the port is probably in use" "$W/busy.err"
'
test_expect_success '  ... the drop-in says the same' '
	edit "$W/lss1.plist" "$W/busy2.plist" "p[\"Sockets\"][\"Socket\"][\"SockServiceName\"] = \"85\"
p[\"StandardErrorPath\"] = \"$W/busy2.err\"" &&
	{ "$STANDIN" "$W/busy2.plist" 2>/dev/null; test $? = 111; } &&
	err_has "proxy: launchd socket '"'"'Socket'"'"' (1 of 1) is a TCP socket that is not listening: the port is probably in use" "$W/busy2.err"
'

test_expect_success 'the stand-in: a plist that does not exist, exit 3' '
	{ "$STANDIN" "$W/nope.plist" 2>"$ERR"; test $? = 3; } &&
	err_has "cannot read plist '"'"'$W/nope.plist'"'"': No such file or directory" "$ERR"
'
test_expect_success '  ... a file that is not a plist, exit 3' '
	echo "<plist><dict>" >"$W/broken.plist" &&
	{ "$STANDIN" "$W/broken.plist" 2>"$ERR"; test $? = 3; } &&
	err_has "is not a property list" "$ERR"
'
test_expect_success '  ... a job that outlives --timeout is ended: exit 124, in seconds' '
	$U --label t.sleep -l 127.0.0.1:88 -- /bin/sleep 100 >"$W/sleep.plist" &&
	edit "$W/sleep.plist" "$W/sleep.plist" "p[\"StandardOutPath\"] = p[\"StandardErrorPath\"] = \"/dev/null\"" &&
	start=$(date +%s) &&
	{ "$STANDIN" --timeout 1 "$W/sleep.plist" 2>"$ERR"; test $? = 124; } &&
	test $(($(date +%s) - start)) -lt 10 &&
	err_has "the job outlived --timeout 1 s" "$ERR"
'

test_done
