#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0420-adopt.sh - portgate run --adopt: root binds, PROG runs as a pgt user
# with the shim preloaded, and PROG's own socket() + bind() on a held address
# gets the held socket (the same inode as fd 3..), keeping its fd number,
# close-on-exec and O_NONBLOCK; IPv4, IPv6, dual-stack, UDP, two listeners,
# bind-close-bind, fork after adopt, a bind that matches nothing (EACCES as
# without the shim).  Unmodified servers: python's http.server, Debian's
# nginx (its usual "listen 127.0.0.1:80;") and lighttpd ("server.port = 80"),
# as an ordinary user on port 80.  nginx kept by --keep --adopt: ready
# (--ready=adopt) only after the new master adopted and listened (log order),
# a new PROG that binds nothing times out and the old one serves; under 4
# clients' load and mallory's bind loop on port 80 (opened to every user from
# there on), 20 SIGHUP replacements refuse and fail nothing, 5 kill -9 of the
# master refuse nothing (the workers it leaves are stopped), and the loop
# never gets the port.  --ready=adopt with a UDP socket beside a TCP one: 2
# of 2 is ready, a PROG that binds only the TCP one times out.  No kernel path
# and no portgated here: without --adopt the same binds are refused.
# Test bodies are single-quoted strings that the harness evals (SC2016,
# SC2034, SC2317).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib-keep.sh
. "${0%/*}/lib-keep.sh"

[ -x "$PG" ] || skip_all "needs $PG (make)"
require_cmd curl setpriv
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3"
PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
LIGHTTPD=/usr/sbin/lighttpd

make_user "pgt-alice$SFX"
make_user "pgt-mallory$SFX"
mkdir -p "$TMP/etc" "$TMP/www"
: >"$TMP/etc/portgate.conf"
echo "adopted page" >"$TMP/www/index.html"
chmod -R a+rX "$TMP/etc" "$TMP/www"
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=
# No portgated: a bind the shim does not adopt stays refused.
export PORTGATE_SOCKET="$TMP/no-portgated.sock"
ALICE=pgt-alice$SFX

# The probe: binds as told and prints what it got.  Modes:
#   tcp HOST PORT [inherit|block]   bind, listen; "ino=same fd=same cloexec=N nonblock=N name=H:P"
#   udp HOST PORT                   bind, then receive one datagram sent to itself
#   two                             127.0.0.1:80 and :443, each the same inode as fd 3 / fd 4
#   rebind                          bind, close, bind a new socket again: both fd 3's inode
#   fork                            bind, fork; the child answers three HTTP requests
#   nomatch                         bind 127.0.0.1:81: prints the error
cat >"$TMP/probe.py" <<'EOF'
import os, socket, sys, fcntl
def ino(fd):
    return os.fstat(fd).st_ino
def report(s, held=3):
    fd = s.fileno()
    h, p = s.getsockname()[:2]
    print("ino=%s cloexec=%d nonblock=%d name=%s:%d" % (
        "same" if ino(fd) == ino(held) else "other",
        bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC),
        bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK), h, p))
mode = sys.argv[1]
if mode == "tcp":
    host, port = sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if fam == socket.AF_INET6 and host == "::":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    before = s.fileno()
    if sys.argv[4:] == ["inherit"]:
        os.set_inheritable(before, True)
    else:
        s.setblocking(False)
    s.bind((host, port))
    s.listen(8)
    print("fd=%s" % ("same" if s.fileno() == before else "other"))
    report(s)
elif mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    report(s)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.sendto(b"ping", s.getsockname())
    s.settimeout(10)
    print("got=%s" % s.recv(16).decode())
elif mode == "two":
    a = socket.socket(); a.bind(("127.0.0.1", 80)); a.listen(8)
    b = socket.socket(); b.bind(("127.0.0.1", 443)); b.listen(8)
    report(a, 3); report(b, 4)
elif mode == "rebind":
    a = socket.socket(); a.bind(("127.0.0.1", 80)); a.listen(8); report(a); a.close()
    b = socket.socket(); b.bind(("127.0.0.1", 80)); b.listen(8); report(b)
elif mode == "fork":
    s = socket.socket(); s.bind(("127.0.0.1", 80)); s.listen(8)
    print("listening", flush=True)
    pid = os.fork()
    if pid == 0:
        print("child=%d" % os.getpid(), flush=True)
        for _ in range(3):
            c, _ = s.accept()
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nchild\n")
            c.close()
        os._exit(0)
    s.close()
    os.waitpid(pid, 0)
elif mode == "nomatch":
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 81))
        print("bound 81")
    except OSError as e:
        print("error=%s" % os.strerror(e.errno))
EOF
chmod a+r "$TMP/probe.py"

# adopt ARGS... -- MODE...: the probe as alice, adopting the -l sockets in ARGS.
adopt() {
	_args=""
	while [ "$1" != -- ]; do
		_args="$_args $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	"$PG" run --adopt -u "$ALICE" $_args -- "$PY" "$TMP/probe.py" "$@"
}
# stop SIG PID: send SIG, then wait until PID has ended (at most 10 s): the port is free then.
stop() {
	kill "-$1" "$2" 2>/dev/null
	_i=0
	while kill -0 "$2" 2>/dev/null && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# wait_http PORT: until something answers on 127.0.0.1:PORT (at most 20 s).
wait_http() {
	_i=0
	until curl -s -o /dev/null -m 2 "http://127.0.0.1:$1/"; do
		[ "$_i" -ge 100 ] && { echo "nothing answers on port $1"; return 1; }
		sleep 0.2
		_i=$((_i + 1))
	done
}

test_expect_success 'IPv4: the program bound the held socket, its fd number and flags kept' '
	adopt -l tcp://127.0.0.1:80 -- tcp 127.0.0.1 80 >"$TMP/out" && cat "$TMP/out" &&
	grep -x "fd=same" "$TMP/out" &&
	grep -x "ino=same cloexec=1 nonblock=1 name=127.0.0.1:80" "$TMP/out"
'
test_expect_success '  ... a blocking, inheritable socket stays blocking and inheritable' '
	adopt -l tcp://127.0.0.1:80 -- tcp 127.0.0.1 80 inherit >"$TMP/out" && cat "$TMP/out" &&
	grep -x "ino=same cloexec=0 nonblock=0 name=127.0.0.1:80" "$TMP/out"
'
test_expect_success 'without --adopt the same bind is refused (no kernel path, no portgated)' '
	"$PG" run -u "$ALICE" -l tcp://127.0.0.1:80 -- "$PY" "$TMP/probe.py" nomatch >/dev/null &&
	! setpriv --reuid "$ALICE" --regid "$ALICE" --clear-groups "$PY" "$TMP/probe.py" tcp 127.0.0.1 80 2>"$TMP/err" &&
	grep "Permission denied" "$TMP/err"
'
test_expect_success 'IPv6 [::1]' '
	adopt -l "tcp://[::1]:80" -- tcp ::1 80 >"$TMP/out" && cat "$TMP/out" &&
	grep -x "ino=same cloexec=1 nonblock=1 name=::1:80" "$TMP/out"
'
test_expect_success 'dual-stack: * is a dual-stack [::], which a dual-stack [::] bind adopts' '
	adopt -l "tcp://*:80" -- tcp :: 80 >"$TMP/out" && cat "$TMP/out" &&
	grep -x "ino=same cloexec=1 nonblock=1 name=:::80" "$TMP/out"
'
test_expect_success '  ... but a v6-only [::] bind does not (EACCES as without the shim)' '
	adopt -l "tcp://[::]:80" -- tcp :: 80 >"$TMP/out" 2>&1; cat "$TMP/out";
	grep "Permission denied" "$TMP/out"
'
test_expect_success 'UDP: the held datagram socket, which receives' '
	adopt -l udp://127.0.0.1:53 -- udp 127.0.0.1 53 >"$TMP/out" && cat "$TMP/out" &&
	grep -x "ino=same cloexec=1 nonblock=0 name=127.0.0.1:53" "$TMP/out" &&
	grep -x "got=ping" "$TMP/out"
'
test_expect_success 'two listeners, each its own held socket' '
	adopt -l tcp://127.0.0.1:80 -l tcp://127.0.0.1:443 -- two >"$TMP/out" && cat "$TMP/out" &&
	grep -x "ino=same cloexec=1 nonblock=0 name=127.0.0.1:80" "$TMP/out" &&
	grep -x "ino=same cloexec=1 nonblock=0 name=127.0.0.1:443" "$TMP/out"
'
test_expect_success 'bind, close, bind again (a reload): adopted both times' '
	adopt -l tcp://127.0.0.1:80 -- rebind >"$TMP/out" && cat "$TMP/out" &&
	test "$(grep -cx "ino=same cloexec=1 nonblock=0 name=127.0.0.1:80" "$TMP/out")" = 2
'
test_expect_success 'a bind that matches nothing held goes on as without the shim: EACCES' '
	adopt -l tcp://127.0.0.1:80 -- nomatch >"$TMP/out" && cat "$TMP/out" &&
	grep -x "error=Permission denied" "$TMP/out"
'
test_expect_success 'fork after adopt: the child accepts on the adopted socket' '
	adopt -l tcp://127.0.0.1:80 -- fork >"$TMP/fork.out" 2>&1 &
	probe=$! && track_pid $probe &&
	wait_http 80 &&
	curl -sS -m 10 http://127.0.0.1:80/ >"$TMP/out" 2>&1; cat "$TMP/out" "$TMP/fork.out";
	# The child serves one more request: end it, and wait for the probe (the port is free then).
	child=$(sed -n "s/^child=//p" "$TMP/fork.out"); test -n "$child" && kill "$child";
	i=0; while kill -0 $probe 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	grep -x child "$TMP/out"
'

# --- unmodified servers ---------------------------------------------------------

test_expect_success 'python http.server on 127.0.0.1:80 as an ordinary user' '
	(cd "$TMP/www" && exec "$PG" run --adopt -u "$ALICE" -l tcp://127.0.0.1:80 -- \
		"$PY" -m http.server --bind 127.0.0.1 80) >"$TMP/py.log" 2>&1 &
	pid=$! && track_pid $pid &&
	wait_http 80 && curl -sS -m 10 http://127.0.0.1:80/index.html >"$TMP/out";
	stop TERM $pid; cat "$TMP/py.log"; grep -x "adopted page" "$TMP/out"
'

# nginx_conf FILE: Debian nginx, its usual listen line, every path in $TMP.
nginx_conf() {
	mkdir -p "$TMP/nginx"
	cat >"$1" <<EOF
daemon off;
master_process on;
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log stderr;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen 127.0.0.1:80;
		root $TMP/www;
	}
}
EOF
	chown -R "$ALICE" "$TMP/nginx"
	chmod a+r "$1"
}
if [ -x "$NGINX" ]; then
	test_expect_success 'nginx, unmodified, on 127.0.0.1:80 as an ordinary user' '
		nginx_conf "$TMP/nginx.conf" &&
		"$PG" run --adopt -u "$ALICE" -l tcp://127.0.0.1:80 -- \
			"$NGINX" -e stderr -c "$TMP/nginx.conf" >"$TMP/nginx.log" 2>&1 &
		pid=$! && track_pid $pid &&
		wait_http 80 && curl -sS -m 10 http://127.0.0.1:80/index.html >"$TMP/out";
		owner=$(stat -c %U "/proc/$pid"); echo "nginx master runs as $owner";
		stop QUIT $pid; cat "$TMP/nginx.log"; grep -x "adopted page" "$TMP/out" &&
		test "$owner" = "$ALICE"
	'
else
	test_expect_success 'nginx is installed (scripts/install-deps.sh)' 'false'
fi
if [ -x "$LIGHTTPD" ]; then
	test_expect_success 'lighttpd, unmodified, on 127.0.0.1:80 as an ordinary user' '
		cat >"$TMP/lighttpd.conf" <<-EOF &&
		server.document-root = "$TMP/www"
		server.bind = "127.0.0.1"
		server.port = 80
		server.errorlog = "/dev/stderr"
		EOF
		chmod a+r "$TMP/lighttpd.conf" &&
		"$PG" run --adopt -u "$ALICE" -l tcp://127.0.0.1:80 -- \
			"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.log" 2>&1 &
		pid=$! && track_pid $pid &&
		wait_http 80 && curl -sS -m 10 http://127.0.0.1:80/index.html >"$TMP/out";
		stop TERM $pid; cat "$TMP/lighttpd.log"; grep -x "adopted page" "$TMP/out"
	'
else
	test_expect_success 'lighttpd is installed (scripts/install-deps.sh)' 'false'
fi

# --- nginx kept and replaced ------------------------------------------------------

# From here on any user may bind a port below 1024 in this network namespace
# (a port nothing protects, as 8080 would be): mallory's bind loop could take
# 127.0.0.1:80 whenever nobody holds it, which the last test shows.
echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start

# PROG for the keeper: nginx, or, while $TMP/nobind exists, a program that
# binds nothing and ends on SIGQUIT.  exec keeps the pid the keeper started:
# only that pid may tell the keeper what it adopted.
cat >"$TMP/prog.sh" <<EOF
#!/bin/sh
[ -e "$TMP/nobind" ] && exec $PY -c 'import signal, sys, time; signal.signal(signal.SIGQUIT, lambda *a: sys.exit(0)); time.sleep(60)'
exec $NGINX -e stderr -c "$TMP/nginx.conf"
EOF
chmod a+rx "$TMP/prog.sh"
KLOG=$TMP/keep.log

# line_of PATTERN: the number of the first line of $KLOG that matches.
line_of() {
	grep -n -e "$1" "$KLOG" | head -1 | cut -d: -f1
}

if [ -x "$NGINX" ] && [ -x "$LOOP" ]; then
	test_expect_success 'nginx --keep --adopt: ready (the default, adopt) once the new master adopted and listens, in that order' '
		nginx_conf "$TMP/nginx.conf" &&
		"$PG" run --keep --adopt --stop-signal QUIT --ready-timeout 5 -u "$ALICE" \
			-E PORTGATE_DEBUG=1 -l tcp://127.0.0.1:80 -- "$TMP/prog.sh" >"$TMP/keep.out" 2>"$KLOG" &
		echo $! >"$TMP/keeper.pid" && track_pid $! && wait_http 80 &&
		K=$(cat "$TMP/keeper.pid") && old=$(children $K) &&
		kill -HUP $K && wait_lines 1 "is ready (adopted and listening on 1 of 1 socket); stopping the old pid $old with SIGQUIT" "$KLOG" &&
		new=$(sed -n "s/.*SIGHUP: started pid \([0-9]*\) to replace pid $old; waiting up to 5 s for it to adopt and listen on 1 socket$/\1/p" "$KLOG") &&
		test -n "$new" &&
		b=$(line_of "^portgate-preload\[$new\]: bind(fd [0-9]*): adopted the socket held for this address") &&
		l=$(line_of "^portgate-preload\[$new\]: listen(fd [0-9]*): the held socket (fd 3) is adopted and listening; telling the keeper") &&
		r=$(line_of "new PROG pid $new is ready (adopted and listening on 1 of 1 socket)") &&
		echo "lines: bind $b, listen $l, ready $r" && test "$b" -lt "$l" && test "$l" -lt "$r" &&
		wait_lines 1 "stopped PROG pid $old exited with status 0" "$KLOG" &&
		test "$(children $K)" = "$new" && curl -sS -m 10 http://127.0.0.1:80/index.html | grep -x "adopted page"
	'
	K=$(cat "$TMP/keeper.pid" 2>/dev/null)

	test_expect_success '  ... a new PROG that never binds: not ready within --ready-timeout, stopped; the old one serves' '
		old=$(children $K) && touch "$TMP/nobind" && kill -HUP $K &&
		wait_lines 1 "new PROG pid [0-9]* adopted and listened on 0 of 1 socket within 5 s; stopping it, pid $old keeps serving" "$KLOG" &&
		rm -f "$TMP/nobind" &&
		wait_lines 2 "stopped PROG pid [0-9]* exited with status 0" "$KLOG" &&
		test "$(children $K)" = "$old" &&
		curl -sS -m 10 http://127.0.0.1:80/index.html | grep -x "adopted page"
	'

	test_expect_success 'nginx --keep --adopt: 20 SIGHUP replacements under load: 0 refused, 0 failed; the bind loop never gets the port' '
		load_start hup 80 "pgt-mallory$SFX" /index.html &&
		hup_20 $K 1 "is ready (adopted and listening on 1 of 1 socket)" "$KLOG" &&
		wait_lines 22 "stopped PROG pid .* exited with status 0" "$KLOG" &&
		load_ok hup
	'
	sed 's/^/# nginx SIGHUP x20: /' "$TMP/hup.counts" 2>/dev/null

	test_expect_success '5 kill -9 of the nginx master under load: 0 refused; its workers are stopped, a new master serves' '
		load_start kill 80 "pgt-mallory$SFX" /index.html &&
		for i in $(seq 5); do
			c=$(children $K) && test "$(echo "$c" | wc -l)" = 1 && kill -9 $c &&
			wait_lines 1 "PROG pid $c was killed by SIGKILL after .* restarting in" "$KLOG" &&
			wait_lines $((2 * i)) "was left behind by a PROG that ended; stopping it with SIGQUIT" "$KLOG" &&
			wait_lines $((2 * i)) "stopped the left-behind pid [0-9]* exited with status 0" "$KLOG" &&
			j=0 && while [ "$(children $K)" = "$c" ] || [ -z "$(children $K)" ]; do
				[ $j -ge 200 ] && exit 1; sleep 0.1; j=$((j + 1)); done &&
			wait_http 80 || exit 1
		done &&
		load_ok kill in-flight
	'
	sed 's/^/# nginx kill -9 x5 (failed = in flight on the killed master): /' "$TMP/kill.counts" 2>/dev/null

	test_expect_success 'SIGTERM to the keeper: nginx stops (QUIT), no process of alice is left' '
		kill -TERM $K && i=0 && while kill -0 $K 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done &&
		! kill -0 $K 2>/dev/null && grep -x "portgate: keep: exiting 0" "$KLOG" &&
		! pgrep -u "$ALICE" -a
	'
	test_expect_success 'with the keeper gone, the port is free: the bind loop gets it (so it could fail above)' '
		as_user "pgt-mallory$SFX" "$LOOP" tcp 127.0.0.1 80 --reuseaddr 1 --max 50 >"$TMP/free" &&
		grep "total=50 ok=50" "$TMP/free" || { cat "$TMP/free"; false; }
	'
	grep -c "" "$KLOG" | sed 's/^/# keeper log lines: /'
else
	test_expect_success 'nginx and pg-bind-loop are there (scripts/install-deps.sh, make all-tests)' 'false'
fi

# --- --ready=adopt with a datagram socket beside the stream one ---------------------

# A server of its own kind: binds 127.0.0.1:80 (TCP, listens) and, unless
# argv[1] is "tcp-only", 127.0.0.1:53 (UDP); answers HTTP with its pid; exits
# 0 on SIGTERM.
cat >"$TMP/tcpudp.py" <<'EOF'
import os, select, signal, socket, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
t = socket.socket(); t.bind(("127.0.0.1", 80)); t.listen(16)
if sys.argv[1:] != ["tcp-only"]:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 53))
body = ("%d\n" % os.getpid()).encode()
while True:
    if select.select([t], [], [], 1)[0]:
        c, _ = t.accept()
        with c:
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
EOF
chmod a+r "$TMP/tcpudp.py"
cat >"$TMP/tcpudp.sh" <<EOF
#!/bin/sh
[ -e "$TMP/tcp-only" ] && exec $PY "$TMP/tcpudp.py" tcp-only
exec $PY "$TMP/tcpudp.py"
EOF
chmod a+rx "$TMP/tcpudp.sh"

test_expect_success '--ready=adopt counts a UDP socket once adopted, a TCP one once listening: 2 of 2; 1 of 2 times out' '
	L=$TMP/tcpudp.log; rm -f "$TMP/tcp-only"
	"$PG" run --keep --adopt --ready-timeout 3 -u "$ALICE" -l tcp://127.0.0.1:80 -l udp://127.0.0.1:53 \
		-- "$TMP/tcpudp.sh" >/dev/null 2>"$L" &
	k=$! && track_pid $k && wait_http 80 && old=$(children $k) &&
	kill -HUP $k && wait_lines 1 "is ready (adopted and listening on 2 of 2 sockets); stopping the old pid $old with SIGTERM" "$L" &&
	wait_lines 1 "stopped PROG pid $old exited with status 0" "$L" && cur=$(children $k) &&
	touch "$TMP/tcp-only" && kill -HUP $k &&
	wait_lines 1 "adopted and listened on 1 of 2 sockets within 3 s; stopping it, pid $cur keeps serving" "$L" &&
	test "$(curl -sS -m 10 http://127.0.0.1:80/)" = "$cur" &&
	kill -TERM $k && i=0 && while kill -0 $k 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	! kill -0 $k 2>/dev/null
'

test_done
