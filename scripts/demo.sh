#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - `make demo`: portgate's main job end to end, in plain words.
# Everything happens in a throwaway network namespace with throwaway users
# (pgt-demo-XXXXX, pgt-other-XXXXX, pgt-demod-XXXXX: a suffix of this run's own,
# so two demos, or a demo and the tests, can overlap) and a throwaway policy.
# What the demo users run - portgate, portgated, the preload shim - is first
# staged with `make install DESTDIR=` into a world-readable scratch tree, so the
# demo works from a checkout nobody else may enter (a clone under /root, or in
# a `mktemp -d`) without loosening its permissions.  Everything this run made is
# removed at the end, however it ends.
#
# PORTGATE_DEMO_PAUSE=SECONDS pauses that long before each section, for a
# demo given to people (t0070 uses it to end a demo at a known point).
set -eu
PAUSE=${PORTGATE_DEMO_PAUSE:-0}

SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${PORTGATE_BUILD:-$SRC/.build}
[ -d "$B" ] && B=$(cd "$B" && pwd) # the demo runs from its scratch directory

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it creates users and a network namespace)" >&2
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
say() {
	[ "$PAUSE" = 0 ] || sleep "$PAUSE"
	printf '\n\033[1m== %s\033[0m\n' "$*"
}
run() { printf '$ %s\n' "$*"; "$@"; }

# This run's suffix: its scratch directory /tmp/pgt-demo-SUFFIX is created
# atomically (mkdir fails if it exists), and no user or group may have its names.
TMP=""
made_users=""
server_pid=""
daemon_pid=""
CG=""
CG2=""
PIN=""
loaded=""
i=0
while [ -z "$TMP" ] && [ $i -lt 20 ]; do
	i=$((i + 1))
	suf=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)
	taken=""
	for n in pgt-demo-$suf pgt-other-$suf pgt-demod-$suf; do
		if getent passwd "$n" >/dev/null || getent group "$n" >/dev/null; then taken=1; fi
	done
	[ -z "$taken" ] && mkdir -m 755 "/tmp/pgt-demo-$suf" 2>/dev/null && TMP=/tmp/pgt-demo-$suf
done
if [ -z "$TMP" ]; then
	echo "demo: found no free name for this run's users and scratch directory" >&2
	exit 1
fi
U=pgt-demo-$suf    # the demo user, granted port 80
O=pgt-other-$suf   # another user, granted nothing
D=pgt-demod-$suf   # the broker's user
STAGE=$TMP/stage
PIN=/sys/fs/bpf/pgt-demo-$suf

stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	server_pid=""
}
# remove_cg: end what is left in this run's scratch cgroup (only processes this
# run put there), then remove it; at most 5 s.
remove_cg() {
	[ -n "$CG" ] || return 0
	while read -r p; do
		kill -KILL "$p"
	done <"$CG/cgroup.procs" 2>/dev/null
	i=0
	while [ -d "$CG" ] && ! rmdir "$CG" 2>/dev/null && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	[ ! -d "$CG" ] && CG=""
}
# cleanup: remove exactly what this run made, whatever way it ends.
cleanup() {
	set +e
	trap '' INT TERM HUP
	stop_server
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ -n "$loaded" ]; then
		"$STAGE/usr/bin/portgate" kernel unload --pin-dir "$PIN" >/dev/null 2>&1
	fi
	remove_cg
	for u in $made_users; do
		userdel "$u" >/dev/null 2>&1
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip link set lo up
cd "$TMP" # never run anything with the checkout as the working directory

say "Staging: make install into a world-readable scratch tree, run from there"
echo "\$ make install DESTDIR=$STAGE PREFIX=/usr"
# A make of its own: not a sub-make of `make demo` (no jobserver is passed down).
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$SRC" -s --no-print-directory install \
	DESTDIR="$STAGE" PREFIX=/usr B="$B" >"$TMP/install.log" 2>&1; then
	cat "$TMP/install.log" >&2
	exit 1
fi
PATH=$STAGE/usr/bin:$STAGE/usr/sbin:$PATH
export PATH
unset PORTGATE_PRELOAD # portgate exec finds the shim installed beside it
echo "(portgate, portgated and the preload shim run from $STAGE/usr, first on PATH;"
echo " the demo users can reach them wherever this checkout is)"

for u in "$U" "$O" "$D"; do
	# Listed first: a signal that arrives during useradd is handled after it.
	made_users="$made_users $u"
	if ! useradd -M -d /nonexistent -s /usr/sbin/nologin -U "$u"; then
		made_users=${made_users% "$u"} # not ours: someone took the name meanwhile
		exit 1
	fi
done
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=

say "A private network namespace and two ordinary users: $U and $O"
run id "$U"
run id "$O"

say "The administrator grants $U port 80 on 127.0.0.1, and reserves 5432 for it"
run portgate allow "$U" tcp://127.0.0.1:80 tcp://*:5432
run cat "$TMP/etc/portgate.conf"
run portgate verify
run portgate list

say "Anyone can ask who may bind what, and why"
run portgate check --user "$U" tcp://127.0.0.1:80
run portgate check --user "$O" tcp://127.0.0.1:80 || echo "(exit $?: denied)"
run portgate check --user "$O" tcp://*:5432 || echo "(exit $?: denied, 5432 is reserved)"

cat >"$TMP/lighttpd.conf" <<CONF
server.document-root = "$TMP/www"
server.systemd-socket-activation = "enable"
index-file.names = ( "index.html" )
CONF
mkdir -p "$TMP/www"
echo "Hello from lighttpd, running as $U on a privileged port." >"$TMP/www/index.html"

say "Root starts an unmodified lighttpd as $U on 127.0.0.1:80 (socket handoff, LISTEN_FDS)"
# Started directly (not through run()) so that $! is portgate, which becomes lighttpd.
echo "\$ portgate run -u $U -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f $TMP/lighttpd.conf &"
portgate run -u "$U" -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f "$TMP/lighttpd.conf" &
server_pid=$!
wait_http
run curl -s http://127.0.0.1/
printf '$ grep -E "^(Name|Uid|Gid|Groups|CapEff)" /proc/%s/status\n' "$server_pid"
grep -E '^(Name|Uid|Gid|Groups|CapEff)' "/proc/$server_pid/status"
run ss -ltnp 'sport = :80'

say "The policy will not hand $U's port to anybody else, even when root asks"
run portgate run -u "$O" -l tcp://127.0.0.1:80 -- /bin/true || echo "(exit $?: refused)"

say "An ordinary user without a grant is told what would make it work"
run setpriv --reuid="$O" --regid="$O" --init-groups \
	portgate run -l tcp://127.0.0.1:81 -- /bin/true || echo "(exit $?)"

stop_server

say "The broker: portgated holds only CAP_NET_BIND_SERVICE and binds for permitted users"
mkdir -p "$TMP/run"
mkfifo "$TMP/ready"
echo "\$ portgated --socket $TMP/run/portgated.sock --user $D --ready-fd 3 &"
portgated --socket "$TMP/run/portgated.sock" --user "$D" --ready-fd 3 \
	3>"$TMP/ready" 2>"$TMP/portgated.log" &
daemon_pid=$!
timeout 10 head -n 1 "$TMP/ready" >/dev/null
export PORTGATE_SOCKET="$TMP/run/portgated.sock"
printf '$ grep -E "^(Uid|CapEff)" /proc/%s/status     # not root; capability 10 only\n' "$daemon_pid"
grep -E '^(Uid|CapEff)' "/proc/$daemon_pid/status"
run portgate status

say "$U runs an unmodified Python web server on port 80 with portgate exec (no root, no setuid)"
echo "Hello from python3 -m http.server, bound through portgated." >"$TMP/www/index.html"
echo "(portgate exec preloads the shim installed beside it:)"
run portgate exec -q -- /usr/bin/printenv LD_PRELOAD
echo "\$ setpriv --reuid=$U ... portgate exec -- /usr/bin/python3 -m http.server 80 --bind 127.0.0.1 &"
(cd "$TMP/www" && exec setpriv --reuid="$U" --regid="$U" --init-groups \
	portgate exec -- /usr/bin/python3 -m http.server 80 --bind 127.0.0.1 >/dev/null 2>&1) &
server_pid=$!
wait_http
run curl -s http://127.0.0.1/

say "$O tries the same port through the broker: EACCES, and a log line for the audit"
echo "\$ setpriv --reuid=$O ... portgate exec -- python3 -c 'socket.socket().bind((\"127.0.0.1\", 80))'"
setpriv --reuid="$O" --regid="$O" --init-groups portgate exec -- /usr/bin/python3 -c \
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
echo "\$ portgate proxy -l tcp://127.0.0.1:80 -u $U -- /usr/bin/python3 $TMP/unix-only.py &"
portgate proxy -l tcp://127.0.0.1:80 -u "$U" -- /usr/bin/python3 "$TMP/unix-only.py" 2>/dev/null &
server_pid=$!
wait_http
run curl -s http://127.0.0.1/
stop_server

CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$CG2" ] && [ -e /sys/kernel/btf/vmlinux ]; then
	say "The kernel path: the same policy in eBPF bind hooks, for every program, even static ones"
	mkdir "$CG2/pgt-demo-$suf"
	CG=$CG2/pgt-demo-$suf
	echo "(a scratch cgroup, $CG: a demo never attaches to the root cgroup)"
	mkdir -p /sys/fs/bpf
	mount -t bpf -o mode=0700 pgt-demo /sys/fs/bpf # private to the demo's mount namespace
	run gcc -static -O2 -o "$TMP/static-bind" "$SRC/tests/data/static-bind.c"
	loaded=1
	run portgate kernel load --cgroup "$CG" --pin-dir "$PIN" --netns /proc/self/ns/net
	# in_cg CMD...: exec CMD inside the scratch cgroup (a script, so $! is CMD's pid).
	printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" && exec "$@"\n' "$CG" >"$TMP/in_cg"
	chmod 755 "$TMP/in_cg"
	# as USER CMD...: run CMD as USER inside the scratch cgroup.
	as() {
		_u=$1
		shift
		"$TMP/in_cg" setpriv --reuid="$_u" --regid="$_u" --init-groups -- "$@"
	}
	echo "\$ (as $U, no wrapper) $TMP/static-bind 127.0.0.1 80 &"
	"$TMP/in_cg" setpriv --reuid="$U" --regid="$U" --init-groups -- \
		"$TMP/static-bind" 127.0.0.1 80 >"$TMP/static.out" &
	server_pid=$!
	i=0
	until grep -q ready "$TMP/static.out" 2>/dev/null || [ $i -ge 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	run curl -s http://127.0.0.1/
	echo
	say "$O cannot take reserved port 5432 by any address spelling"
	for a in 127.0.0.1 0.0.0.0 :: ::ffff:127.0.0.1; do
		printf '$ (as %s) static-bind %s 5432: ' "$O" "$a"
		as "$O" "$TMP/static-bind" "$a" 5432 || true
	done
	run portgate kernel status --pin-dir "$PIN" --netns /proc/self/ns/net || true
	stop_server
	run portgate kernel unload --pin-dir "$PIN"
	loaded=""
	remove_cg
fi

say "Service managers: portgate writes the units people otherwise write by hand"
run portgate unit systemd --name demo-web -u "$U" -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f /etc/lighttpd/lighttpd.conf
run portgate unit launchd --label org.example.demo-web -l tcp://127.0.0.1:80 -- /usr/local/bin/server

say "Done: the servers, the daemon, the users, the cgroup, the namespace, the staged install and the policy are removed"
cat <<EOF

Next, for real use (as root, in this checkout):
    make install PREFIX=/usr/local DESTDIR=    # or the Debian package: README.md, "Install the Debian package"
    portgate allow www-data tcp://*:80         # a policy: writes /etc/portgate/portgate.conf
Then 'portgate kernel load' enforces it for every program on the host (Linux 5.18+ with BTF),
and 'portgate status' says what enforces it; the other ways: README.md, "Four ways to enforce it".
EOF
