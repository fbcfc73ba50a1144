#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0080-side-by-side.sh - two runs of the suite on one machine do not meet: the
# scripts that make the most accounts (t0210, t0400, t1000) run twice each, all
# six at once, as a second checkout's `make check` would run beside this one.
# Each run's users and groups carry its own suffix ($SFX, lib.sh), so neither
# replaces nor deletes the other's; with fixed names (pgt-alice) this failed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

SCRIPTS="t0210-admin.sh t0400-run.sh t1000-portgated.sh"
for s in $SCRIPTS; do
	[ -f "${0%/*}/$s" ] || skip_all "needs ${0%/*}/$s"
done

# Each copy makes its own namespaces and suffix (run_script); its TAP goes to a
# file, never to this script's stream.
pids=""
for copy in 1 2; do
	for s in $SCRIPTS; do
		run_script "${0%/*}/$s" "$TMP/$s.$copy.tap" </dev/null &
		pids="$pids $!"
		track_pid $!
	done
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done

for copy in 1 2; do
	for s in $SCRIPTS; do
		test_expect_success "run $copy of $s passes beside the others" '
			cat "$TMP/$s.$copy.tap" && tap_passed "$TMP/$s.$copy.tap"
		'
	done
done
test_expect_success 'every copy exited 0' 'test "$fails" = 0'
test_done
