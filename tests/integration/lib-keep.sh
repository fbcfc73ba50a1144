# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# lib-keep.sh - what the restart tests share (t0410 keep, t0420 adopt, t0430
# proxy --keep),
# sourced after lib.sh: a bounded client load with a hostile bind loop beside
# it, and waiting on a keeper's log and children.
#
#   . "${0%/*}/lib-keep.sh"
#   load_start hup 8080 "pgt-mallory$SFX" / && hup_20 "$K" 0 "is ready" "$LOG" && load_ok hup

LOOP=$HELPERS/pg-bind-loop
HTTP_LOAD=$HELPERS/pg-http-load

# children PID: the pids of PID's children, one a line.
children() {
	tr ' ' '\n' <"/proc/$1/task/$1/children" 2>/dev/null | grep .
}

# wait_lines N PATTERN FILE: until FILE has N lines matching PATTERN (at most 20 s).
wait_lines() {
	_i=0
	while [ "$(grep -c -e "$2" "$3")" -lt "$1" ]; do
		[ "$_i" -ge 200 ] && { echo "timed out waiting for $1 x '$2' in $3:"; cat "$3"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
}

# get PORT: one request; prints the pid of the server that answered.  A keeper
# just started may not have bound yet: connection refused (curl's 7) is tried
# again, for at most 20 s.
get() {
	_i=0
	while :; do
		curl -sS -m 20 "http://127.0.0.1:$1/" && return 0
		_rc=$?
		{ [ "$_rc" = 7 ] && [ "$_i" -lt 200 ]; } || return "$_rc"
		sleep 0.1
		_i=$((_i + 1))
	done
}

# load_start NAME PORT USER PATH: as USER, 4 clients (pg-http-load, at most
# 20000 requests or 240 s each) of http://127.0.0.1:PORT/PATH and a bind loop
# on 127.0.0.1:PORT, until $TMP/NAME.stop exists.
load_start() {
	rm -f "$TMP/$1.stop"
	for _c in 1 2 3 4; do
		as_user "$3" "$HTTP_LOAD" "$2" --path "$4" --until "$TMP/$1.stop" --max 20000 \
			--seconds 240 >"$TMP/$1.client$_c" 2>&1 &
		track_pid $!
	done
	as_user "$3" "$LOOP" tcp 127.0.0.1 "$2" --reuseaddr 1 --until "$TMP/$1.stop" \
		--max 1000000000 --seconds 240 >"$TMP/$1.binds" 2>&1 &
	track_pid $!
}

# load_stop NAME: stop the load, wait for it; $TMP/NAME.counts has the sums
# ("ok=A refused=R failed=F"), the first failures ("why: ...") and the
# bind loop's count ("binds: total=T ok=B").
load_stop() {
	touch "$TMP/$1.stop"
	_i=0
	while [ "$(cat "$TMP/$1.client"* "$TMP/$1.binds" | grep -c '^ok=\|^total=')" -lt 5 ]; do
		[ "$_i" -ge 300 ] && { echo "the load did not stop"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	cat "$TMP/$1.client"* | awk -F'[ =]' '/^ok=/ { o += $2; r += $4; f += $6 }
		END { printf "ok=%d refused=%d failed=%d\n", o, r, f }' >"$TMP/$1.counts"
	grep -h "^why:" "$TMP/$1.client"* | head -5 >>"$TMP/$1.counts"
	sed -n 's/.*\(total=[0-9]* ok=[0-9]*\).*/binds: \1/p' "$TMP/$1.binds" >>"$TMP/$1.counts"
}

# hup_20 PID BASE PATTERN FILE: 20 SIGHUPs to the keeper PID, each one waited
# for until FILE has one more line matching PATTERN (BASE of them before).
hup_20() {
	_n=0
	while [ "$_n" -lt 20 ]; do
		_n=$((_n + 1))
		kill -HUP "$1" && wait_lines $((_n + $2)) "$3" "$4" || return 1
	done
}

# load_ok NAME [in-flight]: load_stop NAME and show its counts; true if requests
# were served, none refused, none failed (with in-flight: any number, the
# requests a killed server was serving), and the bind loop never got the port.
load_ok() {
	_failed=0
	[ "${2:-}" = in-flight ] && _failed='[0-9]*'
	load_stop "$1" && cat "$TMP/$1.counts" &&
		grep -x "ok=[1-9][0-9]* refused=0 failed=$_failed" "$TMP/$1.counts" &&
		grep -x "binds: total=[1-9][0-9]* ok=0" "$TMP/$1.counts"
}
