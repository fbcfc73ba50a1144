#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t2000-kernel.sh - portgate kernel: the policy in the cgroup bind hooks.  A
# static binary serves on port 80 as an ordinary user with no wrapper; other
# users cannot take a reserved port by any address spelling; unmanaged ports
# and root are untouched; groups, the broker's exemption, netns scoping;
# status audits listeners; reload swaps atomically; unload restores the
# kernel's default; a policy too large is refused whole; "kernel watch" reloads
# when the policy files or the accounts change, and keeps the old policy when
# the new one is broken.
#
# Users are pgt-k* so that runs of other tests on a shared machine (pgt-alice...)
# never collide with this one.
# SAFETY: everything is attached to a scratch cgroup made here, never the
# root; only this test's processes join it, each before it creates a socket.
# Pins go to a bpffs mounted privately in this test's mount namespace (the
# harness made it), so they can never reach the host's /sys/fs/bpf.  The trap
# unloads, moves any process out, removes the cgroup.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

BIND=$HELPERS/pg-bind
LOOP=$HELPERS/pg-bind-loop
if ! [ -x "$PG" ] || ! [ -x "$BIND" ] || ! [ -x "$LOOP" ]; then
	skip_all "needs $PG, $BIND and $LOOP (make all-tests)"
fi
require_cmd setpriv gcc bpftool curl readelf usermod gpasswd
[ -r /sys/kernel/btf/vmlinux ] || skip_all "the kernel has no BTF (/sys/kernel/btf/vmlinux)"

CG2=$(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -n 1)
if [ -z "$CG2" ] || ! [ -d "$CG2" ]; then
	skip_all "no cgroup v2 hierarchy mounted"
fi
ORIG_CG=$CG2$(sed -n 's/^0:://p' /proc/self/cgroup)
[ -d "$ORIG_CG" ] || ORIG_CG=$CG2
CG=$CG2/pgt-t2000-$$
CGB=$CG2/pgt-t2000-big-$$

# A bpffs of our own, private to this mount namespace, over /sys/fs/bpf.
mount -t bpf -o mode=0700 pgt-t2000 /sys/fs/bpf ||
	skip_all "cannot mount a private bpffs at /sys/fs/bpf"
PINS=/sys/fs/bpf/pgt-t2000-$$
OWN_BPFFS=1

kernel_cleanup() {
	kill_tracked
	for f in "$TMP"/srv-*; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for d in "$PINS" "$PINS-big" /sys/fs/bpf/portgate; do
		[ "$OWN_BPFFS" = 1 ] && "$PG" kernel unload --pin-dir "$d" >/dev/null 2>&1
	done
	for c in "$CG" "$CGB"; do
		[ -d "$c" ] || continue
		while read -r p; do
			echo "$p" >"$ORIG_CG/cgroup.procs" 2>/dev/null
		done <"$c/cgroup.procs"
		rmdir "$c" 2>/dev/null
	done
	_pg_cleanup
}
trap kernel_cleanup EXIT
mkdir "$CG" "$CGB" || { echo "Bail out! cannot create scratch cgroups under $CG2"; exit 1; }

make_group "pgt-kweb$SFX"
make_user "pgt-kalice$SFX"
make_user "pgt-kbob$SFX"
make_user "pgt-kcarol$SFX" "pgt-kweb$SFX"
make_user "pgt-kdave$SFX"
make_user "pgt-kbroker$SFX"
A_UID=$(id -u "pgt-kalice$SFX")
B_UID=$(id -u "pgt-kbob$SFX")

ETC=$TMP/etc
mkdir -p "$ETC"
policy_a() {
	cat <<-EOF
		pgt-kalice$SFX tcp://*:80
		pgt-kalice$SFX tcp://*:5060 udp://*:5060
		pgt-kalice$SFX tcp://127.0.0.1:8080
		pgt-kalice$SFX tcp://[::]:8443
		@pgt-kweb$SFX  tcp://*:443
		@pgt-kdave$SFX tcp://*:445
	EOF
}
policy_a >"$ETC/portgate.conf"
chmod -R a+rX "$ETC"
export PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR=
OUT=$TMP/out
ERR=$TMP/err
LOADOPTS="--cgroup $CG --pin-dir $PINS --netns /proc/self/ns/net --broker-user pgt-kbroker$SFX"

# in_cg CMD...: run CMD inside the scratch cgroup (joined before CMD starts).  A
# script, not a function, so that "in_cg CMD &" leaves $! = CMD's pid.
printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" && exec "$@"\n' "$CG" >"$TMP/in_cg"
chmod 755 "$TMP/in_cg"
in_cg() {
	"$TMP/in_cg" "$@"
}
# start_server USER PORT [outside]: the static server as USER on 0.0.0.0:PORT, in the
# scratch cgroup unless "outside"; waits for "ready"; its pid is in $TMP/srv-USER.
start_server() {
	rm -f "$TMP/srv.fifo" && mkfifo "$TMP/srv.fifo" || return 1
	if [ "${3:-}" = outside ]; then
		setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- \
			"$TMP/static-bind" 0.0.0.0 "$2" >"$TMP/srv.fifo" 2>&1 &
	else
		"$TMP/in_cg" setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- \
			"$TMP/static-bind" 0.0.0.0 "$2" >"$TMP/srv.fifo" 2>&1 &
	fi
	echo $! >"$TMP/srv-$1"
	timeout 10 head -n 1 "$TMP/srv.fifo" | grep -x ready
}
# stop_server USER: end it and wait until it is gone (bounded).
stop_server() {
	_p=$(cat "$TMP/srv-$1") && kill "$_p" || return 1
	_n=0
	while kill -0 "$_p" 2>/dev/null && [ "$_n" -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	! kill -0 "$_p" 2>/dev/null
}
# run_as USER CMD...: CMD as USER (uids, gids, groups), inside the scratch cgroup.
run_as() {
	_u=$1
	shift
	in_cg setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups -- "$@"
}
# expect_bind USER WANT tcp|udp ADDR PORT [--v6only 0|1]: pg-bind prints WANT.
expect_bind() {
	_u=$1 _want=$2
	shift 2
	if [ "$_u" = root ]; then
		_got=$(in_cg "$BIND" "$@")
	else
		_got=$(run_as "$_u" "$BIND" "$@")
	fi
	[ "$_got" = "$_want" ] || { echo "$_u bind $*: got '$_got', want '$_want'"; return 1; }
}
# The program ids attached to a cgroup (bpftool), one per line.
attached() {
	bpftool cgroup list "$1" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ {print $1 " " $NF}'
}

# --- load ------------------------------------------------------------------------

test_expect_code 111 'load refuses a directory that is not a cgroup, naming the broker' '
	"$PG" kernel load --cgroup "$TMP" --pin-dir "$PINS" 2>"$ERR";
	rc=$?; grep -F "not a cgroup v2 directory" "$ERR" && grep -F portgated "$ERR" && exit $rc
'

test_expect_code 111 'an ordinary user cannot load: run as root' '
	setpriv --reuid=pgt-kbob$SFX --regid=pgt-kbob$SFX --init-groups -- \
		"$PG" kernel load $LOADOPTS 2>"$ERR"; rc=$?; grep -F "run as root" "$ERR"; exit $rc
'

test_expect_code 100 '--all-netns and --netns exclude each other' '
	"$PG" kernel load --all-netns --netns /proc/self/ns/net --pin-dir "$PINS"
'

test_expect_success 'load attaches both hooks to the scratch cgroup and pins the links' '
	"$PG" kernel load $LOADOPTS >"$OUT" &&
	grep -F "loaded at $CG, pinned in $PINS" "$OUT" &&
	grep -F "policy: 7 rules, 7 managed ports" "$OUT" &&
	test -e "$PINS/bind4" && test -e "$PINS/bind6" &&
	attached "$CG" >"$TMP/ids" && grep " portgate_bind4$" "$TMP/ids" &&
	grep " portgate_bind6$" "$TMP/ids"
'

test_expect_success 'nothing of ours is attached to the cgroup2 root' '
	! attached "$CG2" | grep portgate_bind
'

test_expect_code 111 'a second load says a policy is already loaded' '
	"$PG" kernel load $LOADOPTS 2>"$ERR"; rc=$?; grep -F "kernel reload" "$ERR" && exit $rc
'

test_expect_success 'the loader has exited: the pinned links keep the policy enforced' '
	expect_bind pgt-kbob$SFX EACCES udp 0.0.0.0 5060
'

# --- a static binary, no wrapper ---------------------------------------------------

test_expect_success 'build a statically linked server with gcc -static' '
	gcc -static -O2 -o "$TMP/static-bind" "$DATA/static-bind.c" &&
	! readelf -l "$TMP/static-bind" | grep -F "Requesting program interpreter"
'

test_expect_success 'pgt-kalice runs it on port 80 with no wrapper and no capability' '
	start_server pgt-kalice$SFX 80
'

test_expect_success 'and serves: a client gets its answer from uid pgt-kalice' '
	curl -s --max-time 5 http://127.0.0.1:80/ >"$OUT" &&
	grep -x "static-bind uid=$A_UID" "$OUT" && stop_server pgt-kalice$SFX
'

test_expect_success 'the same binary run by pgt-kbob is refused with EACCES' '
	run_as pgt-kbob$SFX "$TMP/static-bind" 127.0.0.1 80 >"$OUT"; grep -x EACCES "$OUT"
'

# --- reserved ports, every address spelling ------------------------------------------

for a in 0.0.0.0 127.0.0.1 :: ::1 ::ffff:127.0.0.1 ::ffff:0.0.0.0; do
	test_expect_success "pgt-kbob$SFX is refused tcp $a:80 and tcp+udp $a:5060" "
		expect_bind pgt-kbob$SFX EACCES tcp $a 80 &&
		expect_bind pgt-kbob$SFX EACCES tcp $a 5060 && expect_bind pgt-kbob$SFX EACCES udp $a 5060
	"
done
test_expect_success 'pgt-kbob is refused [::]:80 and [::]:5060 dual-stack and v6-only' '
	for v in 0 1; do
		expect_bind pgt-kbob$SFX EACCES tcp :: 80 --v6only $v &&
		expect_bind pgt-kbob$SFX EACCES tcp :: 5060 --v6only $v &&
		expect_bind pgt-kbob$SFX EACCES udp :: 5060 --v6only $v || exit 1
	done
'
# bind_with_cap ADDR PORT: pg-bind as pgt-kbob holding CAP_NET_BIND_SERVICE, in the cgroup.
bind_with_cap() {
	in_cg setpriv --reuid="pgt-kbob$SFX" --regid="pgt-kbob$SFX" --init-groups \
		--inh-caps=+net_bind_service --ambient-caps=+net_bind_service -- "$BIND" tcp "$@"
}
test_expect_success 'pgt-kbob holding CAP_NET_BIND_SERVICE is still refused port 80' '
	got=$(bind_with_cap 0.0.0.0 80); test "$got" = EACCES
'
for a in 0.0.0.0 127.0.0.1 :: ::1 ::ffff:127.0.0.1; do
	test_expect_success "pgt-kalice$SFX may bind tcp $a:80 and tcp+udp $a:5060" "
		expect_bind pgt-kalice$SFX ok tcp $a 80 &&
		expect_bind pgt-kalice$SFX ok tcp $a 5060 && expect_bind pgt-kalice$SFX ok udp $a 5060
	"
done
test_expect_success 'pgt-kalice may bind [::]:80 dual-stack and v6-only' '
	expect_bind pgt-kalice$SFX ok tcp :: 80 --v6only 0 &&
	expect_bind pgt-kalice$SFX ok tcp :: 80 --v6only 1 &&
	expect_bind pgt-kalice$SFX ok udp :: 5060 --v6only 0
'

cat >"$TMP/mptcp.py" <<'EOF'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM, 262)  # IPPROTO_MPTCP
if len(sys.argv) > 3:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(sys.argv[3]))
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
    print("ok")
except OSError as e:
    print(e.strerror)
EOF
chmod 644 "$TMP/mptcp.py"
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" = 1 ] && [ -x /usr/bin/python3 ]; then
	test_expect_success 'MPTCP is judged as TCP, [::] v6-only included' '
		py() { run_as "$1" /usr/bin/python3 "$TMP/mptcp.py" "$2" "$3" ${4:+"$4"}; } &&
		test "$(py pgt-kalice$SFX 0.0.0.0 5060)" = ok &&
		test "$(py pgt-kbob$SFX 0.0.0.0 5060)" = "Permission denied" &&
		test "$(py pgt-kbob$SFX :: 80 0)" = "Permission denied" &&
		test "$(py pgt-kalice$SFX :: 8443 1)" = ok &&
		test "$(py pgt-kalice$SFX :: 8443 0)" = "Permission denied"
	'
fi

test_expect_success 'an address grant is not a wildcard grant' '
	expect_bind pgt-kalice$SFX ok tcp 127.0.0.1 8080 &&
	expect_bind pgt-kalice$SFX ok tcp ::ffff:127.0.0.1 8080 &&
	expect_bind pgt-kalice$SFX EACCES tcp 0.0.0.0 8080 &&
	expect_bind pgt-kalice$SFX EACCES tcp 127.0.0.2 8080 &&
	expect_bind pgt-kalice$SFX EACCES tcp :: 8080 --v6only 1 &&
	expect_bind pgt-kbob$SFX EACCES tcp 127.0.0.1 8080
'
test_expect_success 'a [::] grant: v6-only yes, dual-stack needs 0.0.0.0 too' '
	expect_bind pgt-kalice$SFX ok tcp :: 8443 --v6only 1 &&
	expect_bind pgt-kalice$SFX EACCES tcp :: 8443 --v6only 0 &&
	expect_bind pgt-kalice$SFX EACCES tcp 0.0.0.0 8443
'

# --- what the policy does not name -------------------------------------------------------

test_expect_success 'unmanaged ports keep the kernel default' '
	expect_bind pgt-kbob$SFX ok tcp 0.0.0.0 8081 && expect_bind pgt-kbob$SFX ok udp :: 5061 &&
	expect_bind pgt-kbob$SFX EACCES udp 0.0.0.0 80 && expect_bind pgt-kbob$SFX EACCES tcp 0.0.0.0 79 &&
	expect_bind pgt-kalice$SFX EACCES tcp 0.0.0.0 81 && expect_bind pgt-kbob$SFX ok tcp 0.0.0.0 0
'
test_expect_success 'root is not judged' '
	expect_bind root ok tcp 0.0.0.0 80 && expect_bind root ok udp :: 5060 &&
	expect_bind root ok tcp 127.0.0.1 8080
'
test_expect_success 'outside the scratch cgroup nothing changed' '
	test "$(setpriv --reuid=pgt-kbob$SFX --regid=pgt-kbob$SFX --init-groups -- "$BIND" udp 0.0.0.0 5060)" = ok
'
test_expect_success 'in another network namespace the policy does not apply' '
	got=$(in_cg unshare --net sh -c "ip link set lo up &&
		setpriv --reuid=pgt-kbob$SFX --regid=pgt-kbob$SFX --init-groups -- \"\$0\" udp 127.0.0.1 5060" "$BIND")
	echo "got: $got" && test "$got" = ok
'

# --- groups and the broker -------------------------------------------------------------------

test_expect_success 'a supplementary group grant: pgt-kcarol (pgt-kweb) binds 443' '
	expect_bind pgt-kcarol$SFX ok tcp 0.0.0.0 443 && expect_bind pgt-kcarol$SFX ok tcp :: 443 &&
	expect_bind pgt-kbob$SFX EACCES tcp 0.0.0.0 443
'
test_expect_success 'a primary group grant: pgt-kdave binds 445' '
	expect_bind pgt-kdave$SFX ok tcp 0.0.0.0 445 && expect_bind pgt-kcarol$SFX EACCES tcp 0.0.0.0 445
'
test_expect_success 'the broker user is exempt, not granted: 5060 yes, 80 without its capability no' '
	expect_bind pgt-kbroker$SFX ok udp 0.0.0.0 5060 &&
	expect_bind pgt-kbroker$SFX EACCES tcp 127.0.0.1 80
'

# --- status ----------------------------------------------------------------------------------

test_expect_success 'status shows the links, the cgroup, the scope and the policy' '
	start_server pgt-kalice$SFX 80 &&
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT" &&
	grep -x "kernel policy: loaded" "$OUT" &&
	grep "^bind4: link [0-9]*, program [0-9]* (portgate_bind4), pinned at $PINS/bind4$" "$OUT" &&
	grep "^bind6: link [0-9]*, program [0-9]* (portgate_bind6), pinned at $PINS/bind6$" "$OUT" &&
	grep "^cgroup: $CG (id [0-9]*)$" "$OUT" &&
	grep "^scope: network namespace cookie [0-9]*$" "$OUT" &&
	grep "^policy: hash [0-9a-f]\{16\}, 7 rules, 7 managed ports, 12 entries" "$OUT" &&
	grep -x "exempt: pgt-kbroker$SFX (uid $(id -u pgt-kbroker$SFX)), the broker'"'"'s user" "$OUT" &&
	grep -x "policy files: in sync with $ETC" "$OUT" &&
	grep "^  tcp/0.0.0.0:80 owner pgt-kalice$SFX (uid $A_UID): ok, rule $ETC/portgate.conf:1" "$OUT" &&
	grep "^audit: .* 1 on managed ports, 0 violations$" "$OUT"
'

test_expect_code 111 'status, reload and unload check --cgroup against the attached one' '
	"$PG" kernel status --pin-dir "$PINS" --cgroup "$CGB" --netns /proc/self/ns/net 2>"$ERR" >/dev/null
	rc=$?; grep -F "is attached to cgroup id" "$ERR" || exit 1
	"$PG" kernel unload --pin-dir "$PINS" --cgroup "$CGB" 2>/dev/null; test $? = 111 || exit 1
	test -e "$PINS/bind4" && exit $rc
'

test_expect_success 'listeners that escaped the policy (outside the cgroup) are flagged, exit 1' '
	start_server pgt-kbob$SFX 5060 outside || exit 1
	setpriv --reuid=pgt-kbob$SFX --regid=pgt-kbob$SFX --init-groups -- /usr/bin/python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((\"::\", 5060))
print(\"ready\", flush=True)
time.sleep(20)" >"$TMP/udp.out" &
	udp=$! && echo $udp >"$TMP/srv-udp" && n=0 &&
	while ! grep -q ready "$TMP/udp.out" && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT"; rc=$?
	# Wait for it: its socket on [::]:5060 would otherwise outlive the case and
	# turn the binds of a later one (the reload case binds udp [::]:5060) into
	# EADDRINUSE on a loaded machine.
	kill $udp; wait $udp
	stop_server pgt-kbob$SFX && stop_server pgt-kalice$SFX && test $rc = 1 &&
	grep "^  tcp/0.0.0.0:5060 owner pgt-kbob$SFX (uid $B_UID): VIOLATION" "$OUT" &&
	grep "^  udp/\[::\]:5060 (dual-stack) owner pgt-kbob$SFX (uid $B_UID): VIOLATION" "$OUT" &&
	grep "^audit: .* 3 on managed ports, 2 violations$" "$OUT"
'

# --- reload ------------------------------------------------------------------------------------

test_expect_success 'status notices a changed policy; reload enforces it' '
	{ policy_a; echo "pgt-kbob$SFX udp://*:5070"; } >"$ETC/portgate.conf" &&
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT";
	grep -x "policy files: CHANGED since the load in $ETC" "$OUT" &&
	expect_bind pgt-kalice$SFX ok udp 0.0.0.0 5070 &&
	"$PG" kernel reload --pin-dir "$PINS" >"$OUT" && grep "^reloaded: 8 rules" "$OUT" &&
	expect_bind pgt-kalice$SFX EACCES udp 0.0.0.0 5070 && expect_bind pgt-kbob$SFX ok udp 0.0.0.0 5070 &&
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT";
	grep -x "policy files: in sync with $ETC" "$OUT" &&
	grep "^scope: network namespace cookie" "$OUT"
'

test_expect_success 'reload without --broker-user keeps the broker user given at load' '
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT";
	grep -x "exempt: pgt-kbroker$SFX (uid $(id -u pgt-kbroker$SFX)), the broker'"'"'s user" "$OUT" &&
	expect_bind pgt-kbroker$SFX ok udp 0.0.0.0 5060
'

# pg_exact answers a (proto, port) whose entries are single addresses or '*';
# the trie answers one with shorter prefixes: both kinds, mixed on one port.
test_expect_success 'exact, prefix and * rules mixed on one port: the longest match decides' '
	{ policy_a; cat <<-EOF; } >"$ETC/portgate.conf" &&
		pgt-kalice$SFX tcp://127.0.0.1:9001
		pgt-kbob$SFX tcp://127.0.0.0/8:9001
		pgt-kcarol$SFX tcp://*:9001
		pgt-kalice$SFX tcp://[::1]:9002
		pgt-kbob$SFX tcp://*:9002
		pgt-kbob$SFX tcp://127.0.0.0/8:9003
		pgt-kbob$SFX tcp://*:9003
	EOF
	"$PG" kernel reload --pin-dir "$PINS" >"$OUT" && grep "^reloaded: 14 rules" "$OUT" &&
	expect_bind pgt-kalice$SFX ok tcp 127.0.0.1 9001 &&
	expect_bind pgt-kalice$SFX ok tcp ::ffff:127.0.0.1 9001 &&
	expect_bind pgt-kalice$SFX EACCES tcp 127.0.0.2 9001 &&
	expect_bind pgt-kalice$SFX EACCES tcp 0.0.0.0 9001 &&
	expect_bind pgt-kbob$SFX ok tcp 127.0.0.1 9001 && expect_bind pgt-kbob$SFX ok tcp 127.0.0.2 9001 &&
	expect_bind pgt-kbob$SFX EACCES tcp 0.0.0.0 9001 &&
	expect_bind pgt-kcarol$SFX ok tcp 127.0.0.2 9001 &&
	expect_bind pgt-kcarol$SFX ok tcp 0.0.0.0 9001 &&
	expect_bind pgt-kcarol$SFX ok tcp :: 9001 --v6only 0 &&
	expect_bind pgt-kdave$SFX EACCES tcp 127.0.0.1 9001 &&
	expect_bind pgt-kalice$SFX ok tcp ::1 9002 &&
	expect_bind pgt-kalice$SFX EACCES tcp :: 9002 --v6only 1 &&
	expect_bind pgt-kalice$SFX EACCES tcp 127.0.0.1 9002 &&
	expect_bind pgt-kbob$SFX ok tcp :: 9002 --v6only 0 &&
	expect_bind pgt-kbob$SFX ok tcp 127.0.0.1 9002 &&
	expect_bind pgt-kdave$SFX EACCES tcp ::1 9002 &&
	expect_bind pgt-kbob$SFX ok tcp 0.0.0.0 9003 && expect_bind pgt-kbob$SFX ok tcp 127.0.0.5 9003 &&
	expect_bind pgt-kbob$SFX ok tcp :: 9003 --v6only 0 &&
	expect_bind pgt-kdave$SFX EACCES tcp 127.0.0.5 9003 &&
	{ policy_a; echo "pgt-kbob$SFX udp://*:5070"; } >"$ETC/portgate.conf" &&
	"$PG" kernel reload --pin-dir "$PINS" >"$OUT" && grep "^reloaded: 8 rules" "$OUT" &&
	expect_bind pgt-kbob$SFX ok tcp 127.0.0.1 9001
'

# The reload case: four loops bind while the policy is swapped again and again,
# two that the policy allows and two that it refuses, on both hooks.  A loop
# counts the binds it makes once $TMP/go exists and says "counted N" after
# RELOAD_BINDS of them; the reloads go on (20 at least, 100 at most) until each
# loop has said so, and the loops until the last reload is done: so every loop
# binds before, during and after the swaps.  SO_REUSEADDR: without it, a
# process listing /proc/PID/fd (ss -p, from any namespace) can turn a bind into
# EADDRINUSE against the loop's own closed socket (see pg-bind-loop.c).
RELOAD_BINDS=5000
# reload_loop NAME USER tcp|udp ADDR PORT [ARGS...]: start a loop as USER, output in $TMP/NAME.
reload_loop() {
	_name=$1 _user=$2
	shift 2
	run_as "$_user" "$LOOP" "$@" --reuseaddr 1 --go "$TMP/go" --progress "$RELOAD_BINDS" \
		--until "$TMP/stop" --seconds 120 >"$TMP/$_name" 2>&1 &
	track_pid $!
	echo "$_name: $_user $*" >>"$TMP/loops"
}
# loops_counted: each loop has made its RELOAD_BINDS binds since $TMP/go.
loops_counted() {
	for _l in l1 l2 l3 l4; do
		grep -q "^counted $RELOAD_BINDS$" "$TMP/$_l" || return 1
	done
}
# loop_count NAME KEY: the count KEY=N in the loop's last line.
loop_count() {
	grep "^total=" "$TMP/$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
# check_loop NAME allowed|refused: every bind had that verdict, no other error,
# and RELOAD_BINDS binds were made while the reloads went on.  Says what failed.
check_loop() {
	if ! grep -q "^total=" "$TMP/$1"; then
		echo "FAILED: $1 did not finish: $(cat "$TMP/$1")"
		return 1
	fi
	_rc=0
	if [ "$2" = allowed ] && [ "$(loop_count "$1" EACCES)" != 0 ]; then
		echo "FAILED: $1: a wrong verdict, EACCES where the policy allows"
		_rc=1
	fi
	if [ "$2" = refused ] && [ "$(loop_count "$1" ok)" != 0 ]; then
		echo "FAILED: $1: a wrong verdict, bound where the policy refuses"
		_rc=1
	fi
	if [ "$(loop_count "$1" EADDRINUSE)" != 0 ] || [ "$(loop_count "$1" other)" != 0 ]; then
		echo "FAILED: $1: errors that are no verdict (EADDRINUSE, other)"
		_rc=1
	fi
	if [ "$(loop_count "$1" counted)" -lt "$RELOAD_BINDS" ]; then
		echo "FAILED: $1: fewer than $RELOAD_BINDS binds during the reloads"
		_rc=1
	fi
	return "$_rc"
}

test_expect_success 'reload is atomic: binds during 20 reloads, not one wrong verdict' '
	rm -f "$TMP/go" "$TMP/stop" "$TMP/loops" &&
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net | grep "^bind4:" >"$TMP/before" &&
	reload_loop l1 pgt-kalice$SFX tcp 0.0.0.0 80 &&
	reload_loop l2 pgt-kbob$SFX udp 0.0.0.0 5060 &&
	reload_loop l3 pgt-kalice$SFX udp :: 5060 --v6only 0 &&
	reload_loop l4 pgt-kbob$SFX tcp ::ffff:127.0.0.1 80 &&
	touch "$TMP/go" && n=0 && failed="" &&
	while [ $n -lt 20 ] || ! loops_counted; do
		[ $n -lt 100 ] || break
		{ policy_a; test $((n % 2)) = 1 || echo "pgt-kcarol$SFX tcp://*:9$n"; } >"$ETC/portgate.conf.new" &&
		mv "$ETC/portgate.conf.new" "$ETC/portgate.conf" &&
		"$PG" kernel reload --pin-dir "$PINS" >/dev/null 2>"$ERR" || { failed=$((n + 1)); break; }
		n=$((n + 1))
	done
	touch "$TMP/stop"; wait
	# Each condition says its name: the reloads, then each loop.
	echo "reloads: $n done${failed:+, reload $failed FAILED: $(cat "$ERR")}"
	cat "$TMP/loops"
	for l in l1 l2 l3 l4; do echo "$l: $(grep -v "^counted " "$TMP/$l")"; done
	rc=0
	{ test -z "$failed" && test $n -ge 20; } || { echo "FAILED: the reloads"; rc=1; }
	check_loop l1 allowed || rc=1
	check_loop l2 refused || rc=1
	check_loop l3 allowed || rc=1
	check_loop l4 refused || rc=1
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net | grep "^bind4:" >"$TMP/after" &&
	! cmp -s "$TMP/before" "$TMP/after" || { echo "FAILED: bind4 runs the same program as before"; rc=1; }
	exit $rc
'

# --- watch: reload on changes to the policy files and the accounts -------------------------

# bind_is USER WANT tcp|udp ADDR PORT: quietly, whether pg-bind as USER prints WANT.
bind_is() {
	expect_bind "$@" >/dev/null
}
# reloads: how many "reloaded:" lines the watch has logged; reloads_above N: more than N.
reloads() {
	grep -c "^reloaded: .*policy hash [0-9a-f]\{16\}" "$TMP/watch.log"
}
reloads_above() {
	test "$(reloads)" -gt "$1"
}
policy_a >"$ETC/portgate.conf"
"$PG" kernel reload --pin-dir "$PINS" >/dev/null
# Started here, not in a test body (a subshell), so that the trap can end it.
# shellcheck disable=SC2086 # LOADOPTS is a list of words
"$PG" kernel watch $LOADOPTS >"$TMP/watch.log" 2>&1 &
WATCH_PID=$!
track_pid "$WATCH_PID"

test_expect_success 'watch starts, says what it watches and reloads once' '
	wait_for 10 grep -q "^reloaded: 7 rules" "$TMP/watch.log" &&
	grep -x "watch: /etc/passwd, /etc/group and $ETC (policy in $PINS)" "$TMP/watch.log" &&
	kill -0 "$WATCH_PID" && test "$(reloads)" = 1
'

test_expect_success 'watch: a grant appended to the policy is enforced, no manual reload' '
	expect_bind pgt-kbob$SFX EACCES tcp 127.0.0.1 80 &&
	echo "pgt-kbob$SFX tcp://127.0.0.1:80" >>"$ETC/portgate.conf" &&
	wait_for 10 bind_is pgt-kbob$SFX ok tcp 127.0.0.1 80 &&
	expect_bind pgt-kbob$SFX EACCES tcp 0.0.0.0 80 && expect_bind pgt-kalice$SFX ok tcp 0.0.0.0 80 &&
	wait_for 5 grep -q "^reloaded: 8 rules" "$TMP/watch.log"
'

test_expect_success 'watch: usermod -aG into a granted group opens its port, gpasswd -d closes it' '
	expect_bind pgt-kbob$SFX EACCES tcp 0.0.0.0 443 &&
	usermod -aG pgt-kweb$SFX pgt-kbob$SFX &&
	wait_for 10 bind_is pgt-kbob$SFX ok tcp 0.0.0.0 443 &&
	gpasswd -d pgt-kbob$SFX pgt-kweb$SFX >/dev/null &&
	wait_for 10 bind_is pgt-kbob$SFX EACCES tcp 0.0.0.0 443 && expect_bind pgt-kcarol$SFX ok tcp :: 443
'

test_expect_success 'watch: a broken policy is not loaded; the old one stays, the log says so' '
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net | grep "^policy: hash" |
		cut -d, -f1 >"$TMP/hash.before" && test -s "$TMP/hash.before" &&
	n=$(reloads) &&
	echo "pgt-kbob$SFX tcp://*:99999" >>"$ETC/portgate.conf" &&
	wait_for 10 grep -q "watch: reload failed (exit 1): the previous policy stays enforced" \
		"$TMP/watch.log" &&
	grep -F "has errors (nothing was applied)" "$TMP/watch.log" &&
	test "$(reloads)" = "$n" && kill -0 "$WATCH_PID" &&
	expect_bind pgt-kbob$SFX ok tcp 127.0.0.1 80 && expect_bind pgt-kbob$SFX EACCES udp 0.0.0.0 5060 &&
	"$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net | grep "^policy: hash" |
		cut -d, -f1 >"$TMP/hash.after" && cmp "$TMP/hash.before" "$TMP/hash.after"
'

test_expect_success 'watch: once the policy is fixed (renamed into place) it is enforced again' '
	policy_a >"$ETC/portgate.conf.new" && mv "$ETC/portgate.conf.new" "$ETC/portgate.conf" &&
	wait_for 10 bind_is pgt-kbob$SFX EACCES tcp 127.0.0.1 80 && kill -0 "$WATCH_PID"
'

# /etc is the host's: another test's useradd may cause one more reload meanwhile.
# The watch reloads on the host's /etc/passwd too, which another run on this
# machine changes (useradd): a burst that meets such a change is tried again, up
# to three times.  A watch that reloads per change fails every try.
test_expect_success 'watch: a burst of 10 changes is one reload, not 10' '
	for try in 1 2 3; do
		n=$(reloads) && i=0 &&
		while [ $i -lt 10 ]; do echo "# $i" >>"$ETC/portgate.conf"; i=$((i + 1)); done &&
		wait_for 10 reloads_above "$n" && sleep 1 && ! reloads_above $((n + 2)) && exit 0
		echo "try $try: $(($(reloads) - n)) reloads for 10 changes"
	done
	exit 1
'

test_expect_success 'watch: SIGHUP reloads at once' '
	n=$(reloads) && kill -HUP "$WATCH_PID" && wait_for 10 reloads_above "$n" && kill -0 "$WATCH_PID"
'

kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID"
WATCH_RC=$?
test_expect_success 'watch stops cleanly on SIGTERM (exit 0)' '
	cat "$TMP/watch.log"; test "$WATCH_RC" = 0 &&
	grep -x "watch: SIGTERM: stopping" "$TMP/watch.log" && ! grep -i sanitizer "$TMP/watch.log"
'

test_expect_success 'a reload the maps cannot hold is refused; the old policy stays' '
	policy_a >"$ETC/portgate.conf" &&
	"$PG" kernel reload --pin-dir "$PINS" >/dev/null &&
	{ policy_a; echo "pgt-kbob$SFX tcp://*:1-65535 udp://*:1-65535"; } >"$ETC/portgate.conf" &&
	{ "$PG" kernel reload --pin-dir "$PINS" 2>"$ERR"; test $? = 1; } &&
	grep -F "needs 262152 kernel map entries" "$ERR" && grep -F "the kernel was not touched" "$ERR" &&
	expect_bind pgt-kbob$SFX EACCES udp 0.0.0.0 5060 && expect_bind pgt-kbob$SFX ok udp 0.0.0.0 5061
'

# --- unload ------------------------------------------------------------------------------------

test_expect_success 'unload detaches and removes the pins: the kernel default is back' '
	policy_a >"$ETC/portgate.conf" &&
	"$PG" kernel unload --pin-dir "$PINS" >"$OUT" && grep "^unloaded" "$OUT" &&
	test -z "$(attached "$CG")" && ! test -e "$PINS/bind4" && ! test -e "$PINS" &&
	expect_bind pgt-kbob$SFX ok udp 0.0.0.0 5060 && expect_bind pgt-kalice$SFX EACCES tcp 0.0.0.0 80 &&
	test "$(bind_with_cap 0.0.0.0 80)" = ok
'
test_expect_success 'unload with nothing loaded says so and succeeds' '
	"$PG" kernel unload --pin-dir "$PINS" >"$OUT" && grep -x "nothing is loaded in $PINS" "$OUT"
'
test_expect_code 1 'status with nothing loaded says so, exit 1' '
	"$PG" kernel status --pin-dir "$PINS" >"$OUT"; rc=$?; grep "not loaded" "$OUT" && exit $rc
'
test_expect_code 111 'reload with nothing loaded points at load' '
	"$PG" kernel reload --pin-dir "$PINS" 2>"$ERR"; rc=$?; grep -F "kernel load" "$ERR" && exit $rc
'

test_expect_code 111 'watch with nothing loaded exits with a clear error' '
	"$PG" kernel watch --pin-dir "$PINS" 2>"$ERR"; rc=$?
	grep -F "no policy is loaded in '"'"'$PINS'"'"'; use '"'"'portgate kernel load'"'"'" "$ERR" &&
	exit $rc
'

# --- too large --------------------------------------------------------------------------------

test_expect_success 'a policy the maps cannot hold is refused whole, nothing attached' '
	{ echo "pgt-kalice$SFX tcp://*:1-65535 udp://*:1-65535"; echo "pgt-kbob$SFX tcp://*:1-65535"; } \
		>"$ETC/portgate.conf" &&
	{ "$PG" kernel load --cgroup "$CGB" --pin-dir "$PINS-big" --netns /proc/self/ns/net \
		2>"$ERR"; test $? = 1; } &&
	grep -F "needs 393210 kernel map entries" "$ERR" && grep -F "more than the 262144" "$ERR" &&
	test -z "$(attached "$CGB")" && ! test -e "$PINS-big/bind4"
'

# --- every network namespace; the default pin directory -------------------------------------

test_expect_success '--all-netns judges binds in other network namespaces too' '
	policy_a >"$ETC/portgate.conf" &&
	"$PG" kernel load --cgroup "$CG" --pin-dir "$PINS" --all-netns >"$OUT" &&
	grep "every network namespace" "$OUT" &&
	got=$(in_cg unshare --net sh -c "ip link set lo up &&
		setpriv --reuid=pgt-kbob$SFX --regid=pgt-kbob$SFX --init-groups -- \"\$0\" udp 127.0.0.1 5060" "$BIND")
	echo "got: $got" && test "$got" = EACCES &&
	"$PG" kernel unload --pin-dir "$PINS" >/dev/null
'

test_expect_success 'without bpffs at /sys/fs/bpf, load mounts it and pins in /sys/fs/bpf/portgate' '
	mount -t tmpfs -o size=1m,mode=0700 pgt-nobpf /sys/fs/bpf &&
	test "$(stat -f -c %T /sys/fs/bpf)" = tmpfs &&
	"$PG" kernel load --cgroup "$CG" --netns /proc/self/ns/net >"$OUT" &&
	test "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs && test -e /sys/fs/bpf/portgate/bind4 &&
	expect_bind pgt-kbob$SFX EACCES udp 0.0.0.0 5060 &&
	"$PG" kernel status --netns /proc/self/ns/net | grep -F "pinned at /sys/fs/bpf/portgate/bind6" &&
	"$PG" kernel unload >/dev/null && test -z "$(attached "$CG")"
'

test_done
