#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0070-demo.sh - `make demo` works where a newcomer runs it: scripts/demo.sh
# from a copy of the checkout and its build under 0700 folders (/root, mktemp
# -d) shows every stage working, ends with the next commands for real use, and
# leaves no user, cgroup, process or file of its own behind.
# Test bodies are single-quoted strings that the harness evals (SC2016).
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
require_cmd git tar make curl gcc lighttpd nginx ss
[ -x "$PORTGATE_BUILD/portgate" ] || skip_all "needs $PORTGATE_BUILD/portgate (make all)"

PRIV=$TMP/private
mkdir -m 700 "$PRIV"
CLONE=$PRIV/portgate
OUT=$TMP/demo.out
test_expect_success 'the demo runs from a private copy and exits 0' '
	private_copy "$CLONE" &&
	env -u _PG_IN_NETNS PORTGATE_BUILD="$CLONE/build" timeout 300 \
		"$CLONE/scripts/demo.sh" >"$OUT" 2>&1 </dev/null
'
# The suffix this run gave its users, from the demo's first heading.
DEMO=$(sed -n "s/.*two ordinary users: \(pgt-demo-[0-9a-f]*\) and.*/\1/p" "$OUT")
SFX=${DEMO#pgt-demo}
has() { grep -F -x -e "$1" "$OUT" >/dev/null; }
test_expect_success '  ... with users of its own run: pgt-demo-XXXXXX' '
	echo "$DEMO" | grep -x "pgt-demo-[0-9a-f]\{6\}"
'
test_expect_success '  ... lighttpd serves port 80 as the demo user (portgate run)' '
	has "Hello from lighttpd, running as $DEMO on a privileged port."
'
test_expect_success '  ... python serves port 80 through the broker (portgate exec)' '
	has "Hello from python3 -m http.server, bound through portgated." &&
	grep "^portgated: allow uid=.* bind=tcp/127.0.0.1:80 .* result=ok$" "$OUT" &&
	grep "^portgated: deny uid=.* bind=tcp/127.0.0.1:80 " "$OUT"
'
test_expect_success '  ... a UNIX-socket-only server behind portgate proxy' '
	has "Hello from a UNIX-socket-only server, behind portgate proxy."
'
if [ -e /sys/kernel/btf/vmlinux ]; then
	test_expect_success '  ... a static binary on port 80 under the kernel path, the reserved port refused' '
		grep -x "static-bind uid=[0-9]*" "$OUT" &&
		test "$(grep -c "static-bind .* 5432: EACCES$" "$OUT")" = 4 &&
		has "unloaded: the kernel'"'"'s default applies again"
	'
fi
test_expect_success '  ... and ends with the next commands for real use' '
	tail -n 3 "$OUT" | grep "Next: use it for real" &&
	tail -n 2 "$OUT" | grep "^  make install PREFIX=/usr/local " &&
	tail -n 1 "$OUT" | grep "^  portgate allow www-data tcp://\*:80 && portgate kernel load "
'
test_expect_success 'nothing of the demo is left: users, cgroup, processes, files' '
	test -n "$SFX" &&
	for u in pgt-demo pgt-other pgt-demod; do ! getent passwd "$u$SFX" || exit 1; done &&
	CG2=$(awk "\$9 == \"cgroup2\" { print \$5; exit }" /proc/self/mountinfo) &&
	! test -e "$CG2/pgt-demo$SFX" &&
	DTMP=$(sed -n "s|.*\(/tmp/pgt-demo\.[A-Za-z0-9]*\)/.*|\1|p" "$OUT" | head -n 1) &&
	test -n "$DTMP" && ! test -e "$DTMP" &&
	! pgrep -f "$DTMP/"
'
test_done
