#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-bind-bench.sh - time a granted bind() of 127.0.0.1:80 three ways, in a
# network and mount namespace of its own: (a) directly as root, the floor;
# (b) as the ordinary user pgt-bench through `portgate exec` (shim -> portgated);
# (c) as pgt-bench through Debian's authbind (fork + exec of a setuid helper);
# then (b) again with polling off, and with the program and portgated pinned
# to one CPU (diagnostics).
# Prints a Markdown report; -o FILE writes it there too.  See bench/README.md.
#
#   make && sudo bench/run-bind-bench.sh [-o bench/results-bind.md]
#
# Iteration counts (bounded; bind-bench also stops after 60 s each):
# BENCH_N_DIRECT=20000 BENCH_N_SHIM=5000 BENCH_N_AUTHBIND=500.  The users it
# creates (pgt-bench, pgt-benchd) and the processes it starts are removed on exit.
set -eu

SRC=$(cd "${0%/*}/.." && pwd)
BUILD=${PORTGATE_BUILD:-$SRC/.build}
N_DIRECT=${BENCH_N_DIRECT:-20000}
N_SHIM=${BENCH_N_SHIM:-5000}
N_AUTHBIND=${BENCH_N_AUTHBIND:-500}
ARGS="$*"

die() {
	echo "run-bind-bench: $*" >&2
	exit 1
}

OUTFILE=""
while getopts o: opt; do
	case $opt in
	o) OUTFILE=$(realpath -m "$OPTARG") ;;
	*) die "usage: run-bind-bench.sh [-o FILE]" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "run as root: it creates users and a network namespace"
for f in "$BUILD/portgate" "$BUILD/portgated" "$BUILD/libportgate-preload.so"; do
	[ -e "$f" ] || die "missing $f: run make first"
done
command -v authbind >/dev/null || die "needs authbind (apt-get install authbind)"
[ -d /etc/authbind ] || die "needs /etc/authbind (the authbind package)"

# Everything below runs in fresh network + mount namespaces: port 80 and the
# authbind tree mounted over /etc/authbind exist only in here.
if [ "${_PG_BENCH_NS:-}" != 1 ]; then
	_PG_BENCH_NS=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

WORK=""
PGD_PID=""
USERS=""
cleanup() {
	set +e # clean up everything, whatever fails
	for p in $PGD_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for u in $USERS; do
		userdel "$u" >/dev/null 2>&1
		groupdel "$u" >/dev/null 2>&1
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d /tmp/pgbench.XXXXXX)
chmod 755 "$WORK"

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$WORK/bind-bench" "$SRC/bench/bind-bench.c"

for u in pgt-bench pgt-benchd; do
	if getent passwd "$u" >/dev/null; then
		die "user $u exists (another run, or a leftover): remove it first"
	fi
	useradd -M -d /nonexistent -s /usr/sbin/nologin -U "$u"
	USERS="$USERS $u"
done
BENCH_GID=$(id -g pgt-bench)

# The same grant both ways: portgate's policy, and authbind's byport/80.
mkdir -p "$WORK/etc" "$WORK/authbind/byport" "$WORK/authbind/byaddr" "$WORK/authbind/byuid"
echo "pgt-bench tcp://127.0.0.1:80" >"$WORK/etc/portgate.conf"
chmod -R a+rX "$WORK/etc" "$WORK/authbind"
touch "$WORK/authbind/byport/80"
chown pgt-bench "$WORK/authbind/byport/80"
chmod 500 "$WORK/authbind/byport/80"
mount --bind "$WORK/authbind" /etc/authbind

# start_portgated NAME ARGS...: a portgated serving $WORK/run/NAME.sock, its
# PID added to PGD_PID.  "default" has the default options; "nopoll" never polls.
start_portgated() {
	_n=$1
	shift
	mkfifo "$WORK/$_n.ready"
	"$BUILD/portgated" --foreground --socket "$WORK/run/$_n.sock" --config "$WORK/etc" \
		--user pgt-benchd --ready-fd 3 "$@" 3>"$WORK/$_n.ready" 2>"$WORK/$_n.log" &
	PGD_PID="$PGD_PID $!"
	if ! timeout 10 head -n 1 "$WORK/$_n.ready" | grep . >/dev/null; then
		cat "$WORK/$_n.log" >&2
		die "portgated ($_n) did not become ready"
	fi
}

start_portgated default
DEFAULT_PID=${PGD_PID# }
start_portgated nopoll --busy-poll 0
SOCK=$WORK/run/default.sock

# Without help the kernel refuses pgt-bench: the two user runs measure a real grant.
if setpriv --reuid=pgt-bench --regid="$BENCH_GID" --init-groups -- "$WORK/bind-bench" -n 1 -w 0 127.0.0.1 80 >/dev/null 2>&1; then
	die "pgt-bench can bind 127.0.0.1:80 without help: ip_unprivileged_port_start?"
fi

# bench NAME CMD...: run CMD (a bind-bench), print "NAME <its result line>".
bench() {
	_name=$1
	shift
	_line=$(timeout 120 "$@") || die "$_name: failed"
	echo "$_name $_line"
}

{
	bench direct "$WORK/bind-bench" -n "$N_DIRECT" 127.0.0.1 80
	bench shim setpriv --reuid=pgt-bench --regid="$BENCH_GID" --init-groups -- \
		env PORTGATE_SOCKET="$SOCK" "$BUILD/portgate" exec -q -- \
		"$WORK/bind-bench" -n "$N_SHIM" 127.0.0.1 80
	bench authbind setpriv --reuid=pgt-bench --regid="$BENCH_GID" --init-groups -- \
		authbind "$WORK/bind-bench" -n "$N_AUTHBIND" 127.0.0.1 80
	# Diagnostics, not configurations.  The shim with polling off on both
	# sides: the program and portgated sleep as soon as they wait.
	bench shim-nopoll setpriv --reuid=pgt-bench --regid="$BENCH_GID" --init-groups -- \
		env PORTGATE_SOCKET="$WORK/run/nopoll.sock" PORTGATE_BROKER_POLL=0 \
		"$BUILD/portgate" exec -q -- "$WORK/bind-bench" -n "$N_SHIM" 127.0.0.1 80
	# The shim with the program and portgated on one CPU, so that no wakeup
	# crosses CPUs.
	taskset -p -c 0 "$DEFAULT_PID" >/dev/null
	bench shim-1cpu setpriv --reuid=pgt-bench --regid="$BENCH_GID" --init-groups -- \
		taskset -c 0 env PORTGATE_SOCKET="$SOCK" "$BUILD/portgate" exec -q -- \
		"$WORK/bind-bench" -n "$N_SHIM" 127.0.0.1 80
} >"$WORK/results"

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
GLIBC=$(ldd --version | head -n 1 | sed 's/.* //')
AUTHBIND=$(dpkg-query -W -f '${Version}' authbind 2>/dev/null || echo unknown)

report() {
	echo "### Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Command: \`bench/run-bind-bench.sh${ARGS:+ $ARGS}\` (BENCH_N_DIRECT=$N_DIRECT" \
		"BENCH_N_SHIM=$N_SHIM BENCH_N_AUTHBIND=$N_AUTHBIND), portgate $(git -C "$SRC" \
		describe --always --dirty 2>/dev/null || echo '?')"
	echo
	echo "Machine: $CPU; nproc $(nproc); kernel $(uname -r); glibc $GLIBC; authbind $AUTHBIND"
	echo
	echo "| path | binds | µs/bind mean | p50 | p99 | µs/iteration (socket+bind+close) | × floor (mean) | authbind ÷ this (mean) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	awk '
	{
		name[NR] = $1
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] }
		if ($1 == "direct") floor = v[NR, "bind_mean_us"]
		if ($1 == "authbind") ab = v[NR, "bind_mean_us"]
	}
	END {
		label["direct"] = "direct bind() as root (the floor)"
		label["shim"] = "pgt-bench: portgate exec shim -> portgated"
		label["authbind"] = "pgt-bench: authbind (setuid helper)"
		label["shim-nopoll"] = "(diagnostic) the shim, polling off (PORTGATE_BROKER_POLL=0, portgated --busy-poll 0)"
		label["shim-1cpu"] = "(diagnostic) the shim, program and portgated pinned to CPU 0"
		for (r = 1; r <= NR; r++) {
			m = v[r, "bind_mean_us"]
			printf "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.1f× | %.1f× |\n", label[name[r]],
			    v[r, "n"], m, v[r, "bind_p50_us"], v[r, "bind_p99_us"], v[r, "iter_mean_us"],
			    m / floor, ab / m
		}
	}' "$WORK/results"
}

report | tee ${OUTFILE:+"$OUTFILE"}
