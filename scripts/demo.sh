#!/bin/sh
# demo.sh - `make demo`: portgate's main job end to end, in plain words.
# Everything happens in a throwaway network namespace with a throwaway user
# (pgt-demo) and a throwaway policy; all of it is removed at the end.
set -eu

B=${PORTGATE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/.build}
PG=$B/portgate

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it creates a user and a network namespace)" >&2
	exit 1
fi

if [ "${_PG_DEMO_NETNS:-}" != 1 ]; then
	_PG_DEMO_NETNS=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

TMP=$(mktemp -d /tmp/pgt-demo.XXXXXX)
chmod 755 "$TMP"
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	userdel pgt-demo >/dev/null 2>&1 || true
	userdel pgt-other >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up
for u in pgt-demo pgt-other; do
	userdel "$u" >/dev/null 2>&1 || true
	useradd -M -d /nonexistent -s /usr/sbin/nologin -U "$u"
done
export PORTGATE_CONFIG_DIR="$TMP/etc" PORTGATE_AUTHBIND_DIR=

say "A private network namespace and two ordinary users: pgt-demo and pgt-other"
run id pgt-demo

say "The administrator grants pgt-demo port 80 on 127.0.0.1, and reserves 5432 for it"
run "$PG" allow pgt-demo tcp://127.0.0.1:80 tcp://*:5432
run cat "$TMP/etc/portgate.conf"
run "$PG" verify
run "$PG" list

say "Anyone can ask who may bind what, and why"
run "$PG" check --user pgt-demo tcp://127.0.0.1:80
run "$PG" check --user pgt-other tcp://127.0.0.1:80 || echo "(exit $?: denied)"
run "$PG" check --user pgt-other tcp://*:5432 || echo "(exit $?: denied, 5432 is reserved)"

cat >"$TMP/lighttpd.conf" <<CONF
server.document-root = "$TMP/www"
server.systemd-socket-activation = "enable"
index-file.names = ( "index.html" )
CONF
mkdir -p "$TMP/www"
echo "Hello from lighttpd, running as pgt-demo on a privileged port." >"$TMP/www/index.html"

say "Root starts an unmodified lighttpd as pgt-demo on 127.0.0.1:80 (socket handoff, LISTEN_FDS)"
# Started directly (not through run()) so that $! is portgate, which becomes lighttpd.
echo "\$ $PG run -u pgt-demo -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f $TMP/lighttpd.conf &"
"$PG" run -u pgt-demo -l tcp://127.0.0.1:80 -- /usr/sbin/lighttpd -D -f "$TMP/lighttpd.conf" &
server_pid=$!
i=0
until curl -s -o /dev/null http://127.0.0.1/ || [ $i -ge 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
run curl -s http://127.0.0.1/
printf '$ grep -E "^(Name|Uid|Gid|Groups|CapEff)" /proc/%s/status\n' "$server_pid"
grep -E '^(Name|Uid|Gid|Groups|CapEff)' "/proc/$server_pid/status"
run ss -ltnp 'sport = :80'

say "The policy will not hand pgt-demo's port to anybody else, even when root asks"
run "$PG" run -u pgt-other -l tcp://127.0.0.1:80 -- /bin/true || echo "(exit $?: refused)"

say "An ordinary user without a grant is told what would make it work"
run setpriv --reuid=pgt-other --regid=pgt-other --init-groups \
	"$PG" run -l tcp://127.0.0.1:81 -- /bin/true || echo "(exit $?)"

say "Done: the server, the users, the namespace and the policy are removed"
