#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0100-cli.sh - the command line contract: help, version, usage errors and
# their exit codes (portgate(1), EXIT STATUS).
. "${0%/*}/lib.sh"

test_expect_success '--version prints the version' '
	"$PG" --version | grep "^portgate [0-9]"
'
test_expect_code 100 'no command is a usage error' '"$PG"'
test_expect_success '  ... with a one-line hint' '
	"$PG" 2>&1 | grep "usage: portgate"
'
test_expect_code 100 'an unknown command is a usage error' '"$PG" frobnicate'
test_expect_success '  ... naming it' '
	"$PG" frobnicate 2>&1 | grep "unknown command .frobnicate."
'
test_expect_code 100 'an unknown global option is a usage error' '"$PG" --frob list'
test_expect_success 'help lists every command, sorted' '
	"$PG" help | awk "/^Commands:/ {on=1; next} on && /^  [a-z]/ {print \$1} on && /^$/ {exit}" >"$TMP/cmds" &&
	test -s "$TMP/cmds" && sort -c "$TMP/cmds"
'
test_expect_success 'every command answers --help with its usage' '
	for c in $(cat "$TMP/cmds"); do
		"$PG" "$c" --help | grep "^usage: portgate $c" || exit 1
		"$PG" help "$c" | grep "^usage: portgate $c" || exit 1
	done
'
test_expect_code 100 'help for an unknown command' '"$PG" help frobnicate'
test_expect_code 100 'check without a spec' '"$PG" check'
test_expect_code 100 'check with a bad spec' '"$PG" check tcp://1.2.3.4'
test_expect_success '  ... quotes the spec and says what was expected' '
	"$PG" check tcp://1.2.3.4 2>&1 | grep "bad listen spec .tcp://1.2.3.4.: expected .:PORT."
'
test_expect_code 100 'check refuses a range (not one bind)' '"$PG" check :80-90'
test_expect_code 1 'check for an unknown user' '"$PG" check --user pgt-nosuch :80'
test_expect_success '  ... names the user' '
	"$PG" check --user pgt-nosuch :80 2>&1 | grep "unknown user .pgt-nosuch."
'
test_expect_code 100 'list takes no arguments' '"$PG" list extra'
test_expect_code 100 'verify takes one directory' '"$PG" verify a b'
test_expect_code 100 'allow needs a spec' '"$PG" allow root'
test_expect_code 100 'allow with an unknown user' '"$PG" --config "$TMP/etc" allow pgt-nosuch :80'
test_expect_success '  ... names the user and writes nothing' '
	"$PG" --config "$TMP/etc" allow pgt-nosuch :80 2>&1 | grep "unknown user .pgt-nosuch." &&
	! test -e "$TMP/etc/portgate.conf"
'
test_done
