#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0070-demo.sh - `make demo` (scripts/demo.sh) works from a checkout and a
# build tree no other user can reach, as a clone under /root or in a
# `mktemp -d` is: every stage shows what it should, two demos run side by side,
# and each leaves no user, group, cgroup, process or scratch directory behind,
# also when ended by SIGTERM part-way.  demo.sh makes its own network and mount
# namespaces (unshare, as `make demo` runs it) inside this script's.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
require_cmd git tar make gcc curl ss setpriv timeout useradd /usr/sbin/lighttpd /usr/bin/python3
[ -x "$PG" ] || skip_all "needs $PG (make all)"

PRIV=$TMP/private # like /root: mode 0700, so the demo users cannot enter it
mkdir -m 700 "$PRIV"
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
KERNEL=no
[ -n "$CG2" ] && [ -e /sys/kernel/btf/vmlinux ] && KERNEL=yes

test_expect_success 'a copy of the checkout and of the build tree in a 0700 directory' '
	private_copy "$PRIV/src" &&
	test -x "$PRIV/src/scripts/demo.sh" && test -x "$PRIV/src/build/portgate"
'

# demo NAME: run the demo from the private copy, its output in $TMP/NAME.out.
demo() {
	(cd "$PRIV/src" && PORTGATE_BUILD="$PRIV/src/build" timeout -k 10 120 scripts/demo.sh) \
		</dev/null >"$TMP/$1.out" 2>&1
	echo $? >"$TMP/$1.rc"
}

# Two demos at once: neither may remove what the other made.
demo a &
a_pid=$!
track_pid "$a_pid"
demo b
wait "$a_pid"

# names RUN: the run's suffix ($suf, from the scratch directory it names first)
# and the uids of its users ($uid_demo, $uid_other, from the `id` lines it
# printed; empty if it ended before).
names() {
	suf=$(sed -n 's|^\$ make install DESTDIR=/tmp/pgt-demo-\([a-z0-9]*\)/stage .*|\1|p' \
		"$TMP/$1.out" | head -n 1)
	uid_demo=$(sed -n "s/^uid=\\([0-9]*\\)(pgt-demo-$suf).*/\\1/p" "$TMP/$1.out" | head -n 1)
	uid_other=$(sed -n "s/^uid=\\([0-9]*\\)(pgt-other-$suf).*/\\1/p" "$TMP/$1.out" | head -n 1)
}

# nothing_left RUN: none of the run's users, groups, cgroup, scratch directory
# or processes (by its users' uids, or naming its scratch directory) remain.
nothing_left() {
	names "$1"
	test -n "$suf" || return 1
	for n in "pgt-demo-$suf" "pgt-other-$suf" "pgt-demod-$suf"; do
		if getent passwd "$n" || getent group "$n"; then return 1; fi
	done
	if [ -n "$CG2" ] && [ -e "$CG2/pgt-demo-$suf" ]; then
		echo "cgroup $CG2/pgt-demo-$suf is left"
		return 1
	fi
	if [ -e "/tmp/pgt-demo-$suf" ]; then
		echo "/tmp/pgt-demo-$suf is left"
		return 1
	fi
	ps -eo uid=,pid=,args= >"$TMP/ps" || return 1
	! awk -v a="${uid_demo:--}" -v b="${uid_other:--}" -v t="/tmp/pgt-demo-$suf" \
		'$1 == a || $1 == b || index($0, t)' "$TMP/ps" | grep .
}

for r in a b; do
	names "$r"
	eval "suf_$r=\$suf"
	test_expect_success "demo $r: exits 0" '
		test "$(cat "$TMP/$r.rc")" = 0 || { echo "exit $(cat "$TMP/$r.rc")"; tail -n 40 "$TMP/$r.out"; exit 1; }
	'
	test_expect_success "demo $r: its users carry a run-unique suffix" '
		test -n "$suf" && test -n "$uid_demo" && test -n "$uid_other" &&
		grep -x "uid=$uid_demo(pgt-demo-$suf) .*" "$TMP/$r.out" ||
			{ head -n 20 "$TMP/$r.out"; exit 1; }
	'
	test_expect_success "demo $r: it runs the programs staged by make install, not the checkout's" '
		grep -F "make install DESTDIR=/tmp/pgt-demo-$suf/stage PREFIX=/usr" "$TMP/$r.out" &&
		grep -F "<string>/tmp/pgt-demo-$suf/stage/usr/bin/portgate</string>" "$TMP/$r.out" &&
		grep -x "/tmp/pgt-demo-$suf/stage/usr/bin/../lib/portgate/libportgate-preload.so" "$TMP/$r.out" &&
		! grep -E "$PRIV/[^ ]*(portgate|portgated|\.so)( |$)" "$TMP/$r.out"
	'
	test_expect_success "demo $r: lighttpd serves its page as the demo user (portgate run)" '
		grep -x "Hello from lighttpd, running as pgt-demo-$suf on a privileged port." "$TMP/$r.out" &&
		grep -x "Uid:	$uid_demo	$uid_demo	$uid_demo	$uid_demo" "$TMP/$r.out"
	'
	test_expect_success "demo $r: python serves its page, bound through the broker (portgate exec)" '
		grep -x "Hello from python3 -m http.server, bound through portgated." "$TMP/$r.out" &&
		grep "^portgated: allow uid=$uid_demo .*bind=tcp/127.0.0.1:80 .*result=ok" "$TMP/$r.out"
	'
	test_expect_success "demo $r: the other user is denied, and the broker logs it" '
		grep -x "PermissionError: \[Errno 13\] Permission denied" "$TMP/$r.out" &&
		grep "^portgated: deny uid=$uid_other .*bind=tcp/127.0.0.1:80" "$TMP/$r.out"
	'
	test_expect_success "demo $r: the proxy serves the UNIX-socket-only server" '
		grep -x "Hello from a UNIX-socket-only server, behind portgate proxy." "$TMP/$r.out"
	'
	if [ "$KERNEL" = yes ]; then
		test_expect_success "demo $r: the kernel path lets a static binary bind 80, refuses 5432" '
			grep -x "static-bind uid=$uid_demo" "$TMP/$r.out" &&
			test "$(grep -c "^\$ (as pgt-other-$suf) static-bind .* 5432: EACCES$" "$TMP/$r.out")" = 4
		'
	fi
	test_expect_success "demo $r: ends with the next steps for real use" '
		grep "^    make install PREFIX=/usr/local" "$TMP/$r.out" &&
		grep "^    portgate allow www-data tcp://" "$TMP/$r.out"
	'
	test_expect_success "demo $r: no user, group, cgroup, process or directory of its own is left" '
		nothing_left "$r"
	'
done

test_expect_success 'the two demos had names of their own' '
	test -n "$suf_a" && test "$suf_a" != "$suf_b"
'
# stop_at RUN LINE: start a demo, end it with SIGTERM once it printed a line
# matching LINE (at most 60 s later), and wait for it; its status in $stop_rc.
# The demo pauses 2 s before each section (PORTGATE_DEMO_PAUSE), so the TERM
# comes before the next one, however quick the rest of the demo is.
stop_at() {
	(cd "$PRIV/src" && PORTGATE_BUILD="$PRIV/src/build" PORTGATE_DEMO_PAUSE=2 \
		exec scripts/demo.sh) \
		</dev/null >"$TMP/$1.out" 2>&1 &
	_pid=$!
	track_pid "$_pid"
	i=0
	until grep -q "$2" "$TMP/$1.out" || [ $i -ge 600 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -TERM "$_pid"
	i=0
	while kill -0 "$_pid" 2>/dev/null && [ $i -lt 300 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -0 "$_pid" 2>/dev/null && kill -KILL "$_pid"
	stop_rc=0
	wait "$_pid" || stop_rc=$?
}

# stopped RUN LINE: the two cases for a demo ended by SIGTERM at LINE.
stopped() {
	run=$1
	line=$2
	stop_at "$run" "$line"
	test_expect_success "a demo ended by SIGTERM after '$line' exits 130" '
		grep "$line" "$TMP/$run.out" && test "$stop_rc" = 130 ||
			{ echo "exit $stop_rc"; tail -n 20 "$TMP/$run.out"; exit 1; }
	'
	test_expect_success '  ... and leaves no user, group, cgroup, process or directory of its own' '
		nothing_left "$run"
	'
}
# A demo ended by SIGTERM removes all it made too: while it creates its users;
# with its python server and the broker up; (kernel path) with a server in its
# cgroup and BPF attached.
stopped c "^ the demo users can reach them"
stopped d "^Hello from python3"
[ "$KERNEL" = yes ] && stopped e "^static-bind uid="
test_expect_success 'the private directory was left as it was (0700)' '
	test "$(stat -c %a "$PRIV")" = 700
'
test_done
