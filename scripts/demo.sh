#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - `make demo`: portgate's main job end to end, in plain words.
# Everything happens in a throwaway network namespace with throwaway users
# (pgt-demo-XXXXXX: the suffix is this run's, so a demo never touches another
# run's users) and a throwaway policy; all of it is removed at the end.
# The programs run from a `make install` into a world-readable scratch tree:
# the demo users must reach them, and the checkout may sit in a private folder
# (/root is 0700, and so is every mktemp -d).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${PORTGATE_BUILD:-$SRC/.build}

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it creates a user and a network namespace)" >&2
	exit 1
fi

if [ "${_PG_DEMO_NETNS:-}" != 1 ]; then
	_PG_DEMO_NETNS=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi

# wait_http: until 127.0.0.1:80 answers (the server just started), at most 10 s.
wait_http() {
	i=0
	until curl -s -o /dev/null http://127.0.0.1/ || [ $i -ge 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

TMP=$(mktemp -d /tmp/pgt-demo.XXXXXX)
chmod 755 "$TMP"
SFX=-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
DEMO=pgt-demo$SFX
OTHER=pgt-other$SFX
DEMOD=pgt-demod$SFX
server_pid=""
daemon_pid=""
CG=""
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	server_pid=""
}
cleanup() {
	stop_server
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		portgate kernel unload --pin-dir "$PINS" >/dev/null 2>&1 || true
		while read -r p; do echo "$p" >"$CG2/cgroup.procs"; done <"$CG/cgroup.procs" 2>/dev/null
		rmdir "$CG" 2>/dev/null || true
	fi
	for u in "$DEMO" "$OTHER" "$DEMOD"; do
		userdel "$u" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up
for u in "$DEMO" "$OTHER" "$DEMOD"; do
	useradd -M -d /nonexistent -s /usr/sbin/nologin -U "$u"
done
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=

# The programs, installed where the demo users can reach them.
STAGE=$TMP/stage
make -C "$SRC" --no-print-directory -s install PREFIX=/usr DESTDIR="$STAGE" B="$B" \
	>"$TMP/install.log" 2>&1 || { cat "$TMP/install.log" >&2; exit 1; }
PATH=$STAGE/usr/sbin:$STAGE/usr/bin:$PATH
PG=portgate

say "A private network namespace and two ordinary users: $DEMO and $OTHER"
run id "$DEMO"

say "The administrator grants $DEMO port 80 on 127.0.0.1, and reserves 5432 for it"
run "$PG" allow "$DEMO" tcp://127.0.0.1:80 tcp://*:5432
run cat "$TMP/etc/portgate.conf"
run "$PG" verify
run "$PG" list

say "Anyone can ask who may bind what, and why"
run "$PG" check --user "$DEMO" tcp://127.0.0.1:80
run "$PG" check --user "$OTHER" tcp://127.0.0.1:80 || echo "(exit $?: denied)"
run "$PG" check --user "$OTHER" tcp://*:5432 || echo "(exit $?: denied, 5432 is reserved)"

cat >"$TMP/lighttpd.conf" <<CONF
server.document-root = "$TMP/www"
server.systemd-socket-activation = "enable"
index-file.names = ( "index.html" )
CONF
mkdir -p "$TMP/www"
echo "Hello from lighttpd, running as $DEMO on a privileged port." >"$TMP/www/index.html"

say "Root starts an unmodified lighttpd as $DEMO on 127.0.0.1:80 (socket handoff, LISTEN_FDS)"
# Started directly (not through run()) so that $! is portgate, which becomes lighttpd.
echo "\$ $PG run -u $DEMO -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f $TMP/lighttpd.conf &"
"$PG" run -u "$DEMO" -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f "$TMP/lighttpd.conf" &
server_pid=$!
wait_http
run curl -s http://127.0.0.1/
printf '$ grep -E "^(Name|Uid|Gid|Groups|CapEff)" /proc/%s/status\n' "$server_pid"
grep -E '^(Name|Uid|Gid|Groups|CapEff)' "/proc/$server_pid/status"
run ss -ltnp 'sport = :80'

say "The policy will not hand $DEMO's port to anybody else, even when root asks"
run "$PG" run -u "$OTHER" -l tcp://127.0.0.1:80 -- /bin/true || echo "(exit $?: refused)"

say "An ordinary user without a grant is told what would make it work"
run setpriv --reuid="$OTHER" --regid="$OTHER" --init-groups \
	"$PG" run -l tcp://127.0.0.1:81 -- /bin/true || echo "(exit $?)"

stop_server

say "The broker: portgated holds only CAP_NET_BIND_SERVICE and binds for permitted users"
mkdir -p "$TMP/run"
mkfifo "$TMP/ready"
echo "\$ portgated --socket $TMP/run/portgated.sock --user $DEMOD --ready-fd 3 &"
portgated --socket "$TMP/run/portgated.sock" --user "$DEMOD" --ready-fd 3 \
	3>"$TMP/ready" 2>"$TMP/portgated.log" &
daemon_pid=$!
timeout 10 head -n 1 "$TMP/ready" >/dev/null
export PORTGATE_SOCKET="$TMP/run/portgated.sock"
printf '$ grep -E "^(Uid|CapEff)" /proc/%s/status     # not root; capability 10 only\n' "$daemon_pid"
grep -E '^(Uid|CapEff)' "/proc/$daemon_pid/status"
run "$PG" status

say "$DEMO runs an unmodified Python web server on port 80 with portgate exec (no root, no setuid)"
echo "Hello from python3 -m http.server, bound through portgated." >"$TMP/www/index.html"
echo "\$ setpriv --reuid=$DEMO ... $PG exec -- /usr/bin/python3 -m http.server 80 --bind 127.0.0.1 &"
(cd "$TMP/www" && exec setpriv --reuid="$DEMO" --regid="$DEMO" --init-groups \
	"$PG" exec -- /usr/bin/python3 -m http.server 80 --bind 127.0.0.1 >/dev/null 2>&1) &
server_pid=$!
wait_http
run curl -s http://127.0.0.1/

say "$OTHER tries the same port through the broker: EACCES, and a log line for the audit"
echo "\$ setpriv --reuid=$OTHER ... $PG exec -- python3 -c 'socket.socket().bind((\"127.0.0.1\", 80))'"
setpriv --reuid="$OTHER" --regid="$OTHER" --init-groups "$PG" exec -- /usr/bin/python3 -c \
	'import socket; socket.socket().bind(("127.0.0.1", 80))' 2>&1 | tail -n 1 || true
run grep -E "^portgated: (allow|deny) " "$TMP/portgated.log"
stop_server
kill "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""

say "The proxy: a server that can only listen on a UNIX socket, served on port 80"
cat >"$TMP/unix-only.py" <<'PY'
import http.server, os, socketserver
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"Hello from a UNIX-socket-only server, behind portgate proxy.\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def address_string(self):
        return "unix"
    def log_message(self, *args):
        pass
path = os.environ["PORTGATE_BACKEND"].removeprefix("unix:")
socketserver.UnixStreamServer(path, Handler).serve_forever()
PY
echo "\$ $PG proxy -l tcp://127.0.0.1:80 -u $DEMO -- /usr/bin/python3 $TMP/unix-only.py &"
"$PG" proxy -l tcp://127.0.0.1:80 -u "$DEMO" -- /usr/bin/python3 "$TMP/unix-only.py" 2>/dev/null &
server_pid=$!
wait_http
run curl -s http://127.0.0.1/
stop_server

CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$CG2" ] && [ -e /sys/kernel/btf/vmlinux ]; then
	say "The kernel path: the same policy in eBPF bind hooks, for every program, even static ones"
	CG=$CG2/pgt-demo$SFX
	PINS=/sys/fs/bpf/pgt-demo$SFX
	mkdir "$CG"
	echo "(a scratch cgroup, $CG: a demo never attaches to the root cgroup)"
	mkdir -p /sys/fs/bpf
	mount -t bpf -o mode=0700 pgt-demo /sys/fs/bpf # private to the demo's mount namespace
	run gcc -static -O2 -o "$TMP/static-bind" "$SRC/tests/data/static-bind.c"
	run "$PG" kernel load --cgroup "$CG" --pin-dir "$PINS" --netns /proc/self/ns/net
	# in_cg CMD...: exec CMD inside the scratch cgroup (a script, so $! is CMD's pid).
	printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" && exec "$@"\n' "$CG" >"$TMP/in_cg"
	chmod 755 "$TMP/in_cg"
	# as USER CMD...: run CMD as USER inside the scratch cgroup.
	as() {
		_u=$1
		shift
		"$TMP/in_cg" setpriv --reuid="$_u" --regid="$_u" --init-groups -- "$@"
	}
	echo "\$ (as $DEMO, no wrapper) $TMP/static-bind 127.0.0.1 80 &"
	"$TMP/in_cg" setpriv --reuid="$DEMO" --regid="$DEMO" --init-groups -- \
		"$TMP/static-bind" 127.0.0.1 80 >"$TMP/static.out" &
	server_pid=$!
	i=0
	until grep -q ready "$TMP/static.out" 2>/dev/null || [ $i -ge 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	run curl -s http://127.0.0.1/
	echo
	say "$OTHER cannot take reserved port 5432 by any address spelling"
	for a in 127.0.0.1 0.0.0.0 :: ::ffff:127.0.0.1; do
		printf '$ (as %s) static-bind %s 5432: ' "$OTHER" "$a"
		as "$OTHER" "$TMP/static-bind" "$a" 5432 || true
	done
	run "$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net || true
	stop_server
	run "$PG" kernel unload --pin-dir "$PINS"
	rmdir "$CG" 2>/dev/null || true
	CG=""
fi

say "Service managers: portgate writes the units people otherwise write by hand"
run "$PG" unit systemd --name demo-web -u "$DEMO" -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f /etc/lighttpd/lighttpd.conf
run "$PG" unit launchd --label org.example.demo-web -l tcp://127.0.0.1:80 -- /usr/local/bin/server

say "Done: the servers, the daemon, the users, the cgroup, the namespace and the policy are removed"

say "Next: use it for real on this machine (as root)"
echo "  make install PREFIX=/usr/local     # or the Debian package: README, \"Install the Debian package\""
echo "  portgate allow www-data tcp://*:80 && portgate kernel load   # grant a port; the kernel enforces it for every program"
