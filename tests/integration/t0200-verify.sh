#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0200-verify.sh - `portgate verify` on good and bad configurations: every
# error as file:line:col (golden files in tests/data/policy/*.expected).
. "${0%/*}/lib.sh"

export PORTGATE_AUTHBIND_DIR=
cd "$DATA/policy" || exit 1

test_expect_success 'a good configuration verifies' '
	"$PG" verify good >"$TMP/out" &&
	grep "^good: configuration OK: 9 rules from 2 files$" "$TMP/out"
'
for bad in bad-*.expected; do
	name=${bad%.expected}
	test_expect_code 1 "$name is refused" '"$PG" verify "$name"'
	test_expect_success "  ... with exactly the expected messages" '
		"$PG" verify "$name" 2>"$TMP/err"
		diff -u "$bad" "$TMP/err"
	'
done
test_expect_code 1 'a missing directory is an error' '"$PG" verify "$TMP/nonexistent"'
test_expect_success '  ... that says so' '
	"$PG" verify "$TMP/nonexistent" 2>&1 | grep "cannot read configuration directory"
'
test_expect_success 'verify uses --config when no DIR is given' '
	"$PG" --config good verify | grep "^good: configuration OK"
'
test_expect_success '  ... and PORTGATE_CONFIG_DIR' '
	PORTGATE_CONFIG_DIR=good "$PG" verify | grep "^good: configuration OK"
'
test_expect_code 1 'a command that needs the policy refuses a broken one' '
	"$PG" --config bad-dropin check --user root :80
'
test_expect_success '  ... printing the errors and nothing else on stdout' '
	"$PG" --config bad-dropin check --user root :80 >"$TMP/out" 2>"$TMP/err"
	! test -s "$TMP/out" &&
	grep "20-bad.conf:2:14: missing" "$TMP/err" &&
	grep "nothing was applied" "$TMP/err"
'
test_done
