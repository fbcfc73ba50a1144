#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0110-completion.sh - contrib/bash-completion/portgate completes every
# command `portgate help` lists, every long option in each command's usage
# line, the kernel and unit verbs, users and @groups, directories and the
# command after `--`.
. "${0%/*}/lib.sh"
require_cmd bash

COMPL=$PORTGATE_SRC/contrib/bash-completion/portgate
make_group "pgt-cgrp$SFX"
make_user "pgt-compl$SFX" "pgt-cgrp$SFX"
mkdir -p "$TMP/conf.d/sub"

# complete_line WORD...: COMPREPLY, one per line, for the command line WORD...
# with the cursor at the end of the last word (bash splits at ':' itself, so
# callers pass "www" ":" "da" for www:da).
complete_line() {
	bash -c '
		. "$0" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_portgate || exit 1
		printf "%s\n" "${COMPREPLY[@]}"
	' "$COMPL" "$@"
}

test_expect_success 'the completion file loads and registers _portgate for portgate' '
	bash -c ". \"$COMPL\" && complete -p portgate" | grep "^complete -F _portgate portgate$"
'
test_expect_success 'portgate <TAB> offers every command in portgate help' '
	"$PG" help | awk "/^Commands:/ {on=1; next} on && /^  [a-z]/ {print \$1} on && /^$/ {exit}" |
		sort >"$TMP/cmds" &&
	test -s "$TMP/cmds" &&
	complete_line portgate "" | sort >"$TMP/got" &&
	comm -23 "$TMP/cmds" "$TMP/got" >"$TMP/missing" &&
	if test -s "$TMP/missing"; then echo "missing:"; cat "$TMP/missing"; exit 1; fi
'
test_expect_success '  ... also after global options' '
	complete_line portgate --config /etc -v ke | grep -x kernel
'
test_expect_success 'portgate CMD --<TAB> offers every long option in CMD'"'"'s usage line' '
	for c in $(cat "$TMP/cmds"); do
		"$PG" "$c" --help | sed -n "s/^usage: //p" | grep -o -- "--[a-z][a-z-]*" | sort -u >"$TMP/opts" &&
		complete_line portgate "$c" -- | sort -u >"$TMP/got" &&
		comm -23 "$TMP/opts" "$TMP/got" >"$TMP/missing" || exit 1
		if test -s "$TMP/missing"; then echo "$c is missing:"; cat "$TMP/missing"; exit 1; fi
	done
'
test_expect_success 'portgate run --<TAB> includes --no-new-privs' '
	complete_line portgate run -- | grep -x -- --no-new-privs
'
test_expect_success 'portgate kernel <TAB> offers exactly the kernel verbs' '
	complete_line portgate kernel "" | sort >"$TMP/got" &&
	printf "%s\n" load log reload status unload watch | diff - "$TMP/got"
'
test_expect_success '  ... and directories for --pin-dir' '
	complete_line portgate kernel load --pin-dir "$TMP/conf" | grep -x "$TMP/conf.d"
'
test_expect_success 'portgate unit <TAB> offers launchd and systemd' '
	complete_line portgate unit "" | sort >"$TMP/got" &&
	printf "%s\n" launchd systemd | diff - "$TMP/got"
'
test_expect_success '  ... and each flavour'"'"'s own options after it' '
	complete_line portgate unit launchd -- | grep -x -- --label &&
	complete_line portgate unit systemd -- | grep -x -- --name &&
	! complete_line portgate unit systemd -- | grep -x -- --label
'
test_expect_success 'portgate allow pgt-<TAB> includes a test user' '
	complete_line portgate allow pgt- | grep -x pgt-compl$SFX
'
test_expect_success 'portgate deny @pgt-<TAB> includes a test group' '
	complete_line portgate deny @pgt-c | grep -x @pgt-cgrp$SFX
'
test_expect_success 'portgate allow USER <TAB> offers listen-spec schemes, not users' '
	complete_line portgate allow pgt-compl$SFX "" | sort | tr "\n" " " | grep -x "tcp:// udp:// "
'
test_expect_success 'run -u USER:GROUP completes the group after the colon' '
	complete_line portgate run -u pgt-compl$SFX : pgt-c | grep -x pgt-cgrp$SFX
'
test_expect_success '--config and verify complete directories' '
	complete_line portgate --config "$TMP/conf" | grep -x "$TMP/conf.d" &&
	complete_line portgate verify "$TMP/conf.d/s" | grep -x "$TMP/conf.d/sub"
'
test_expect_success 'the word after -- is a command' '
	complete_line portgate run -l :80 -- ech | grep -x echo &&
	complete_line portgate exec -u pgt-compl$SFX -- ech | grep -x echo &&
	complete_line portgate proxy -l :80 -u pgt-compl$SFX -- ech | grep -x echo
'
test_expect_success 'proxy --proxy-protocol <TAB> offers v1 and v2' '
	complete_line portgate proxy --proxy-protocol "" | sort | tr "\n" " " | grep -x "v1 v2 "
'
test_expect_success 'run --ready <TAB> offers notify, adopt and 1; proxy --ready notify and 1' '
	complete_line portgate run --ready "" | sort | tr "\n" " " | grep -x "1 adopt notify " &&
	complete_line portgate proxy --ready "" | sort | tr "\n" " " | grep -x "1 notify "
'
test_expect_success 'proxy --ke<TAB> completes --keep' '
	complete_line portgate proxy --ke | grep -x -- --keep
'
test_expect_success 'help <TAB> offers the commands' '
	complete_line portgate help pro | grep -x proxy
'
test_done
