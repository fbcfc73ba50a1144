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
		\"SockFamily\": \"IPv4\", \"SockServiceName\": \"80\", \"SockType\": \"stream\",
		\"SockProtocol\": \"TCP\"}"
'
test_expect_success '  ... IPv6 spec: bare address, IPv6' '
	plist "$TMP/a.plist" "p[\"Sockets\"][\"Listeners2\"] == {\"SockNodeName\": \"::1\",
		\"SockFamily\": \"IPv6\", \"SockServiceName\": \"443\", \"SockType\": \"stream\",
		\"SockProtocol\": \"TCP\"}"
'
test_expect_success '  ... * has no node and no family' '
	plist "$TMP/a.plist" "p[\"Sockets\"][\"Listeners3\"] == {\"SockServiceName\": \"8080\",
		\"SockType\": \"stream\", \"SockProtocol\": \"TCP\"}"
'
test_expect_success '  ... udp is dgram, without SockProtocol (TCP is its one documented value)' '
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
test_expect_success 'launchd unix:PATH --socket-mode: SockPathName, SockPathMode in decimal' '
	$L -l unix:/var/run/web.sock --socket-mode 0660 -l 127.0.0.1:80 --fdname web:web \
		-- /usr/bin/python3 >"$TMP/u.plist" &&
	plist "$TMP/u.plist" "p[\"Sockets\"][\"web\"][0] == {\"SockPathName\": \"/var/run/web.sock\",
		\"SockPathMode\": 432, \"SockType\": \"stream\"} and
		p[\"Sockets\"][\"web\"][1][\"SockNodeName\"] == \"127.0.0.1\""
'
test_expect_success 'launchd --env --chdir --stdout --stderr: the job keys, escaped' '
	$L -l :80 --env "GREETING=a<b&c\"d" --env EMPTY= --env X_1=y=z --chdir /srv/w\&x \
		--stdout /var/log/out.log --stderr /var/log/err.log -- /usr/bin/python3 >"$TMP/e.plist" &&
	plist "$TMP/e.plist" "p[\"EnvironmentVariables\"] == {\"GREETING\": \"a<b&c\\\"d\",
		\"EMPTY\": \"\", \"X_1\": \"y=z\"} and p[\"WorkingDirectory\"] == \"/srv/w&x\" and
		p[\"StandardOutPath\"] == \"/var/log/out.log\" and
		p[\"StandardErrorPath\"] == \"/var/log/err.log\""
'
test_expect_success '  ... --stdout alone leaves standard error in the default log' '
	$L -l :80 --stdout /var/log/out.log -- /usr/bin/python3 >"$TMP/e2.plist" &&
	plist "$TMP/e2.plist" "p[\"StandardOutPath\"] == \"/var/log/out.log\" and
		p[\"StandardErrorPath\"] == \"$HOME/Library/Logs/com.example.web.log\" and
		\"EnvironmentVariables\" not in p and \"WorkingDirectory\" not in p"
'
# A portgate laid out as make install does: launch_socket_server and portgated in ../sbin.
mkdir -p "$TMP/pfx/bin" && cp "$PG" "$TMP/pfx/bin/portgate"
LI="$TMP/pfx/bin/portgate unit launchd --label com.example.web"
test_expect_success 'launchd --launch-socket-server - : the README plist, backend over TCP' '
	$LI --launch-socket-server --to tcp:127.0.0.1:8080 -l 0.0.0.0:80 >"$TMP/l1.plist" &&
	plist "$TMP/l1.plist" "p[\"ProgramArguments\"] == [\"$TMP/pfx/sbin/launch_socket_server\", \"-\"]
		and list(p[\"Sockets\"]) == [\"Socket\"] and
		p[\"Sockets\"][\"Socket\"][\"SockNodeName\"] == \"0.0.0.0\" and
		p[\"Sockets\"][\"Socket\"][\"SockServiceName\"] == \"80\" and
		p[\"EnvironmentVariables\"] == {\"LAUNCH_PROGRAM_TCP_ADDRESS\": \"127.0.0.1:8080\"}"
'
test_expect_success '  ... PROG, a UNIX backend, another socket name, a daemon for a user' '
	$LI --launch-socket-server --daemon -u www:staff --to unix:/var/run/my.sock \
		-l 0.0.0.0:80 -l "[::]:80" --fdname Web:Web --env A=b \
		-- /usr/local/bin/myserver arg1 >"$TMP/l2.plist" &&
	plist "$TMP/l2.plist" "p[\"ProgramArguments\"] == [\"$TMP/pfx/sbin/launch_socket_server\",
		\"/usr/local/bin/myserver\", \"arg1\"] and len(p[\"Sockets\"][\"Web\"]) == 2 and
		p[\"EnvironmentVariables\"] == {\"LAUNCH_PROGRAM_SOCKET_PATH\": \"/var/run/my.sock\",
		\"LAUNCH_DAEMON_SOCKET_NAME\": \"Web\", \"A\": \"b\"} and p[\"UserName\"] == \"www\""
'
test_expect_success '  ... from a build tree: launch_socket_server beside portgate' '
	$L --launch-socket-server -l :80 -- /usr/local/bin/myserver >"$TMP/l3.plist" &&
	plist "$TMP/l3.plist" "p[\"ProgramArguments\"] == [\"${PG%/*}/launch_socket_server\",
		\"/usr/local/bin/myserver\"] and \"EnvironmentVariables\" not in p"
'
test_expect_success 'launchd --portgated: the broker as a LaunchDaemon, as root' '
	"$TMP/pfx/bin/portgate" unit launchd --portgated >"$TMP/g.plist" &&
	plist "$TMP/g.plist" "p[\"Label\"] == \"org.portgate.portgated\" and
		p[\"ProgramArguments\"] == [\"$TMP/pfx/sbin/portgated\", \"--foreground\", \"--hold\",
		\"--socket\", \"/run/portgate/portgated.sock\"] and p[\"RunAtLoad\"] is True and
		p[\"KeepAlive\"] is True and \"UserName\" not in p and \"Sockets\" not in p and
		p[\"StandardOutPath\"] == p[\"StandardErrorPath\"] == \"/var/log/portgated.log\""
'
test_expect_success '  ... --daemon is implied; --label and --stderr are taken' '
	$L --portgated --daemon --label org.example.pgd --stderr /var/log/pgd.err >"$TMP/g2.plist" &&
	plist "$TMP/g2.plist" "p[\"Label\"] == \"org.example.pgd\" and
		p[\"StandardErrorPath\"] == \"/var/log/pgd.err\""
'

# refused TEXT ARGS...: portgate unit launchd ARGS exits 100, its message has TEXT.
refused() {
	_t=$1
	shift
	"$PG" unit launchd "$@" >/dev/null 2>"$TMP/err"
	_rc=$?
	[ "$_rc" = 100 ] || { echo "exit $_rc, expected 100"; cat "$TMP/err"; return 1; }
	grep -F -- "$_t" "$TMP/err" >/dev/null || { echo "stderr lacks: $_t"; cat "$TMP/err"; return 1; }
}
B="--label com.example.web -l :80"
test_expect_success 'launchd refuses --env without =' '
	refused "bad --env '"'"'X'"'"': expected NAME=VALUE" $B --env X -- /bin/true'
test_expect_success 'launchd refuses an --env NAME that is not a variable name' '
	refused "bad --env '"'"'1X=2'"'"': NAME is letters, digits and" $B --env 1X=2 -- /bin/true &&
	refused "bad --env '"'"'=v'"'"': NAME is letters" $B --env =v -- /bin/true &&
	refused "bad --env '"'"'A-B=v'"'"': NAME is letters" $B --env A-B=v -- /bin/true'
test_expect_success 'launchd refuses an --env NAME given twice' '
	refused "--env A is given twice" $B --env A=1 --env A=2 -- /bin/true'
test_expect_success 'launchd refuses an --env value with a control character' '
	refused "bad --env" $B --env "A=$(printf "x\\001")" -- /bin/true'
test_expect_success 'launchd refuses relative --chdir, --stdout, --stderr and unix:PATH' '
	refused "bad --chdir '"'"'srv'"'"': launchd needs an absolute path" $B --chdir srv -- /bin/true &&
	refused "bad --stdout '"'"'o.log'"'"': launchd needs an absolute path" $B --stdout o.log -- /bin/true &&
	refused "bad --stderr '"'"'e.log'"'"': launchd needs an absolute path" $B --stderr e.log -- /bin/true &&
	refused "bad listen spec '"'"'unix:w.sock'"'"': launchd needs an absolute path" \
		--label com.example.web -l unix:w.sock -- /bin/true'
test_expect_success 'launchd refuses a UNIX socket path longer than macOS takes' '
	refused "a UNIX socket path is at most 103 bytes" --label com.example.web \
		-l "unix:/$(printf "%0103d" 0)" -- /bin/true'
test_expect_success 'launchd refuses a bad --socket-mode, and one without unix:PATH' '
	refused "bad --socket-mode '"'"'0999'"'"': an octal mode" --label com.example.web \
		-l unix:/w.sock --socket-mode 0999 -- /bin/true &&
	refused "bad --socket-mode '"'"'1777'"'"'" --label com.example.web \
		-l unix:/w.sock --socket-mode 1777 -- /bin/true &&
	refused "--socket-mode is for UNIX sockets" $B --socket-mode 0600 -- /bin/true'
test_expect_success 'launchd --launch-socket-server refuses what the drop-in cannot serve' '
	refused "bad --to '"'"'udp:127.0.0.1:53'"'"' for --launch-socket-server" \
		$B --launch-socket-server --to udp:127.0.0.1:53 &&
	refused "bad --to '"'"'unix:rel.sock'"'"' for --launch-socket-server" \
		$B --launch-socket-server --to unix:rel.sock &&
	refused "serves the sockets of one name: --fdname gives '"'"'a'"'"' and '"'"'b'"'"'" \
		$B -l :81 --fdname a:b --launch-socket-server -- /bin/true &&
	refused "forwards TCP connections: listen spec '"'"'udp://0.0.0.0:53'"'"' is UDP" \
		--label com.example.web -l udp://0.0.0.0:53 --launch-socket-server -- /bin/true &&
	refused "--env LAUNCH_PROGRAM_SOCKET_PATH: --launch-socket-server sets it" \
		$B --launch-socket-server --env LAUNCH_PROGRAM_SOCKET_PATH=/x -- /bin/true &&
	refused "give either --proxy or --launch-socket-server" \
		$B --proxy --launch-socket-server -- /bin/true &&
	refused "missing PROG" $B --launch-socket-server'
test_expect_success 'launchd --portgated refuses sockets, PROG, -u and --agent' '
	refused "--portgated takes no -l" --portgated -l :80 &&
	refused "--portgated takes no -l" --portgated -- /bin/true &&
	refused "--portgated takes no -l" --portgated -u www &&
	refused "--portgated makes a daemon" --portgated --agent'
test_expect_success 'systemd refuses unix:PATH and the launchd-only options' '
	"$PG" unit systemd --name web -l unix:/w.sock -- /bin/true 2>"$TMP/err"; test $? = 100 &&
	grep "systemd cannot express listen spec .unix:/w.sock. yet" "$TMP/err" &&
	for o in "--env A=b" "--chdir /" "--stdout /x" "--stderr /x" "--socket-mode 0600" \
		--launch-socket-server --portgated; do
		# shellcheck disable=SC2086 # an option and its argument
		"$PG" unit systemd --name web -l :80 $o -- /bin/true 2>"$TMP/err"; test $? = 100 &&
		grep "is for .portgate unit launchd. only" "$TMP/err" || exit 1
	done
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
