#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t1200-exec.sh - portgate exec and the preload shim: unmodified programs
# (Debian's nginx, python's http.server) bind granted ports through portgated;
# denials are EACCES with a log line; IPv6, UDP, dual-stack and IPv4-mapped
# binds; options set before bind() survive; threads, fork, depth; what the shim
# exports and that it says nothing; a missing or stalled portgated; and
# `portgate run` as an ordinary user through the broker.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2119,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

SHIM=$(dirname "$(readlink -f "$PG")")/libportgate-preload.so
BIND=$HELPERS/pg-bind
OPTS=$HELPERS/pg-bind-opts
CHECK=$HELPERS/pg-listen-check
for f in "$PG" "$PORTGATED" "$BIND" "$OPTS" "$CHECK"; do
	[ -x "$f" ] || skip_all "needs $f (make all-tests)"
done
[ -f "$SHIM" ] || skip_all "needs $SHIM (make all)"
require_cmd setpriv curl ss nm timeout
NGINX=/usr/sbin/nginx
PYTHON=/usr/bin/python3 # never a pyenv shim from root's PATH: the test users run it

# The helpers of a SANITIZE=1 build carry ASan, which wants to be first in the
# library list; the shim is preloaded before it (and is never sanitized).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

make_user "pgt-alice$SFX"
make_user "pgt-bob$SFX"
A_UID=$(id -u "pgt-alice$SFX")
# What as_user does, without a shell function: for timeout(1), and for servers
# started in the background, whose pid must be the server's own.
AS_ALICE="setpriv --reuid=pgt-alice$SFX --regid=$(id -g "pgt-alice$SFX") --init-groups --"
B_UID=$(id -u "pgt-bob$SFX")

ETC=$TMP/etc
mkdir -p "$ETC"
cat >"$ETC/portgate.conf" <<-EOF
	pgt-alice$SFX tcp://127.0.0.1:80 tcp://[::1]:80 udp://127.0.0.1:53 udp://[::1]:53
	pgt-alice$SFX tcp://*:81
	pgt-alice$SFX tcp://[::]:82
	pgt-alice$SFX tcp://0.0.0.0:83
	pgt-alice$SFX tcp://127.0.0.1:90-97
	pgt-alice$SFX tcp://*:5060
EOF
chmod -R a+rX "$ETC"
export PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR=
RULE=$ETC/portgate.conf
OUT=$TMP/out
ERR=$TMP/err

# gen.sh N CMD...: run CMD as the Nth program exec'd, counting this shell as the first.
cat >"$TMP/gen.sh" <<-'EOF'
	#!/bin/sh
	n=$1
	shift
	if [ "$n" -le 2 ]; then "$@"; else /bin/sh "$0" $((n - 1)) "$@"; fi
EOF
chmod 755 "$TMP/gen.sh"

# out_is TEXT: stdout was exactly TEXT (one line).
out_is() {
	[ "$(cat "$OUT")" = "$1" ] || { echo "stdout: expected '$1', got:"; cat "$OUT"; return 1; }
}
# has LINE: stdout has exactly this line.
has() {
	grep -x -- "$1" "$OUT" >/dev/null || { echo "missing line: $1"; cat "$OUT"; return 1; }
}
# err_has TEXT: stderr contains TEXT (fixed string).
err_has() {
	grep -F -- "$1" "$ERR" >/dev/null || { echo "stderr lacks: $1"; cat "$ERR"; return 1; }
}
# err_empty: nothing at all on stderr.
err_empty() {
	! test -s "$ERR" || { echo "stderr not empty:"; cat "$ERR"; return 1; }
}
# alice/bob CMD...: run CMD through portgate exec as that user, stdout to $OUT, stderr to $ERR.
alice() {
	as_user "pgt-alice$SFX" "$PG" exec -- "$@" >"$OUT" 2>"$ERR"
}
bob() {
	as_user "pgt-bob$SFX" "$PG" exec -- "$@" >"$OUT" 2>"$ERR"
}

# wait_listen PID PORT: PID (still alive) listens on TCP PORT; at most 10 s of looking.
wait_listen() {
	_end=$(($(date +%s) + 10))
	until ss -Hltn "sport = :$2" | grep . >/dev/null; do
		if ! kill -0 "$1" 2>/dev/null || [ "$(date +%s)" -gt "$_end" ]; then
			echo "pid $1 is not listening on port $2"
			return 1
		fi
	done
}

# stop PID: end a server this script started and reap it.
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# --- the library itself ------------------------------------------------------------------

test_expect_success 'the shim exports bind() and listen() (adopt mode) and nothing else (no libpgcommon, no sanitizer)' '
	nm -D --defined-only "$SHIM" | awk "{ print \$NF }" | sort >"$OUT" &&
	out_is "$(printf "bind\nlisten")" &&
	! nm -D "$SHIM" | grep -e __asan -e __ubsan >/dev/null
'

test_expect_success 'exec preloads the shim, deep by default' '
	"$PG" exec -- env >"$OUT" &&
	has "LD_PRELOAD=$SHIM" && has "PORTGATE_PRELOAD=$SHIM" && has "PORTGATE_PRELOAD_LEVELS=y"
'

LIBC=$(ldd /bin/true | awk '/libc\.so/ { print $3 }')
test_expect_success 'existing LD_PRELOAD entries are kept, and the shim is not added twice' '
	LD_PRELOAD=$LIBC "$PG" exec -- env >"$OUT" && has "LD_PRELOAD=$LIBC:$SHIM" &&
	LD_PRELOAD=$SHIM "$PG" exec -- env >"$OUT" && has "LD_PRELOAD=$SHIM"
'

test_expect_success '--depth N counts exec'"'"'d generations down and then leaves LD_PRELOAD' '
	"$PG" exec --depth 3 -- env >"$OUT" && has "PORTGATE_PRELOAD_LEVELS=2" &&
	has "LD_PRELOAD=$SHIM" &&
	"$PG" exec --depth 1 -- env >"$OUT" && has "PORTGATE_PRELOAD_LEVELS=0" &&
	! grep "^LD_PRELOAD=" "$OUT" &&
	LD_PRELOAD=$LIBC "$PG" exec --depth=1 -- env >"$OUT" && has "LD_PRELOAD=$LIBC"
'

test_expect_code 100 'unknown options are a usage error, not ignored as authbind does' '
	"$PG" exec --frobnicate -- true
'
test_expect_code 100 'so is a short one' '"$PG" exec -x true'
test_expect_code 100 '--depth outside 1..100' '"$PG" exec --depth 101 -- true'
test_expect_code 100 '--depth and --deep together' '"$PG" exec --depth 2 --deep -- true'
test_expect_code 100 'no PROG' '"$PG" exec --deep --'
test_expect_code 127 'PROG not found' '"$PG" exec -- /nonexistent/prog'
test_expect_code 126 'PROG not executable' '"$PG" exec -- "$ETC/portgate.conf"'

# --- with portgated --------------------------------------------------------------------------

start_portgated

test_expect_success 'pgt-alice binds 127.0.0.1:80 through the shim; nothing on stderr' '
	alice "$BIND" tcp 127.0.0.1 80 && out_is ok && err_empty
'

test_expect_success 'without exec the kernel still says EACCES (the grant is portgated'"'"'s)' '
	as_user pgt-alice$SFX "$BIND" tcp 127.0.0.1 80 >"$OUT"; out_is EACCES
'

test_expect_success 'pgt-bob gets EACCES, the shim says nothing, portgated logs a deny for his uid' '
	{ bob "$BIND" tcp 127.0.0.1 80; test $? = 1; } && out_is EACCES && err_empty &&
	grep "deny uid=$B_UID " "$TMP/portgated.log" | grep "bind=tcp/127.0.0.1:80 " >/dev/null
'

test_expect_success 'IPv6: pgt-alice binds [::1]:80, pgt-bob is refused' '
	alice "$BIND" tcp ::1 80 && out_is ok &&
	{ bob "$BIND" tcp ::1 80; test $? = 1; } && out_is EACCES
'

test_expect_success 'UDP: pgt-alice binds 127.0.0.1:53 and [::1]:53, pgt-bob is refused' '
	alice "$BIND" udp 127.0.0.1 53 && out_is ok &&
	alice "$BIND" udp ::1 53 && out_is ok &&
	{ bob "$BIND" udp 127.0.0.1 53; test $? = 1; } && out_is EACCES
'

test_expect_success 'UDP is not TCP: a tcp-only port stays refused for udp' '
	{ alice "$BIND" udp 127.0.0.1 80; test $? = 1; } && out_is EACCES
'

test_expect_success 'dual-stack [::]:81 with a * grant works and stays dual-stack' '
	alice "$OPTS" --v6only 0 tcp "[::]" 81 &&
	out_is "81 ok addr=:: port=81 reuseport=0 v6only=0 errno=kept"
'

test_expect_success 'IPV6_V6ONLY set before bind survives: [::]:81 stays v6-only' '
	alice "$OPTS" --v6only 1 tcp "[::]" 81 &&
	out_is "81 ok addr=:: port=81 reuseport=0 v6only=1 errno=kept"
'

# The program keeps its socket and could clear IPV6_V6ONLY between portgated's
# check and its bind(): through the shim, [::] needs the IPv4 rights whatever the
# option says.  portgate run (a new socket, made v6-only by portgated) gets it below.
test_expect_success '[::]:82, granted v6-only, is refused through the shim, v6-only or not' '
	{ alice "$OPTS" --v6only 1 tcp "[::]" 82; test $? = 1; } && out_is "82 EACCES errno=EACCES" &&
	{ alice "$OPTS" --v6only 0 tcp "[::]" 82; test $? = 1; } && out_is "82 EACCES errno=EACCES" &&
	grep "bind=tcp/\[::\]:82" "$TMP/portgated.log" | grep "could turn dual-stack" >/dev/null
'

test_expect_success 'IPv4-mapped ::ffff:127.0.0.1:80 is judged as 127.0.0.1: alice yes, bob no' '
	alice "$OPTS" --v6only 0 tcp ::ffff:127.0.0.1 80 &&
	out_is "80 ok addr=::ffff:127.0.0.1 port=80 reuseport=0 v6only=0 errno=kept" &&
	{ bob "$OPTS" --v6only 0 tcp ::ffff:127.0.0.1 80; test $? = 1; } &&
	out_is "80 EACCES errno=EACCES"
'

test_expect_success 'no spelling gets around the address: ::ffff:127.0.0.2:80 is refused' '
	{ alice "$OPTS" tcp ::ffff:127.0.0.2 80; test $? = 1; } && out_is "80 EACCES errno=EACCES"
'

test_expect_success 'SO_REUSEPORT set before bind survives: a second socket shares the port' '
	alice "$OPTS" --reuseport --twice tcp 127.0.0.1 80 &&
	out_is "80 ok addr=127.0.0.1 port=80 reuseport=1 v6only=- errno=kept twice=ok"
'

# (The kernel sets IPV6_V6ONLY itself when it binds one IPv6 address such as ::1.)
test_expect_success 'addrlen = sizeof(struct sockaddr_storage) works (authbind misses it)' '
	alice "$OPTS" --storage tcp 127.0.0.1 80 &&
	out_is "80 ok addr=127.0.0.1 port=80 reuseport=0 v6only=- errno=kept" &&
	alice "$OPTS" --storage tcp ::1 80 &&
	out_is "80 ok addr=::1 port=80 reuseport=0 v6only=1 errno=kept" &&
	{ bob "$OPTS" --storage tcp 127.0.0.1 80; test $? = 1; } && out_is "80 EACCES errno=EACCES"
'

test_expect_success 'AF_UNSPEC + INADDR_ANY on an AF_INET socket is 0.0.0.0' '
	alice "$OPTS" --unspec tcp 0.0.0.0 83 &&
	out_is "83 ok addr=0.0.0.0 port=83 reuseport=0 v6only=- errno=kept"
'

test_expect_success 'errno: untouched on success, exactly EACCES on denial (UDP too)' '
	alice "$OPTS" udp 127.0.0.1 53 && out_is "53 ok addr=127.0.0.1 port=53 reuseport=0 v6only=- errno=kept" &&
	{ bob "$OPTS" udp 127.0.0.1 53; test $? = 1; } && out_is "53 EACCES errno=EACCES" && err_empty
'

test_expect_success 'listen() through the shim (no adopt mode): the real one, its result and its errno' '
	"$PG" exec -- "$PYTHON" -c "
import errno, socket
t = socket.socket(); t.bind((\"127.0.0.1\", 0)); t.listen(4); print(\"tcp ok\")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.listen(4)
except OSError as e:
    print(\"udp\", \"EOPNOTSUPP\" if e.errno == errno.EOPNOTSUPP else e.errno)
" >"$OUT" && out_is "$(printf "tcp ok\nudp EOPNOTSUPP")"
'

test_expect_success 'PORTGATE_BROKER_POLL=0 (no polling) and junk values (the default) change nothing' '
	for v in 0 1 10000 10001 abc -5 ""; do
		PORTGATE_BROKER_POLL=$v alice "$OPTS" udp 127.0.0.1 53 &&
			out_is "53 ok addr=127.0.0.1 port=53 reuseport=0 v6only=- errno=kept" || exit 1
		{ PORTGATE_BROKER_POLL=$v bob "$OPTS" udp 127.0.0.1 53; test $? = 1; } &&
			out_is "53 EACCES errno=EACCES" && err_empty || exit 1
	done
'

test_expect_success 'eight threads bind eight granted ports at once' '
	alice "$OPTS" --threads tcp 127.0.0.1 90 91 92 93 94 95 96 97 &&
	for p in 90 91 92 93 94 95 96 97; do
		has "$p ok addr=127.0.0.1 port=$p reuseport=0 v6only=- errno=kept" || exit 1
	done
'

test_expect_success 'a forked child (no exec) binds through the shim' '
	alice "$OPTS" --fork tcp 127.0.0.1 80 &&
	out_is "80 ok addr=127.0.0.1 port=80 reuseport=0 v6only=- errno=kept"
'

# --- the connection the shim keeps (one per thread) ---------------------------------------------

# portgated logs the pid the kernel gives for the connection: the child's bind
# must come on a connection of its own, not the one it inherited.
test_expect_success 'after a fork the child binds on its own connection, and the parent again' '
	alice "$OPTS" --fork-between tcp 127.0.0.1 90 91 92 &&
	has "90 ok addr=127.0.0.1 port=90 reuseport=0 v6only=- errno=kept" &&
	has "91 ok addr=127.0.0.1 port=91 reuseport=0 v6only=- errno=kept" &&
	has "92 ok addr=127.0.0.1 port=92 reuseport=0 v6only=- errno=kept" && err_empty &&
	parent=$(sed -n "s/^parent=\([0-9]*\) child=.*/\1/p" "$OUT") &&
	child=$(sed -n "s/^parent=.* child=\([0-9]*\)$/\1/p" "$OUT") &&
	tail -n 3 "$TMP/portgated.log" >"$TMP/fork.log" &&
	grep "allow uid=$A_UID pid=$parent bind=tcp/127.0.0.1:90 " "$TMP/fork.log" >/dev/null &&
	grep "allow uid=$A_UID pid=$child bind=tcp/127.0.0.1:91 " "$TMP/fork.log" >/dev/null &&
	grep "allow uid=$A_UID pid=$parent bind=tcp/127.0.0.1:92 " "$TMP/fork.log" >/dev/null ||
	{ cat "$OUT" "$TMP/fork.log"; false; }
'

test_expect_success 'a program that closes every fd and reuses the numbers: its files are untouched' '
	: >"$TMP/files" && chown pgt-alice$SFX "$TMP/files" &&
	alice "$OPTS" --closefrom "$TMP/files" tcp 127.0.0.1 90 91 92 &&
	has "90 ok addr=127.0.0.1 port=90 reuseport=0 v6only=- errno=kept" &&
	has "91 ok addr=127.0.0.1 port=91 reuseport=0 v6only=- errno=kept" &&
	has "92 ok addr=127.0.0.1 port=92 reuseport=0 v6only=- errno=kept" &&
	has "files=ok" && err_empty && ! test -s "$TMP/files"
'

# portgated judges a connection by who opened it: a process that drops from root
# to pgt-bob must not keep binding as root on the connection root opened.
test_expect_success 'root without CAP_NET_BIND_SERVICE binds, drops to pgt-bob: now refused' '
	{ setpriv --bounding-set=-net_bind_service -- "$PG" exec -- \
		"$OPTS" --setuid "$B_UID" tcp 127.0.0.1 80 80 >"$OUT" 2>"$ERR"; test $? = 1; } &&
	has "80 ok addr=127.0.0.1 port=80 reuseport=0 v6only=- errno=kept" &&
	has "80 EACCES errno=EACCES" && err_empty &&
	tail -n 2 "$TMP/portgated.log" | grep "allow uid=0 .*bind=tcp/127.0.0.1:80 " >/dev/null &&
	tail -n 1 "$TMP/portgated.log" | grep "deny uid=$B_UID .*bind=tcp/127.0.0.1:80 " >/dev/null
'

test_expect_success 'ports the kernel allows never reach portgated' '
	n=$(grep -c . "$TMP/portgated.log") &&
	alice "$BIND" tcp 127.0.0.1 8080 && out_is ok && alice "$BIND" tcp 127.0.0.1 0 && out_is ok &&
	test "$(grep -c . "$TMP/portgated.log")" = "$n"
'

test_expect_success 'PORTGATE_DEBUG=1: one line per refused bind on stderr, errno still kept' '
	as_user pgt-alice$SFX env PORTGATE_DEBUG=1 "$PG" exec -- "$OPTS" tcp 127.0.0.1 80 >"$OUT" 2>"$ERR" &&
	out_is "80 ok addr=127.0.0.1 port=80 reuseport=0 v6only=- errno=kept" &&
	test "$(wc -l <"$ERR")" = 1 && err_has "portgate-preload[" && err_has "tcp/127.0.0.1:80"
'

# --- depth, as authbind counts it --------------------------------------------------------------

test_expect_success '--depth 1: the program'"'"'s own child has no shim (EACCES)' '
	as_user pgt-alice$SFX "$PG" exec --depth 1 -- "$TMP/gen.sh" 2 "$BIND" tcp 127.0.0.1 80 >"$OUT"
	out_is EACCES
'

test_expect_success '--depth 2: the child has it, the grandchild does not' '
	as_user pgt-alice$SFX "$PG" exec --depth 2 -- "$TMP/gen.sh" 2 "$BIND" tcp 127.0.0.1 80 >"$OUT" &&
	out_is ok &&
	as_user pgt-alice$SFX "$PG" exec --depth 2 -- "$TMP/gen.sh" 3 "$BIND" tcp 127.0.0.1 80 >"$OUT"
	out_is EACCES
'

test_expect_success '--deep, and the default: a shell'"'"'s grandchild binds' '
	as_user pgt-alice$SFX "$PG" exec --deep -- "$TMP/gen.sh" 3 "$BIND" tcp 127.0.0.1 80 >"$OUT" &&
	out_is ok &&
	as_user pgt-alice$SFX "$PG" exec -- "$TMP/gen.sh" 4 "$BIND" tcp 127.0.0.1 80 >"$OUT" && out_is ok
'

test_expect_success 'authbind'"'"'s bare - ends the options' '
	as_user pgt-alice$SFX "$PG" exec --depth 2 - "$TMP/gen.sh" 2 "$BIND" tcp 127.0.0.1 80 >"$OUT" &&
	out_is ok
'

# --- -u as root ----------------------------------------------------------------------------------

# -u cleans the environment: ASAN_OPTIONS (for a SANITIZE=1 build) is passed on by hand.
test_expect_success 'root: exec -u pgt-alice runs as alice, with a login environment' '
	env SECRET=1 "$PG" exec -u pgt-alice$SFX -- env ASAN_OPTIONS="$ASAN_OPTIONS" "$CHECK" >"$OUT" &&
	has "uid=$A_UID,$A_UID,$A_UID" && has "CapEff=0000000000000000" && has "env=USER=pgt-alice$SFX" &&
	has "env=PORTGATE_SOCKET=$PGSOCK" && has "env=LD_PRELOAD=$SHIM" && ! grep "^env=SECRET=" "$OUT"
'

test_expect_success 'root: exec -u pgt-alice binds port 80 through portgated, -u pgt-bob does not' '
	"$PG" exec -u pgt-alice$SFX -- env ASAN_OPTIONS="$ASAN_OPTIONS" "$BIND" tcp 127.0.0.1 80 >"$OUT" &&
	out_is ok &&
	{ "$PG" exec -u pgt-bob$SFX -- env ASAN_OPTIONS="$ASAN_OPTIONS" "$BIND" tcp 127.0.0.1 80 >"$OUT"
	  test $? = 1; } && out_is EACCES
'

test_expect_code 1 'an ordinary user may not exec -u someone else' '
	as_user pgt-bob$SFX "$PG" exec -u pgt-alice$SFX -- true
'

# --- unmodified servers: Debian's nginx and python's http.server ---------------------------------

mkdir -p "$TMP/www" "$TMP/nginx"
TOKEN="portgate-t1200-$$"
echo "$TOKEN" >"$TMP/www/index.html"
chmod -R a+rX "$TMP/www"
chown "pgt-alice$SFX" "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<-EOF
	daemon off;
	master_process on;
	worker_processes 2;
	pid $TMP/nginx/nginx.pid;
	error_log stderr;
	events { worker_connections 64; }
	http {
		access_log $TMP/nginx/access.log;
		client_body_temp_path $TMP/nginx/body;
		proxy_temp_path $TMP/nginx/proxy;
		fastcgi_temp_path $TMP/nginx/fastcgi;
		uwsgi_temp_path $TMP/nginx/uwsgi;
		scgi_temp_path $TMP/nginx/scgi;
		server {
			listen 127.0.0.1:80;
			listen [::1]:80;
			root $TMP/www;
		}
	}
EOF

if [ -x "$NGINX" ]; then
	# Not in a test: the pid must be known here so that it can be stopped (and is on exit).
	# setpriv, portgate exec and nginx are one process, one exec after the other.
	$AS_ALICE "$PG" exec -- "$NGINX" -p "$TMP/nginx" -e stderr -c "$TMP/nginx/nginx.conf" \
		>"$TMP/nginx.log" 2>&1 &
	NPID=$!
	track_pid "$NPID"
	test_expect_success 'pgt-alice runs unmodified nginx (master + workers) on 127.0.0.1:80 and [::1]:80' '
		wait_listen "$NPID" 80 || { cat "$TMP/nginx.log"; exit 1; }
	'
	test_expect_success 'curl gets the page from nginx over IPv4 and IPv6' '
		curl -fsS --max-time 10 http://127.0.0.1/ >"$OUT" && out_is "$TOKEN" &&
		curl -fsS --max-time 10 "http://[::1]/" >"$OUT" && out_is "$TOKEN"
	'
	test_expect_success 'nginx runs as pgt-alice with its forked workers' '
		test "$(stat -c %u "/proc/$NPID")" = "$A_UID" &&
		test "$(pgrep -P "$NPID" | wc -l)" = 2
	'
	stop "$NPID"
else
	test_expect_success 'nginx (Debian nginx-light) is installed' 'false'
fi

$AS_ALICE "$PG" exec -- "$PYTHON" -m http.server 80 --bind 127.0.0.1 \
	--directory "$TMP/www" >"$TMP/python.log" 2>&1 &
YPID=$!
track_pid "$YPID"
test_expect_success 'pgt-alice runs /usr/bin/python3 -m http.server 80 --bind 127.0.0.1' '
	wait_listen "$YPID" 80 || { cat "$TMP/python.log"; exit 1; }
'
test_expect_success 'curl gets the page from python' '
	curl -fsS --max-time 10 http://127.0.0.1/index.html >"$OUT" && out_is "$TOKEN"
'
stop "$YPID"

# --- portgate run as an ordinary user: the broker fallback ---------------------------------------

test_expect_success 'pgt-alice: portgate run gets 127.0.0.1:80 from portgated' '
	as_user pgt-alice$SFX "$PG" run -l tcp://127.0.0.1:80 -- "$CHECK" >"$OUT" &&
	has "fd=3 name=unknown family=inet type=stream addr=127.0.0.1 port=80 listening=1 v6only=- cloexec=1" &&
	has "uid=$A_UID,$A_UID,$A_UID" && has "other_fds=0"
'

test_expect_success 'pgt-alice: dual-stack *, udp and v6-only [::] sockets, as the direct path makes them' '
	as_user pgt-alice$SFX "$PG" run -l "tcp://*:81" -l udp://127.0.0.1:53 -l "tcp://[::]:82" \
		-- "$CHECK" >"$OUT" &&
	has "fd=3 name=unknown family=inet6 type=stream addr=:: port=81 listening=1 v6only=0 cloexec=1" &&
	has "fd=4 name=unknown family=inet type=dgram addr=127.0.0.1 port=53 listening=0 v6only=- cloexec=1" &&
	has "fd=5 name=unknown family=inet6 type=stream addr=:: port=82 listening=1 v6only=1 cloexec=1"
'

test_expect_success 'pgt-bob: portgate run is refused with portgated'"'"'s reason, exit 1' '
	{ as_user pgt-bob$SFX "$PG" run -l tcp://127.0.0.1:80 -- "$CHECK" >"$OUT" 2>"$ERR"; test $? = 1; } &&
	err_has "bind '"'"'tcp://127.0.0.1:80'"'"' as '"'"'pgt-bob$SFX'"'"': the kernel refused it and so did portgated (Permission denied: " &&
	err_has "ask an administrator to run '"'"'portgate allow pgt-bob$SFX tcp://127.0.0.1:80'"'"'" &&
	test "$(wc -l <"$ERR")" = 1 && ! test -s "$OUT"
'

# --- a stalled portgated, then none -----------------------------------------------------------

test_expect_success 'a program that binds in a loop through the shim gets every bind' '
	$AS_ALICE "$PG" exec -- "$HELPERS/pg-bind-loop" tcp 127.0.0.1 96 --max 500 --seconds 60 \
		>"$OUT" 2>"$ERR" && grep "^total=500 ok=500 " "$OUT" || { cat "$OUT" "$ERR"; tail -n 5 "$TMP/portgated.log"; false; }
'

# One process binds, portgated restarts, the same process binds again: the kept
# connection is dead, and the request is sent once more on a new one.
rm -f "$TMP/go"
mkfifo "$TMP/go"
$AS_ALICE "$PG" exec -- "$OPTS" --wait-stdin tcp 127.0.0.1 90 91 <"$TMP/go" >"$OUT" 2>"$ERR" &
RPID=$!
track_pid "$RPID"
exec 7>"$TMP/go"
_end=$(($(date +%s) + 10))
until grep "^90 " "$OUT" >/dev/null || [ "$(date +%s)" -gt "$_end" ]; do sleep 0.05; done
stop_portgated
start_portgated
echo go >&7
exec 7>&-
wait "$RPID"
RRC=$?
test_expect_success 'a portgated restart between two binds of one process: the second still works' '
	test "$RRC" = 0 &&
	has "90 ok addr=127.0.0.1 port=90 reuseport=0 v6only=- errno=kept" &&
	has "91 ok addr=127.0.0.1 port=91 reuseport=0 v6only=- errno=kept" && err_empty
'

test_expect_success 'a stopped portgated costs a bounded wait, then EACCES (not a hang)' '
	kill -STOP "$PGD_PID" &&
	{ timeout 30 $AS_ALICE "$PG" exec -- "$BIND" tcp 127.0.0.1 80 >"$OUT" 2>"$ERR"
	  rc=$?; kill -CONT "$PGD_PID"; test $rc = 1; } && out_is EACCES && err_empty
'

stop_portgated
start_portgated --hold
test_expect_success 'with --hold, a reserved port is taken: bob gets EADDRINUSE' '
	{ as_user pgt-bob$SFX "$BIND" tcp 0.0.0.0 5060 >"$OUT"; test $? = 1; } && out_is EADDRINUSE
'
test_expect_success '  ... the owner gets it through the shim (EADDRINUSE asks portgated)' '
	$AS_ALICE "$PG" exec -- "$BIND" tcp 0.0.0.0 5060 >"$OUT" 2>"$ERR" && out_is ok && err_empty
'
stop_portgated
start_portgated --hold
test_expect_success '  ... and portgate run gets it from portgated too' '
	$AS_ALICE "$PG" run -l tcp://0.0.0.0:5060 -- "$CHECK" >"$OUT" 2>"$ERR" &&
	grep "^fd=3 .*addr=0.0.0.0 port=5060 listening=1" "$OUT"
'
stop_portgated
# Wherever the daemon's socket was, clients now look where there is none.
PGSOCK=$TMP/gone/portgated.sock
export PORTGATE_SOCKET="$PGSOCK"

test_expect_success 'no portgated: exec warns in one line, the bind fails with EACCES at once' '
	{ timeout 10 $AS_ALICE "$PG" exec -- "$BIND" tcp 127.0.0.1 80 >"$OUT" 2>"$ERR";
	  test $? = 1; } && out_is EACCES &&
	test "$(wc -l <"$ERR")" = 1 &&
	err_has "portgate: portgated is not running (no $PGSOCK): binds the kernel refuses will fail with EACCES; start portgated"
'

test_expect_success 'no portgated: -q keeps exec quiet; binds the kernel allows still work' '
	{ as_user pgt-alice$SFX "$PG" exec -q -- "$BIND" tcp 127.0.0.1 80 >"$OUT" 2>"$ERR"; test $? = 1; } &&
	out_is EACCES && err_empty &&
	as_user pgt-alice$SFX "$PG" exec -q -- "$BIND" tcp 127.0.0.1 8080 >"$OUT" 2>"$ERR" &&
	out_is ok && err_empty
'

test_expect_success 'a stale socket nobody listens on: EACCES at once, no warning (the path exists)' '
	"$PYTHON" -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$TMP/stale.sock" &&
	chmod 777 "$TMP/stale.sock" &&
	{ as_user pgt-alice$SFX env PORTGATE_SOCKET="$TMP/stale.sock" "$PG" exec -- "$BIND" tcp 127.0.0.1 80 \
		>"$OUT" 2>"$ERR"; test $? = 1; } && out_is EACCES && err_empty
'

test_expect_success 'no portgated: portgate run says so, how to start it, and what the policy says' '
	{ as_user pgt-alice$SFX "$PG" run -l tcp://127.0.0.1:80 -- "$CHECK" >"$OUT" 2>"$ERR"; test $? = 1; } &&
	err_has "the policy grants it to you (rule $RULE:1)" &&
	err_has "portgated is not running (no '"'"'$PGSOCK'"'"'): start it" && ! test -s "$OUT"
'

test_done
