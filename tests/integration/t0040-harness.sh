#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0040-harness.sh - the harness keeps its promises: no script leaves prove
# waiting (what a script starts ends with it, tracked or not, even when it holds
# the TAP stream), a script that runs too long fails with "not ok" and its
# cleanup still runs, and a mount left under $TMP is never emptied through.
# Each case runs a small script of its own through lib.sh, as prove would
# (run_script).
# Test bodies are single-quoted strings that the harness evals (SC2016).
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
require_cmd timeout setsid

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
