#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0040-harness.sh - the harness keeps its promises: no script leaves prove
# waiting (what a script starts ends with it, tracked or not, even when it holds
# the TAP stream), a script that runs too long fails with "not ok" and its
# cleanup still runs (what ignores TERM is killed), a Ctrl-C ends a script and
# its cleanup runs, and a mount left under $TMP is never emptied through.
# Each case runs a small script of its own through lib.sh, as prove would
# (run_script).
# Test bodies are single-quoted strings that the harness evals (SC2016).
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
require_cmd timeout setsid perl prove

LIB=$PORTGATE_SRC/tests/integration/lib.sh
# inner NAME BODY: a script $TMP/NAME.sh that sources lib.sh, then runs BODY.
inner() {
	printf '#!/bin/sh\n. "%s"\n%s\n' "$LIB" "$2" >"$TMP/$1.sh"
	chmod 755 "$TMP/$1.sh"
}
inner orphans '
echo "sleep 300 in the background, untracked, on the TAP stream"
sleep 300 &
echo $! >>"$PIDS"
test_expect_success "a body starts a process it never waits for" "
	sleep 301 </dev/null >/dev/null 2>&1 &
	echo \$! >>\"\$PIDS\"
"
test_done'
test_expect_success 'processes a script leaves behind end with it: prove is not kept waiting' '
	export PIDS="$TMP/orphans.pids" &&
	run_script "$TMP/orphans.sh" "$TMP/orphans.tap" &&
	grep -x "ok 1 - a body starts a process it never waits for" "$TMP/orphans.tap" &&
	test "$(wc -l <"$PIDS")" = 2 &&
	# Ended: gone, or a zombie (which holds nothing) not yet reaped.
	for p in $(cat "$PIDS"); do ! ps -o stat= -p "$p" | grep -qv "^Z" || exit 1; done
'

inner slow '
make_user "pgt-slow$SFX"
echo "$SFX" >"$SFXFILE"
test_expect_success "a body that hangs" "sleep 300"
test_done'
test_expect_success 'a script over its time fails with "not ok", and its cleanup runs' '
	export SFXFILE="$TMP/slow.sfx" &&
	export PORTGATE_TEST_TIMEOUT=3 &&
	! run_script "$TMP/slow.sh" "$TMP/slow.tap" &&
	cat "$TMP/slow.tap" &&
	grep -x "not ok - slow.sh timed out after 3 s (PORTGATE_TEST_TIMEOUT)" "$TMP/slow.tap" &&
	! grep "^ok" "$TMP/slow.tap" &&
	! getent passwd "pgt-slow$(cat "$SFXFILE")"
'

# Outside a test body: the script itself waits for what ignores TERM.
inner stubborn '
make_user "pgt-stub$SFX"
echo "$SFX" >"$SFXFILE"
sh -c "trap \"\" TERM; sleep 300"
test_done'
test_expect_success 'what ignores TERM is killed when a script is over its time, and its cleanup runs' '
	export SFXFILE="$TMP/stubborn.sfx" &&
	export PORTGATE_TEST_TIMEOUT=3 &&
	t0=$(date +%s) &&
	! run_script "$TMP/stubborn.sh" "$TMP/stubborn.tap" &&
	t1=$(date +%s) &&
	cat "$TMP/stubborn.tap" &&
	echo "# over in $((t1 - t0)) s" &&
	grep -x "not ok - stubborn.sh timed out after 3 s (PORTGATE_TEST_TIMEOUT)" "$TMP/stubborn.tap" &&
	test $((t1 - t0)) -lt 60 &&
	! getent passwd "pgt-stub$(cat "$SFXFILE")"
'

# A Ctrl-C goes to the terminal's foreground process group: prove and what
# started it, not the script, which runs in a group of its own.  The shell that
# started the script passes it on; the script's cleanup runs, and nothing of it
# is left.  perl puts prove in a group of its own with SIGINT not ignored, as a
# shell with job control would.
inner ctrlc '
make_user "pgt-cc$SFX"
echo "$SFX" >"$SFXFILE"
echo "$TMP" >"$TMPFILE"
test_expect_success "a body that hangs" "sleep 303"
test_done'
test_expect_success 'a Ctrl-C ends the script, and its cleanup runs though prove is gone' '
	export SFXFILE="$TMP/ctrlc.sfx" TMPFILE="$TMP/ctrlc.tmp"
	env -u _PG_IN_NETNS -u SFX -u TMP -u STAGE perl -e "setpgrp(0, 0); \$SIG{INT} = \"DEFAULT\"; exec @ARGV" \
		prove --source Executable "$TMP/ctrlc.sh" >"$TMP/ctrlc.tap" 2>&1 &
	fg=$! &&
	i=0 && while ! [ -s "$TMP/ctrlc.tmp" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	sleep 1 && kill -s INT -- "-$fg" &&
	i=0 && while [ -d "$(cat "$TMP/ctrlc.tmp")" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	! test -d "$(cat "$TMP/ctrlc.tmp")" &&
	! getent passwd "pgt-cc$(cat "$TMP/ctrlc.sfx")" &&
	! ps -eo args= | grep -x "sleep 303"
'
test_expect_success '  ... while what a script runs gets SIGPIPE as usual (not ignored)' '
	ign=$(awk "/^SigIgn:/ { print \$2 }" /proc/self/status) &&
	test $((0x$ign & 0x1000)) = 0
'

mkdir -m 755 "$TMP/keep"
echo precious >"$TMP/keep/file"
inner mounts '
mkdir -p "$TMP/m"
mount --bind "$KEEP" "$TMP/m"
test_expect_success "a bind mount under TMP" "test -f \"\$TMP/m/file\""
test_done'
test_expect_success 'a mount left under $TMP is taken away before $TMP is removed' '
	export KEEP="$TMP/keep" &&
	run_script "$TMP/mounts.sh" "$TMP/mounts.tap" &&
	grep -x "ok 1 - a bind mount under TMP" "$TMP/mounts.tap" &&
	grep -x precious "$TMP/keep/file"
'
test_done
