#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0210-admin.sh - allow, deny, list and check with real users and groups:
# verdicts name their rule, edits are atomic, validated and keep comments.
. "${0%/*}/lib.sh"

export PORTGATE_AUTHBIND_DIR=
ETC=$TMP/etc
PGC="$PG --config $ETC"
make_group "pgt-devs$SFX"
make_user "pgt-alice$SFX"
make_user "pgt-bob$SFX"
make_user "pgt-carol$SFX" "pgt-devs$SFX"

mkdir -p "$ETC"
cat >"$ETC/portgate.conf" <<'CONF'
# Web front end
CONF
chmod 664 "$ETC/portgate.conf"
chgrp "pgt-alice$SFX" "$ETC/portgate.conf"

test_expect_success 'allow grants a user a port' '
	$PGC allow pgt-alice$SFX tcp://127.0.0.1:80 >"$TMP/out" &&
	grep "^allowed pgt-alice$SFX tcp://127.0.0.1:80 ($ETC/portgate.conf:2)$" "$TMP/out"
'
test_expect_success 'allow grants a group a range, shorthand accepted' '
	$PGC allow @pgt-devs$SFX :8000-8099 udp://*:5060 &&
	grep "^@pgt-devs$SFX tcp://\*:8000-8099 udp://\*:5060$" "$ETC/portgate.conf"
'
test_expect_success 'the comment, the mode and the owner survive the edits' '
	head -n 1 "$ETC/portgate.conf" | grep "^# Web front end$" &&
	test "$(stat -c %a:%G "$ETC/portgate.conf")" = 664:pgt-alice$SFX
'
test_expect_success 'allowing a grant twice changes nothing' '
	cp "$ETC/portgate.conf" "$TMP/before" &&
	$PGC allow pgt-alice$SFX tcp://127.0.0.1:80 | grep "already has" &&
	cmp "$TMP/before" "$ETC/portgate.conf"
'
test_expect_success 'check: the owner is allowed, by the rule on line 2' '
	$PGC check --user pgt-alice$SFX 127.0.0.1:80 >"$TMP/out" &&
	grep "^allow: 127.0.0.1:80 for pgt-alice$SFX" "$TMP/out" &&
	grep "rule $ETC/portgate.conf:2 (pgt-alice$SFX tcp://127.0.0.1:80)" "$TMP/out"
'
test_expect_code 1 'check: another user is denied' '$PGC check --user pgt-bob$SFX 127.0.0.1:80'
test_expect_success '  ... and told who owns the port' '
	$PGC check --user pgt-bob$SFX 127.0.0.1:80 | grep "^deny: .*gives it to pgt-alice$SFX"
'
test_expect_code 1 'check: the owner of one address may not take the wildcard' '
	$PGC check --user pgt-alice$SFX 0.0.0.0:80
'
test_expect_code 1 'check: nor dual-stack [::]' '$PGC check --user pgt-alice$SFX :80'
test_expect_code 1 'check: nor an IPv4-mapped spelling of another address' '
	$PGC check --user pgt-alice$SFX "[::ffff:127.0.0.2]:80"
'
test_expect_success 'check: the IPv4-mapped spelling of her own address is hers' '
	$PGC check --user pgt-alice$SFX "[::ffff:127.0.0.1]:80"
'
test_expect_success 'check without --user judges the caller, groups included' '
	as_user pgt-carol$SFX $PGC check :8050 udp://[::1]:5060 &&
	as_user pgt-alice$SFX $PGC check 127.0.0.1:80
'
test_expect_code 1 '  ... and refuses someone outside the group' '
	as_user pgt-bob$SFX $PGC check :8050
'
test_expect_code 1 'check: several specs, one denied, exits 1' '
	$PGC check --user pgt-carol$SFX :8050 :8100 127.0.0.1:80
'
test_expect_success 'check: an unmanaged high port is allowed by the kernel default' '
	$PGC check --user pgt-bob$SFX :9000 | grep "^unmanaged: .*allowed: ports from 1024"
'
test_expect_code 1 'check: an unmanaged low port is refused by the kernel default' '
	$PGC check --user pgt-bob$SFX :81
'
test_expect_success 'check --platform macos: an unmanaged low wildcard port is open there' '
	$PGC check --platform macos --user pgt-bob$SFX :81 >"$TMP/out" &&
	grep "^unmanaged: :81 .*since macOS 10.14 any user may bind a port below 1024 on the wildcard address" "$TMP/out"
'
test_expect_code 1 '  ... but one address is not' '
	$PGC check --platform macos --user pgt-bob$SFX 127.0.0.1:81
'
test_expect_success '  ... and a grant of one address says where the socket comes from' '
	$PGC check --platform macos --user pgt-alice$SFX 127.0.0.1:80 >"$TMP/out" &&
	grep "^allow: 127.0.0.1:80 .*get the socket from launchd.*portgated" "$TMP/out"
'
test_expect_success '  ... a wildcard denial is said to be unenforced there (exit 1 all the same)' '
	{ $PGC check --platform macos --user pgt-bob$SFX 0.0.0.0:80; test $? = 1; } >"$TMP/out" &&
	grep "^deny: 0.0.0.0:80 .*(not enforced on macOS: " "$TMP/out"
'
test_expect_success 'check --platform linux prints what check prints here' '
	$PGC check --user pgt-bob$SFX :9000 >"$TMP/a" &&
	$PGC check --platform linux --user pgt-bob$SFX :9000 >"$TMP/b" && cmp "$TMP/a" "$TMP/b" &&
	! grep -i macos "$TMP/b"
'
test_expect_code 100 'check --platform with an unknown system is a usage error' '
	$PGC check --platform windows :80
'
test_expect_success 'list shows each managed port with its owners and rules' '
	$PGC list >"$TMP/out" &&
	grep -E "^tcp +80 +127\.0\.0\.1 +pgt-alice$SFX +portgate\.conf:2$" "$TMP/out" &&
	grep -E "^tcp +8000-8099 +\* +@pgt-devs$SFX +portgate\.conf:3$" "$TMP/out" &&
	grep -E "^udp +5060 +\* +@pgt-devs$SFX +portgate\.conf:3$" "$TMP/out"
'
test_expect_success 'list groups owners of the same port and address' '
	$PGC allow pgt-bob$SFX udp://*:5060 &&
	$PGC list | grep -E "^udp +5060 +\* +@pgt-devs$SFX, pgt-bob$SFX +portgate\.conf:3, portgate\.conf:4$"
'
test_expect_success 'list on Linux has no platform notes; --platform macos says what macOS leaves open' '
	! $PGC list | grep -i macos &&
	$PGC list --platform macos >"$TMP/out" &&
	grep "^on macOS, without a kernel path:$" "$TMP/out" &&
	grep -E "^  tcp://127\.0\.0\.1:80 +a specific address: needs root; owners get it from launchd or portgated$" "$TMP/out" &&
	grep -E "^  tcp://\*:8000-8099 +open to every user unless portgated holds it" "$TMP/out"
'
test_expect_code 100 'list takes no argument but --platform' '$PGC list extra'
test_expect_success 'check --json: one document, the keys portgate(1) documents' '
	{ $PGC check --json --user pgt-alice$SFX 127.0.0.1:80 :81 >"$TMP/out.json"; test $? = 1; } &&
	/usr/bin/python3 -m json.tool "$TMP/out.json" >/dev/null &&
	json_keys "$TMP/out.json" "" "allowed platform uid unprivileged_port_start user verdicts" &&
	json_keys "$TMP/out.json" "[\"verdicts\"][0]" \
		"allowed authbind bind explanation platform_note reason rule spec verdict" &&
	json_keys "$TMP/out.json" "[\"verdicts\"][0][\"rule\"]" "col file line principal spec" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
v = d[\"verdicts\"]
assert d[\"user\"] == \"pgt-alice$SFX\" and d[\"allowed\"] is False, d
assert (v[0][\"verdict\"], v[0][\"reason\"], v[0][\"allowed\"]) == (\"allow\", \"rule\", True), v[0]
assert v[0][\"rule\"][\"line\"] == 2 and v[0][\"rule\"][\"spec\"] == \"tcp://127.0.0.1:80\", v[0]
assert (v[1][\"verdict\"], v[1][\"reason\"], v[1][\"allowed\"], v[1][\"rule\"]) == (\"unmanaged\", \"not-named\", False, None), v[1]
" "$TMP/out.json"
'
test_expect_code 1 '  ... with the same exit status as without' '
	$PGC check --json --user pgt-alice$SFX 127.0.0.1:80 :81 >/dev/null
'
test_expect_success 'list --json: the table as one document' '
	$PGC list --json >"$TMP/out.json" &&
	json_keys "$TMP/out.json" "" "authbind config_dir platform ports" &&
	json_keys "$TMP/out.json" "[\"ports\"][0]" \
		"address owners platform_note port_hi port_lo proto rules" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
rows = [(p[\"proto\"], p[\"port_lo\"], p[\"port_hi\"], p[\"address\"], p[\"owners\"]) for p in d[\"ports\"]]
assert (\"tcp\", 80, 80, \"127.0.0.1\", [\"pgt-alice$SFX\"]) in rows, rows
assert (\"tcp\", 8000, 8099, \"*\", [\"@pgt-devs$SFX\"]) in rows, rows
assert d[\"authbind\"] is None
" "$TMP/out.json"
'
test_expect_code 1 'deny refuses to cut a grant out of a wider rule' '$PGC deny @pgt-devs$SFX :8050'
test_expect_success '  ... naming the rule and changing nothing' '
	cp "$ETC/portgate.conf" "$TMP/before" &&
	$PGC deny @pgt-devs$SFX :8050 2>&1 | grep "wider rule .*portgate.conf:3" ;
	cmp "$TMP/before" "$ETC/portgate.conf"
'
test_expect_code 1 'deny of a grant that does not exist' '$PGC deny pgt-bob$SFX :8050'
test_expect_success 'deny removes one spec and keeps the rest of the line' '
	$PGC deny @pgt-devs$SFX udp://*:5060 &&
	grep "^@pgt-devs$SFX tcp://\*:8000-8099$" "$ETC/portgate.conf" &&
	$PGC check --user pgt-bob$SFX udp://0.0.0.0:5060
'
test_expect_success 'deny of the last spec removes the line and warns when a port is freed' '
	$PGC deny pgt-bob$SFX udp://*:5060 >"$TMP/out" &&
	grep "no longer named in the policy" "$TMP/out" &&
	! grep "^pgt-bob$SFX" "$ETC/portgate.conf"
'
test_expect_success 'after deny the former owner is back to the kernel default' '
	$PGC deny pgt-alice$SFX tcp://127.0.0.1:80 &&
	! $PGC check --user pgt-alice$SFX 127.0.0.1:80 &&
	$PGC check --user pgt-alice$SFX 127.0.0.1:80 | grep "^unmanaged:"
'
test_expect_success 'grants in conf.d can be denied too' '
	mkdir -p "$ETC/conf.d" &&
	printf "pgt-bob$SFX tcp://*:5432 # db\n" >"$ETC/conf.d/50-db.conf" &&
	$PGC deny pgt-bob$SFX tcp://*:5432 &&
	test "$(cat "$ETC/conf.d/50-db.conf")" = "# db"
'
test_expect_code 1 'an edit is refused while the policy has errors' '
	printf "pgt-bob$SFX tcp://*:oops\n" >"$ETC/conf.d/60-bad.conf" &&
	$PGC allow pgt-bob$SFX :9999
'
test_expect_success '  ... and nothing was written' '
	! grep 9999 "$ETC/portgate.conf" && rm "$ETC/conf.d/60-bad.conf"
'
test_expect_code 111 'a user who cannot write the policy gets a system error' '
	as_user pgt-bob$SFX $PGC allow pgt-bob$SFX :9999
'
test_expect_code 111 'a user who cannot read the policy gets a system error' '
	chmod 600 "$ETC/portgate.conf" && as_user pgt-bob$SFX $PGC check :9999
'
test_expect_success '  ... that says what to do' '
	as_user pgt-bob$SFX $PGC check :9999 2>&1 | grep "cannot read the policy in .*run as root"
'
test_expect_success 'check explains a grant from the authbind tree' '
	chmod 644 "$ETC/portgate.conf" &&
	mkdir -p "$TMP/authbind/byport" && touch "$TMP/authbind/byport/81" &&
	chown pgt-bob$SFX "$TMP/authbind/byport/81" && chmod 500 "$TMP/authbind/byport/81" &&
	PORTGATE_AUTHBIND_DIR="$TMP/authbind" $PGC check --user pgt-bob$SFX :81 |
		grep "^allow: :81 for pgt-bob$SFX .*authbind $TMP/authbind/byport/81$"
'
test_expect_code 1 '  ... and refuses a user the tree does not grant' '
	PORTGATE_AUTHBIND_DIR="$TMP/authbind" $PGC check --user pgt-alice$SFX :81
'
test_expect_success '  ... which verify and list mention' '
	PORTGATE_AUTHBIND_DIR="$TMP/authbind" $PGC verify | grep "authbind tree $TMP/authbind" &&
	PORTGATE_AUTHBIND_DIR="$TMP/authbind" $PGC list | grep -E "^any +81 +\* .*byport/81$" &&
	PORTGATE_AUTHBIND_DIR="$TMP/authbind" $PGC list --json >"$TMP/out.json" &&
	json_keys "$TMP/out.json" "[\"authbind\"][\"entries\"][0]" "file group kind mode name uid" &&
	PORTGATE_AUTHBIND_DIR="$TMP/authbind" $PGC check --json --user pgt-bob$SFX :81 >"$TMP/out.json" &&
	json_keys "$TMP/out.json" "[\"verdicts\"][0][\"authbind\"]" "file line"
'
test_expect_success 'no temporary files are left behind' '
	test -z "$(find "$ETC" -name "*.conf.*")"
'
test_done
