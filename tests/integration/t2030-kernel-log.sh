#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t2030-kernel-log.sh - portgate kernel log: the bind hooks write a record for
# every denial (and with --log-grants every grant) to a pinned ring buffer;
# "kernel log" prints them as portgated prints its decisions, the deciding
# rule as file:line; --json one object per line with the documented keys; a
# bind loop gets no more records than the per-uid rate limit allows, the rest
# counted as dropped; --follow keeps reading across a reload and stops at the
# unload; "kernel watch" writes the records to stderr; a reader killed with
# SIGKILL stalls nothing; two readers at once share the records, both running;
# a full ring buffer drops records, counted, and the binds go on as before.
#
# SAFETY: as t2000: the programs attach to a scratch cgroup made here, never the
# root; pins go to a bpffs mounted in this script's mount namespace; only this
# test's processes join the cgroup, each before it creates a socket.  Users
# are pgt-l*$SFX.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
PGT_TIMEOUT=300
. "${0%/*}/lib.sh"
# shellcheck source=lib-kernel.sh
. "${0%/*}/lib-kernel.sh"

BIND=$HELPERS/pg-bind
LOOP=$HELPERS/pg-bind-loop
if ! [ -x "$PG" ] || ! [ -x "$BIND" ] || ! [ -x "$LOOP" ]; then
	skip_all "needs $PG, $BIND and $LOOP (make all-tests)"
fi
require_cmd setpriv bpftool
[ -r /sys/kernel/btf/vmlinux ] || skip_all "the kernel has no BTF (/sys/kernel/btf/vmlinux)"
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3"

kernel_scratch t2030

log_cleanup() {
	kill_tracked
	kernel_scratch_remove
	_pg_cleanup
}
trap log_cleanup EXIT
mkdir "$CG" || { echo "Bail out! cannot create a scratch cgroup under $CG2"; exit 1; }

make_user "pgt-lalice$SFX"
make_user "pgt-lbob$SFX"
make_user "pgt-lcarol$SFX"
A_UID=$(id -u "pgt-lalice$SFX")
B_UID=$(id -u "pgt-lbob$SFX")
C_UID=$(id -u "pgt-lcarol$SFX")

ETC=$TMP/etc
mkdir -p "$ETC"
cat >"$ETC/portgate.conf" <<-EOF
	pgt-lalice$SFX tcp://127.0.0.1:80
	pgt-lalice$SFX udp://*:5353
EOF
chmod -R a+rX "$ETC"
export PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR=
OUT=$TMP/out
ERR=$TMP/err
LOG=$TMP/log
# pgk ARGS: portgate kernel with this test's pin directory (not for "&": $! would be
# the subshell's pid, not portgate's).
pgk() {
	"$PG" kernel --pin-dir "$PINS" "$@"
}

printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" && exec "$@"\n' "$CG" >"$TMP/in_cg"
chmod 755 "$TMP/in_cg"
# run_as USER CMD...: CMD as USER, inside the scratch cgroup.
run_as() {
	_u=$1
	shift
	"$TMP/in_cg" setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups -- "$@"
}
# drained_has PATTERN: read what waits (it is consumed) into $LOG, then grep it.
drained_has() {
	pgk log >>"$LOG" && grep -q -- "$1" "$LOG"
}
# json_drained N: read what waits as JSON into $LOG; true once it has N lines.
json_drained() {
	pgk log --json >>"$LOG" && test "$(wc -l <"$LOG")" -ge "$1"
}
# counter NAME: a number of the "counters:" line of kernel status.
counter() {
	pgk status --netns /proc/self/ns/net |
		sed -n "s/^counters: /, /p" | tr , "\n" | sed -n "s/^ \([0-9][0-9]*\) $1\$/\1/p"
}
# json_lines_keys FILE KEYS: every line of FILE is a JSON object with exactly KEYS.
json_lines_keys() {
	/usr/bin/python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    got = " ".join(sorted(json.loads(line)))
    if got != sys.argv[2]:
        sys.exit("keys: %s, want %s" % (got, sys.argv[2]))
    n += 1
if n == 0:
    sys.exit("no lines")
' "$@"
}
JSON_KEYS="address bind comm dual_stack family gid netns pid port protocol reason rule rule_id time uid verdict"

test_expect_success 'load: denials are logged, grants are not, the counters start at 0' '
	pgk load --cgroup "$CG" --netns /proc/self/ns/net >"$OUT" &&
	grep "; logging denials$" "$OUT" &&
	test -e "$PINS/log" && test -e "$PINS/counters" && test -e "$PINS/ratelimit" &&
	pgk status --netns /proc/self/ns/net >"$OUT" &&
	grep "^log: denials, at most 10 records per second and uid (bursts of 20)" "$OUT" &&
	grep "^counters: 0 denials, 0 grants, 0 records written, 0 dropped by the rate limit, 0 dropped with the ring buffer full$" "$OUT"
'

test_expect_success 'a denied bind shows up in kernel log, with the rule as file:line' '
	: >"$LOG" &&
	test "$(run_as pgt-lbob$SFX "$BIND" tcp 127.0.0.1 80)" = EACCES &&
	wait_for 5 drained_has "^deny uid=$B_UID pid=[0-9]* bind=tcp/127.0.0.1:80 via=kernel rule=$ETC/portgate.conf:1 reason=\"tcp/80 is managed (rule $ETC/portgate.conf:1 gives it to pgt-lalice$SFX) and no rule grants tcp/127.0.0.1:80\" gid=$(id -g pgt-lbob$SFX) comm=\"pg-bind\" netns=[0-9]* time=20[0-9-]*T[0-9:.]*Z$" &&
	test "$(wc -l <"$LOG")" = 1
'

test_expect_success 'without --follow, kernel log drains and exits: nothing is left' '
	pgk log >"$OUT" && ! test -s "$OUT"
'

test_expect_success 'a grant is counted, not logged, without --log-grants' '
	test "$(run_as pgt-lalice$SFX "$BIND" tcp 127.0.0.1 80)" = ok &&
	pgk log >"$OUT" && ! test -s "$OUT" &&
	g=$(counter grants) && d=$(counter denials) && echo "# grants $g denials $d" &&
	test "$g" = 1 && test "$d" = 1
'

test_expect_success 'IPv6 and UDP denials: the address as given, the dual-stack flag' '
	: >"$LOG" &&
	test "$(run_as pgt-lbob$SFX "$BIND" udp :: 5353 --v6only 0)" = EACCES &&
	wait_for 5 drained_has "^deny uid=$B_UID .* bind=udp/\[::\]:5353 dualstack=1 via=kernel rule=$ETC/portgate.conf:2 "
'

test_expect_success '--json: one object per line, the keys portgate(1) documents' '
	test "$(run_as pgt-lbob$SFX "$BIND" tcp 127.0.0.1 80)" = EACCES &&
	test "$(run_as pgt-lbob$SFX "$BIND" tcp ::ffff:127.0.0.1 80)" = EACCES &&
	: >"$LOG" && wait_for 5 json_drained 2 &&
	while read -r line; do
		printf "%s\n" "$line" | /usr/bin/python3 -m json.tool >/dev/null || exit 1
	done <"$LOG" &&
	json_lines_keys "$LOG" "$JSON_KEYS" &&
	/usr/bin/python3 -c "
import json, sys
r = json.loads(open(sys.argv[1]).readline())
want = {\"verdict\": \"deny\", \"uid\": $B_UID, \"protocol\": \"tcp\", \"family\": \"ipv4\",
        \"address\": \"127.0.0.1\", \"port\": 80, \"rule\": \"$ETC/portgate.conf:1\",
        \"rule_id\": 0, \"comm\": \"pg-bind\", \"dual_stack\": False}
bad = {k: r[k] for k in want if r[k] != want[k]}
sys.exit(\"unexpected: %s\" % bad if bad else 0)
" "$LOG" &&
	grep -q "\"family\": \"ipv6\", \"address\": \"::ffff:127.0.0.1\"" "$LOG" || { cat "$LOG"; false; }
'

test_expect_success 'a loop of 5000 denied binds: at most the rate limit in records, the rest counted' '
	pgk log >/dev/null &&
	before=$(counter "dropped by the rate limit") &&
	t0=$(date +%s) &&
	run_as pgt-lbob$SFX "$LOOP" tcp 127.0.0.1 80 --max 5000 --seconds 60 >"$OUT" &&
	t1=$(date +%s) &&
	grep "^total=5000 ok=0 EACCES=5000 " "$OUT" &&
	pgk log >"$LOG" &&
	n=$(grep -c "^deny uid=$B_UID " "$LOG") &&
	max=$((20 + 10 * (t1 - t0 + 1))) &&
	echo "# $n records for 5000 denials in about $((t1 - t0)) s (at most $max)" &&
	test "$n" -ge 1 && test "$n" -le "$max" &&
	after=$(counter "dropped by the rate limit") &&
	test "$after" -gt "$before" &&
	test "$(counter denials)" -ge 5000
'

test_expect_success 'the limit is per uid: another user is logged at once' '
	: >"$LOG" &&
	test "$(run_as pgt-lalice$SFX "$BIND" udp 127.0.0.1 5354)" = ok &&
	echo "pgt-lbob$SFX udp://127.0.0.1:5354" >>"$ETC/portgate.conf" &&
	pgk reload >/dev/null &&
	test "$(run_as pgt-lalice$SFX "$BIND" udp 127.0.0.1 5354)" = EACCES &&
	wait_for 5 drained_has "^deny uid=$A_UID .* bind=udp/127.0.0.1:5354 via=kernel rule=$ETC/portgate.conf:3 "
'

test_expect_success 'reload --log-grants: grants are logged with their rule' '
	pgk reload --log-grants >"$OUT" && grep "; logging denials and grants$" "$OUT" &&
	: >"$LOG" &&
	test "$(run_as pgt-lalice$SFX "$BIND" tcp 127.0.0.1 80)" = ok &&
	wait_for 5 drained_has "^allow uid=$A_UID pid=[0-9]* bind=tcp/127.0.0.1:80 via=kernel rule=$ETC/portgate.conf:1 result=ok gid="
'

test_expect_success 'a reload without the option keeps --log-grants; --no-log-grants ends it' '
	pgk reload >"$OUT" && grep "; logging denials and grants$" "$OUT" &&
	pgk status --netns /proc/self/ns/net | grep "^log: denials and grants," &&
	pgk reload --no-log-grants >"$OUT" && grep "; logging denials$" "$OUT" &&
	pgk log >/dev/null &&
	test "$(run_as pgt-lalice$SFX "$BIND" tcp 127.0.0.1 80)" = ok &&
	pgk log >"$OUT" && ! grep "^allow" "$OUT"
'

test_expect_code 100 '--follow and --json are for kernel log only' 'pgk status --follow'
test_expect_code 100 '--log-grants is for load and reload only' 'pgk log --log-grants'

test_expect_success 'kernel watch writes the records to stderr' '
	"$PG" kernel --pin-dir "$PINS" watch >"$TMP/watch.out" 2>"$TMP/watch.err" &
	echo $! >"$TMP/watch.pid"
	track_pid "$(cat "$TMP/watch.pid")"
	wait_for 10 grep -q "^reloaded: " "$TMP/watch.out" &&
	test "$(run_as pgt-lbob$SFX "$BIND" tcp 127.0.0.1 80)" = EACCES &&
	wait_for 5 grep -q "^portgate: deny uid=$B_UID .* bind=tcp/127.0.0.1:80 via=kernel rule=$ETC/portgate.conf:1 " "$TMP/watch.err" &&
	kill "$(cat "$TMP/watch.pid")" && wait_for 5 sh -c "! kill -0 $(cat "$TMP/watch.pid") 2>/dev/null"
'

test_expect_success 'a reader killed with SIGKILL stalls nothing; the next reader reads on' '
	"$PG" kernel --pin-dir "$PINS" log --follow >"$TMP/f1" 2>&1 &
	f1=$!
	track_pid $f1
	run_as pgt-lbob$SFX "$LOOP" tcp 127.0.0.1 80 --max 2000 --seconds 30 >"$OUT" &
	loop=$!
	kill -KILL $f1 &&
	wait $loop && grep "^total=2000 ok=0 EACCES=2000 " "$OUT" &&
	pgk log >/dev/null
'

# both_have N: the two followers' outputs hold N of carol's denials between them.
both_have() {
	test "$(cat "$TMP/r1" "$TMP/r2" | grep -c "^deny uid=$C_UID ")" -ge "$1"
}
test_expect_success 'two readers at once: each record reaches one of them, both keep running' '
	"$PG" kernel --pin-dir "$PINS" log --follow >"$TMP/r1" 2>&1 &
	r1=$!
	track_pid $r1
	"$PG" kernel --pin-dir "$PINS" log --follow >"$TMP/r2" 2>&1 &
	r2=$!
	track_pid $r2
	for port in 6101 6102 6103; do
		echo "pgt-lalice$SFX tcp://127.0.0.1:$port" >>"$ETC/portgate.conf"
	done &&
	pgk reload >/dev/null &&
	for port in 6101 6102 6103; do
		got=$(run_as pgt-lcarol$SFX "$BIND" tcp 127.0.0.1 $port)
		test "$got" = EACCES || { echo "# carol binds $port: $got"; exit 1; }
	done &&
	wait_for 5 both_have 3 &&
	kill -0 $r1 && kill -0 $r2 &&
	for port in 6101 6102 6103; do
		cat "$TMP/r1" "$TMP/r2" | grep -q "^deny uid=$C_UID .* bind=tcp/127.0.0.1:$port " || exit 1
	done &&
	kill $r1 $r2 && wait_for 5 sh -c "! kill -0 $r1 2>/dev/null && ! kill -0 $r2 2>/dev/null" ||
		{ echo "# readers:"; cat "$TMP/r1" "$TMP/r2"; pgk status --netns /proc/self/ns/net | grep -e ^counters -e ^log; false; }
'

test_expect_success 'a grant of the authbind tree is logged with rule=authbind:DIR' '
	mkdir -p -m 755 "$TMP/ab/byport" && : >"$TMP/ab/byport/81" &&
	chown pgt-lcarol$SFX "$TMP/ab/byport/81" && chmod 500 "$TMP/ab/byport/81" &&
	PORTGATE_AUTHBIND_DIR=$TMP/ab pgk reload --log-grants >/dev/null &&
	pgk log >/dev/null && : >"$LOG" &&
	test "$(run_as pgt-lcarol$SFX "$BIND" tcp 127.0.0.1 81)" = ok &&
	wait_for 5 drained_has "^allow uid=$C_UID pid=[0-9]* bind=tcp/127.0.0.1:81 via=kernel rule=authbind:$TMP/ab result=ok " &&
	pgk log --json >/dev/null &&
	test "$(run_as pgt-lcarol$SFX "$BIND" tcp 127.0.0.1 81)" = ok &&
	: >"$LOG" && wait_for 5 json_drained 1 &&
	grep -q "\"rule\": \"authbind:$TMP/ab\", \"rule_id\": null, \"reason\": \"allowed: authbind:$TMP/ab\"" "$LOG" &&
	pgk reload --no-log-grants >/dev/null ||
		{ echo "# log:"; cat "$LOG"; false; }
'

test_expect_success 'a full ring buffer: binds are refused as before, the drops are counted' '
	pgk log >/dev/null &&
	before=$(counter "dropped with the ring buffer full") &&
	uid=70000 &&
	while [ $uid -lt 70200 ]; do
		"$TMP/in_cg" setpriv --reuid=$uid --regid=$uid --clear-groups -- \
			"$LOOP" tcp 127.0.0.1 80 --max 25 --seconds 10 >"$OUT" &&
		grep -q "^total=25 ok=0 EACCES=25 " "$OUT" || exit 1
		uid=$((uid + 1))
	done &&
	after=$(counter "dropped with the ring buffer full") &&
	echo "# dropped with the ring buffer full: $before, then $after" &&
	test "$after" -gt "$before" &&
	pgk log >"$LOG" && n=$(grep -c "^deny uid=70[0-9]* " "$LOG") &&
	echo "# $n records read afterwards" && test "$n" -gt 2000 && test "$n" -lt 4000
'

test_expect_success 'kernel log --follow reads across a reload and stops at the unload' '
	"$PG" kernel --pin-dir "$PINS" log --follow >"$TMP/follow" 2>"$TMP/follow.err" &
	f=$!
	track_pid $f
	test "$(run_as pgt-lalice$SFX "$BIND" tcp 127.0.0.1 8081)" = ok &&
	echo "pgt-lbob$SFX tcp://127.0.0.1:8081" >>"$ETC/portgate.conf" &&
	pgk reload >/dev/null &&
	test "$(run_as pgt-lalice$SFX "$BIND" tcp 127.0.0.1 8081)" = EACCES &&
	wait_for 5 grep -q "^deny uid=$A_UID .* bind=tcp/127.0.0.1:8081 via=kernel rule=$ETC/portgate.conf:7 " "$TMP/follow" &&
	pgk unload >/dev/null &&
	wait_for 5 sh -c "! kill -0 $f 2>/dev/null" &&
	grep "no policy is loaded in .* any more; stopping" "$TMP/follow.err" ||
		{ echo "# follow:"; cat "$TMP/follow" "$TMP/follow.err"; false; }
'

test_expect_code 111 'kernel log with nothing loaded' 'pgk log'

test_done
