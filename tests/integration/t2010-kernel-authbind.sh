#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t2010-kernel-authbind.sh - the authbind tree enforced by the kernel path.  Every
# case of t0300's table (Debian's real authbind against the policy engine) is
# run again: the tree is built in $TMP/authbind, bind-mounted over /etc/authbind
# in this test's own mount namespace, "portgate kernel reload" compiles it, and
# a test user binds with no wrapper in a scratch cgroup; real authbind (outside
# the cgroup) must give the errno the table records, and the kernel must let
# the bind through exactly when authbind does (EACCES otherwise).  Then: the
# precedence against portgate.conf, authbind never reserving, "kernel watch"
# reloading on changes in the tree, and bad trees refused with the old policy
# kept.
#
# SAFETY, as in t2000: programs are attached to a scratch cgroup made here,
# never the root; pins go to a bpffs mounted privately in this test's mount
# namespace; binds happen in this test's network namespace; the trap unloads,
# moves processes out and removes the cgroup.
# Test bodies are single-quoted strings that the harness evals, so shellcheck
# sees neither the variables nor the functions they use (SC2034, SC2317) and
# warns about the quotes themselves (SC2016).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"
# shellcheck source=lib-kernel.sh
. "${0%/*}/lib-kernel.sh"

if ! [ -x "$PG" ] || ! [ -x "$HELPERS/pg-bind" ]; then
	skip_all "needs $PG and $HELPERS/pg-bind (make all-tests)"
fi
require_cmd authbind setfacl setpriv mount bpftool
[ -u /usr/lib/authbind/helper ] || skip_all "authbind's helper is not setuid (package authbind)"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "the kernel has no BTF (/sys/kernel/btf/vmlinux)"
kernel_scratch t2010

# As in t0300: no /etc/authbind, make one in an overlay on /etc, before any user exists.
if ! [ -d /etc/authbind ]; then
	if ! mkdir "$TMP/etc-upper" "$TMP/etc-work" ||
		! mount -t overlay pgt-etc \
			-o "lowerdir=/etc,upperdir=$TMP/etc-upper,workdir=$TMP/etc-work" /etc ||
		! mkdir -m 755 /etc/authbind; then
		skip_all "no /etc/authbind, and no overlay on /etc to make one in"
	fi
fi

kab_cleanup() {
	kill_tracked
	kernel_scratch_remove
	_pg_cleanup
}
trap kab_cleanup EXIT
mkdir "$CG" || { echo "Bail out! cannot create a scratch cgroup under $CG2"; exit 1; }

make_group "pgt-abgrp$SFX"
make_user "pgt-ab1$SFX"
make_user "pgt-ab2$SFX" "pgt-abgrp$SFX"
make_user "pgt-ab3$SFX"
U1=$(id -u "pgt-ab1$SFX")
U2=$(id -u "pgt-ab2$SFX")

AB=$TMP/authbind
mkdir -m 755 "$AB"
mount --bind "$AB" /etc/authbind || { echo "Bail out! mount --bind over /etc/authbind"; exit 1; }

BIND=$TMP/pg-bind
cp "$HELPERS/pg-bind" "$BIND" && chmod 755 "$BIND"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

ETC=$TMP/etc
mkdir -p "$ETC" && : >"$ETC/portgate.conf" && chmod -R a+rX "$ETC"
export PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR=/etc/authbind
OUT=$TMP/out
ERR=$TMP/err
printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" && exec "$@"\n' "$CG" >"$TMP/in_cg"
chmod 755 "$TMP/in_cg"

reset() {
	find "$AB" -mindepth 1 -delete &&
		chmod 755 "$AB" &&
		mkdir -m 755 "$AB/byport" "$AB/byaddr" "$AB/byuid"
}
mkf() {
	_f=$AB/$3 _mode=$1 _own=$2
	shift 3 && : >"$_f" || return 1
	for _l; do
		printf '%b\n' "$_l" >>"$_f" || return 1
	done
	chown "$_own" "$_f" && chmod "$_mode" "$_f"
}
# reload: compile the tree as it is now into the kernel; says why if it cannot.
reload() {
	"$PG" kernel reload --pin-dir "$PINS" >"$OUT" 2>"$ERR" || { cat "$ERR"; return 1; }
}
# kbind [--clear-groups] USER PROTO ADDR PORT: pg-bind as USER in the scratch cgroup,
# no authbind.
kbind() {
	_g=--init-groups
	[ "$1" = --clear-groups ] && { _g=--clear-groups; shift; }
	"$TMP/in_cg" setpriv --reuid="$1" --regid="$(id -g "$1")" "$_g" -- "$BIND" "$2" "$3" "$4"
}
# same [--clear-groups] USER PROTO ADDR PORT WANT: real authbind gives WANT, and under
# the kernel path (the tree reloaded first) the bind succeeds exactly when WANT is ok.
same() {
	_cg=""
	[ "$1" = --clear-groups ] && { _cg=$1; shift; }
	if [ -n "$_cg" ]; then
		REAL=$(setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups -- \
			authbind "$BIND" "$2" "$3" "$4")
	else
		REAL=$(as_user "$1" authbind "$BIND" "$2" "$3" "$4")
	fi
	reload || return 1
	KERNEL=$(kbind ${_cg:+"$_cg"} "$1" "$2" "$3" "$4")
	_kwant=EACCES
	[ "$5" = ok ] && _kwant=ok
	echo "$_cg $1 $2 $3:$4: authbind: '$REAL'; kernel: '$KERNEL'; want $5 / $_kwant"
	[ "$REAL" = "$5" ] && [ "$KERNEL" = "$_kwant" ]
}

test_expect_success 'load the kernel path with the (empty) authbind tree' '
	reset &&
	"$PG" kernel load --cgroup "$CG" --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT" 2>"$ERR" &&
	cat "$OUT" "$ERR" && ! grep -i "not compiled" "$ERR" && grep "^loaded at $CG" "$OUT"
'

# --- t0300's table, under the kernel path ---------------------------------------------

test_expect_success 'T1 without a grant the kernel refuses port 80 (EACCES)' '
	reload && test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 80)" = EACCES
'
test_expect_success 'T2 empty configuration: no byuid file' '
	same pgt-ab1$SFX tcp 127.0.0.1 80 EPERM
'
test_expect_success 'T3 empty byuid file' '
	mkf 644 root:root "byuid/$U1" && same pgt-ab1$SFX tcp 127.0.0.1 80 ENOENT
'
test_expect_success 'A6 byuid file of mode 000 is still read' '
	mkf 000 root:root "byuid/$U1" "127.0.0.1,80" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab2$SFX tcp 127.0.0.1 80 EPERM
'
test_expect_success 'T4 byport/80 pgt-ab1 500: the owner binds tcp and udp, v4 and v6' '
	reset && mkf 500 pgt-ab1$SFX:pgt-ab1$SFX byport/80 &&
	for a in 127.0.0.1 0.0.0.0 ::1 ::; do
		same pgt-ab1$SFX tcp $a 80 ok && same pgt-ab1$SFX udp $a 80 ok || exit 1
	done
'
test_expect_success 'T4 byport/80 pgt-ab1 500: another user is refused' '
	same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX udp ::1 80 EACCES
'
test_expect_success 'T5 EACCES from byport ends the check: byuid is not read' '
	mkf 644 root:root "byuid/$U2" "127.0.0.1,80-81" &&
	same pgt-ab2$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX tcp 127.0.0.1 81 ok
'
test_expect_success 'T6 byport/80 root:pgt-abgrp 750: the member binds, others not' '
	reset && mkf 750 root:pgt-abgrp$SFX byport/80 &&
	same pgt-ab2$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES
'
# The kernel sees a uid, never the groups of the process (doc/threat-model.md): it
# judges with the groups of the account database, as "portgate check" does.
test_expect_success 'A8 the member without supplementary groups: authbind refuses, the kernel (account groups) does not' '
	REAL=$(setpriv --reuid=pgt-ab2$SFX --regid=pgt-ab2$SFX --clear-groups -- \
		authbind "$BIND" tcp 127.0.0.1 80)
	KERNEL=$(kbind --clear-groups pgt-ab2$SFX tcp 127.0.0.1 80)
	echo "authbind: $REAL; kernel: $KERNEL" && test "$REAL" = EACCES && test "$KERNEL" = ok
'
test_expect_success 'A7 byport/80 root 711: every user' '
	reset && mkf 711 root:root byport/80 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab2$SFX tcp ::1 80 ok &&
	same pgt-ab3$SFX udp 0.0.0.0 80 ok
'
test_expect_success 'owner bits only for the owner; a group without x beats other x' '
	reset && mkf 077 pgt-ab1$SFX:pgt-ab1$SFX byport/80 && mkf 701 root:pgt-abgrp$SFX byport/81 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES && same pgt-ab2$SFX tcp 127.0.0.1 81 EACCES &&
	same pgt-ab1$SFX tcp 127.0.0.1 81 ok && same pgt-ab3$SFX tcp 127.0.0.1 80 ok
'
test_expect_success 'T7 byaddr/127.0.0.1,80 covers that address only' '
	reset && mkf 755 root:root byaddr/127.0.0.1,80 &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX udp 127.0.0.1 80 ok &&
	same pgt-ab1$SFX tcp 127.0.0.2 80 EPERM && same pgt-ab1$SFX tcp 0.0.0.0 80 EPERM &&
	same pgt-ab1$SFX tcp ::ffff:127.0.0.1 80 EPERM
'
test_expect_success 'T8 legacy byaddr/127.0.0.1:81' '
	mkf 755 root:root byaddr/127.0.0.1:81 && same pgt-ab1$SFX tcp 127.0.0.1 81 ok
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
	same pgt-ab1$SFX tcp 127.0.0.1 82 ok
'
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
test_expect_success 'T10 byuid rules: what they grant' '
	reset &&
	mkf 644 root:root "byuid/$U1" "127.0.0.0/8,80-90" "127.0.0.1/32: 100,110" "::1,443" \
		"::/0,53" "127.0.0.5,8" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 90 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 105 ok && same pgt-ab1$SFX tcp ::1 443 ok &&
	same pgt-ab1$SFX udp :: 53 ok && same pgt-ab1$SFX tcp 127.0.0.5 8 ok
'
test_expect_success 'T10 byuid rules: what they do not' '
	same pgt-ab1$SFX tcp 127.0.0.1 91 ENOENT && same pgt-ab1$SFX tcp ::1 80 ENOENT &&
	same pgt-ab1$SFX udp 0.0.0.0 53 ENOENT && same pgt-ab2$SFX tcp 127.0.0.1 80 EPERM
'
test_expect_success 'A2 0.0.0.0/0 does not cover [::]; A3 127.0.0.1 not ::ffff:127.0.0.1' '
	mkf 644 root:root "byuid/$U1" "0.0.0.0/0,80" "127.0.0.1,81" &&
	same pgt-ab1$SFX tcp :: 80 ENOENT && same pgt-ab1$SFX tcp 0.0.0.0 80 ok &&
	same pgt-ab1$SFX tcp ::ffff:127.0.0.1 81 ENOENT && same pgt-ab1$SFX tcp 127.0.0.1 81 ok
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
test_expect_success 'numbers as sscanf %u reads them: wrap at 2^32, signs' '
	mkf 644 root:root "byuid/$U1" "127.0.0.1,4294967376" "127.0.0.1,+81" "127.0.0.1,82--1" &&
	same pgt-ab1$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 81 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 300 ok
'
test_expect_success 'prefix lengths of 2^31 and more behave as in the amd64 helper' '
	mkf 644 root:root "byuid/$U1" "127.0.0.0/4294967295,81" &&
	same pgt-ab1$SFX tcp 127.1.2.3 81 ok && same pgt-ab1$SFX tcp 127.1.2.3 82 ENOENT
'
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
	same pgt-ab2$SFX tcp 127.0.0.1 80 ok && same pgt-ab1$SFX tcp 127.0.0.1 80 EACCES
'
test_expect_success 'ACL named group without supplementary groups: authbind refuses, the kernel (account groups) does not' '
	REAL=$(setpriv --reuid=pgt-ab2$SFX --regid=pgt-ab2$SFX --clear-groups -- \
		authbind "$BIND" tcp 127.0.0.1 80)
	KERNEL=$(kbind --clear-groups pgt-ab2$SFX tcp 127.0.0.1 80)
	echo "authbind: $REAL; kernel: $KERNEL" && test "$REAL" = EACCES && test "$KERNEL" = ok
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
test_expect_success 'symlinks: followed, absolute, with a trailing slash' '
	reset && mkf 755 root:root byport/80 && ln -s 80 "$AB/byport/443" &&
	ln -s /etc/authbind/byport/80 "$AB/byport/446" && ln -s 80/ "$AB/byport/447" &&
	same pgt-ab1$SFX tcp 127.0.0.1 443 ok && same pgt-ab1$SFX tcp 127.0.0.1 446 ok &&
	same pgt-ab1$SFX tcp 127.0.0.1 447 ENOTDIR
'

# --- bad trees: refused, the old policy kept ---------------------------------------------

# refused FILE: the last reload failed (exit 1), named FILE, and left the kernel alone.
refused() {
	! "$PG" kernel reload --pin-dir "$PINS" >"$OUT" 2>"$ERR" && cat "$ERR" &&
		grep -F "$1" "$ERR" && grep -F "the kernel was not touched" "$ERR"
}
test_expect_success 'a dangling symbolic link (authbind: skipped) is refused; the old policy stays' '
	ln -s missing "$AB/byport/444" &&
	test "$(as_user pgt-ab1$SFX authbind "$BIND" tcp 127.0.0.1 444)" = EPERM &&
	refused "/etc/authbind/byport/444: a dangling symbolic link (to '"'"'missing'"'"')" &&
	test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 443)" = ok &&
	"$PG" verify 2>"$ERR"; test $? = 1 && grep -F "/etc/authbind/byport/444: a dangling" "$ERR"
'
test_expect_success 'a symbolic link loop is refused' '
	rm "$AB/byport/444" && ln -s 445 "$AB/byport/445" &&
	test "$(as_user pgt-ab1$SFX authbind "$BIND" tcp 127.0.0.1 445)" = ELOOP &&
	refused "/etc/authbind/byport/445: a symbolic link that loops" &&
	rm "$AB/byport/445"
'
test_expect_success 'a byuid file that cannot be read (a directory) is refused' '
	mkdir "$AB/byuid/$U2" && refused "/etc/authbind/byuid/$U2: cannot read it" &&
	rmdir "$AB/byuid/$U2"
'
test_expect_success 'reload with a bad byuid line: refused with file:line:col, the old verdicts kept' '
	reset && mkf 644 root:root "byuid/$U1" "127.0.0.1,80" && reload &&
	test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 80)" = ok &&
	mkf 644 root:root "byuid/$U1" "127.0.0.1,81" "127.0.0.1/24,99" "127.0.0.1,80 # web" &&
	refused "/etc/authbind/byuid/$U1:2:11: authbind ignores this line" &&
	grep -F "/etc/authbind/byuid/$U1:3:" "$ERR" &&
	test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 80)" = ok &&
	test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 81)" = EACCES &&
	"$PG" verify 2>"$TMP/verify.err"; test $? = 1 &&
	grep -F "/etc/authbind/byuid/$U1:2:11: authbind ignores this line" "$TMP/verify.err"
'
test_expect_success 'once fixed, the tree loads' '
	mkf 644 root:root "byuid/$U1" "127.0.0.1,81" && reload &&
	test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 81)" = ok && "$PG" verify >/dev/null
'

# --- the precedence against portgate.conf; authbind never reserves -----------------------

test_expect_success 'authbind adds grants to a port portgate.conf manages' '
	reset && mkf 500 pgt-ab2$SFX:pgt-ab2$SFX byport/80 &&
	echo "pgt-ab1$SFX tcp://*:80" >"$ETC/portgate.conf" && reload &&
	test "$(kbind pgt-ab1$SFX tcp 0.0.0.0 80)" = ok && test "$(kbind pgt-ab2$SFX tcp 0.0.0.0 80)" = ok &&
	test "$(kbind pgt-ab3$SFX tcp 0.0.0.0 80)" = EACCES &&
	"$PG" check --user pgt-ab2$SFX :80 >"$OUT" && cat "$OUT" && grep -F "/etc/authbind/byport/80" "$OUT"
'
test_expect_success 'authbind never reserves: other users keep the kernel default' '
	mkf 644 root:root "byuid/$U1" "0.0.0.0/0,1-65535" && : >"$ETC/portgate.conf" && reload &&
	test "$(kbind pgt-ab2$SFX tcp 0.0.0.0 5000)" = ok &&
	test "$(kbind pgt-ab1$SFX tcp 0.0.0.0 5000)" = ok &&
	test "$(kbind pgt-ab1$SFX tcp 0.0.0.0 81)" = ok &&
	got=$("$TMP/in_cg" setpriv --reuid=pgt-ab3$SFX --regid=pgt-ab3$SFX --init-groups \
		--inh-caps=+net_bind_service --ambient-caps=+net_bind_service -- "$BIND" tcp 0.0.0.0 81) &&
	test "$got" = ok && test "$(kbind pgt-ab3$SFX tcp 0.0.0.0 81)" = EACCES
'
test_expect_success 'portgate.conf reservations above 1024 still hold against authbind lines' '
	echo "pgt-ab2$SFX tcp://*:5000" >"$ETC/portgate.conf" && reload &&
	test "$(kbind pgt-ab1$SFX tcp 0.0.0.0 5000)" = EACCES &&
	test "$(kbind pgt-ab2$SFX tcp 0.0.0.0 5000)" = ok && : >"$ETC/portgate.conf"
'
test_expect_success 'status: in sync, the authbind entries counted' '
	reload && "$PG" kernel status --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT";
	cat "$OUT" && grep -x "policy files: in sync with $ETC" "$OUT" &&
	grep "^authbind: [0-9]* entries for byport and byaddr, 1 byuid files$" "$OUT"
'

# --- watch ----------------------------------------------------------------------------------

kbind_is() {
	test "$(kbind "$1" "$2" "$3" "$4")" = "$5"
}
reset && reload
"$PG" kernel watch --pin-dir "$PINS" >"$TMP/watch.log" 2>&1 &
WATCH_PID=$!
track_pid "$WATCH_PID"

test_expect_success 'watch says it watches the authbind tree' '
	wait_for 10 grep -q "^reloaded: " "$TMP/watch.log" &&
	grep -F "/etc/authbind" "$TMP/watch.log"
'
test_expect_success 'watch: a byport file created is enforced' '
	test "$(kbind pgt-ab1$SFX tcp 127.0.0.1 81)" = EACCES &&
	mkf 500 pgt-ab1$SFX:pgt-ab1$SFX byport/81 &&
	wait_for 10 kbind_is pgt-ab1$SFX tcp 127.0.0.1 81 ok
'
test_expect_success 'watch: chmod takes it away' '
	chmod 400 "$AB/byport/81" && wait_for 10 kbind_is pgt-ab1$SFX tcp 127.0.0.1 81 EACCES
'
test_expect_success 'watch: chmod gives it back, removing takes it away' '
	chmod 500 "$AB/byport/81" && wait_for 10 kbind_is pgt-ab1$SFX tcp 127.0.0.1 81 ok &&
	rm "$AB/byport/81" && wait_for 10 kbind_is pgt-ab1$SFX tcp 127.0.0.1 81 EACCES
'
test_expect_success 'watch: a byuid line and a byaddr file' '
	mkf 644 root:root "byuid/$U2" "::1,82" && wait_for 10 kbind_is pgt-ab2$SFX tcp ::1 82 ok &&
	mkf 755 root:root byaddr/127.0.0.1,83 && wait_for 10 kbind_is pgt-ab3$SFX tcp 127.0.0.1 83 ok
'
test_expect_success 'watch: a bad byuid line is not loaded, the old policy stays' '
	mkf 644 root:root "byuid/$U2" "::1,82" "garbage" &&
	wait_for 10 grep -q "watch: reload failed" "$TMP/watch.log" &&
	grep -F "/etc/authbind/byuid/$U2:2:1: authbind ignores this line" "$TMP/watch.log" &&
	kbind_is pgt-ab2$SFX tcp ::1 82 ok && kill -0 "$WATCH_PID"
'
kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID"
test_expect_success 'watch stopped' '
	cat "$TMP/watch.log"; grep -x "watch: SIGTERM: stopping" "$TMP/watch.log"
'

test_done
