#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# restart-bench.sh - what clients see while a server restarts 20 times under
# load: refused connections, failed requests and latency (p50, p99, max of
# the requests that succeeded), for four ways of restarting the same kind of
# server, in one run:
#   plain   python server (pg-http-serve) under `portgate run`, stopped
#           (SIGTERM, waited for) and started again
#   keep    the same server under `portgate run --keep --ready=notify`, SIGHUP
#   adopt   Debian's nginx under `portgate run --keep --adopt --stop-signal
#           QUIT` (--ready=adopt), SIGHUP
#   reload  the same nginx without portgate (master as root), `nginx -s reload`
# The load: 4 clients (tests/helpers/pg-http-load: sequential HTTP/1.0
# requests, a new connection each) from before the first restart until the
# 20th is done; at most 20000 requests or 120 s per client.  Prints a
# Markdown report; -o FILE writes it there too.
#
#   make && sudo bench/restart-bench.sh [-o bench/restart-bench-run.md]
#
# Runs in network and mount namespaces of its own (loopback only, port 80);
# the user pgt-keepbench, the processes it started (by pid) and its scratch
# directory are removed on exit.
set -eu

SRC=$(cd "${0%/*}/.." && pwd)
BUILD=${PORTGATE_BUILD:-$SRC/.build}
NGINX=${NGINX:-/usr/sbin/nginx}
PY=/usr/bin/python3
N=20
ARGS="$*"

die() {
	echo "restart-bench: $*" >&2
	exit 1
}

OUTFILE=""
while getopts o: opt; do
	case $opt in
	o) OUTFILE=$(realpath -m "$OPTARG") ;;
	*) die "usage: restart-bench.sh [-o FILE]" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "run as root: it creates a user and a network namespace"
[ -x "$BUILD/portgate" ] || die "missing $BUILD/portgate: run make first"
[ -x "$NGINX" ] || die "missing $NGINX (scripts/install-deps.sh)"
[ -x "$PY" ] || die "missing $PY"
if [ "${_PG_RBENCH_NS:-}" != 1 ]; then
	_PG_RBENCH_NS=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

U=pgt-keepbench
WORK=$(mktemp -d /tmp/pgt-keepbench.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || :
	done
	sleep 0.5
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null || :
	done
	userdel "$U" >/dev/null 2>&1 || :
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

id "$U" >/dev/null 2>&1 && die "user $U exists: a previous run did not clean up? (userdel $U)"
useradd --system --no-create-home --shell /usr/sbin/nologin "$U"
# What the user runs, it must reach: copies in a world-readable stage.
mkdir -p "$WORK/stage" "$WORK/www" "$WORK/nginx"
cp -p "$BUILD/portgate" "$BUILD/libportgate-preload.so" "$WORK/stage/"
cp -p "$SRC/tests/helpers/pg-http-serve" "$SRC/tests/helpers/pg-http-load" "$WORK/stage/"
echo "restart bench" >"$WORK/www/index.html"
mkdir -p "$WORK/etc"
: >"$WORK/etc/portgate.conf"
mkdir -p "$WORK/out" # the clients' latencies, written as the user
chown "$U" "$WORK/nginx" "$WORK/out"
chmod -R a+rX "$WORK"
export PORTGATE_CONFIG_DIR="$WORK/etc" PORTGATE_AUTHBIND_DIR=
PG=$WORK/stage/portgate
SERVE=$WORK/stage/pg-http-serve
LOAD=$WORK/stage/pg-http-load

# nginx_conf FILE USER_LINE ERRLOG: Debian's nginx, its usual listen line.
nginx_conf() {
	cat >"$1" <<EOF
daemon off;
master_process on;
worker_processes 2;
$2
pid $WORK/nginx/nginx.pid;
error_log $3 notice;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	server {
		listen 127.0.0.1:80;
		root $WORK/www;
	}
}
EOF
	chmod a+r "$1"
}

# wait_for CMD...: until CMD succeeds, at most 30 s.
wait_for() {
	_i=0
	until "$@" >/dev/null 2>&1; do
		[ "$_i" -ge 300 ] && die "timed out waiting for: $*"
		sleep 0.1
		_i=$((_i + 1))
	done
}
answers() {
	curl -sf -m 2 -o /dev/null http://127.0.0.1:80/index.html
}
# lines N PATTERN FILE: FILE has at least N lines matching PATTERN.
lines() {
	[ "$(grep -c -e "$2" "$3")" -ge "$1" ]
}
gone() {
	! kill -0 "$1" 2>/dev/null
}
start() {
	"$@" &
	PIDS="$PIDS $!"
	LAST=$!
}

# load_start ROW / load_stop ROW: the 4 clients, as the user.
load_start() {
	rm -f "$WORK/$1.stop"
	for c in 1 2 3 4; do
		start setpriv --reuid="$U" --regid="$U" --clear-groups -- "$LOAD" 80 \
			--path /index.html --until "$WORK/$1.stop" --max 20000 --seconds 120 \
			--latencies "$WORK/out/$1.lat$c" >"$WORK/$1.client$c" 2>&1
	done
}
load_stop() {
	touch "$WORK/$1.stop"
	wait_for sh -c "test \$(cat '$WORK/$1'.client? | grep -c '^ok=') -ge 4"
}

# report ROW LABEL SECONDS: one table row from the clients' counts and latencies.
report() {
	cat "$WORK/out/$1".lat? | awk -v label="$2" -v secs="$3" '
		{ n++ } $2 == "ok" { ok++; print $1 | "sort -n > \"'"$WORK/$1"'.sorted\"" }
		$2 == "refused" { refused++ } $2 == "failed" { failed++ }
		END { printf "%s|%d|%d|%d|%d|%.1f\n", label, n, ok, refused, failed, secs }' >"$WORK/$1.row"
	n_ok=$(wc -l <"$WORK/$1.sorted")
	awk -v n="$n_ok" '
		NR == int(n * 0.50 + 0.999) { p50 = $1 } NR == int(n * 0.99 + 0.999) { p99 = $1 }
		{ max = $1 } END { printf "%.2f|%.2f|%.2f\n", p50 / 1000, p99 / 1000, max / 1000 }' \
		"$WORK/$1.sorted" >"$WORK/$1.lat"
	IFS='|' read -r label n ok refused failed secs <"$WORK/$1.row"
	IFS='|' read -r p50 p99 max <"$WORK/$1.lat"
	printf '| %s | %d | %d | %d | %d | %s | %s | %s | %s |\n' "$label" "$n" "$ok" \
		"$refused" "$failed" "$p50" "$p99" "$max" "$secs" >>"$WORK/table"
}
now() {
	date +%s.%N
}
elapsed() {
	echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'
}

# --- (a) plain: stop and start ---------------------------------------------------
start "$PG" run -u "$U" -l 127.0.0.1:80 -- "$SERVE" 2>"$WORK/plain.log"
P=$LAST
wait_for answers
load_start plain
t0=$(now)
for i in $(seq $N); do
	kill -TERM "$P"
	wait_for gone "$P"
	start "$PG" run -u "$U" -l 127.0.0.1:80 -- "$SERVE" 2>>"$WORK/plain.log"
	P=$LAST
	wait_for answers
done
t=$(elapsed "$t0")
load_stop plain
kill -TERM "$P"
wait_for gone "$P"
report plain "(a) python server, \`portgate run\`, stopped and started" "$t"

# keeper_row ROW LABEL READY ARGS...: `portgate run ARGS` as a keeper, N SIGHUPs
# under load, each once the keeper logged the previous new PROG as READY.
keeper_row() {
	_row=$1 _label=$2 _ready=$3
	shift 3
	start "$PG" run "$@" 2>"$WORK/$_row.log"
	K=$LAST
	wait_for answers
	load_start "$_row"
	t0=$(now)
	for i in $(seq $N); do
		kill -HUP "$K"
		wait_for lines "$i" "$_ready" "$WORK/$_row.log"
	done
	wait_for lines $N "stopped PROG pid .* exited" "$WORK/$_row.log"
	t=$(elapsed "$t0")
	load_stop "$_row"
	kill -TERM "$K"
	wait_for gone "$K"
	report "$_row" "$_label" "$t"
}

# --- (b) portgate run --keep, SIGHUP ---------------------------------------------
keeper_row keep "(b) python server, \`portgate run --keep\` + SIGHUP" "is ready (READY=1)" \
	--keep --ready=notify -u "$U" -l 127.0.0.1:80 -- "$SERVE"

# --- (c) nginx, portgate run --keep --adopt, SIGHUP ----------------------------------
nginx_conf "$WORK/nginx-adopt.conf" "" stderr
keeper_row adopt "(c) nginx, \`portgate run --keep --adopt\` + SIGHUP" \
	"is ready (adopted and listening" --keep --adopt --stop-signal QUIT -u "$U" \
	-l tcp://127.0.0.1:80 -- "$NGINX" -e stderr -c "$WORK/nginx-adopt.conf"

# --- (d) nginx -s reload, no portgate ------------------------------------------------
nginx_conf "$WORK/nginx-reload.conf" "user $U;" "$WORK/reload.log"
: >"$WORK/reload.log"
start "$NGINX" -c "$WORK/nginx-reload.conf"
M=$LAST
wait_for answers
load_start reload
t0=$(now)
for i in $(seq $N); do
	"$NGINX" -c "$WORK/nginx-reload.conf" -s reload 2>>"$WORK/reload.err"
	# One reload done, its new workers started: the next SIGHUP is not merged into it.
	wait_for lines "$i" "#[0-9]*: reconfiguring\$" "$WORK/reload.log"
	wait_for lines $((2 * (i + 1))) "start worker process [0-9]" "$WORK/reload.log"
done
# The old workers are gone, as the old PROGs are in (b) and (c).
wait_for lines $((2 * N)) "worker process [0-9]* exited" "$WORK/reload.log"
t=$(elapsed "$t0")
load_stop reload
kill -QUIT "$M"
wait_for gone "$M"
report reload "(d) nginx, \`nginx -s reload\`, no portgate" "$t"

# --- the report ----------------------------------------------------------------------
{
	echo "## restart-bench: $N restarts under 4 clients' load"
	echo
	echo "Command: \`bench/restart-bench.sh $ARGS\` ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), Linux $(uname -r),"
	echo "$($NGINX -v 2>&1 | sed 's/^nginx version: //'), $($PY --version 2>&1), portgate $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')."
	echo
	echo "Client: tests/helpers/pg-http-load, 4 at once, each sequential HTTP/1.0 GET /index.html"
	echo "on a new connection, from before the first restart until the ${N}th is done."
	echo "Latency: connect to the end of the reply, of the requests that succeeded."
	echo
	echo "| row | requests | ok | refused | failed | p50 ms | p99 ms | max ms | restarts took s |"
	echo "|---|---|---|---|---|---|---|---|---|"
	cat "$WORK/table"
} >"$WORK/report"
cat "$WORK/report"
[ -z "$OUTFILE" ] || cp "$WORK/report" "$OUTFILE"
