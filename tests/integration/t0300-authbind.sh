#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0300-authbind.sh - pg_authbind_eval() side by side with the real authbind
# (Debian 2.1.3).  Each scenario of prior-art §1.7 that the configuration decides
# is built in $TMP/authbind, bind-mounted over /etc/authbind in this test's own
# mount namespace (the host's tree is never touched); a test user binds under
# authbind, pg-authbind-eval judges the same bind, and both must give the errno
# the table records, so a wrong model and a non-working authbind both fail.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

EVAL=$HELPERS/pg-authbind-eval
if ! [ -x "$EVAL" ] || ! [ -x "$HELPERS/pg-bind" ]; then
	skip_all "needs $EVAL and $HELPERS/pg-bind (make all-tests)"
fi
require_cmd authbind setfacl setpriv mount
[ -u /usr/lib/authbind/helper ] || skip_all "authbind's helper is not setuid (package authbind)"

# No /etc/authbind (the package creates it): make one in this namespace only, in
# an overlay on /etc whose upper layer is in $TMP.  Done before any user exists,
# so that useradd and the harness's userdel both see the overlay.
if ! [ -d /etc/authbind ]; then
	if ! mkdir "$TMP/etc-upper" "$TMP/etc-work" ||
		! mount -t overlay pgt-etc \
			-o "lowerdir=/etc,upperdir=$TMP/etc-upper,workdir=$TMP/etc-work" /etc ||
		! mkdir -m 755 /etc/authbind; then
		skip_all "no /etc/authbind, and no overlay on /etc to make one in"
	fi
fi

make_group "pgt-abgrp$SFX"
make_user "pgt-ab1$SFX"
make_user "pgt-ab2$SFX" "pgt-abgrp$SFX"
U1=$(id -u "pgt-ab1$SFX")
U2=$(id -u "pgt-ab2$SFX")

AB=$TMP/authbind
mkdir -m 755 "$AB"
mount --bind "$AB" /etc/authbind || { echo "Bail out! mount --bind over /etc/authbind"; exit 1; }

# pg-bind where the test users can surely run it.
BIND=$TMP/pg-bind
cp "$HELPERS/pg-bind" "$BIND" && chmod 755 "$BIND"
# In ASan builds libauthbind, preloaded, comes before the ASan runtime.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

# reset: an empty tree, as the Debian package ships it.
reset() {
	find "$AB" -mindepth 1 -delete &&
		chmod 755 "$AB" &&
		mkdir -m 755 "$AB/byport" "$AB/byaddr" "$AB/byuid"
}

# mkf MODE OWNER:GROUP NAME [LINE...]: a file in the tree of these lines, each
# with printf's %b escapes and a newline.
mkf() {
	_f=$AB/$3 _mode=$1 _own=$2
	shift 3 && : >"$_f" || return 1
	for _l; do
		printf '%b\n' "$_l" >>"$_f" || return 1
	done
	chown "$_own" "$_f" && chmod "$_mode" "$_f"
}

# judge [--clear-groups] USER PROTO ADDR PORT: sets REAL (authbind's bind: "ok" or
# an errno name) and MODEL (pg-authbind-eval's line).
judge() {
	if [ "$1" = --clear-groups ]; then
		shift
		REAL=$(setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups -- \
			authbind "$BIND" "$2" "$3" "$4")
		MODEL=$("$EVAL" --clear-groups /etc/authbind "$@")
	else
		REAL=$(as_user "$1" authbind "$BIND" "$2" "$3" "$4")
		MODEL=$("$EVAL" /etc/authbind "$@")
	fi
}

# same [--clear-groups] USER PROTO ADDR PORT WANT: authbind and pg_authbind_eval
# both give WANT.
same() {
	_cg=""
	if [ "$1" = --clear-groups ]; then
		_cg=$1
		shift
		judge --clear-groups "$1" "$2" "$3" "$4"
	else
		judge "$1" "$2" "$3" "$4"
	fi
	_m=$(echo "$MODEL" | cut -d' ' -f2)
	echo "$_cg $1 $2 $3:$4: authbind: '$REAL'; pg_authbind_eval: '$MODEL'; want $5"
	[ "$REAL" = "$5" ] && [ "$_m" = "$5" ]
}

# decided USER PROTO ADDR PORT FILE: pg_authbind_eval names /etc/authbind/FILE.
decided() {
	MODEL=$("$EVAL" /etc/authbind "$1" "$2" "$3" "$4")
	echo "pg_authbind_eval: '$MODEL'; want the file $5"
	[ "$(echo "$MODEL" | cut -d' ' -f3)" = "/etc/authbind/$5" ]
}

# --- without and with authbind ----------------------------------------------------

test_expect_success 'T1 without authbind the kernel refuses port 80 (EACCES)' '
	reset &&
	{ REAL=$(as_user pgt-ab1$SFX "$BIND" tcp 127.0.0.1 80) || :; } &&
	echo "pg-bind: $REAL" && [ "$REAL" = EACCES ]
'
test_expect_success 'T2 empty configuration: no byuid file, EPERM' '
	same pgt-ab1$SFX tcp 127.0.0.1 80 EPERM && decided pgt-ab1$SFX tcp 127.0.0.1 80 "byuid/$U1"
'
test_expect_success 'T3 empty byuid file: ENOENT' '
	mkf 644 root:root "byuid/$U1" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ENOENT
'
test_expect_success 'A6 byuid file of mode 000 is still read' '
	mkf 000 root:root "byuid/$U1" "127.0.0.1,80" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab2$SFX tcp 127.0.0.1 80 EPERM
'

# --- byport ------------------------------------------------------------------------

test_expect_success 'T4 byport/80 pgt-ab1 500: the owner binds tcp and udp, v4 and v6' '
	reset && mkf 500 pgt-ab1$SFX:pgt-ab1$SFX byport/80 &&
	for a in 127.0.0.1 0.0.0.0 ::1 ::; do
		same pgt-ab1$SFX tcp $a 80 ok && same pgt-ab1$SFX udp $a 80 ok || exit 1
	done
'
test_expect_success 'T4 byport/80 pgt-ab1 500: another user gets EACCES' '
	same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX udp ::1 80 EACCES &&
	decided pgt-ab2$SFX tcp 127.0.0.1 80 byport/80
'
test_expect_success 'T5 EACCES from byport ends the check: byuid is not read' '
	mkf 644 root:root "byuid/$U2" "127.0.0.1,80-81" &&
	same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX tcp 127.0.0.1 81 ok
'
test_expect_success 'T6 byport/80 root:pgt-abgrp 750: the member binds, others not' '
	reset && mkf 750 root:pgt-abgrp$SFX byport/80 &&
	same pgt-ab2$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES
'
test_expect_success 'A8 the same member without supplementary groups: EACCES' '
	same --clear-groups pgt-ab2$SFX tcp 127.0.0.1 80 EACCES
'
test_expect_success 'A7 byport/80 root 711: every user' '
	reset && mkf 711 root:root byport/80 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab2$SFX tcp ::1 80 ok
'
test_expect_success 'owner bits only for the owner; a group without x beats other x' '
	reset && mkf 077 pgt-ab1$SFX:pgt-ab1$SFX byport/80 && mkf 701 root:pgt-abgrp$SFX byport/81 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX tcp 127.0.0.1 81 EACCES &&
	same pgt-ab1$SFX tcp 127.0.0.1 81 ok
'

# --- byaddr ------------------------------------------------------------------------

test_expect_success 'T7 byaddr/127.0.0.1,80 covers that address only' '
	reset && mkf 755 root:root byaddr/127.0.0.1,80 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX udp 127.0.0.1 80 ok &&
	same pgt-ab1$SFX tcp 127.0.0.2 80 EPERM && same pgt-ab1$SFX tcp 0.0.0.0 80 EPERM &&
	same pgt-ab1$SFX tcp ::ffff:127.0.0.1 80 EPERM
'
test_expect_success 'T8 legacy byaddr/127.0.0.1:81' '
	mkf 755 root:root byaddr/127.0.0.1:81 &&
	same pgt-ab1$SFX tcp 127.0.0.1 81 ok && decided pgt-ab1$SFX tcp 127.0.0.1 81 byaddr/127.0.0.1:81
'
test_expect_success 'T9 byaddr/::1,82 and byaddr/0:0:0:0:0:0:0:1,83; 84 has no file' '
	mkf 755 root:root byaddr/::1,82 && mkf 755 root:root byaddr/0:0:0:0:0:0:0:1,83 &&
	same pgt-ab1$SFX tcp ::1 82 ok && same pgt-ab1$SFX tcp ::1 83 ok && same pgt-ab1$SFX tcp ::1 84 EPERM
'
test_expect_success 'IPv4-mapped binds use their own IPv6 names' '
	mkf 755 root:root byaddr/::ffff:127.0.0.1,85 &&
	mkf 755 root:root byaddr/0:0:0:0:0:ffff:7f00:1,86 &&
	same pgt-ab1$SFX tcp ::ffff:127.0.0.1 85 ok && same pgt-ab1$SFX tcp ::ffff:127.0.0.1 86 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 85 EPERM
'
test_expect_success 'a non-executable byaddr file ends the check; the legacy name comes first' '
	reset && mkf 644 root:root "byuid/$U1" "127.0.0.1,1-511" &&
	mkf 700 root:root byaddr/127.0.0.1,80 &&
	mkf 700 root:root byaddr/127.0.0.1:81 && mkf 755 root:root byaddr/127.0.0.1,81 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab1$SFX tcp 127.0.0.1 81 EACCES &&
	decided pgt-ab1$SFX tcp 127.0.0.1 81 byaddr/127.0.0.1:81 && same pgt-ab1$SFX tcp 127.0.0.1 82 ok
'

# --- the "!" prefix for 512-1023 -------------------------------------------------------

test_expect_success 'T12 byport/600 is not consulted for port 600' '
	reset && mkf 755 root:root byport/600 && same pgt-ab1$SFX tcp 127.0.0.1 600 EPERM
'
test_expect_success 'T13 byport/!600 is' '
	mkf 755 root:root byport/!600 && same pgt-ab1$SFX tcp 127.0.0.1 600 ok &&
	mkf 755 root:root byport/511 && same pgt-ab1$SFX tcp 127.0.0.1 511 ok
'
test_expect_success '"!" on byaddr and byuid names too' '
	reset && mkf 755 root:root byaddr/!127.0.0.1,700 && mkf 755 root:root byaddr/!::1,701 &&
	mkf 644 root:root "byuid/$U1" "127.0.0.1,1-1023" &&
	same pgt-ab1$SFX tcp 127.0.0.1 700 ok && same pgt-ab1$SFX tcp ::1 701 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 702 EPERM && same pgt-ab1$SFX tcp 127.0.0.1 80 ok &&
	mkf 644 root:root "byuid/!$U1" "127.0.0.1,1-1023" && same pgt-ab1$SFX tcp 127.0.0.1 702 ok
'

# --- byuid lines -----------------------------------------------------------------------

test_expect_success 'T10 byuid rules: what they grant' '
	reset &&
	mkf 644 root:root "byuid/$U1" "127.0.0.0/8,80-90" "127.0.0.1/32: 100,110" "::1,443" \
		"::/0,53" "127.0.0.5,8" "127.0.0.1/24,99" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 90 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 105 ok && same pgt-ab1$SFX tcp ::1 443 ok &&
	same pgt-ab1$SFX udp :: 53 ok && same pgt-ab1$SFX tcp 127.0.0.5 8 ok
'
test_expect_success 'T10 byuid rules: what they do not' '
	same pgt-ab1$SFX tcp 127.0.0.1 91 ENOENT && same pgt-ab1$SFX tcp ::1 80 ENOENT &&
	same pgt-ab1$SFX udp 0.0.0.0 53 ENOENT && same pgt-ab1$SFX tcp 127.0.0.1 99 ENOENT
'
test_expect_success 'A2 0.0.0.0/0 does not cover [::]; A3 127.0.0.1 not ::ffff:127.0.0.1' '
	mkf 644 root:root "byuid/$U1" "0.0.0.0/0,80" "127.0.0.1,81" &&
	same pgt-ab1$SFX tcp :: 80 ENOENT && same pgt-ab1$SFX tcp 0.0.0.0 80 ok &&
	same pgt-ab1$SFX tcp ::ffff:127.0.0.1 81 ENOENT && same pgt-ab1$SFX tcp 127.0.0.1 81 ok
'
test_expect_success 'A9 whitespace around the address and a trailing comment break a line' '
	mkf 644 root:root "byuid/$U1" " 127.0.0.1 , 80 " "127.0.0.1,80 # comment" \
		"\t127.0.0.1,80" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ENOENT
'
test_expect_success 'the port part tolerates whitespace' '
	mkf 644 root:root "byuid/$U1" "127.0.0.1,\t80 \r" "127.0.0.1,81- 82" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 82 ok
'
test_expect_success 'address ranges (format a) and the legacy format (c)' '
	mkf 644 root:root "byuid/$U1" "127.0.0.2-127.0.0.9,80" "::1-::ff,81" \
		" 127. 0. 0. 0/8: 100,110" &&
	same pgt-ab1$SFX tcp 127.0.0.5 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 80 ENOENT &&
	same pgt-ab1$SFX tcp ::1 81 ok && same pgt-ab1$SFX tcp 127.0.0.3 105 ok
'
test_expect_success 'ignored: min > max, reversed range, /33, /129, "/" with "-", legacy /33' '
	mkf 644 root:root "byuid/$U1" "127.0.0.1,90-80" "127.0.0.9-127.0.0.1,85" "127.0.0.0/33,85" \
		"::/129,85" "127.0.0.0/8-9,85" "127.0.0.0/33: 80,90" &&
	same pgt-ab1$SFX tcp 127.0.0.1 85 ENOENT && same pgt-ab1$SFX tcp ::1 85 ENOENT
'
test_expect_success 'numbers as sscanf %u reads them: wrap at 2^32, signs' '
	mkf 644 root:root "byuid/$U1" "127.0.0.1,4294967376" "127.0.0.1,+81" "127.0.0.1,82--1" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 81 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 300 ok
'
test_expect_success 'prefix lengths of 2^31 and more behave as in the amd64 helper' '
	mkf 644 root:root "byuid/$U1" "127.0.0.0/4294967295,81" "127.0.0.0/-1,82" &&
	same pgt-ab1$SFX tcp 127.1.2.3 81 ok && same pgt-ab1$SFX tcp 127.1.2.3 82 ENOENT
'
test_expect_success 'lines longer than 298 bytes are split' '
	x=$(printf "%0298d" 0) &&
	mkf 644 root:root "byuid/$U1" "${x}127.0.0.1,80" "${x#0}127.0.0.1,81" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 81 ENOENT
'
test_expect_success 'a NUL byte ends a line' '
	mkf 644 root:root "byuid/$U1" "127.0.0.1,80\0junk" "127.0.0.1,81x\0" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 81 ENOENT
'

# --- POSIX ACLs ------------------------------------------------------------------------

test_expect_success 'ACL named user: granted, others not; the mask takes it away' '
	reset && mkf 700 root:root byport/80 && setfacl -m u:pgt-ab1$SFX:x "$AB/byport/80" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES &&
	setfacl -m m::r "$AB/byport/80" && same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES
'
test_expect_success 'ACL named user without x is refused although other has x' '
	reset && mkf 701 root:root byport/80 && setfacl -m u:pgt-ab1$SFX:r "$AB/byport/80" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX tcp 127.0.0.1 80 ok
'
test_expect_success 'ACL with an empty mask: Linux falls back to the mode bits' '
	reset && mkf 601 root:root byport/80 && setfacl -m u:pgt-ab1$SFX:x,m::- "$AB/byport/80" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok &&
	setfacl -m u:pgt-ab1$SFX:-,m::- "$AB/byport/80" && same pgt-ab1$SFX tcp 127.0.0.1 80 ok
'
test_expect_success 'ACL named group, through a supplementary group' '
	reset && mkf 700 root:root byport/80 && setfacl -m g:pgt-abgrp$SFX:x "$AB/byport/80" &&
	same pgt-ab2$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES &&
	same --clear-groups pgt-ab2$SFX tcp 127.0.0.1 80 EACCES
'
test_expect_success 'ACL: a matching group without x denies, other does not apply' '
	reset && mkf 701 root:root byport/80 && setfacl -m g:pgt-abgrp$SFX:r "$AB/byport/80" &&
	same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab1$SFX tcp 127.0.0.1 80 ok
'
test_expect_success 'ACL on the byport directory grants search' '
	reset && mkf 755 root:root byport/80 && chmod 700 "$AB/byport" &&
	setfacl -m u:pgt-ab1$SFX:x "$AB/byport" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES
'

# --- path lookup -------------------------------------------------------------------------

test_expect_success 'a directory byport/80 counts like a file' '
	reset && mkdir -m 711 "$AB/byport/80" && mkdir -m 700 "$AB/byport/81" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 81 EACCES
'
test_expect_success 'byport not searchable: EACCES even for a missing name' '
	reset && mkf 644 root:root "byuid/$U1" "127.0.0.1,1-511" && chmod 700 "$AB/byport" &&
	same pgt-ab1$SFX tcp 127.0.0.1 81 EACCES && chmod 711 "$AB/byport" &&
	same pgt-ab1$SFX tcp 127.0.0.1 81 ok
'
test_expect_success '/etc/authbind itself not searchable: EACCES' '
	chmod 700 "$AB" && same pgt-ab1$SFX tcp 127.0.0.1 81 EACCES && chmod 755 "$AB"
'
test_expect_success 'byport a file: ENOTDIR ends the check' '
	rmdir "$AB/byport" && mkf 644 root:root byport &&
	same pgt-ab1$SFX tcp 127.0.0.1 81 ENOTDIR
'
test_expect_success 'symlinks: followed, dangling falls through, loops end the check' '
	reset && mkf 755 root:root byport/80 && ln -s 80 "$AB/byport/443" &&
	ln -s missing "$AB/byport/444" && ln -s 445 "$AB/byport/445" &&
	ln -s "$AB/byport/80" "$AB/byport/446" && ln -s 80/ "$AB/byport/447" &&
	same pgt-ab1$SFX tcp 127.0.0.1 443 ok && same pgt-ab1$SFX tcp 127.0.0.1 444 EPERM &&
	same pgt-ab1$SFX tcp 127.0.0.1 445 ELOOP && same pgt-ab1$SFX tcp 127.0.0.1 446 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 447 ENOTDIR
'

test_done
