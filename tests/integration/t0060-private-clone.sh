#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0060-private-clone.sh - the suite passes from a checkout nobody but root can
# enter, as on a fresh Debian machine (/root is 0700, and so is every
# mktemp -d): the scripts whose cases run built programs, the shim and helpers
# as test users run from a copy of this checkout, and of its build, under two
# 0700 folders, and pass; the folders are still 0700 afterwards.
# Test bodies are single-quoted strings that the harness evals (SC2016).
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
require_cmd git tar
[ -x "$PORTGATE_BUILD/portgate" ] || skip_all "needs $PORTGATE_BUILD/portgate (make all-tests)"

PRIV=$TMP/private
mkdir -m 700 "$PRIV" "$PRIV/home"
CLONE=$PRIV/home/portgate
test_expect_success 'a copy of the checkout and its build under two 0700 folders' '
	private_copy "$CLONE" &&
	test -x "$CLONE/build/portgate" && test -f "$CLONE/tests/integration/lib.sh"
'

for s in t0400-run.sh t1000-portgated.sh t1200-exec.sh; do
	test_expect_success "$s passes from the private copy" '
		export PORTGATE_SRC="$CLONE" PORTGATE_BUILD="$CLONE/build" &&
		run_script "$CLONE/tests/integration/$s" "$TMP/$s.tap" </dev/null;
		rc=$?
		cat "$TMP/$s.tap" && test "$rc" = 0 && tap_passed "$TMP/$s.tap"
	'
done

test_expect_success 'the private folders were not loosened' '
	stat -c %a "$PRIV" "$PRIV/home" "$CLONE" | sort -u | grep -x 700
'
test_done
