#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0600-unit.sh - portgate unit: launchd property lists checked by a real plist
# parser, systemd units checked by systemd-analyze verify, refused specs,
# --install and --output-dir never replacing a file without --force.
. "${0%/*}/lib.sh"
require_cmd systemd-analyze
[ -x /usr/bin/python3 ] || skip_all "needs /usr/bin/python3 (run scripts/install-deps.sh)"

# plist FILE EXPR: EXPR (Python, the plist is "p") must be true.
plist() {
	/usr/bin/python3 -c 'import plistlib,sys
p = plistlib.load(open(sys.argv[1], "rb"))
ok = eval("(" + sys.argv[2] + ")")
print(p)
sys.exit(0 if ok else 1)' "$1" "$2"
}

L="$PG unit launchd --label com.example.web"
test_expect_success 'launchd: v4, v6, * and udp parse as a plist' '
	$L -l 127.0.0.1:80 -l "[::1]:443" -l "*:8080" -l udp://0.0.0.0:53 \
		-- /usr/bin/python3 -m "a<b&c\"d" >"$TMP/a.plist" &&
	plist "$TMP/a.plist" "p[\"Label\"] == \"com.example.web\""
'
test_expect_success '  ... IPv4 spec: node, family, port, stream' '
	plist "$TMP/a.plist" "p[\"Sockets\"][\"Listeners\"] == {\"SockNodeName\": \"127.0.0.1\",
		\"SockFamily\": \"IPv4\", \"SockServiceName\": \"80\", \"SockType\": \"stream\"}"
'
test_expect_success '  ... IPv6 spec: bare address, IPv6' '
	plist "$TMP/a.plist" "p[\"Sockets\"][\"Listeners2\"] == {\"SockNodeName\": \"::1\",
		\"SockFamily\": \"IPv6\", \"SockServiceName\": \"443\", \"SockType\": \"stream\"}"
'
test_expect_success '  ... * has no node and no family' '
	plist "$TMP/a.plist" "p[\"Sockets\"][\"Listeners3\"] == {\"SockServiceName\": \"8080\",
		\"SockType\": \"stream\"}"
'
test_expect_success '  ... udp is dgram' '
	plist "$TMP/a.plist" "p[\"Sockets\"][\"Listeners4\"] == {\"SockNodeName\": \"0.0.0.0\",
		\"SockFamily\": \"IPv4\", \"SockServiceName\": \"53\", \"SockType\": \"dgram\"}"
'
test_expect_success '  ... ProgramArguments: portgate run --launchd each name, escaped args' '
	plist "$TMP/a.plist" "p[\"ProgramArguments\"][1:] == [\"run\", \"--launchd\", \"Listeners\",
		\"--launchd\", \"Listeners2\", \"--launchd\", \"Listeners3\", \"--launchd\",
		\"Listeners4\", \"--\", \"/usr/bin/python3\", \"-m\", \"a<b&c\\\"d\"]
		and p[\"ProgramArguments\"][0].endswith(\"/portgate\")"
'
test_expect_success '  ... an agent: KeepAlive, RunAtLoad, logs in ~/Library/Logs, no UserName' '
	plist "$TMP/a.plist" "p[\"KeepAlive\"] is True and p[\"RunAtLoad\"] is True and
		p[\"StandardOutPath\"] == \"$HOME/Library/Logs/com.example.web.log\" and
		p[\"StandardErrorPath\"] == p[\"StandardOutPath\"] and \"UserName\" not in p"
'
test_expect_success 'launchd --daemon -u: UserName, GroupName, /usr/local/var/log' '
	$L --daemon -u www:staff -l :80 -- /usr/bin/python3 >"$TMP/d.plist" &&
	plist "$TMP/d.plist" "p[\"UserName\"] == \"www\" and p[\"GroupName\"] == \"staff\" and
		p[\"StandardOutPath\"] == \"/usr/local/var/log/com.example.web.log\""
'
test_expect_success 'launchd --proxy --fdname: portgate proxy, names grouped' '
	$L --proxy --to unix:/tmp/b.sock -l 127.0.0.1:80 -l "[::1]:80" --fdname web:web \
		-- /usr/bin/python3 >"$TMP/p.plist" &&
	plist "$TMP/p.plist" "p[\"ProgramArguments\"][1:] == [\"proxy\", \"--launchd\", \"web\",
		\"--to\", \"unix:/tmp/b.sock\", \"--\", \"/usr/bin/python3\"] and
		[s[\"SockNodeName\"] for s in p[\"Sockets\"][\"web\"]] == [\"127.0.0.1\", \"::1\"]"
'
test_expect_code 100 'launchd refuses a port range' '$L -l :80-90 -- /bin/true'
test_expect_success '  ... quoting the spec' '
	$L -l :80-90 -- /bin/true 2>&1 | grep "launchd cannot express listen spec .:80-90.: a port range"
'
test_expect_code 100 'launchd refuses an address prefix' '$L -l 10.0.0.0/8:80 -- /bin/true'
test_expect_success '  ... quoting the spec' '
	$L -l 10.0.0.0/8:80 -- /bin/true 2>&1 | grep "listen spec .10.0.0.0/8:80.: an address prefix"
'
test_expect_code 100 'launchd without --label' '"$PG" unit launchd -l :80 -- /bin/true'
test_expect_code 100 'launchd -u without --daemon' '$L -u www -l :80 -- /bin/true'
test_expect_code 100 'a label that is not a file name' '
	"$PG" unit launchd --label ../x -l :80 -- /bin/true'
test_expect_code 100 'an unknown kind' '"$PG" unit upstart -l :80 -- /bin/true'

A="$TMP/home/Library/LaunchAgents/com.example.web.plist"
test_expect_success 'launchd --install writes the agent 0644 and prints launchctl' '
	mkdir -p "$TMP/home" &&
	HOME=$TMP/home $L --install -l :80 -- /usr/bin/python3 >"$TMP/out" &&
	test "$(stat -c %a "$A")" = 644 &&
	plist "$A" "p[\"Sockets\"][\"Listeners\"][\"SockServiceName\"] == \"80\"" &&
	test "$(cat "$TMP/out")" = "launchctl bootstrap gui/$(id -u) $A"
'
test_expect_code 1 '  ... refuses to overwrite it' '
	HOME=$TMP/home $L --install -l :81 -- /usr/bin/python3
'
test_expect_success '  ... naming the file and leaving it alone' '
	HOME=$TMP/home $L --install -l :81 -- /usr/bin/python3 2>&1 | grep "$A. exists" &&
	plist "$A" "p[\"Sockets\"][\"Listeners\"][\"SockServiceName\"] == \"80\""
'
test_expect_success '  ... replaces it with --force, still 0644' '
	(umask 077 && HOME=$TMP/home $L --install --force -l :81 -- /usr/bin/python3) &&
	test "$(stat -c %a "$A")" = 644 &&
	plist "$A" "p[\"Sockets\"][\"Listeners\"][\"SockServiceName\"] == \"81\""
'

S="$PG unit systemd --name web"
test_expect_success 'systemd: units for v4, v6, * pass systemd-analyze verify' '
	mkdir "$TMP/u1" &&
	$S -u nobody -l 127.0.0.1:80 -l "[::1]:443" -l "*:8080" --fdname http:http:http \
		--output-dir "$TMP/u1" -- /usr/bin/python3 -m http.server >"$TMP/out" &&
	(cd "$TMP/u1" && systemd-analyze verify "$TMP/u1/web.socket" "$TMP/u1/web.service") &&
	grep -x "systemctl enable --now web.socket" "$TMP/out"
'
test_expect_success '  ... the socket unit lists each spec, * as [::] dual-stack' '
	grep -x "ListenStream=127.0.0.1:80" "$TMP/u1/web.socket" &&
	grep -x "ListenStream=\[::1\]:443" "$TMP/u1/web.socket" &&
	grep -x "ListenStream=\[::\]:8080" "$TMP/u1/web.socket" &&
	grep -x "BindIPv6Only=both" "$TMP/u1/web.socket" &&
	grep -x "FileDescriptorName=http" "$TMP/u1/web.socket"
'
test_expect_success '  ... the service is hardened and runs PROG as USER' '
	for l in "ExecStart=/usr/bin/python3 -m http.server" User=nobody NoNewPrivileges=yes \
		ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" CapabilityBoundingSet=; do
		grep -x "$l" "$TMP/u1/web.service" || exit 1
	done &&
	grep -x "#   portgate check --user nobody 127.0.0.1:80 .\[::1\]:443. .\*:8080." \
		"$TMP/u1/web.service"
'
test_expect_success '  ... files are 0644' '
	test "$(stat -c %a "$TMP/u1/web.socket")" = 644 &&
	test "$(stat -c %a "$TMP/u1/web.service")" = 644
'
test_expect_code 1 '  ... not replaced without --force' '
	$S -l :80 --output-dir "$TMP/u1" -- /bin/true'
test_expect_success '  ... replaced with --force' '
	$S -l :80 --output-dir "$TMP/u1" --force -- /bin/true &&
	grep -x "ExecStart=/bin/true" "$TMP/u1/web.service"
'
test_expect_success 'systemd: udp, PATH lookup and quoting on stdout pass verify' '
	mkdir "$TMP/u2" &&
	PATH=/usr/bin:/bin $S -l "udp://[::1]:53" -- python3 -c "print(\"50% \$HOME\")" >"$TMP/out" &&
	grep -x "# web.socket" "$TMP/out" && grep -x "# ---" "$TMP/out" &&
	grep -x "# web.service" "$TMP/out" &&
	sed -n "2,/^# ---\$/p" "$TMP/out" | sed "\$d" >"$TMP/u2/web.socket" &&
	sed -n "/^# web.service\$/,\$p" "$TMP/out" | sed 1d >"$TMP/u2/web.service" &&
	grep -x "ListenDatagram=\[::1\]:53" "$TMP/u2/web.socket" &&
	grep -xF "ExecStart=/usr/bin/python3 -c \"print(\\\"50%% \$\$HOME\\\")\"" "$TMP/u2/web.service" &&
	(cd "$TMP/u2" && systemd-analyze verify "$TMP/u2/web.socket" "$TMP/u2/web.service")
'
test_expect_success 'systemd --proxy: ExecStart is portgate proxy --inherit' '
	$S --proxy --to tcp:127.0.0.1:8080 -l :80 >"$TMP/out" &&
	grep -x "ExecStart=.*/portgate proxy --inherit --to tcp:127.0.0.1:8080" "$TMP/out"
'
test_expect_code 100 'systemd refuses a port range' '$S -l :80-90 -- /bin/true'
test_expect_success '  ... quoting the spec' '
	$S -l :80-90 -- /bin/true 2>&1 | grep "systemd cannot express listen spec .:80-90.: a port range"
'
test_expect_code 100 'systemd refuses a relative PROG' '$S -l :80 -- ./server'
test_expect_code 127 'systemd refuses a PROG not in PATH' '$S -l :80 -- pgt-no-such-prog'
test_expect_code 100 'systemd refuses * with [::] (one BindIPv6Only=)' '
	$S -l "*:80" -l "[::]:443" -- /bin/true'
test_expect_success 'systemd --fdname a:b: one .socket unit per name, all for one service' '
	mkdir "$TMP/u3" &&
	$S -l 127.0.0.1:80 -l "[::1]:80" -l "*:443" -l "udp://[::]:53" --fdname "http:http:tls:d ns" \
		--output-dir "$TMP/u3" -- /bin/true >"$TMP/out" &&
	(cd "$TMP/u3" && systemd-analyze verify "$TMP"/u3/*.socket "$TMP/u3/web.service") &&
	ls "$TMP/u3" >"$TMP/ls" &&
	printf "%s\n" "web-d\\x20ns.socket" web-http.socket web-tls.socket web.service | diff - "$TMP/ls" &&
	grep -x "systemctl enable --now web-http.socket web-tls.socket .web-d\\\\x20ns.socket." \
		"$TMP/out"
'
test_expect_success '  ... each unit has its specs, its name and Service=web.service' '
	grep -x "ListenStream=127.0.0.1:80" "$TMP/u3/web-http.socket" &&
	grep -x "ListenStream=\[::1\]:80" "$TMP/u3/web-http.socket" &&
	grep -x "FileDescriptorName=http" "$TMP/u3/web-http.socket" &&
	test "$(grep -c ^Listen "$TMP/u3/web-http.socket")" = 2 &&
	grep -x "ListenStream=\[::\]:443" "$TMP/u3/web-tls.socket" &&
	grep -x "BindIPv6Only=both" "$TMP/u3/web-tls.socket" &&
	grep -x "FileDescriptorName=tls" "$TMP/u3/web-tls.socket" &&
	grep -x "ListenDatagram=\[::\]:53" "$TMP/u3/web-d\\x20ns.socket" &&
	grep -x "BindIPv6Only=ipv6-only" "$TMP/u3/web-d\\x20ns.socket" &&
	grep -x "FileDescriptorName=d ns" "$TMP/u3/web-d\\x20ns.socket" &&
	test "$(grep -hx "Service=web.service" "$TMP"/u3/*.socket | wc -l)" = 3
'
test_expect_success '  ... the service lists them in Sockets=, Requires= and After=' '
	u="web-http.socket web-tls.socket web-d\\x20ns.socket" &&
	grep -xF "Sockets=$u" "$TMP/u3/web.service" &&
	grep -xF "Requires=$u" "$TMP/u3/web.service" &&
	grep -xF "After=$u" "$TMP/u3/web.service"
'
test_expect_code 1 '  ... none is written when one exists' '
	rm "$TMP/u3/web-tls.socket" &&
	$S -l :80 -l :443 --fdname http:tls --output-dir "$TMP/u3" -- /bin/true
'
test_expect_success '  ... (the missing one was not written)' 'test ! -e "$TMP/u3/web-tls.socket"'
test_expect_success 'systemd --fdname on stdout: one section per unit' '
	$S -l :80 -l :443 --fdname http:tls -- /bin/true >"$TMP/out" &&
	grep "^# [a-z.-]*$" "$TMP/out" >"$TMP/sections" &&
	printf "%s\n" "# web-http.socket" "# ---" "# web-tls.socket" "# ---" "# web.service" |
		diff - "$TMP/sections"
'
test_expect_success 'systemd: one name for every socket keeps one NAME.socket' '
	$S -l :80 -l :443 --fdname web:web -- /bin/true >"$TMP/out" &&
	grep -x "# web.socket" "$TMP/out" && ! grep "^Sockets=" "$TMP/out" &&
	grep -x "Requires=web.socket" "$TMP/out"
'
test_expect_code 100 'systemd refuses --label' '$S --label x -l :80 -- /bin/true'
test_done
